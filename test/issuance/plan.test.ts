import { expect } from "chai";
import { planReservation, ALL_COUNTRIES, type PlanDevice, type PlanRead, type PlanReservation } from "../../server/issuance/plan";
import { chainRef } from "../../server/chain/refs";
import { totalWh } from "../../server/issuance/contributions";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 4, 1);

const device = (n: number, organisationId = "org-a", countryCode = "KE", releasedAt?: number): PlanDevice => {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  return { id, chainRef: chainRef(id), organisationId, countryCode, releasedAt };
};

let nextReadId = 1;
const read = (d: PlanDevice, startAt: number, endAt: number, energyWh: bigint, certified: number[] = []): PlanRead => ({
  id: nextReadId++,
  deviceId: d.id,
  startAt,
  endAt,
  energyWh,
  certifiedPartStarts: new Set(certified),
});

const daily = (overrides: Partial<PlanReservation> = {}): PlanReservation => ({
  standard: "D-REC",
  frequency: "daily",
  startAt: T0,
  endAt: T0 + 10 * DAY,
  remainingWh: undefined,
  ...overrides,
});

describe("issuance planning", () => {
  it("makes one certificate per closed window and developer organisation, with every Wh of the reads", () => {
    const [a1, a2, b1] = [device(1), device(2), device(3, "org-b")];
    const reads = [read(a1, T0, T0 + DAY, 1_000n), read(a2, T0, T0 + DAY, 2_000n), read(b1, T0, T0 + DAY, 500n), read(a1, T0 + DAY, T0 + 2 * DAY, 700n)];
    const plan = planReservation(daily(), [a1, a2, b1], reads, T0 + 2 * DAY);
    expect(plan.certificates.map((c) => [c.windowStart, c.organisationId, c.countryCode, c.amountWh])).to.deep.equal([
      [T0, "org-a", ALL_COUNTRIES, 3_000n],
      [T0, "org-b", ALL_COUNTRIES, 500n],
      [T0 + DAY, "org-a", ALL_COUNTRIES, 700n],
    ]);
    for (const certificate of plan.certificates) expect(totalWh(certificate.leaves)).to.equal(certificate.amountWh);
    expect(plan.leftoverWh).to.equal(0n);
  });

  it("leaves open windows alone and apportions a read across a window edge by time", () => {
    const d = device(1);
    // 18:00 on day 0 to 06:00 on day 1: half of it before midnight, floored.
    const plan = planReservation(daily(), [d], [read(d, T0 + 18 * HOUR, T0 + DAY + 6 * HOUR, 1_201n)], T0 + DAY + 12 * HOUR);
    expect(plan.certificates).to.have.length(1);
    expect(plan.certificates[0].amountWh).to.equal(600n);
    const later = planReservation(daily(), [d], [read(d, T0 + 18 * HOUR, T0 + DAY + 6 * HOUR, 1_201n, [T0 + 18 * HOUR])], T0 + 2 * DAY);
    expect(later.certificates.map((c) => [c.windowStart, c.amountWh])).to.deep.equal([[T0 + DAY, 601n]]);
  });

  it("certifies a late read of an issued window as a new certificate, and never a part twice", () => {
    const d = device(1);
    const issued = read(d, T0, T0 + 12 * HOUR, 400n, [T0]);
    const late = read(d, T0 + 12 * HOUR, T0 + DAY, 300n);
    const plan = planReservation(daily(), [d], [issued, late], T0 + DAY);
    expect(plan.certificates).to.have.length(1);
    expect(plan.certificates[0].amountWh).to.equal(300n);
    expect(plan.certificates[0].parts.map((p) => p.readId)).to.deep.equal([late.id]);
  });

  it("stops at the target without authority to exceed, certifying the crossing part only up to it", () => {
    const d = device(1);
    const reads = [read(d, T0, T0 + DAY, 1_000n), read(d, T0 + DAY, T0 + 2 * DAY, 1_000n), read(d, T0 + 2 * DAY, T0 + 3 * DAY, 1_000n)];
    const plan = planReservation(daily({ remainingWh: 1_500n }), [d], reads, T0 + 3 * DAY);
    expect(plan.certificates.map((c) => c.amountWh)).to.deep.equal([1_000n, 500n]);
    expect(plan.leftoverWh).to.equal(1_500n);
    expect(plan.reachesTarget).to.equal(true);
    const exceeding = planReservation(daily(), [d], reads, T0 + 3 * DAY);
    expect(exceeding.certificates.map((c) => c.amountWh)).to.deep.equal([1_000n, 1_000n, 1_000n]);
    expect(exceeding.reachesTarget).to.equal(false);
  });

  it("counts a device only until its release, and clips to the reservation's period", () => {
    const kept = device(1);
    const removed = device(2, "org-a", "KE", T0 + 6 * HOUR);
    const reads = [read(kept, T0 - DAY, T0 + DAY, 2_000n), read(removed, T0, T0 + DAY, 2_400n)];
    const plan = planReservation(daily({ endAt: T0 + DAY }), [kept, removed], reads, T0 + 5 * DAY);
    expect(plan.certificates).to.have.length(1);
    // kept: half of its read lies in the reservation; removed: 6 of 24 hours.
    expect(plan.certificates[0].amountWh).to.equal(1_000n + 600n);
  });

  it("splits I-REC certificates by country", () => {
    const [ke, ug] = [device(1, "org-a", "KE"), device(2, "org-a", "UG")];
    const reads = [read(ke, T0, T0 + DAY, 10n), read(ug, T0, T0 + DAY, 20n)];
    const plan = planReservation(daily({ standard: "I-REC" }), [ke, ug], reads, T0 + DAY);
    expect(plan.certificates.map((c) => [c.countryCode, c.amountWh])).to.deep.equal([
      ["KE", 10n],
      ["UG", 20n],
    ]);
  });

  it("merges a device's touching parts into one leaf in whole seconds", () => {
    const d = device(1);
    const reads = [read(d, T0, T0 + HOUR, 5n), read(d, T0 + HOUR, T0 + 2 * HOUR, 7n), read(d, T0 + 3 * HOUR, T0 + 4 * HOUR, 1n)];
    const [certificate] = planReservation(daily(), [d], reads, T0 + DAY).certificates;
    expect(certificate.leaves.map((l) => [l.start, l.end, l.wh])).to.deep.equal([
      [BigInt(T0 / 1000), BigInt((T0 + 2 * HOUR) / 1000), 12n],
      [BigInt((T0 + 3 * HOUR) / 1000), BigInt((T0 + 4 * HOUR) / 1000), 1n],
    ]);
  });
});
