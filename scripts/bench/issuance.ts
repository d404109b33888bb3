/**
 * Issuance at scale: 1,000 devices of one developer in one reservation, a month (30 days) of hourly reads,
 * daily frequency. Prints the time to issue every window in one engine run (plan, evidence, sign, submit)
 * and the gas per certificate, which the developer's managed wallet pays.
 * Run: npm run bench:issuance (DEVICES and DAYS override the size).
 */
import { eq } from "drizzle-orm";
import type { Hex } from "viem";
import { issuanceWorld } from "../../test/support/issuance";
import { issuanceJobs, issuanceLeaves } from "../../server/issuance/schema";

async function main() {
  const devices = Number(process.env.DEVICES ?? 1_000);
  const days = Number(process.env.DAYS ?? 30);
  const seeding = performance.now();
  // The reservation runs a day past the reads, so devices can still be added in slices of the API limit.
  const world = await issuanceWorld({ days, daysAfter: 1, devicesPerDeveloper: devices, hourlyWh: 1_000 });
  console.log(`seeded ${devices} devices × ${days * 24} hourly reads (${(devices * days * 24).toLocaleString("en")} reads) and the reservation in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

  const started = performance.now();
  const summary = await world.run();
  const seconds = (performance.now() - started) / 1000;

  const db = world.api.database.db;
  const jobs = db.select().from(issuanceJobs).where(eq(issuanceJobs.reservationId, world.reservationId)).all();
  const hashes = [...new Set(jobs.map((job) => job.txHash as Hex))];
  let gas = 0n;
  for (const hash of hashes) gas += (await world.api.deps.publicClient.getTransactionReceipt({ hash })).gasUsed;
  const leaves = db.select({ jobId: issuanceLeaves.jobId }).from(issuanceLeaves).all().length;
  const wh = jobs.reduce((sum, job) => sum + BigInt(job.amountWh), 0n);

  console.log(`windows issued:          ${summary.confirmed} certificates (${jobs.length} planned, ${summary.failed} failed, ${summary.blocked} blocked)`);
  console.log(`energy certified:        ${wh.toLocaleString("en")} Wh (expected ${(BigInt(devices * days * 24) * 1_000n).toLocaleString("en")})`);
  console.log(`evidence leaves:         ${leaves.toLocaleString("en")} (${Math.round(leaves / Math.max(1, jobs.length))} per certificate)`);
  console.log(`time to issue all:       ${seconds.toFixed(2)} s (${(seconds / Math.max(1, jobs.length)).toFixed(3)} s per window)`);
  console.log(`  by step (ms):           ${JSON.stringify(summary.durationsMs)}`);
  console.log(`transactions:            ${hashes.length} issueBatch`);
  console.log(`gas per certificate:     ${(gas / BigInt(Math.max(1, jobs.length))).toLocaleString("en")} (total ${gas.toLocaleString("en")})`);
  world.api.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
