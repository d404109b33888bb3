import { expect } from "chai";
import { judgeRead, type DeviceProfile, type DeviceReadState, type ReadInput, type ReadRules, type Verdict } from "../../server/reads/judgeRead";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = new Date("2026-06-01T12:00:00Z");
// 10 kW at 8760 kWh/kW/yr: at most 10,000 Wh per hour with no margin, in the first year.
const device: DeviceProfile = {
  onboardedAt: new Date("2026-01-01T00:00:00Z"),
  commissionedAt: new Date("2023-01-01T00:00:00Z"),
  capacityKw: 10,
  yieldKwhPerKwYear: 8760,
};
const rules: ReadRules = { degradationPerYear: 0, safetyMargin: 0, historyMaxAgeYears: 3, maxGapMs: 30 * DAY };
const empty: DeviceReadState = { historyPeriods: [] };

const at = (iso: string) => new Date(iso);
const after = (date: Date, ms: number) => new Date(date.getTime() + ms);

function codes(verdict: Verdict): string[] {
  return verdict.status === "rejected" ? verdict.reasons.map((r) => r.code) : [];
}

/** Applies reads in order, as the ingestion does, returning every verdict. */
function applyAll(reads: ReadInput[], state = empty): { verdicts: Verdict[]; state: DeviceReadState } {
  const verdicts: Verdict[] = [];
  for (const read of reads) {
    const judged = judgeRead(read, device, state, rules, now);
    verdicts.push(judged.verdict);
    state = judged.state;
  }
  return { verdicts, state };
}

describe("judging meter reads", () => {
  describe("history reads", () => {
    const history = (startAt: Date, endAt: Date, valueWh = 1_000n): ReadInput => ({ type: "history", startAt, endAt, valueWh });

    it("accepts a period before onboarding, ending exactly at the onboarding instant", () => {
      const { verdict } = judgeRead(history(after(device.onboardedAt, -HOUR), device.onboardedAt), device, empty, rules, now);
      expect(verdict).to.deep.equal({ status: "accepted", baseline: false, startAt: after(device.onboardedAt, -HOUR), endAt: device.onboardedAt, energyWh: 1_000n });
    });

    it("refuses one ending a millisecond after onboarding", () => {
      const { verdict } = judgeRead(history(after(device.onboardedAt, -HOUR), after(device.onboardedAt, 1)), device, empty, rules, now);
      expect(codes(verdict)).to.deep.equal(["HISTORY_END_AFTER_ONBOARDING"]);
    });

    it("goes back exactly 3 years and no further", () => {
      const threeYears = at("2023-06-01T12:00:00Z");
      const old = { ...device, commissionedAt: at("2020-01-01T00:00:00Z") };
      expect(judgeRead(history(threeYears, after(threeYears, HOUR)), old, empty, rules, now).verdict.status).to.equal("accepted");
      const tooOld = after(threeYears, -1);
      expect(codes(judgeRead(history(tooOld, after(tooOld, HOUR)), old, empty, rules, now).verdict)).to.deep.equal(["HISTORY_TOO_OLD"]);
    });

    it("cannot start before commissioning", () => {
      const recent = { ...device, commissionedAt: at("2024-01-01T00:00:00Z") };
      const start = after(recent.commissionedAt, -1);
      expect(codes(judgeRead(history(start, after(start, HOUR)), recent, empty, rules, now).verdict)).to.deep.equal(["HISTORY_START_BEFORE_COMMISSIONING"]);
      expect(judgeRead(history(recent.commissionedAt, after(recent.commissionedAt, HOUR)), recent, empty, rules, now).verdict.status).to.equal("accepted");
    });

    it("refuses overlap with accepted history but allows touching periods", () => {
      const a = at("2025-01-01T00:00:00Z");
      const { verdicts } = applyAll([history(a, after(a, 2 * HOUR)), history(after(a, HOUR), after(a, 3 * HOUR)), history(after(a, 2 * HOUR), after(a, 3 * HOUR))]);
      expect(verdicts.map((v) => v.status)).to.deep.equal(["accepted", "rejected", "accepted"]);
      expect(codes(verdicts[1])).to.deep.equal(["HISTORY_OVERLAP"]);
    });

    it("needs a start before the end and a value that is not negative", () => {
      const a = at("2025-01-01T00:00:00Z");
      expect(codes(judgeRead({ type: "history", endAt: a, valueWh: 1n }, device, empty, rules, now).verdict)).to.deep.equal(["START_REQUIRED"]);
      expect(codes(judgeRead(history(a, a), device, empty, rules, now).verdict)).to.include("START_NOT_BEFORE_END");
      expect(codes(judgeRead(history(a, after(a, HOUR), -1n), device, empty, rules, now).verdict)).to.deep.equal(["NEGATIVE_VALUE"]);
      expect(judgeRead(history(a, after(a, HOUR), 0n), device, empty, rules, now).verdict.status).to.equal("accepted");
    });

    it("accepts exactly the maximum energy and refuses one Wh more", () => {
      const a = at("2025-01-01T00:00:00Z");
      const bound = 2 * 10_000;
      expect(judgeRead(history(a, after(a, 2 * HOUR), BigInt(bound)), device, empty, rules, now).verdict.status).to.equal("accepted");
      expect(codes(judgeRead(history(a, after(a, 2 * HOUR), BigInt(bound + 1)), device, empty, rules, now).verdict)).to.deep.equal(["EXCEEDS_MAX_ENERGY"]);
    });
  });

  for (const type of ["aggregate", "delta"] as const) {
    describe(`${type} reads`, () => {
      const read = (endAt: Date, valueWh: bigint): ReadInput => ({ type, endAt, valueWh });
      const t0 = at("2026-05-01T00:00:00Z");

      it("takes the first read after onboarding as the baseline only", () => {
        const { verdict, state } = judgeRead(read(t0, 5_000n), device, empty, rules, now);
        expect(verdict).to.deep.equal({ status: "accepted", baseline: true, startAt: null, endAt: t0, energyWh: 0n });
        expect(state.lockedType).to.equal(type);
        expect(state.last?.endAt).to.deep.equal(t0);
      });

      it("accepts an end exactly at onboarding and exactly now, but not before or after", () => {
        expect(judgeRead(read(device.onboardedAt, 1n), device, empty, rules, now).verdict.status).to.equal("accepted");
        expect(judgeRead(read(now, 1n), device, empty, rules, now).verdict.status).to.equal("accepted");
        expect(codes(judgeRead(read(after(device.onboardedAt, -1), 1n), device, empty, rules, now).verdict)).to.deep.equal(["END_BEFORE_ONBOARDING"]);
        expect(codes(judgeRead(read(after(now, 1), 1n), device, empty, rules, now).verdict)).to.deep.equal(["END_IN_FUTURE"]);
      });

      it("starts each read where the previous one ended", () => {
        const second = type === "aggregate" ? 8_000n : 3_000n;
        const { verdicts } = applyAll([read(t0, 5_000n), read(after(t0, HOUR), second)]);
        expect(verdicts[1]).to.deep.equal({ status: "accepted", baseline: false, startAt: t0, endAt: after(t0, HOUR), energyWh: 3_000n });
      });

      it("continues after a gap of exactly 30 days and restarts from a new baseline after more", () => {
        const second = type === "aggregate" ? 6_000n : 1_000n;
        expect(applyAll([read(t0, 5_000n), read(after(t0, 30 * DAY), second)], empty).verdicts[1]).to.include({ baseline: false, energyWh: 1_000n });
        const early = at("2026-03-01T00:00:00Z");
        const { verdicts, state } = applyAll([read(early, 5_000n), read(after(early, 30 * DAY + 1), second)]);
        expect(verdicts[1]).to.include({ status: "accepted", baseline: true, energyWh: 0n });
        expect(state.last?.meterWh).to.equal(type === "aggregate" ? second : 0n);
      });

      it("refuses a read that does not end after the previous one", () => {
        const { verdicts } = applyAll([read(t0, 5_000n), read(t0, 5_000n), read(after(t0, -HOUR), 5_000n)]);
        expect(codes(verdicts[1])).to.deep.equal(["NOT_AFTER_PREVIOUS_READ"]);
        expect(codes(verdicts[2])).to.deep.equal(["NOT_AFTER_PREVIOUS_READ"]);
      });

      it("locks the read type of the device", () => {
        const other = type === "aggregate" ? "delta" : "aggregate";
        const { verdicts, state } = applyAll([read(t0, 5_000n), { type: other, endAt: after(t0, HOUR), valueWh: 1n }]);
        expect(codes(verdicts[1])).to.deep.equal(["TYPE_LOCKED"]);
        expect(state.lockedType).to.equal(type);
      });

      it("refuses a start time, which the platform tracks itself", () => {
        expect(codes(judgeRead({ type, startAt: t0, endAt: after(t0, HOUR), valueWh: 1n }, device, empty, rules, now).verdict)).to.deep.equal(["START_NOT_ALLOWED"]);
      });

      it("accepts exactly the maximum energy for the tracked period and refuses one Wh more", () => {
        const base = 5_000n;
        const value = (energy: bigint) => (type === "aggregate" ? base + energy : energy);
        expect(applyAll([read(t0, base), read(after(t0, HOUR), value(10_000n))]).verdicts[1].status).to.equal("accepted");
        expect(codes(applyAll([read(t0, base), read(after(t0, HOUR), value(10_001n))]).verdicts[1])).to.deep.equal(["EXCEEDS_MAX_ENERGY"]);
      });

      it("leaves the state untouched when it rejects", () => {
        const { state } = applyAll([read(t0, 5_000n)]);
        const judged = judgeRead(read(after(now, 1), 9_000n), device, state, rules, now);
        expect(judged.state).to.equal(state);
      });
    });
  }

  it("turns aggregate meter values into deltas and refuses a decreasing meter", () => {
    const t0 = at("2026-05-01T00:00:00Z");
    const meter = [100_000n, 104_000n, 104_000n, 103_999n, 110_000n];
    const { verdicts } = applyAll(meter.map((valueWh, i) => ({ type: "aggregate", endAt: after(t0, i * HOUR), valueWh })));
    expect(verdicts.map((v) => (v.status === "accepted" ? v.energyWh : v.reasons[0].code))).to.deep.equal([0n, 4_000n, 0n, "METER_DECREASED", 6_000n]);
    const last = verdicts[4];
    expect(last.status === "accepted" && last.startAt).to.deep.equal(after(t0, 2 * HOUR));
  });

  it("allows history reads alongside a locked ongoing type", () => {
    const t0 = at("2026-05-01T00:00:00Z");
    const { verdicts } = applyAll([
      { type: "delta", endAt: t0, valueWh: 0n },
      { type: "history", startAt: at("2025-06-01T00:00:00Z"), endAt: at("2025-06-01T01:00:00Z"), valueWh: 5_000n },
    ]);
    expect(verdicts.map((v) => v.status)).to.deep.equal(["accepted", "accepted"]);
  });
});
