import { http } from "viem";
import { connectChain } from "../../server/chain/clients";
import type { Hex } from "../../server/config";
import { closingAuditStory } from "./closingAuditStory";
import { gcStoragePilotStory } from "./gcStoragePilotStory";
import { dRecStory } from "./dRecStory";
import { apiClient } from "./http";
import type { Inbox } from "./inbox";
import { consolePrinter, type Printer } from "./print";
import type { DemoContext, DemoStory } from "./story";

/**
 * The stories the demo walks through, in this order: the D-REC story of seed 001, the GC storage pilot of
 * seed 000, then the audit over both. Each one's summary appears in `DemoSummary["stories"]` and its lines
 * in the closing summary.
 */
export const DEMO_STORIES = {
  dRec: dRecStory,
  gcStoragePilot: gcStoragePilotStory,
  closingAudit: closingAuditStory,
} as const;

type SummaryOf<T> = T extends DemoStory<infer S> ? S : never;
export type StorySummaries = { [K in keyof typeof DEMO_STORIES]: SummaryOf<(typeof DEMO_STORIES)[K]> };

export interface DemoSummary {
  stories: StorySummaries;
  apiDocsUrl: string;
  openApiUrl: string;
  databasePath?: string;
}

export interface DemoOptions {
  /** The stack's chain (GET /health names the registry; the chain id must match). */
  rpcUrl: string;
  /** The platform administrator the stack was started with. */
  admin: { email: string; password: string };
  /** Receives the stack's log, where emails appear. */
  inbox: Inbox;
  print?: Printer;
  /** Named in the closing summary as where to look next. */
  databasePath?: string;
}

interface Health {
  chain: { chainId: number | null };
  registryAddress: Hex;
}

/** Runs every story against the API at `apiUrl`, printing as it goes, and ends with a short summary. */
export async function runDemo(apiUrl: string, options: DemoOptions): Promise<DemoSummary> {
  const print = options.print ?? consolePrinter();
  const api = apiClient(apiUrl);
  const health = await api.get<Health>("/health");
  const chain = await connectChain(http(options.rpcUrl));
  if (health.chain.chainId !== chain.chain.id) throw new Error(`The API is on chain ${health.chain.chainId}, but ${options.rpcUrl} is chain ${chain.chain.id}.`);
  const context: DemoContext = {
    api,
    chain,
    registryAddress: health.registryAddress,
    admin: options.admin,
    inbox: options.inbox,
    print,
  };

  const summaries: Record<string, unknown> = {};
  const lines: string[] = [];
  for (const [name, story] of Object.entries(DEMO_STORIES) as [string, DemoStory<unknown>][]) {
    print.banner(story.title);
    summaries[name] = await story.run(context);
    lines.push(...story.summaryLines(summaries[name]));
  }

  const summary: DemoSummary = {
    stories: summaries as StorySummaries,
    apiDocsUrl: `${apiUrl}/docs`,
    openApiUrl: `${apiUrl}/openapi.json`,
    databasePath: options.databasePath,
  };
  print.banner("Summary");
  for (const line of lines) print.line(line);
  print.line("");
  print.line(`API docs:     ${summary.apiDocsUrl}  (OpenAPI document: ${summary.openApiUrl})`);
  if (summary.databasePath) print.line(`database:     ${summary.databasePath}  (SQLite: off-chain tables, and the indexer's chain_* mirror)`);
  print.line(`registry:     ${health.registryAddress} on chain ${chain.chain.id} at ${options.rpcUrl}`);
  return summary;
}
