import { expect } from "chai";
import { eq } from "drizzle-orm";
import { parseEventLogs, type Hex } from "viem";
import { REGISTRY_ABI } from "../../server/chain/registryAbi";
import { issuanceJobs, issuanceReadParts } from "../../server/issuance/schema";
import { reservations } from "../../server/reservations/schema";
import { publishedLeaves } from "../../server/issuance/evidenceStore";
import { buildEvidenceTree } from "../../server/issuance/evidence";
import { meterReads } from "../../server/reads/schema";
import { runIssuance } from "../../server/issuance/engine";
import { sendRegistryTransaction } from "../../server/chain/sendTransaction";
import { issuanceWorld, type IssuanceWorld } from "../support/issuance";
import { DAY_MS, HOUR_MS } from "../../server/time/durations";

type Job = typeof issuanceJobs.$inferSelect;

function jobsOf(world: IssuanceWorld): Job[] {
  return world.api.database.db.select().from(issuanceJobs).where(eq(issuanceJobs.reservationId, world.reservationId)).orderBy(issuanceJobs.windowStart, issuanceJobs.organisationId, issuanceJobs.batch).all();
}

async function balanceOf(world: IssuanceWorld, id: string): Promise<bigint> {
  return world.api.deps.publicClient.readContract({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI, functionName: "balanceOf", args: [world.buyerWallet, BigInt(id)] });
}

async function buyerTotal(world: IssuanceWorld): Promise<bigint> {
  let total = 0n;
  for (const job of jobsOf(world).filter((j) => j.state === "confirmed")) total += await balanceOf(world, job.certificateId!);
  return total;
}

async function issuedEvents(world: IssuanceWorld) {
  const logs = await world.api.deps.publicClient.getContractEvents({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI, eventName: "CertificateIssued", fromBlock: 0n, strict: true });
  const ours = new Set(jobsOf(world).map((j) => j.certificateId));
  return logs.filter((log) => ours.has(log.args.id.toString()));
}

describe("issuance engine (end to end on the in-process chain)", function () {
  this.timeout(120_000);

  it("mints one certificate per closed daily window into the buyer's wallet with the exact Wh, the developer paying the gas", async () => {
    const world = await issuanceWorld({ days: 3, devicesPerDeveloper: 2, hourlyWh: 1_000 });
    const before = await world.api.deps.publicClient.getBalance({ address: world.developers[0].managedWallet });
    const summary = await world.run();
    expect(summary).to.include({ plannedCertificates: 3, confirmed: 3, blocked: 0, failed: 0 });

    const jobs = jobsOf(world);
    expect(jobs.map((j) => [j.windowStart - world.start, j.amountWh, j.state])).to.deep.equal([
      [0, 48_000, "confirmed"],
      [DAY_MS, 48_000, "confirmed"],
      [2 * DAY_MS, 48_000, "confirmed"],
    ]);
    for (const job of jobs) expect(await balanceOf(world, job.certificateId!)).to.equal(48_000n);

    // The developer's managed wallet sent the transaction and paid for it.
    const receipt = await world.api.deps.publicClient.getTransactionReceipt({ hash: jobs[0].txHash as Hex });
    expect(receipt.from.toLowerCase()).to.equal(world.developers[0].managedWallet.toLowerCase());
    const after = await world.api.deps.publicClient.getBalance({ address: world.developers[0].managedWallet });
    expect(before - after).to.equal(receipt.gasUsed * receipt.effectiveGasPrice);
    expect(jobs.reduce((sum, job) => sum + BigInt(job.gasPaidWei!), 0n)).to.equal(receipt.gasUsed * receipt.effectiveGasPrice);

    // Each certificate's on-chain commitment is the root of the leaves the API publishes, and its period is the window.
    for (const log of await issuedEvents(world)) {
      const leaves = publishedLeaves(world.api.database.db, log.args.id)!;
      expect(buildEvidenceTree(leaves).root).to.equal(log.args.evidence);
      expect(leaves.reduce((sum, leaf) => sum + leaf.wh, 0n)).to.equal(log.args.amount);
    }
    // A second run finds nothing left to do.
    expect(await world.run()).to.include({ plannedCertificates: 0, confirmed: 0 });
    world.api.close();
  });

  it("issues one certificate per developer organisation per window, each paid by its own wallet", async () => {
    const world = await issuanceWorld({ days: 1, developers: 2, devicesPerDeveloper: 1, hourlyWh: 500 });
    await world.run();
    const jobs = jobsOf(world);
    expect(jobs).to.have.length(2);
    expect(new Set(jobs.map((j) => j.organisationId))).to.deep.equal(new Set(world.developers.map((d) => d.organisationId)));
    for (const job of jobs) {
      const receipt = await world.api.deps.publicClient.getTransactionReceipt({ hash: job.txHash as Hex });
      const payer = world.developers.find((d) => d.organisationId === job.organisationId)!.managedWallet;
      expect(receipt.from.toLowerCase()).to.equal(payer.toLowerCase());
      expect(await balanceOf(world, job.certificateId!)).to.equal(12_000n);
    }
    world.api.close();
  });

  it("without authority to exceed, stops exactly at the target and ends the reservation", async () => {
    const world = await issuanceWorld({ days: 3, daysAfter: 2, devicesPerDeveloper: 2, hourlyWh: 1_000, targetMWh: "0.1", authorityToExceed: false });
    await world.run();
    expect(jobsOf(world).map((j) => j.amountWh)).to.deep.equal([48_000, 48_000, 4_000]);
    expect(await buyerTotal(world)).to.equal(100_000n);
    const reservation = world.api.database.db.select().from(reservations).where(eq(reservations.id, world.reservationId)).get()!;
    expect(reservation).to.include({ status: "ended", endReason: "target-reached" });
    // Nothing more is issued, whatever arrives later.
    expect(await world.run()).to.include({ plannedCertificates: 0 });
    world.api.close();
  });

  it("with authority to exceed, goes past the target until the end", async () => {
    const world = await issuanceWorld({ days: 3, devicesPerDeveloper: 2, hourlyWh: 1_000, targetMWh: "0.1", authorityToExceed: true });
    await world.run();
    expect(await buyerTotal(world)).to.equal(144_000n);
    world.api.close();
  });

  it("certifies late reads in later runs, never the same Wh twice", async () => {
    const world = await issuanceWorld({ days: 2, devicesPerDeveloper: 1, withoutReads: true });
    const [device] = world.devices;
    await world.postHourlyReads(device.id, world.start, 12, 1_000);
    await world.run();
    expect(jobsOf(world).map((j) => j.amountWh)).to.deep.equal([12_000]);

    // The rest of day one and all of day two arrive late.
    await world.postHourlyReads(device.id, world.start + 12 * HOUR_MS, 36, 1_000);
    await world.run();
    const jobs = jobsOf(world);
    expect(jobs.map((j) => [j.windowStart - world.start, j.batch, j.amountWh])).to.deep.equal([
      [0, 0, 12_000],
      [0, 1, 12_000],
      [DAY_MS, 0, 24_000],
    ]);
    expect(await buyerTotal(world)).to.equal(48_000n);
    const reads = world.api.database.db.select().from(meterReads).where(eq(meterReads.deviceId, device.id)).all();
    const parts = world.api.database.db.select().from(issuanceReadParts).all().filter((p) => reads.some((r) => r.id === p.readId));
    expect(parts).to.have.length(48);
    expect(parts.reduce((sum, p) => sum + p.wh, 0)).to.equal(48_000);
    world.api.close();
  });

  it("is safe to run twice at once: each window is minted once", async () => {
    const world = await issuanceWorld({ days: 3, devicesPerDeveloper: 2 });
    await Promise.all([world.run(), world.run()]);
    const jobs = jobsOf(world);
    expect(jobs).to.have.length(3);
    expect(jobs.every((j) => j.state === "confirmed")).to.equal(true);
    expect((await issuedEvents(world)).length).to.equal(3);
    expect(await buyerTotal(world)).to.equal(144_000n);
    world.api.close();
  });

  it("resumes after a crash between signing and sending without minting twice", async () => {
    const world = await issuanceWorld({ days: 2, devicesPerDeveloper: 1 });
    world.api.deps.issuanceHooks = {
      afterSigned: () => {
        throw new Error("crash after signing");
      },
    };
    await expect(world.run()).to.be.rejectedWith("crash after signing");
    expect(jobsOf(world).map((j) => j.state)).to.deep.equal(["signed", "signed"]);
    world.api.deps.issuanceHooks = undefined;
    await world.run();
    expect(jobsOf(world).map((j) => j.state)).to.deep.equal(["confirmed", "confirmed"]);
    expect((await issuedEvents(world)).length).to.equal(2);
    expect(await buyerTotal(world)).to.equal(48_000n);
    world.api.close();
  });

  it("resumes after a crash between sending and confirming: settles from the chain, no second mint", async () => {
    const world = await issuanceWorld({ days: 2, devicesPerDeveloper: 1 });
    world.api.deps.issuanceHooks = {
      afterSent: () => {
        throw new Error("crash after sending");
      },
    };
    await expect(world.run()).to.be.rejectedWith("crash after sending");
    expect(jobsOf(world).every((j) => j.state === "signed" && j.certificateId === null)).to.equal(true);
    expect((await issuedEvents(world)).length).to.equal(0);
    world.api.deps.issuanceHooks = undefined;
    // The lease of the crashed run must run out before another run takes its jobs.
    world.api.clock.advance(10 * 60_000);
    const summary = await world.run();
    expect(summary.confirmed).to.equal(2);
    const jobs = jobsOf(world);
    expect(jobs.every((j) => j.state === "confirmed")).to.equal(true);
    const events = await issuedEvents(world);
    expect(events.length).to.equal(2);
    expect(await buyerTotal(world)).to.equal(48_000n);
    // Both certificates came from the one transaction the crashed run sent.
    expect(new Set(jobs.map((j) => j.txHash)).size).to.equal(1);
    world.api.close();
  });

  it("two runs signing the same job at different instants sign the same voucher", async () => {
    const world = await issuanceWorld({ days: 1, devicesPerDeveloper: 1 });
    world.api.deps.issuanceHooks = {
      afterSigned: () => {
        throw new Error("stop after signing");
      },
    };
    const later = { ...world.api.deps, clock: () => new Date(world.api.clock.now().getTime() + 5_000) };
    const results = await Promise.allSettled([runIssuance(world.api.deps), runIssuance(later)]);
    expect(results.every((r) => r.status === "rejected")).to.equal(true);
    world.api.deps.issuanceHooks = undefined;
    expect(await world.run()).to.include({ confirmed: 1, failed: 0, blocked: 0 });
    expect(await buyerTotal(world)).to.equal(24_000n);
    world.api.close();
  });

  it("re-plans a job whose voucher was invalidated without minting (a run died after invalidating it)", async () => {
    const world = await issuanceWorld({ days: 1, devicesPerDeveloper: 1 });
    world.api.deps.issuanceHooks = {
      afterSigned: () => {
        throw new Error("stop after signing");
      },
    };
    await expect(world.run()).to.be.rejectedWith("stop after signing");
    world.api.deps.issuanceHooks = undefined;
    const [job] = jobsOf(world);
    await sendRegistryTransaction(world.api.deps, world.api.deps.chainSigners!.issuer, "invalidateVoucher", [BigInt(job.nonce!)]);
    await world.run();
    expect(jobsOf(world)[0].state).to.equal("planned");
    expect(jobsOf(world)[0].lastError).to.match(/invalidated on chain without minting/);
    expect(await world.run()).to.include({ confirmed: 1 });
    const [reissued] = jobsOf(world);
    expect(reissued.nonce).to.not.equal(job.nonce);
    expect(await buyerTotal(world)).to.equal(24_000n);
    world.api.close();
  });

  it("blocks a developer without a managed wallet with the reason, and issues once it has one", async () => {
    const world = await issuanceWorld({ days: 1, devicesPerDeveloper: 1 });
    const { wallets } = await import("../../server/wallets/schema");
    const db = world.api.database.db;
    const managed = db.select().from(wallets).where(eq(wallets.organisationId, world.developers[0].organisationId)).get()!;
    db.delete(wallets).where(eq(wallets.address, managed.address)).run();
    const summary = await world.run();
    expect(summary).to.include({ blocked: 1, confirmed: 0 });
    expect(jobsOf(world)[0].lastError).to.match(/no managed wallet/);
    db.insert(wallets).values(managed).run();
    expect(await world.run()).to.include({ confirmed: 1 });
    expect(await buyerTotal(world)).to.equal(24_000n);
    world.api.close();
  });

  it("I-REC: per-country certificates, provisional until the registry's serials are recorded on chain", async () => {
    let failIssuance = true;
    const world = await issuanceWorld({ days: 1, devicesPerDeveloper: 2, countryCodes: ["KE", "UG"], standard: "I-REC" });
    const { simulatedIRecRegistry } = await import("../../server/issuance/irec/simulated");
    const simulated = simulatedIRecRegistry(world.api.database.db, world.api.deps.clock);
    world.api.deps.irec = {
      ...simulated,
      requestIssuance: (request) => (failIssuance ? Promise.reject(new Error("I-REC registry unreachable")) : simulated.requestIssuance(request)),
    };
    // The registry being down holds up only the serials: the certificates are minted, provisional, and say why.
    expect(await world.run()).to.include({ confirmed: 2, irecSerialsRecorded: 0 });
    const minted = jobsOf(world);
    expect(minted.every((j) => /I-REC registry unreachable/.test(j.lastError ?? ""))).to.equal(true);
    expect(minted.map((j) => [j.countryCode, j.amountWh, j.standardState])).to.deep.equal([
      ["KE", 24_000, "provisional"],
      ["UG", 24_000, "provisional"],
    ]);
    const read = (functionName: "isProvisional", id: string) =>
      world.api.deps.publicClient.readContract({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI, functionName, args: [BigInt(id)] });
    expect(await read("isProvisional", minted[0].certificateId!)).to.equal(true);

    failIssuance = false;
    expect(await world.run()).to.include({ irecSerialsRecorded: 2 });
    const issued = jobsOf(world);
    for (const job of issued) {
      expect(job.standardState).to.equal("issued");
      expect(job.standardFirstSerial).to.match(new RegExp(`^SIM-${job.countryCode}-`));
      expect(await read("isProvisional", job.certificateId!)).to.equal(false);
      const receipt = await world.api.deps.publicClient.getTransactionReceipt({ hash: job.standardTxHash as Hex });
      const [event] = parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "StandardSerialsRecorded" });
      expect(event.args).to.include({ firstSerial: job.standardFirstSerial, lastSerial: job.standardLastSerial });
    }
    world.api.close();
  });
});
