/**
 * GC issuance at scale: a year of hourly meter reads for 10 devices (87,600 bundles), issued through the API
 * in one POST /gc/issuance/runs into one managed account. Prints bundles per second for the run (plan,
 * reserve, sign, send) and the gas per bundle, which the account's managed key pays.
 * Run: npm run bench:gc (DEVICES and DAYS override the size).
 */
import { expect } from "chai";
import { inArray } from "drizzle-orm";
import type { Hex } from "viem";
import { createTestApi, seedOrganisation } from "../../test/support/api";
import { alignClockToChain } from "../../test/support/chainTime";
import { validDevice } from "../../test/devices/support";
import { gcBundles } from "../../server/gc/schema";
import { gcMintBatches } from "../../server/gc/issuance/schema";
import { MINT_CERTIFICATES_PER_VOUCHER } from "../../server/gc/minting";
import { DAY_MS, HOUR_MS } from "../../server/time/durations";

const READS_PER_REQUEST = 5_000;

async function main() {
  const deviceCount = Number(process.env.DEVICES ?? 10);
  const days = Number(process.env.DAYS ?? 365);
  const hours = days * 24;
  const seeding = performance.now();
  const api = await createTestApi();
  const now = (await alignClockToChain(api.clock)).getTime();
  const developer = seedOrganisation(api, "developer");
  const call = async (method: string, path: string, body?: unknown, expected = 200) => {
    const response = await api.request(method, path, { token: developer.token, body });
    const text = await response.text();
    expect(response.status, text).to.equal(expected);
    return JSON.parse(text) as Record<string, unknown>;
  };

  const created = await call("POST", "/gc/accounts", { name: "Bench account" }, 201);
  const account = created.account as { id: string; address: Hex };
  // The year ends at the last midnight before now, so every hour of it has ended.
  const end = Math.floor(now / DAY_MS) * DAY_MS;
  const start = end - days * DAY_MS;
  let expectedWh = 0n;
  const deviceIds: string[] = [];
  for (let d = 0; d < deviceCount; d++) {
    const device = await call("POST", "/devices", validDevice({ externalId: `BENCH-${d}`, capacity: 1_000 }), 201);
    const deviceId = device.id as string;
    deviceIds.push(deviceId);
    await call("PUT", `/gc/devices/${deviceId}/account`, { accountId: account.id });
    for (let from = 0; from < hours; from += READS_PER_REQUEST) {
      const reads = Array.from({ length: Math.min(READS_PER_REQUEST, hours - from) }, (_, i) => {
        const h = from + i;
        // Wind-like: some energy every hour, so every hour gives a bundle.
        const wh = 50_000 + ((h * 7919 + d * 104_729) % 100_000);
        expectedWh += BigInt(wh);
        return { type: "history", start: new Date(start + h * HOUR_MS).toISOString(), end: new Date(start + (h + 1) * HOUR_MS).toISOString(), value: wh };
      });
      const response = await api.request("POST", `/devices/${deviceId}/reads`, { token: developer.token, body: { reads } });
      const result = (await response.json()) as { accepted?: number; rejected?: number };
      expect(response.status, JSON.stringify(result).slice(0, 500)).to.be.oneOf([200, 201]);
    }
  }
  const readSeconds = (performance.now() - seeding) / 1000;
  console.log(`seeded ${deviceCount} devices × ${hours.toLocaleString("en")} hourly reads (${(deviceCount * hours).toLocaleString("en")} reads) in ${readSeconds.toFixed(1)} s`);

  const started = performance.now();
  const run = (await call("POST", "/gc/issuance/runs", {})) as { bundles: number; energyWh: string; devices: { minted: number; pending: number }[] };
  const seconds = (performance.now() - started) / 1000;

  const db = api.database.db;
  const batches = db.select().from(gcMintBatches).all();
  const hashes = [...new Set(batches.map((batch) => batch.txHash as Hex))];
  let gas = 0n;
  for (const hash of hashes) gas += (await api.deps.publicClient.getTransactionReceipt({ hash })).gasUsed;
  const minted = run.devices.reduce((sum, device) => sum + device.minted, 0);
  const pending = run.devices.reduce((sum, device) => sum + device.pending, 0);
  const rows = db.select({ energyWh: gcBundles.energyWh, status: gcBundles.status }).from(gcBundles).where(inArray(gcBundles.deviceId, deviceIds)).all();
  const issuedWh = rows.reduce((sum, row) => sum + BigInt(row.energyWh), 0n);

  console.log(`bundles issued:          ${run.bundles.toLocaleString("en")} (${minted.toLocaleString("en")} minted, ${pending} pending; ${rows.filter((row) => row.status === "active").length.toLocaleString("en")} active in the database)`);
  console.log(`energy issued:           ${issuedWh.toLocaleString("en")} Wh (reads: ${expectedWh.toLocaleString("en")} Wh)`);
  console.log(`issuance run:            ${seconds.toFixed(1)} s → ${(run.bundles / seconds).toFixed(0)} bundles/s`);
  console.log(`transactions:            ${hashes.length} issueBatch, ${MINT_CERTIFICATES_PER_VOUCHER} bundles per voucher`);
  console.log(`gas per bundle:          ${(gas / BigInt(Math.max(1, run.bundles))).toLocaleString("en")} (total ${gas.toLocaleString("en")}; ${(gas / BigInt(Math.max(1, hashes.length))).toLocaleString("en")} per transaction)`);
  api.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
