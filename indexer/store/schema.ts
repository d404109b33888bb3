import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Chain-derived tables. Only the indexer writes them; their names start with `chain_` to keep them
 * apart from the server's off-chain tables in the same SQLite file.
 */

/** The one deployment this database mirrors; a database never mixes two registries. */
export const chainDeployment = sqliteTable("chain_deployment", {
  id: integer("id").primaryKey(),
  chainId: integer("chain_id").notNull(),
  registryAddress: text("registry_address").notNull(),
  deployBlock: integer("deploy_block").notNull(),
});

/** The last block whose logs are fully stored; written in the same transaction as those logs. */
export const chainCheckpoint = sqliteTable("chain_checkpoint", {
  id: integer("id").primaryKey(),
  blockNumber: integer("block_number").notNull(),
  blockHash: text("block_hash").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/** Registry logs as the chain returned them; decoding into domain tables builds on these. */
export const chainRawLogs = sqliteTable(
  "chain_raw_logs",
  {
    blockNumber: integer("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    blockHash: text("block_hash").notNull(),
    transactionHash: text("transaction_hash").notNull(),
    topics: text("topics", { mode: "json" }).$type<string[]>().notNull(),
    data: text("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.blockNumber, t.logIndex] })],
);
