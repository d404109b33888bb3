/**
 * The measured side of bench:indexer, in its own process so its peak resident memory is the indexer's.
 * argv: mode ("index" or "fetch"), RPC URL, registry address, deploy block, then for "index" the database
 * path and for "fetch" a JSON file of the ranges to fetch. Reports one JSON message to the parent.
 */
import fs from "node:fs";
import { http } from "viem";
import { startFollower, type FollowerEvent } from "../../indexer/follower";
import { connectChain } from "../../server/chain/clients";
import { openDatabase } from "../../server/db/database";

export interface IndexReport {
  seconds: number;
  logs: number;
  ranges: [number, number][];
  refused: number;
  maxRssKb: number;
  /** Live heap (after a full GC) once each quarter of the blocks is indexed: flat while the history grows. */
  heapByQuarterMb: number[];
}

export interface FetchReport {
  seconds: number;
  logs: number;
}

/**
 * The process's own peak resident memory. Linux's VmHWM starts afresh at exec; getrusage's maxRSS does
 * not, so in a child forked from the (much larger) Hardhat process it would report the parent's peak.
 */
function peakRssKb(): number {
  const status = fs.existsSync("/proc/self/status") ? fs.readFileSync("/proc/self/status", "utf8") : "";
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) : process.resourceUsage().maxRSS;
}

async function index(rpcUrl: string, address: `0x${string}`, deployBlock: bigint, databasePath: string): Promise<IndexReport> {
  const { publicClient } = await connectChain(http(rpcUrl));
  const database = openDatabase(databasePath);
  const ranges: [number, number][] = [];
  const heap: number[] = [];
  const head = Number(await publicClient.getBlockNumber({ cacheTime: 0 }));
  const quarterEnds = [1, 2, 3, 4].map((q) => Number(deployBlock) + Math.floor(((head - Number(deployBlock)) * q) / 4));
  let logs = 0;
  let refused = 0;
  const onEvent = (event: FollowerEvent) => {
    if (event.type === "range") {
      ranges.push([event.from, event.to]);
      logs += event.logs;
      while (heap.length < 4 && event.to >= quarterEnds[heap.length]) {
        // Four full collections in the whole run: they cost next to nothing and show what stays live.
        (globalThis as { gc?: () => void }).gc?.();
        heap.push(Math.round(process.memoryUsage().heapUsed / 1024 / 1024));
      }
    } else if (event.type === "getLogsRefused") {
      refused += 1;
    }
  };
  const follower = startFollower({ client: publicClient, db: database.db, registryAddress: address, deployBlock, confirmations: 0, pollIntervalMs: 3_600_000, onEvent });
  const started = process.hrtime.bigint();
  await follower.syncOnce();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await follower.stop();
  database.close();
  return { seconds, logs, ranges, refused, maxRssKb: peakRssKb(), heapByQuarterMb: heap };
}

async function fetchOnly(rpcUrl: string, address: `0x${string}`, ranges: [number, number][]): Promise<FetchReport> {
  const { publicClient } = await connectChain(http(rpcUrl));
  let logs = 0;
  const started = process.hrtime.bigint();
  for (const [from, to] of ranges) logs += (await publicClient.getLogs({ address, fromBlock: BigInt(from), toBlock: BigInt(to) })).length;
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, logs };
}

async function main() {
  const [mode, rpcUrl, address, deployBlock, file] = process.argv.slice(2);
  const report =
    mode === "index"
      ? await index(rpcUrl, address as `0x${string}`, BigInt(deployBlock), file)
      : await fetchOnly(rpcUrl, address as `0x${string}`, JSON.parse(fs.readFileSync(file, "utf8")) as [number, number][]);
  process.send!(report);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
