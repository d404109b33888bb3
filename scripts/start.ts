/**
 * The main job: `npm start`. Starts the local stack (or connects to RPC_URL) and runs until Ctrl-C.
 * With `--demo` (`npm run demo`) it then walks the demo's stories through the API and stops, or with
 * `--keep-running` goes on serving.
 */
import { ConfigError, loadConfig } from "../server/config";
import { demoEnvironment, parseStartFlags, startStackWithDemo, UsageError } from "./demo/command";
import { startStack } from "./stack";

async function main() {
  const flags = parseStartFlags(process.argv.slice(2));
  const demo = flags.demo ? demoEnvironment(process.env) : undefined;
  const config = loadConfig(demo?.env ?? process.env);
  console.log(config.local ? "Starting the local registry stack (fresh chain and database)..." : `Connecting to ${config.chain.rpcUrl}...`);
  if (demo?.generatedAdminPassword) console.log(`admin     the demo's platform administrator: ${config.platformAdmin!.email}, password ${demo.generatedAdminPassword} (generated; shown only now)`);
  const stack = flags.demo ? await startStackWithDemo(config, { keepRunning: flags.keepRunning }) : await startStack(config);
  if (!stack) return;
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
  console.error(error instanceof ConfigError || error instanceof UsageError ? error.message : error);
  process.exit(1);
});
