import { randomBytes } from "node:crypto";
import { LOCAL_ADMIN_EMAIL } from "../../server/auth/bootstrap";
import type { Config } from "../../server/config";
import { startStack, type Stack } from "../stack";
import { createInbox } from "./inbox";
import { runDemo } from "./runDemo";

/** A command line `npm start` does not understand. */
export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\nUsage: npm start [-- --demo [--keep-running]]   (or: npm run demo [-- --keep-running])`);
    this.name = "UsageError";
  }
}

export interface StartFlags {
  demo: boolean;
  keepRunning: boolean;
}

export function parseStartFlags(argv: readonly string[]): StartFlags {
  const unknown = argv.filter((arg) => arg !== "--demo" && arg !== "--keep-running");
  if (unknown.length > 0) throw new UsageError(`Unknown argument${unknown.length > 1 ? "s" : ""}: ${unknown.join(" ")}`);
  const demo = argv.includes("--demo");
  if (argv.includes("--keep-running") && !demo) throw new UsageError("--keep-running goes with --demo (without it, npm start runs until Ctrl-C anyway).");
  return { demo, keepRunning: argv.includes("--keep-running") };
}

/**
 * The environment the demo starts the stack with: the caller's, plus platform administrator credentials when
 * none are set, so the demo can log in as the administrator the stack creates (a password it generates for this
 * run; local mode starts from an empty database every time).
 */
export function demoEnvironment(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; generatedAdminPassword?: string } {
  if (env.PLATFORM_ADMIN_EMAIL !== undefined || env.PLATFORM_ADMIN_PASSWORD !== undefined) return { env };
  const password = randomBytes(18).toString("base64url");
  return { env: { ...env, PLATFORM_ADMIN_EMAIL: LOCAL_ADMIN_EMAIL, PLATFORM_ADMIN_PASSWORD: password }, generatedAdminPassword: password };
}

/**
 * `npm run demo`: starts the stack as `npm start` does, runs the demo against its API, then stops it, or with
 * `keepRunning` returns it still serving. The stack's log goes to the console through the demo's inbox, which
 * picks out the emailed links.
 */
export async function startStackWithDemo(config: Config, options: { keepRunning: boolean }): Promise<Stack | undefined> {
  if (!config.local) throw new UsageError("The demo runs on the local stack only (it funds wallets from the local chain's faucet): unset RPC_URL.");
  if (!config.platformAdmin) throw new UsageError("The demo needs the platform administrator's credentials: set PLATFORM_ADMIN_EMAIL and PLATFORM_ADMIN_PASSWORD, or neither.");
  const inbox = createInbox(console.log);
  const stack = await startStack(config, inbox.log);
  try {
    await runDemo(stack.apiUrl, { rpcUrl: stack.rpcUrl, admin: config.platformAdmin, inbox, databasePath: stack.databasePath });
  } catch (error) {
    await stack.stop();
    throw error;
  }
  if (options.keepRunning) return stack;
  console.log("\nDemo done. Stopping the stack (npm run demo -- --keep-running keeps it serving).");
  await stack.stop();
  return undefined;
}
