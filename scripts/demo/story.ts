import type { ChainClients } from "../../server/chain/clients";
import type { Hex } from "../../server/config";
import type { ApiClient } from "./http";
import type { Inbox } from "./inbox";
import type { Printer } from "./print";

/** What every story of the demo gets: the API, the local chain, the platform administrator, the inbox. */
export interface DemoContext {
  api: ApiClient;
  /** The stack's chain, for what clients do with their own keys (balances, the buyer's own transactions). */
  chain: ChainClients;
  registryAddress: Hex;
  /** The platform administrator the stack created at start. */
  admin: { email: string; password: string };
  inbox: Inbox;
  print: Printer;
}

/**
 * One story the demo walks through the API. `run` prints as it goes and returns a typed summary;
 * `summaryLines` is that story's part of the closing summary.
 */
export interface DemoStory<S> {
  title: string;
  run(context: DemoContext): Promise<S>;
  summaryLines(summary: S): string[];
}

/** A session's credential, as the HTTP client sends it. */
export interface Session {
  email: string;
  organisationId: string;
  as: { session: string };
}
