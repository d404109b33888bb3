/**
 * The indexer on its own: `npm run indexer`. Same configuration as the main job (RPC_URL, REGISTRY_ADDRESS,
 * REGISTRY_DEPLOY_BLOCK, DATABASE_PATH, INDEXER_*). Backfills the mirror to the confirmed head, then
 * follows new blocks until Ctrl-C. Without RPC_URL it attaches to the local chain a running `npm start`
 * serves (CHAIN_HOST:CHAIN_PORT) and mirrors the registry recorded in DATABASE_PATH.
 */
import { http } from "viem";
import { connectChain } from "../server/chain/clients";
import { ConfigError, loadConfig } from "../server/config";
import { openDatabase } from "../server/db/database";
import { bindDeployment, readDeployment } from "./store/deployment";
import { readCheckpoint } from "./store/checkpoint";
import { startIndexer } from "./startIndexer";

async function main() {
  const config = loadConfig(process.env, "indexer");
  const rpcUrl = config.chain.rpcUrl ?? `http://${config.chain.localHost}:${config.chain.localPort}`;
  const clients = await connectChain(http(rpcUrl));
  const database = openDatabase(config.databasePath);
  const recorded = readDeployment(database.db);
  const registryAddress = config.chain.registryAddress ?? recorded?.registryAddress;
  if (!registryAddress) {
    database.close();
    throw new ConfigError([`REGISTRY_ADDRESS: required, since ${config.databasePath} records no registry yet (the main job records the one it deploys)`]);
  }
  const deployBlock = recorded?.deployBlock ?? config.chain.registryDeployBlock ?? 0n;
  bindDeployment(database.db, { chainId: clients.chain.id, registryAddress, deployBlock });
  console.log(`indexer   registry ${registryAddress} on chain ${clients.chain.id} at ${rpcUrl}, into ${config.databasePath}`);

  const started = Date.now();
  const follower = startIndexer(config.indexer, { client: clients.publicClient, db: database.db, registryAddress, deployBlock }, console.log);
  const checkpoint = await follower.syncOnce();
  console.log(`indexer   caught up to block ${checkpoint?.blockNumber ?? "none"} in ${((Date.now() - started) / 1000).toFixed(1)} s; following new blocks (Ctrl-C stops)`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    await follower.stop();
    console.log(`\n${signal}: stopped at block ${readCheckpoint(database.db)?.blockNumber ?? "none"}`);
    database.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
