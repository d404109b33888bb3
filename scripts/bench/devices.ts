/**
 * Devices API throughput and latency, through a real HTTP server on 127.0.0.1 backed by a SQLite file
 * (WAL, as the main job runs it). Run: npm run bench:devices.
 *
 *  1. Bulk upload: one CSV of 10,000 devices; time from POST until the job reports completed.
 *  2. Listing: 100,000 more devices inserted straight into the database, then GET /devices with a few
 *     filter combinations, sequentially, reporting p50 and p99 per request.
 */
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createApp } from "../../server/app";
import { DEVICE_TYPE_CODES, OFF_TAKERS, SDG_BENEFITS, TECHNOLOGY_OF_DEVICE_TYPE } from "../../server/devices/catalogue";
import { insertDevices, type NewDevice } from "../../server/devices/store";
import { openDatabase } from "../../server/db/database";
import { createTestApi, seedOrganisation, type TestApi } from "../../test/support/api";

const UPLOAD_ROWS = 10_000;
const LISTED_DEVICES = 100_000;
const REQUESTS_PER_QUERY = 200;
const SINGLE_ZONE_COUNTRIES = ["KE", "NG", "IN", "GH", "UG", "TZ", "RW", "ZA", "ET", "ZM", "MW", "SN", "BD", "PK", "LK", "NP", "PH", "TH", "KH", "MM"];

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "devices-bench-"));
  const base = await createTestApi();
  const database = openDatabase(path.join(dir, "registry.db"));
  const app = createApp({ ...base.deps, db: database.db });
  // The seeding helpers write wherever `database` points: the file behind the server.
  const api: TestApi = { ...base, app, database };
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const developer = seedOrganisation(api, "developer");
  const auditor = seedOrganisation(api, "auditor");
  const get = async (token: string, pathAndQuery: string) => {
    const response = await fetch(`${url}${pathAndQuery}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`${pathAndQuery}: ${response.status} ${await response.text()}`);
    return response.json();
  };

  console.log(`Devices benchmark: HTTP server on ${url}, SQLite file ${database.path}\n`);

  // 1. Bulk upload.
  const header = "externalId,projectName,countryCode,commissioningDate,capacity,offTaker,fuelCode,deviceTypeCode,sdgBenefits,latitude,longitude,gridInterconnection,energyStorage,energyStorageCapacity";
  const rows = Array.from({ length: UPLOAD_ROWS }, (_, i) =>
    [
      `bulk-${i}`,
      "Bench project",
      "KE",
      "2023-04-01",
      (1 + (i % 500) / 10).toFixed(1),
      OFF_TAKERS[i % OFF_TAKERS.length],
      "Solar",
      DEVICE_TYPE_CODES[i % DEVICE_TYPE_CODES.length],
      "AffordableAndCleanEnergy;ClimateAction",
      (-1.2 - (i % 100) / 1000).toFixed(4),
      (36.8 + (i % 100) / 1000).toFixed(4),
      "yes",
      i % 2 === 0 ? "yes" : "no",
      i % 2 === 0 ? "10" : "",
    ].join(","),
  );
  const csv = `${header}\n${rows.join("\n")}\n`;
  const started = performance.now();
  const accepted = await fetch(`${url}/devices/uploads`, { method: "POST", headers: { authorization: `Bearer ${developer.token}`, "content-type": "text/csv" }, body: csv });
  const acceptedMs = performance.now() - started;
  if (accepted.status !== 202) throw new Error(`upload refused: ${accepted.status} ${await accepted.text()}`);
  const { id: jobId } = (await accepted.json()) as { id: string };
  let job: { status: string; succeeded: number; failed: number };
  do {
    await new Promise((resolve) => setTimeout(resolve, 10));
    job = await get(developer.token, `/devices/uploads/${jobId}`);
  } while (job.status === "queued" || job.status === "processing");
  const uploadMs = performance.now() - started;
  if (job.status !== "completed" || job.succeeded !== UPLOAD_ROWS) throw new Error(`upload ended ${JSON.stringify(job)}`);
  console.log(`Bulk upload: ${UPLOAD_ROWS} rows (${(Buffer.byteLength(csv) / 1024 / 1024).toFixed(1)} MiB) answered 202 in ${acceptedMs.toFixed(0)} ms,`);
  console.log(`             all stored in ${(uploadMs / 1000).toFixed(2)} s = ${Math.round(UPLOAD_ROWS / (uploadMs / 1000))} rows/s\n`);

  // 2. Listing over 100,000 more devices, inserted directly.
  const insertStarted = performance.now();
  const onboardedFrom = Date.parse("2025-06-01T00:00:00Z");
  const random = mulberry32(42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  database.db.transaction((tx) => {
    const batch: NewDevice[] = [];
    for (let i = 0; i < LISTED_DEVICES; i++) {
      const deviceTypeCode = pick(DEVICE_TYPE_CODES);
      const storage = random() < 0.3;
      batch.push({
        id: randomUUID(),
        organisationId: developer.organisationId,
        device: {
          externalId: `dev-${i}`,
          projectName: `Project ${i % 500}`,
          countryCode: pick(SINGLE_ZONE_COUNTRIES),
          commissioningDate: new Date(Date.UTC(2015, 0, 1) + Math.floor(random() * 3650) * 86_400_000).toISOString().slice(0, 10),
          capacityW: Math.round(100 + random() * 5_000_000),
          offTaker: random() < 0.1 ? null : pick(OFF_TAKERS),
          fuelCode: "Solar",
          deviceTypeCode,
          impactStory: null,
          deviceDescription: null,
          sdgBenefits: SDG_BENEFITS.filter(() => random() < 0.25),
          address: null,
          latitude: null,
          longitude: null,
          qualityLabels: null,
          gridInterconnection: random() < 0.5,
          energyStorage: storage,
          energyStorageCapacityWh: storage ? 10_000 : null,
          timeZone: "UTC",
          timeZoneSource: "given",
          yieldOverride: null,
          energySource: "solar_pv",
          technologyType: TECHNOLOGY_OF_DEVICE_TYPE[deviceTypeCode],
          isStorage: false,
          grid: null,
        },
        validationErrors: [],
        uploadJobId: null,
        createdBy: developer.userId,
        now: new Date(onboardedFrom + i * 60_000).toISOString(),
      });
      if (batch.length === 1000) insertDevices(tx, batch.splice(0));
    }
    insertDevices(tx, batch);
  });
  const total = (database.sqlite.prepare("select count(*) as n from devices").get() as { n: number }).n;
  console.log(`Inserted ${LISTED_DEVICES} devices directly in ${((performance.now() - insertStarted) / 1000).toFixed(1)} s (${total} devices in all)\n`);

  const queries: [string, string, string][] = [
    ["developer", "newest first (default)", ""],
    ["developer", "country", "countryCode=KE"],
    ["developer", "countries + type + capacity range", "countryCode=KE,NG&deviceTypeCode=PVRoofMounted&capacityMin=5&capacityMax=50"],
    ["developer", "SDG benefits (all of two)", "sdgBenefits=NoPoverty,ClimateAction"],
    ["developer", "commissioned in 2020, by date", "commissionedFrom=2020-01-01&commissionedTo=2020-12-31&sort=commissioningDate&order=asc"],
    ["developer", "off-taker, by capacity", "offTaker=School&sort=capacity&order=asc"],
    ["developer", "rare combination", "countryCode=RW&offTaker=Agriculture&deviceTypeCode=PVFloating&sdgBenefits=ZeroHunger"],
    ["auditor", "all organisations, country", "countryCode=IN"],
    ["auditor", "all organisations, by capacity desc", "sort=capacity&order=desc"],
    ["auditor", "all organisations, by external id", "sort=externalId&order=asc"],
  ];
  console.log(`GET /devices (limit 50), ${REQUESTS_PER_QUERY} sequential requests each, cursors followed page to page:`);
  console.log(`${"caller".padEnd(10)} ${"filter".padEnd(38)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}`);
  for (const [caller, label, query] of queries) {
    const token = caller === "developer" ? developer.token : auditor.token;
    const timings: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < REQUESTS_PER_QUERY; i++) {
      const t0 = performance.now();
      const page: { items: unknown[]; nextCursor: string | null } = await get(token, `/devices?${query}&limit=50${cursor ? `&cursor=${cursor}` : ""}`);
      timings.push(performance.now() - t0);
      cursor = page.nextCursor;
    }
    timings.sort((a, b) => a - b);
    const at = (q: number) => timings[Math.min(timings.length - 1, Math.floor(q * timings.length))].toFixed(2);
    console.log(`${caller.padEnd(10)} ${label.padEnd(38)} ${at(0.5).padStart(8)} ${at(0.99).padStart(8)}`);
  }

  await new Promise<void>((resolve) => server.close(() => resolve()));
  database.close();
  base.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A small seeded generator, so every run lists the same data. */
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
