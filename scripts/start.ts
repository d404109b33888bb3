/**
 * The main job: `npm start`. Starts the local stack (or connects to RPC_URL) and runs until Ctrl-C.
 */
import { ConfigError, loadConfig } from "../server/config";
import { startStack } from "./stack";

async function main() {
  const config = loadConfig();
  console.log(config.local ? "Starting the local registry stack (fresh chain and database)..." : `Connecting to ${config.chain.rpcUrl}...`);
  const stack = await startStack(config);
  console.log("Ready. Press Ctrl-C to stop.");

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping API, indexer, database and chain...`);
    await stack.stop();
    console.log("Stopped.");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
