import type { PublicClient } from "viem";
import type { Db } from "../server/db/database";
import { commitRange, readCheckpoint, type Checkpoint } from "./store/checkpoint";

export interface FollowerOptions {
  client: PublicClient;
  db: Db;
  registryAddress: `0x${string}`;
  /** The block the registry was deployed in; nothing before it is fetched. */
  deployBlock: bigint;
  /** Blocks to stay behind the head (0 on the local chain). */
  confirmations: number;
  pollIntervalMs: number;
  /** Largest block range asked of `eth_getLogs` in one call. */
  maxRange?: bigint;
  onError?: (error: unknown) => void;
}

export interface Follower {
  /** Indexes everything up to the current (confirmed) head, then returns the checkpoint. */
  syncOnce(): Promise<Checkpoint | undefined>;
  stop(): Promise<void>;
}

/**
 * Follows the registry: fetches its logs range by range from the checkpoint to the confirmed head and
 * commits each range with the checkpoint. Polls until stopped.
 */
export function startFollower(options: FollowerOptions): Follower {
  const maxRange = options.maxRange ?? 2_000n;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function syncOnce(): Promise<Checkpoint | undefined> {
    const head = (await options.client.getBlockNumber({ cacheTime: 0 })) - BigInt(options.confirmations);
    let from = (readCheckpoint(options.db)?.blockNumber ?? options.deployBlock - 1n) + 1n;
    while (!stopped && from <= head) {
      const to = from + maxRange - 1n < head ? from + maxRange - 1n : head;
      const [logs, block] = await Promise.all([
        options.client.getLogs({ address: options.registryAddress, fromBlock: from, toBlock: to }),
        options.client.getBlock({ blockNumber: to }),
      ]);
      commitRange(
        options.db,
        logs.map((log) => ({
          blockNumber: log.blockNumber,
          logIndex: log.logIndex,
          blockHash: log.blockHash,
          transactionHash: log.transactionHash,
          topics: log.topics,
          data: log.data,
        })),
        { blockNumber: to, blockHash: block.hash },
      );
      from = to + 1n;
    }
    return readCheckpoint(options.db);
  }

  // Syncs never overlap: two at once could both start from the same checkpoint and move it backwards.
  function runExclusive(): Promise<Checkpoint | undefined> {
    const next = running.catch(() => undefined).then(syncOnce);
    running = next;
    return next;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      runExclusive()
        .catch((error) => options.onError?.(error))
        .finally(schedule);
    }, options.pollIntervalMs);
  }

  schedule();
  return {
    syncOnce: runExclusive,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
