import { expect } from "chai";
import { eq } from "drizzle-orm";
import { privateKeyToAccount } from "viem/accounts";
import { REGISTRY_ABI } from "../../server/chain/registryAbi";
import { runIssuance } from "../../server/issuance/engine";
import { issuanceJobs, issuanceLeaves, issuanceReadParts } from "../../server/issuance/schema";
import { seedOrganisation, tableSnapshot, type SeededUser } from "../support/api";
import { fundedKey } from "../support/chain";
import { issuanceWorld, type IssuanceWorld } from "../support/issuance";
import { apiWith, failingClient } from "../reservations/support";

type JobAnswer = { id: string; state: string; amountWh: string; lastError: string | null; certificateId: string | null };

describe("issuance: releasing a failed job's Wh for re-planning", function () {
  this.timeout(120_000);
  let world: IssuanceWorld;
  let admin: SeededUser;
  let failed: typeof issuanceJobs.$inferSelect;

  const db = () => world.api.database.db;
  const jobsOf = () => db().select().from(issuanceJobs).where(eq(issuanceJobs.reservationId, world.reservationId)).all();
  const replan = (id: string, user: SeededUser = admin) => world.request(user, "POST", `/issuance/jobs/${id}/replan`);
  const partsOf = (jobId: string) => db().select().from(issuanceReadParts).where(eq(issuanceReadParts.jobId, jobId)).all();
  const leavesOf = (jobId: string) => db().select().from(issuanceLeaves).where(eq(issuanceLeaves.jobId, jobId)).all();
  const balance = (id: string) =>
    world.api.deps.publicClient.readContract({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI, functionName: "balanceOf", args: [world.buyerWallet, BigInt(id)] });

  beforeEach(async () => {
    world = await issuanceWorld({ days: 1, devicesPerDeveloper: 2, hourlyWh: 1_000 });
    admin = seedOrganisation(world.api, "admin");
    // A misconfigured issuer key signs the vouchers: the chain refuses them (InvalidVoucherSigner), a final revert.
    const impostor = privateKeyToAccount(await fundedKey());
    const signers = world.api.deps.chainSigners!;
    expect(await runIssuance({ ...world.api.deps, chainSigners: { ...signers, issuer: impostor } })).to.include({ plannedCertificates: 1, confirmed: 0, failed: 1 });
    [failed] = jobsOf();
    expect([failed.state, failed.amountWh]).to.deep.equal(["failed", 48_000]);
    expect(failed.lastError).to.include("InvalidVoucherSigner");
  });
  afterEach(() => world.api.close());

  it("keeps the failed job's Wh taken until released; after the release the next run certifies them exactly once", async () => {
    // With the right key again, runs plan nothing: the failed job still holds the reads.
    expect(await world.run()).to.include({ plannedCertificates: 0, confirmed: 0 });

    const listed = await world.request(admin, "GET", "/issuance/jobs?state=failed");
    expect(((await listed.json()) as { jobs: JobAnswer[] }).jobs.map((j) => j.id)).to.deep.equal([failed.id]);
    const confirmedList = await world.request(admin, "GET", "/issuance/jobs?state=confirmed");
    expect(((await confirmedList.json()) as { jobs: JobAnswer[] }).jobs).to.deep.equal([]);

    expect(partsOf(failed.id)).to.not.deep.equal([]);
    const response = await replan(failed.id);
    expect(response.status, await response.clone().text()).to.equal(200);
    const released = (await response.json()) as JobAnswer;
    expect(released).to.include({ id: failed.id, state: "released", amountWh: "48000", certificateId: null });
    expect(released.lastError).to.match(/^released for re-planning at .*; the next run plans its Wh again \(it failed with: .*InvalidVoucherSigner/);
    expect([partsOf(failed.id), leavesOf(failed.id)]).to.deep.equal([[], []]);
    // The failed voucher is void on chain: its signature can never mint beside the new job.
    expect(
      await world.api.deps.publicClient.readContract({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI, functionName: "isVoucherUsed", args: [BigInt(failed.nonce!)] }),
    ).to.equal(true);

    expect(await world.run()).to.include({ plannedCertificates: 1, plannedWh: "48000", confirmed: 1, failed: 0 });
    const confirmed = jobsOf().filter((job) => job.state === "confirmed");
    expect(confirmed.map((job) => [job.windowStart, job.amountWh, job.batch])).to.deep.equal([[failed.windowStart, 48_000, 1]]);
    expect(await balance(confirmed[0].certificateId!)).to.equal(48_000n);
    expect(await world.run()).to.include({ plannedCertificates: 0, confirmed: 0 });
    const certified = db().select().from(issuanceReadParts).all();
    expect(certified.reduce((sum, part) => sum + part.wh, 0)).to.equal(48_000);
    expect(new Set(certified.map((part) => part.jobId))).to.deep.equal(new Set([confirmed[0].id]));

    // Released once: a second release, and a release of the confirmed job, are refused and write nothing.
    const before = tableSnapshot(world.api);
    const again = await replan(failed.id);
    expect([again.status, ((await again.json()) as { title: string }).title]).to.deep.equal([409, "Already released"]);
    const notFailed = await replan(confirmed[0].id);
    expect([notFailed.status, ((await notFailed.json()) as { detail: string }).detail]).to.deep.equal([
      409,
      "The job is confirmed: only a failed job's Wh can be released for re-planning.",
    ]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("refuses anyone but a platform administrator (403), an unknown job (404) and a malformed id (400), writing nothing", async () => {
    const before = tableSnapshot(world.api);
    const buyer = await replan(failed.id, world.buyer);
    const developer = await replan(failed.id, world.developers[0]);
    const auditor = await replan(failed.id, seedOrganisation(world.api, "auditor"));
    expect([buyer.status, developer.status, auditor.status]).to.deep.equal([403, 403, 403]);
    const unknown = await replan("00000000-0000-4000-8000-000000000000");
    expect(unknown.status).to.equal(404);
    const malformed = await replan("job-1");
    expect(malformed.status).to.equal(400);
    expect(((await malformed.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).to.deep.equal(["path.id"]);
    // seedOrganisation wrote the auditor; nothing else changed.
    const after = tableSnapshot(world.api);
    for (const table of ["issuance_jobs", "issuance_read_parts", "issuance_leaves"]) expect(after[table], table).to.equal(before[table]);
  });

  it("answers 503 when the chain does not answer (the voucher cannot be voided), releasing nothing", async () => {
    const down = apiWith(world.api, { publicClient: failingClient(world.api.deps.publicClient, () => true) });
    const before = tableSnapshot(world.api);
    const response = await down("POST", `/issuance/jobs/${failed.id}/replan`, admin.token);
    expect(response.status).to.equal(503);
    expect(((await response.json()) as { title: string }).title).to.equal("Chain unavailable");
    expect(tableSnapshot(world.api)).to.deep.equal(before);
    expect(await world.api.deps.publicClient.readContract({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI, functionName: "isVoucherUsed", args: [BigInt(failed.nonce!)] })).to.equal(false);
  });

  it("is documented in /openapi.json with its path parameter and answers, as is the jobs list's state filter", async () => {
    const doc = (await (await world.api.request("GET", "/openapi.json")).json()) as {
      paths: Record<string, Record<string, { security?: unknown[]; parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>>;
    };
    const operation = doc.paths["/issuance/jobs/{id}/replan"].post;
    expect(operation.security).to.have.length.greaterThan(0);
    expect(operation.parameters!.map((p) => `${p.in}:${p.name}`)).to.deep.equal(["path:id"]);
    expect(Object.keys(operation.responses)).to.include.members(["200", "400", "401", "403", "404", "409", "503"]);
    expect(doc.paths["/issuance/jobs"].get.parameters!.map((p) => p.name)).to.include("state");
  });

  it("refuses to release a job whose voucher the chain minted (a record marked failed by mistake), keeping its Wh", async () => {
    // Release the failed job and let the right key mint its Wh, then mark the new job failed by hand.
    expect((await replan(failed.id)).status).to.equal(200);
    expect(await world.run()).to.include({ confirmed: 1 });
    const minted = jobsOf().find((job) => job.state === "confirmed")!;
    db().update(issuanceJobs).set({ state: "failed" }).where(eq(issuanceJobs.id, minted.id)).run();
    const before = tableSnapshot(world.api);
    const response = await replan(minted.id);
    expect(response.status).to.equal(409);
    expect(((await response.json()) as { detail: string }).detail).to.equal(
      `The chain minted this job's voucher in transaction ${minted.txHash}: its Wh are certified and stay with it.`,
    );
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });
});
