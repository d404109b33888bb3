import { expect } from "chai";
import { eq } from "drizzle-orm";
import { recordMissingDeviceSnapshots } from "../../server/issuance/deviceSnapshots";
import { issuanceJobDevices, issuanceJobs } from "../../server/issuance/schema";
import { yieldOverrides } from "../../server/reads/yields";
import { issuanceWorld } from "../support/issuance";

describe("device snapshots of jobs planned before snapshots existed", () => {
  it("are recorded from the devices as they are, so those certificates show their devices again; once", async function () {
    this.timeout(120_000);
    const world = await issuanceWorld({ days: 2, devicesPerDeveloper: 2, developers: 2 });
    try {
      expect(await world.run()).to.include({ confirmed: 4 });
      const { db } = world.api.database;
      const jobs = db.select().from(issuanceJobs).all();
      const metadataOf = async (id: string) => (await world.api.request("GET", `/metadata/${id}`)).json();
      const before = await Promise.all(jobs.map((job) => metadataOf(job.certificateId!)));

      // As a database from before snapshots would have it: no job knows its devices.
      db.delete(issuanceJobDevices).run();
      const bare = (await metadataOf(jobs[0].certificateId!)) as { properties: { deviceGroup: { devices: unknown[] } } };
      expect(bare.properties.deviceGroup.devices).to.deep.equal([]);

      expect(recordMissingDeviceSnapshots(db, yieldOverrides(db))).to.equal(jobs.length);
      expect(await Promise.all(jobs.map((job) => metadataOf(job.certificateId!)))).to.deep.equal(before);
      expect(db.select().from(issuanceJobDevices).where(eq(issuanceJobDevices.jobId, jobs[0].id)).all()).to.have.length(2);
      expect(recordMissingDeviceSnapshots(db, yieldOverrides(db))).to.equal(0);
    } finally {
      world.api.close();
    }
  });
});
