import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "../../auth/schema";
import { devices } from "../../devices/schema";
import { voucherNonces } from "../../issuance/schema";
import { gcAccounts, gcBundles } from "../schema";

export const GC_MINT_BATCH_STATES = ["planned", "signed", "confirmed", "blocked"] as const;
export type GcMintBatchState = (typeof GC_MINT_BATCH_STATES)[number];

/**
 * The GC mint outbox: one row per voucher, i.e. per batch of new bundles for one account and kind. Its
 * bundles are reserved (status `pending`, ids and certificate ranges fixed) in the transaction that creates
 * it, so a (device, hour) is taken before anything is signed. A batch moves planned → signed → confirmed;
 * the signed voucher is stored before it is sent, and a run that died after sending asks the chain whether
 * the nonce was used (single use: the final guard against minting twice). `blocked` (no gas, node down,
 * chain time behind the period) is retried by later runs; nothing is final, because the bundles' ids and
 * ranges are already part of the device's contiguous sequence.
 */
export const gcMintBatches = sqliteTable(
  "gc_mint_batches",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => gcAccounts.id),
    /** CertificateKind: 1 GC, 2 SD-GC, 3 imported GC. */
    kind: integer("kind").notNull(),
    state: text("state").$type<GcMintBatchState>().notNull(),
    size: integer("size").notNull(),
    nonce: integer("nonce").references(() => voucherNonces.nonce),
    /** Unix seconds after which the voucher is void on chain. */
    deadline: integer("deadline"),
    signature: text("signature"),
    txHash: text("tx_hash"),
    /** The token id of the batch's first bundle (decimal); the others follow consecutively. */
    firstTokenId: text("first_token_id"),
    /** This batch's share of its transaction's gas (a transaction may carry several vouchers). */
    gasUsed: integer("gas_used"),
    lastError: text("last_error"),
    /** A run working on the row holds it until then, so two runs never send the same voucher at once. */
    leaseUntil: integer("lease_until"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("gc_mint_batches_nonce").on(t.nonce), index("gc_mint_batches_state").on(t.state)],
);

/** Which bundles a batch mints, in voucher order: position i gets token id firstTokenId + i. */
export const gcMintItems = sqliteTable(
  "gc_mint_items",
  {
    bundleId: text("bundle_id")
      .primaryKey()
      .references(() => gcBundles.id),
    batchId: text("batch_id")
      .notNull()
      .references(() => gcMintBatches.id),
    position: integer("position").notNull(),
  },
  (t) => [uniqueIndex("gc_mint_items_position").on(t.batchId, t.position)],
);

/**
 * An imported bundle's certificate range in its source registry (inclusive). Imports are checked against
 * each other on it: two rows of one source registry and device whose ranges meet are the same energy twice.
 */
export const gcImports = sqliteTable(
  "gc_imports",
  {
    bundleId: text("bundle_id")
      .primaryKey()
      .references(() => gcBundles.id),
    importId: text("import_id").notNull(),
    /** The CSV line the bundle came from (1 is the header). */
    line: integer("line").notNull(),
    sourceRegistry: text("source_registry").notNull(),
    deviceId: text("device_id")
      .notNull()
      .references(() => devices.id),
    sourceRangeStart: integer("source_range_start").notNull(),
    sourceRangeEnd: integer("source_range_end").notNull(),
    importedBy: text("imported_by")
      .notNull()
      .references(() => users.id),
    importedAt: integer("imported_at").notNull(),
  },
  (t) => [index("gc_imports_source_device").on(t.sourceRegistry, t.deviceId, t.sourceRangeStart), index("gc_imports_import").on(t.importId)],
);

/**
 * An export: the bundles retired on chain with reason Exported, towards a destination registry, and the
 * CSV (in the import format) handed over. Kept whole so the same file can be fetched again.
 */
export const gcExports = sqliteTable("gc_exports", {
  id: text("id").primaryKey(),
  accountId: text("account_id")
    .notNull()
    .references(() => gcAccounts.id),
  destinationRegistry: text("destination_registry").notNull(),
  bundleIds: text("bundle_ids", { mode: "json" }).$type<string[]>().notNull(),
  csv: text("csv").notNull(),
  txHash: text("tx_hash").notNull(),
  exportedBy: text("exported_by")
    .notNull()
    .references(() => users.id),
  exportedAt: integer("exported_at").notNull(),
});

/**
 * The account a device's GCs are issued into (seed 000: a device is assigned to an account). Set by the
 * device's organisation, to one of its own accounts; a change applies to hours issued from then on.
 */
export const gcDeviceAccounts = sqliteTable("gc_device_accounts", {
  deviceId: text("device_id")
    .primaryKey()
    .references(() => devices.id),
  accountId: text("account_id")
    .notNull()
    .references(() => gcAccounts.id),
  assignedAt: integer("assigned_at").notNull(),
  assignedBy: text("assigned_by")
    .notNull()
    .references(() => users.id),
});
