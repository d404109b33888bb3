/**
 * Meter-read ingestion throughput. Run: npm run bench:reads.
 *
 *  1. Through the HTTP API: READS reads for DEVICES devices, in batches of BATCH (each batch one device,
 *     delta reads every 5 minutes, as a gateway sends them), to a server in a child process on 127.0.0.1
 *     backed by a SQLite file in WAL mode. Prints reads/s and the server's peak resident memory.
 *  2. The same rows inserted straight into an empty database of the same schema with better-sqlite3 in
 *     this process (one prepared statement, one transaction per batch): the floor the API is compared with.
 */
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase } from "../../server/db/database";

const DEVICES = Number(process.env.BENCH_DEVICES ?? 1_000);
const BATCH = 1_000;
const READS = DEVICES * BATCH;
const IN_FLIGHT = 4;
const STEP_MS = 5 * 60_000;

interface Ready {
  url: string;
  token: string;
  deviceIds: string[];
}

function batchTimes(now: number): number[] {
  const first = now - BATCH * STEP_MS;
  return Array.from({ length: BATCH }, (_, i) => first + (i + 1) * STEP_MS);
}

async function throughApi(dir: string): Promise<{ seconds: number; maxRssKb: number; accepted: number }> {
  const child = fork(path.join(__dirname, "readsServer.ts"), [path.join(dir, "api.db"), String(DEVICES)], { execArgv: [...process.execArgv, ...(process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [])] });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once("message", (m) => resolve(m as Ready));
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  const times = batchTimes(Date.now() - 60_000).map((t) => new Date(t).toISOString());
  let next = 0;
  let accepted = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < ready.deviceIds.length) {
      const deviceId = ready.deviceIds[next++];
      const body = JSON.stringify({ reads: times.map((end) => ({ type: "delta", end, value: "100" })) });
      const response = await fetch(`${ready.url}/devices/${deviceId}/reads`, {
        method: "POST",
        headers: { authorization: `Bearer ${ready.token}`, "content-type": "application/json" },
        body,
      });
      if (response.status !== 200) throw new Error(`batch refused: ${response.status} ${await response.text()}`);
      accepted += ((await response.json()) as { accepted: number }).accepted;
      if (next % 100 === 0) console.log(`  ${(next * BATCH).toLocaleString("en-US")} reads sent`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stopped = new Promise<{ maxRssKb: number }>((resolve) => child.once("message", (m) => resolve(m as { maxRssKb: number })));
  child.send("stop");
  return { seconds, accepted, ...(await stopped) };
}

function directInsert(dir: string): number {
  const database = openDatabase(path.join(dir, "direct.db"));
  // Only the insert cost is measured: no devices or users exist here for the foreign keys to find.
  database.sqlite.pragma("foreign_keys = OFF");
  const insert = database.sqlite.prepare(
    `insert into meter_reads (device_id, type, status, baseline, start_at, end_at, value_wh, energy_wh, claimed_wh, reasons, submitted, received_at, submitted_by, api_key_id)
     values (?, 'delta', 'accepted', ?, ?, ?, 100, ?, 100, '[]', ?, ?, 'bench-user', null)`,
  );
  const times = batchTimes(Date.now() - 60_000);
  const started = process.hrtime.bigint();
  for (let d = 0; d < DEVICES; d++) {
    const deviceId = `device-${d}`;
    database.sqlite.transaction(() => {
      times.forEach((end, i) => {
        const submitted = JSON.stringify({ type: "delta", end: new Date(end).toISOString(), value: "100", unit: "Wh" });
        insert.run(deviceId, i === 0 ? 1 : 0, i === 0 ? null : times[i - 1], end, i === 0 ? 0 : 100, submitted, Date.now());
      });
    })();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  database.close();
  return seconds;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reads-bench-"));
  try {
    console.log(`bench:reads: ${READS.toLocaleString("en-US")} reads, ${DEVICES} devices, batches of ${BATCH}, ${IN_FLIGHT} requests in flight`);
    const api = await throughApi(dir);
    const direct = directInsert(dir);
    const apiRate = READS / api.seconds;
    const directRate = READS / direct;
    console.log(`through the HTTP API      ${api.seconds.toFixed(1)} s  ${Math.round(apiRate).toLocaleString("en-US")} reads/s  (${api.accepted.toLocaleString("en-US")} accepted)`);
    console.log(`straight into SQLite      ${direct.toFixed(1)} s  ${Math.round(directRate).toLocaleString("en-US")} reads/s`);
    console.log(`ratio (API / direct)      ${(apiRate / directRate).toFixed(2)}`);
    console.log(`server peak RSS           ${(api.maxRssKb / 1024).toFixed(0)} MiB`);
    console.log(`target >= 50,000 reads/s through the API: ${apiRate >= 50_000 ? "met" : "MISSED"}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
