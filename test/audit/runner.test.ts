import { expect } from "chai";
import { and, eq } from "drizzle-orm";
import { chainBalances, chainCertificates } from "../../indexer/store/schema";
import type { AuditReport } from "../../server/audit/report";
import type { CheckName } from "../../server/audit/findings";
import { CertificateKind, DAY, HOUR, Standard, now } from "../support/registry";
import { freshRef, reserve } from "../support/fixtures";
import { auditWorld, type AuditWorld } from "./world";

function findings(report: AuditReport, name: CheckName) {
  return report.checks.find((check) => check.name === name)!.findings;
}

function failingChecks(report: AuditReport): CheckName[] {
  return report.checks.filter((check) => !check.passed).map((check) => check.name);
}

describe("audit of a registry on the chain", () => {
  let world: AuditWorld;
  before(async () => {
    world = await auditWorld();
  });
  after(() => world.close());

  it("finds nothing on a clean chain with issuance, transfers, claims, retirements, a split, a revocation and a reservation D-REC", async () => {
    const report = await world.audit();
    expect(report.checks.map((check) => [check.name, check.findings])).to.deep.equal([
      ["mirror", []],
      ["supply", []],
      ["evidence", []],
      ["doubleCertification", []],
      ["reservations", []],
    ]);
    expect(report.passed).to.equal(true);
    expect(report.totals).to.deep.equal({ certificates: 3, splitChildren: 3, holdings: 8, reservations: 1, revoked: 1, evidenceLeaves: 5 });
  });

  it("shrinks its getLogs ranges when the provider refuses long ones, and reports the same", async () => {
    const clean = await world.audit();
    const refused: bigint[] = [];
    const client = new Proxy(world.client, {
      get(target, property, receiver) {
        if (property !== "getLogs") return Reflect.get(target, property, receiver);
        return (args: { fromBlock: bigint; toBlock: bigint }) => {
          const blocks = args.toBlock - args.fromBlock + 1n;
          if (blocks > 3n) {
            refused.push(blocks);
            return Promise.reject(new Error("query returned more than 3 blocks"));
          }
          return target.getLogs(args as Parameters<typeof target.getLogs>[0]);
        };
      },
    });
    const report = await world.audit({ client });
    expect(refused.length).to.be.greaterThan(0);
    expect({ ...report, generatedAt: clean.generatedAt }).to.deep.equal(clean);
  });

  it("audits at the mirror's checkpoint, so activity the indexer has not seen yet is no finding", async () => {
    const { d, ids } = world;
    await (await d.registry.connect(d.buyer).safeTransferFrom(d.buyer, d.other, ids.drec, 1n, "0x")).wait();
    const before = await world.audit();
    await world.sync();
    const after = await world.audit();
    expect([before.passed, after.passed]).to.deep.equal([true, true]);
    expect(BigInt(after.block.number)).to.be.greaterThan(BigInt(before.block.number));
  });

  it("catches a mirror balance row changed, naming the holder and id", async () => {
    const { database, d, ids } = world;
    const where = and(eq(chainBalances.holder, d.other.address.toLowerCase()), eq(chainBalances.certificateId, ids.gc[0].toString()));
    const row = database.db.select().from(chainBalances).where(where).get()!;
    database.db.update(chainBalances).set({ amount: (BigInt(row.amount) + 1n).toString() }).where(where).run();
    try {
      const report = await world.audit();
      expect(failingChecks(report)).to.deep.equal(["mirror"]);
      expect(findings(report, "mirror").map((f) => [f.code, f.holder?.toLowerCase(), f.certificateIds])).to.deep.equal([
        ["balance-mismatch", d.other.address.toLowerCase(), [ids.gc[0].toString()]],
      ]);
    } finally {
      database.db.update(chainBalances).set({ amount: row.amount }).where(where).run();
    }
  });

  it("catches a certificate row changed in the mirror, naming the field", async () => {
    const { database, ids } = world;
    const where = eq(chainCertificates.id, ids.drec.toString());
    const row = database.db.select().from(chainCertificates).where(where).get()!;
    database.db.update(chainCertificates).set({ periodEnd: row.periodEnd + 1 }).where(where).run();
    try {
      const report = await world.audit();
      expect(failingChecks(report)).to.deep.equal(["mirror"]);
      expect(findings(report, "mirror").map((f) => [f.code, f.certificateIds, f.message])).to.deep.equal([
        ["certificate-mismatch", [ids.drec.toString()], `The mirror's row for D-REC #${ids.drec} differs from the chain: end ${row.periodEnd + 1} (chain: ${row.periodEnd}).`],
      ]);
    } finally {
      database.db.update(chainCertificates).set({ periodEnd: row.periodEnd }).where(where).run();
    }
  });

  it("catches tampered evidence (one device's Wh changed) and evidence that was never published", async () => {
    const { evidence, ids } = world;
    const published = evidence.leaves.get(ids.drec)!;
    const gcLeaves = evidence.leaves.get(ids.gc[1])!;
    evidence.publish(ids.drec, published.map((leaf, i) => (i === 1 ? { ...leaf, wh: leaf.wh + 100n } : leaf)));
    evidence.leaves.delete(ids.gc[1]);
    try {
      const report = await world.audit();
      expect(failingChecks(report)).to.deep.equal(["evidence"]);
      expect(findings(report, "evidence").map((f) => [f.code, f.certificateIds])).to.deep.equal([
        ["evidence-root-mismatch", [ids.drec.toString()]],
        ["evidence-missing", [ids.gc[1].toString()]],
      ]);
    } finally {
      evidence.publish(ids.drec, published);
      evidence.publish(ids.gc[1], gcLeaves);
    }
  });
});

describe("audit of a registry with a double-certified device-period", () => {
  let world: AuditWorld;
  before(async () => {
    world = await auditWorld();
  });
  after(() => world.close());

  it("catches two GC vouchers for the same device and overlapping hours, but not split children of one of them", async () => {
    const { ids, devices } = world;
    expect((await world.audit()).passed).to.equal(true);

    // The first GC covers [hour, hour + 1h); this one claims its second half again, with consistent evidence.
    const original = world.evidence.leaves.get(ids.gc[0])![0];
    const overlapping = await world.issueGc(devices.gc, original.start + HOUR / 2n, original.end + HOUR / 2n, 500n);
    await world.sync();

    const report = await world.audit();
    expect(failingChecks(report)).to.deep.equal(["doubleCertification"]);
    expect(findings(report, "doubleCertification").map((f) => [f.certificateIds, f.device, f.period])).to.deep.equal([
      [[ids.gc[0].toString(), overlapping.toString()], devices.gc, { start: (original.start + HOUR / 2n).toString(), end: original.end.toString() }],
      [[ids.gc[1].toString(), overlapping.toString()], devices.gc, { start: original.end.toString(), end: (original.end + HOUR / 2n).toString() }],
    ]);
  });
});

describe("audit of a registry with I-REC certificates", () => {
  let world: AuditWorld;
  before(async () => {
    world = await auditWorld();
  });
  after(() => world.close());

  it("compares each certificate's provisional status with isProvisional, and catches a mirror row that says otherwise", async () => {
    const { d, database } = world;
    const t = await now();
    const device = freshRef("device");
    const irec = await reserve(d, { buyer: d.buyer, start: t - 10n * DAY, end: t + 10n * DAY, standard: Standard.IRec, canExceedTarget: true, devices: [device] });
    const hour = t - (t % HOUR) - 5n * HOUR;
    const issueHour = (start: bigint) => world.issue(CertificateKind.DRec, irec.id, start, start + HOUR, [{ deviceId: device, start, end: start + HOUR, wh: 1_000n }]);
    const waiting = await issueHour(hour);
    const recorded = await issueHour(hour + HOUR);
    await (await d.registry.connect(d.issuer).recordStandardSerials(recorded, "IREC-0001", "IREC-1000")).wait();
    await world.sync();
    expect([await d.registry.isProvisional(waiting), await d.registry.isProvisional(recorded)]).to.deep.equal([true, false]);
    expect((await world.audit()).passed).to.equal(true);

    const statusOf = (id: bigint) => database.db.select({ status: chainCertificates.status }).from(chainCertificates).where(eq(chainCertificates.id, id.toString())).get()!.status;
    const setStatus = (id: bigint, status: "active" | "provisional") => database.db.update(chainCertificates).set({ status }).where(eq(chainCertificates.id, id.toString())).run();
    expect([statusOf(waiting), statusOf(recorded)]).to.deep.equal(["provisional", "active"]);
    setStatus(waiting, "active");
    setStatus(recorded, "provisional");
    try {
      const report = await world.audit();
      expect(failingChecks(report)).to.deep.equal(["mirror"]);
      expect(findings(report, "mirror").map((f) => [f.code, f.certificateIds, f.message])).to.deep.equal([
        ["certificate-mismatch", [waiting.toString()], `The mirror's row for D-REC #${waiting} differs from the chain: provisional false (chain: true).`],
        ["certificate-mismatch", [recorded.toString()], `The mirror's row for D-REC #${recorded} differs from the chain: provisional true (chain: false).`],
      ]);
    } finally {
      setStatus(waiting, "provisional");
      setStatus(recorded, "active");
    }
    expect((await world.audit()).passed).to.equal(true);
  });
});
