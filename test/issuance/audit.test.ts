import { expect } from "chai";
import { eq } from "drizzle-orm";
import type { AuditReport } from "../../server/audit/report";
import { issuanceJobs, issuanceLeaves } from "../../server/issuance/schema";
import { seedOrganisation } from "../support/api";
import { syncIndexer } from "../support/indexing";
import { issuanceWorld } from "../support/issuance";

describe("audit of issued D-RECs against the evidence the engine published", function () {
  this.timeout(60_000);

  it("passes every check after issuance, and catches a published leaf changed afterwards", async () => {
    const world = await issuanceWorld({ days: 2, developers: 2, devicesPerDeveloper: 2 });
    await world.run();
    await syncIndexer(world.api);
    const auditor = seedOrganisation(world.api, "auditor");
    const report = async () => (await (await world.api.request("GET", "/audit/report", { token: auditor.token })).json()) as AuditReport;

    const clean = await report();
    expect(clean.checks.map((c) => [c.name, c.passed])).to.deep.equal([
      ["mirror", true],
      ["supply", true],
      ["evidence", true],
      ["doubleCertification", true],
      ["reservations", true],
    ]);
    const db = world.api.database.db;
    const jobs = db.select().from(issuanceJobs).where(eq(issuanceJobs.reservationId, world.reservationId)).all();
    expect(jobs).to.have.length(4);

    // One device's published contribution is inflated by 1 Wh: the root no longer matches the chain's.
    const leaf = db.select().from(issuanceLeaves).where(eq(issuanceLeaves.jobId, jobs[0].id)).get()!;
    db.update(issuanceLeaves).set({ wh: leaf.wh + 1 }).where(eq(issuanceLeaves.id, leaf.id)).run();
    const tampered = await report();
    const evidence = tampered.checks.find((c) => c.name === "evidence")!;
    expect(evidence.passed).to.equal(false);
    expect(evidence.findings.flatMap((f) => f.certificateIds ?? [])).to.include(jobs[0].certificateId);
    world.api.close();
  });
});
