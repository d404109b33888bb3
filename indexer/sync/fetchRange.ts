import type { Hex } from "viem";
import type { LogDecoder } from "../decode/decodeLog";
import type { BlockHeader } from "../store/checkpoint";
import type { ChainLog } from "../store/derive";
import { headerAt, type ChainReader } from "./chainReader";

export interface FetchedRange {
  logs: ChainLog[];
  /** By block number: `from`, `to`, every block with logs, and every block at or above `windowStart`. */
  headers: Map<number, BlockHeader>;
}

/** The provider refused `eth_getLogs` for the range (too long, too many logs, or any other error). */
export class GetLogsError extends Error {
  constructor(
    readonly from: number,
    readonly to: number,
    readonly cause: unknown,
  ) {
    super(`eth_getLogs failed for blocks ${from}..${to}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "GetLogsError";
  }
}

/** The chain changed while the range was being read (its logs and headers disagree); read it again. */
export class InconsistentRangeError extends Error {
  constructor(detail: string) {
    super(`The chain changed while a range was read: ${detail}`);
    this.name = "InconsistentRangeError";
  }
}

const HEADER_CONCURRENCY = 8;

export interface RawLogs {
  logs: Awaited<ReturnType<ChainReader["getLogs"]>>;
  /** The hash of block `to` read before the logs were asked for: see {@link completeRange}. */
  toHashBefore: string;
}

/** The registry's logs in blocks `from`..`to`, as the provider returns them, with the hash block `to` had just before. */
export async function requestLogs(client: ChainReader, address: Hex, from: number, to: number): Promise<RawLogs> {
  const before = await headerAt(client, to);
  if (!before) throw new InconsistentRangeError(`block ${to} is gone`);
  try {
    return { logs: await client.getLogs({ address, fromBlock: BigInt(from), toBlock: BigInt(to) }), toHashBefore: before.hash };
  } catch (error) {
    throw new GetLogsError(from, to, error);
  }
}

/**
 * Completes a range from its raw logs: decodes them and reads the headers reorg detection needs. Checks
 * that every log's block hash is its header's and that consecutive headers link by parent hash, so what
 * is returned is one view of one chain. Logs alone cannot show a reorg that replaced a block without
 * registry logs by one with some: so block `to` must also still have the hash it had before the logs
 * were asked for. Any change inside the range changes that hash, since every block commits to its parent.
 */
export async function completeRange(client: ChainReader, raw: RawLogs, decode: LogDecoder, from: number, to: number, windowStart: number): Promise<FetchedRange> {
  const logs: ChainLog[] = raw.logs.map((log) => {
    const topics = log.topics as Hex[];
    return {
      blockNumber: Number(log.blockNumber),
      logIndex: log.logIndex!,
      blockHash: log.blockHash!.toLowerCase(),
      transactionHash: log.transactionHash!.toLowerCase(),
      transactionIndex: log.transactionIndex!,
      topics: topics.map((topic) => topic.toLowerCase()),
      data: log.data.toLowerCase(),
      event: decode(topics, log.data),
    };
  });

  const wanted = new Set<number>([from, to]);
  for (const log of logs) wanted.add(log.blockNumber);
  for (let n = Math.max(from, windowStart); n <= to; n++) wanted.add(n);
  const numbers = [...wanted].sort((a, b) => a - b);
  const headers = new Map<number, BlockHeader>();
  for (let i = 0; i < numbers.length; i += HEADER_CONCURRENCY) {
    const batch = await Promise.all(numbers.slice(i, i + HEADER_CONCURRENCY).map((n) => headerAt(client, n)));
    batch.forEach((header, j) => {
      if (!header) throw new InconsistentRangeError(`block ${numbers[i + j]} is gone`);
      headers.set(header.number, header);
    });
  }
  if (headers.get(to)!.hash !== raw.toHashBefore) throw new InconsistentRangeError(`block ${to} changed from ${raw.toHashBefore} while its range's logs were read`);
  for (const log of logs) {
    if (headers.get(log.blockNumber)!.hash !== log.blockHash) throw new InconsistentRangeError(`block ${log.blockNumber} is no longer ${log.blockHash}`);
  }
  for (const n of numbers) {
    const previous = headers.get(n - 1);
    if (previous && headers.get(n)!.parentHash !== previous.hash) throw new InconsistentRangeError(`block ${n} does not follow block ${n - 1}`);
  }
  return { logs, headers };
}

/** Reads one block range: {@link requestLogs} then {@link completeRange}. */
export async function fetchRange(client: ChainReader, address: Hex, decode: LogDecoder, from: number, to: number, windowStart: number): Promise<FetchedRange> {
  return completeRange(client, await requestLogs(client, address, from, to), decode, from, to, windowStart);
}
