/**
 * Indexer backfill throughput. Run: npm run bench:indexer (BENCH_EVENTS overrides the event count).
 *
 *  1. Generates at least BENCH_EVENTS registry events on the in-process Hardhat network: GC vouchers of
 *     CERTIFICATES_PER_VOUCHER certificates (one CertificateIssued each, plus VoucherRedeemed and one
 *     TransferBatch per voucher), then a tail of transfers, claims, retirements and splits.
 *  2. Serves that chain over JSON-RPC on 127.0.0.1 and backfills it into an empty SQLite file (WAL) from a
 *     child process, as `npm run indexer` would: events/s, and the child's peak resident memory.
 *  3. Fetches the very same block ranges with eth_getLogs alone from another child: the floor to compare with.
 */
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers, network } from "hardhat";
import { startLocalChain } from "../local/hardhatNode";
import { CertificateKind, DAY, HOUR, deployRegistry, freshNonce, hourlyCertificates, idOf, increaseTime, now, signVoucher, type Voucher } from "../../test/support/registry";
import type { FetchReport, IndexReport } from "./indexerWorker";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const CERTIFICATES_PER_VOUCHER = 500;
const TARGET_EVENTS_PER_SECOND = 10_000;
/** The tail: this many rounds (one per voucher, at most), each a batch transfer, a claim, a two-id retirement and a split. */
const TAIL_ROUNDS = 100;
const EVENTS_PER_TAIL_ROUND = 1 + 2 + 3 + 3;

function runWorker<T>(args: string[]): Promise<T> {
  const child = fork(path.join(__dirname, "indexerWorker.ts"), args, { execArgv: ["--expose-gc", "--require", "ts-node/register", ...(process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [])] });
  return new Promise<T>((resolve, reject) => {
    child.once("message", (message) => resolve(message as T));
    child.once("exit", (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}

async function generate() {
  const { registry, issuer, developer, buyer, other } = await deployRegistry();
  const deployBlock = (await registry.deploymentTransaction()!.wait())!.blockNumber;
  await increaseTime(30n * DAY);
  const t = await now();
  const started = Date.now();
  let events = 0;
  let vouchers = 0;
  const ids: bigint[] = [];
  // Every voucher is one transaction (one block): CERTIFICATES_PER_VOUCHER + 2 events. Issue until they
  // and the tail the vouchers allow reach EVENTS.
  while (events + EVENTS_PER_TAIL_ROUND * Math.min(TAIL_ROUNDS, vouchers) < EVENTS) {
    const voucher: Voucher = {
      recipient: buyer.address as `0x${string}`,
      kind: CertificateKind.GranularCertificate,
      nonce: freshNonce(),
      deadline: t + 365n * DAY,
      certificates: hourlyCertificates(idOf(`bench-device-${vouchers}`), CERTIFICATES_PER_VOUCHER, t - HOUR, 1_000_000n),
    };
    const receipt = await (await registry.connect(developer).issue(voucher, await signVoucher(registry, issuer, voucher))).wait();
    const first = registry.interface.parseLog(receipt!.logs[0])!.args.id as bigint;
    ids.push(first);
    events += CERTIFICATES_PER_VOUCHER + 2;
    vouchers += 1;
    if (vouchers % 50 === 0) console.log(`  ${events.toLocaleString("en-US")} events generated`);
  }
  // A tail of everything else the registry does, so the benchmark is not issuance alone.
  const tail = ids.slice(0, TAIL_ROUNDS);
  for (let i = 0; i < tail.length; i++) {
    const id = tail[i];
    await (await registry.connect(buyer).safeBatchTransferFrom(buyer.address, other.address, [id, id + 1n, id + 2n], [10n, 20n, 30n], "0x")).wait();
    await (await registry.connect(other).claim(other.address, id, 5n, `Beneficiary ${i}`, ethers.id(`claim ${i}`))).wait();
    await (await registry.connect(buyer).retireBatch(buyer.address, [id + 3n, id + 4n], [1n, 2n], 1, "", ethers.ZeroHash)).wait();
    await (await registry.connect(buyer).split(buyer.address, id + 5n, [400_000n, 300_000n])).wait();
    events += EVENTS_PER_TAIL_ROUND;
  }
  const seconds = (Date.now() - started) / 1000;
  return { address: (await registry.getAddress()) as `0x${string}`, deployBlock, events, vouchers, seconds };
}

async function main() {
  console.log(`Generating at least ${EVENTS.toLocaleString("en-US")} registry events on the in-process Hardhat network...`);
  const generated = await generate();
  const head = Number(await network.provider.request({ method: "eth_blockNumber" }));
  console.log(
    `generated ${generated.events.toLocaleString("en-US")} events (${generated.vouchers} vouchers of ${CERTIFICATES_PER_VOUCHER} certificates, plus a tail) ` +
      `in ${head - generated.deployBlock} blocks, in ${generated.seconds.toFixed(1)} s`,
  );

  const chain = await startLocalChain("127.0.0.1", 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-indexer-"));
  try {
    const common = [chain.rpcUrl, generated.address, String(generated.deployBlock)];
    const indexed = await runWorker<IndexReport>(["index", ...common, path.join(dir, "registry.db")]);
    const rangesFile = path.join(dir, "ranges.json");
    fs.writeFileSync(rangesFile, JSON.stringify(indexed.ranges));
    const fetched = await runWorker<FetchReport>(["fetch", ...common, rangesFile]);

    const rate = indexed.logs / indexed.seconds;
    console.log();
    console.log(`| path | logs | time | logs/s |`);
    console.log(`|---|---:|---:|---:|`);
    console.log(`| backfill into an empty SQLite file (fetch, decode, derive, commit) | ${indexed.logs.toLocaleString("en-US")} | ${indexed.seconds.toFixed(1)} s | ${Math.round(rate).toLocaleString("en-US")} |`);
    console.log(`| eth_getLogs alone over the same ${indexed.ranges.length} ranges | ${fetched.logs.toLocaleString("en-US")} | ${fetched.seconds.toFixed(1)} s | ${Math.round(fetched.logs / fetched.seconds).toLocaleString("en-US")} |`);
    console.log();
    console.log(`ratio backfill / getLogs alone: ${(fetched.seconds / indexed.seconds).toFixed(2)} (time ${(indexed.seconds / fetched.seconds).toFixed(2)}x)`);
    console.log(`ranges: ${indexed.ranges.length} (${indexed.refused} refused by the provider)`);
    console.log(`indexer peak resident memory: ${Math.round(indexed.maxRssKb / 1024)} MiB (ts-node's compiler included)`);
    console.log(`indexer live heap after each quarter of the blocks: ${indexed.heapByQuarterMb.join(", ")} MiB`);
    console.log(`target: at least ${TARGET_EVENTS_PER_SECOND.toLocaleString("en-US")} events/s: ${Math.round(rate).toLocaleString("en-US")} (${rate >= TARGET_EVENTS_PER_SECOND ? "met" : "MISSED"})`);
  } finally {
    await chain.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
