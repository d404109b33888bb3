import type { Db } from "../server/db/database";
import { createLogDecoder, type LogDecoder } from "./decode/decodeLog";
import { registryAbi } from "./decode/registryAbi";
import { findCommonAncestor } from "./reorg/ancestor";
import { rollbackTo } from "./reorg/rollback";
import { commitRange, readCheckpoint, type Checkpoint } from "./store/checkpoint";
import { headerAt, type ChainReader } from "./sync/chainReader";
import { completeRange, GetLogsError, InconsistentRangeError, requestLogs, type RawLogs } from "./sync/fetchRange";
import { DEFAULT_RANGE_POLICY, sizeAfterFailure, sizeAfterSuccess, type RangePolicy } from "./sync/rangeSize";

export interface FollowerOptions {
  client: ChainReader;
  db: Db;
  registryAddress: `0x${string}`;
  /** The block the registry was deployed in; nothing before it is fetched. */
  deployBlock: bigint;
  /** Blocks to stay behind the head (0 on the local chain). */
  confirmations: number;
  pollIntervalMs: number;
  /** How many blocks below the head are checked header by header and remembered for reorg detection. */
  reorgWindow?: number;
  /** Block range sizes for `eth_getLogs` (see ./sync/rangeSize.ts). */
  range?: Partial<RangePolicy>;
  onError?: (error: unknown) => void;
  /** Progress for logs and benchmarks: each committed range, each retried range, each rollback. */
  onEvent?: (event: FollowerEvent) => void;
}

export type FollowerEvent =
  | { type: "range"; from: number; to: number; logs: number }
  | { type: "getLogsRefused"; from: number; to: number; nextSize: number; error: unknown }
  | { type: "reorg"; from: Checkpoint; to: number };

export interface Follower {
  /** Indexes everything up to the current (confirmed) head, then returns the checkpoint. */
  syncOnce(): Promise<Checkpoint | undefined>;
  stop(): Promise<void>;
}

const DEFAULT_REORG_WINDOW = 64;

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
/** Holds a promise's outcome so a read-ahead that is never awaited cannot become an unhandled rejection. */
const settle = <T>(promise: Promise<T>): Promise<Settled<T>> => promise.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
const unwrap = <T>(settled: Settled<T>): T => {
  if (!settled.ok) throw settled.error;
  return settled.value;
};
/** Attempts at a range whose logs and headers disagree (the chain moving under the reads) before a sync gives up. */
const MAX_RETRIES_PER_SYNC = 10;

/**
 * Follows the registry: from the checkpoint to the confirmed head, range by range, each range's logs
 * decoded, applied to the mirror and committed with the checkpoint in one transaction; then polls until
 * stopped. Before it extends the mirror it checks that the mirror's head is still on the chain (its hash
 * at the checkpoint, the next block's parent hash); when it is not, it rolls back to the common ancestor
 * and indexes the new chain from there.
 */
export function startFollower(options: FollowerOptions): Follower {
  const policy: RangePolicy = { ...DEFAULT_RANGE_POLICY, ...options.range };
  const reorgWindow = options.reorgWindow ?? DEFAULT_REORG_WINDOW;
  const deployBlock = Number(options.deployBlock);
  const decode: LogDecoder = createLogDecoder(registryAbi());
  const { client, db } = options;
  const emit = (event: FollowerEvent) => options.onEvent?.(event);
  let size = Math.min(policy.initial, policy.max);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function rewind(from: Checkpoint): Promise<void> {
    const ancestor = await findCommonAncestor(client, db, Number(from.blockNumber));
    const to = ancestor?.number ?? deployBlock - 1;
    rollbackTo(db, to, ancestor?.hash);
    emit({ type: "reorg", from, to });
  }

  async function isOnChain(checkpoint: Checkpoint): Promise<boolean> {
    return (await headerAt(client, Number(checkpoint.blockNumber)))?.hash === checkpoint.blockHash;
  }

  async function syncOnce(): Promise<Checkpoint | undefined> {
    const latest = Number(await client.getBlockNumber({ cacheTime: 0 }));
    const head = latest - options.confirmations;
    const windowStart = latest - reorgWindow + 1;
    const start = readCheckpoint(db);
    if (start && !(await isOnChain(start))) await rewind(start);
    let retries = 0;
    // The next range's logs, requested while this one is decoded and committed: the provider works on
    // them meanwhile. Dropped whenever the loop does not simply move on to the next range.
    let ahead: { from: number; to: number; logs: Promise<Settled<RawLogs>> } | undefined;
    while (!stopped) {
      const checkpoint = readCheckpoint(db);
      const from = checkpoint ? Number(checkpoint.blockNumber) + 1 : deployBlock;
      if (from > head) break;
      const prefetched = ahead?.from === from ? ahead : undefined;
      ahead = undefined;
      const to = prefetched?.to ?? Math.min(head, from + size - 1);
      let fetched;
      try {
        const raw = prefetched ? unwrap(await prefetched.logs) : await requestLogs(client, options.registryAddress, from, to);
        if (to < head) ahead = { from: to + 1, to: Math.min(head, to + size), logs: settle(requestLogs(client, options.registryAddress, to + 1, Math.min(head, to + size))) };
        fetched = await completeRange(client, raw, decode, from, to, windowStart);
      } catch (error) {
        ahead = undefined;
        if (error instanceof GetLogsError) {
          const smaller = sizeAfterFailure(to - from + 1, policy);
          if (smaller === undefined) throw error;
          size = smaller;
          emit({ type: "getLogsRefused", from, to, nextSize: size, error: error.cause });
          continue;
        }
        if (error instanceof InconsistentRangeError && ++retries <= MAX_RETRIES_PER_SYNC) continue;
        throw error;
      }
      if (checkpoint && fetched.headers.get(from)!.parentHash !== checkpoint.blockHash) {
        ahead = undefined;
        if (++retries > MAX_RETRIES_PER_SYNC) throw new InconsistentRangeError(`block ${from} keeps not following the checkpoint`);
        await rewind(checkpoint);
        continue;
      }
      const last = fetched.headers.get(to)!;
      commitRange(db, {
        after: checkpoint,
        to: { blockNumber: BigInt(to), blockHash: last.hash as `0x${string}` },
        logs: fetched.logs,
        headers: [...fetched.headers.values()],
        pruneBelow: windowStart,
      });
      emit({ type: "range", from, to, logs: fetched.logs.length });
      const length = to - from + 1;
      const next = sizeAfterSuccess(length, fetched.logs.length, policy);
      // A range cut short by the head says nothing about longer ones, unless it already held too many logs.
      size = length < size && next >= length ? size : next;
    }
    return readCheckpoint(db);
  }

  // Syncs never overlap: two at once could both start from the same checkpoint.
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
