import type { Config } from "../server/config";
import type { Db } from "../server/db/database";
import { startFollower, type Follower, type FollowerEvent } from "./follower";
import type { ChainReader } from "./sync/chainReader";

export interface IndexerTarget {
  client: ChainReader;
  db: Db;
  registryAddress: `0x${string}`;
  deployBlock: bigint;
}

/** The follower as the main job and `npm run indexer` run it: configured from INDEXER_*, logging what an operator needs to see. */
export function startIndexer(settings: Config["indexer"], target: IndexerTarget, log: (message: string) => void): Follower {
  return startFollower({
    ...target,
    confirmations: settings.confirmations,
    pollIntervalMs: settings.pollIntervalMs,
    reorgWindow: settings.reorgWindow,
    range: { max: settings.maxRange },
    onError: (error) => log(`indexer   error: ${error instanceof Error ? error.message : String(error)}`),
    onEvent: (event) => {
      const line = describeEvent(event);
      if (line) log(`indexer   ${line}`);
    },
  });
}

function describeEvent(event: FollowerEvent): string | undefined {
  switch (event.type) {
    case "reorg":
      return `reorg: block ${event.from.blockNumber} (${event.from.blockHash}) left the chain; rolled back to block ${event.to}`;
    case "getLogsRefused":
      return `eth_getLogs refused blocks ${event.from}..${event.to}; retrying ${event.nextSize} blocks at a time`;
    case "range":
      // Ranges are routine; the checkpoint in /health shows progress.
      return undefined;
  }
}
