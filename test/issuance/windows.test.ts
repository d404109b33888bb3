import { expect } from "chai";
import { apportion, closedWindows, FREQUENCIES, nextWindowStart, windowStartOf } from "../../server/issuance/windows";
import { deviceLeaves, totalWh } from "../../server/issuance/contributions";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const t = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe("issuance windows", () => {
  it("align to UTC calendar periods: hours, days, ISO weeks, months, quarters", () => {
    const at = t("2026-05-14T17:42:10.500Z"); // a Thursday
    expect(iso(windowStartOf(at, "hourly"))).to.equal("2026-05-14T17:00:00.000Z");
    expect(iso(windowStartOf(at, "daily"))).to.equal("2026-05-14T00:00:00.000Z");
    expect(iso(windowStartOf(at, "weekly"))).to.equal("2026-05-11T00:00:00.000Z");
    expect(iso(windowStartOf(at, "monthly"))).to.equal("2026-05-01T00:00:00.000Z");
    expect(iso(windowStartOf(at, "quarterly"))).to.equal("2026-04-01T00:00:00.000Z");
    expect(iso(windowStartOf(t("2026-05-11T00:00:00Z"), "weekly")), "a Monday starts its own week").to.equal("2026-05-11T00:00:00.000Z");
    expect(iso(windowStartOf(t("2026-05-17T23:59:59Z"), "weekly")), "a Sunday ends the week").to.equal("2026-05-11T00:00:00.000Z");
  });

  it("step to the next window of the right length, months and quarters by the calendar", () => {
    expect(iso(nextWindowStart(t("2026-02-01T00:00:00Z"), "monthly"))).to.equal("2026-03-01T00:00:00.000Z");
    expect(iso(nextWindowStart(t("2028-02-01T00:00:00Z"), "monthly"))).to.equal("2028-03-01T00:00:00.000Z");
    expect(iso(nextWindowStart(t("2026-10-01T00:00:00Z"), "quarterly"))).to.equal("2027-01-01T00:00:00.000Z");
    expect(nextWindowStart(t("2026-05-11T00:00:00Z"), "weekly") - t("2026-05-11T00:00:00Z")).to.equal(7 * DAY);
    for (const frequency of FREQUENCIES) {
      const start = windowStartOf(t("2026-07-19T08:00:00Z"), frequency);
      expect(windowStartOf(nextWindowStart(start, frequency) - 1, frequency), frequency).to.equal(start);
    }
  });

  it("lists a reservation's closed windows, clipped to its period, and none still open", () => {
    const period = { start: t("2026-05-01T06:00:00Z"), end: t("2026-05-04T12:00:00Z") };
    const windows = closedWindows(period, "daily", t("2026-05-03T00:00:00Z"));
    expect(windows.map((w) => [iso(w.start), iso(w.end)])).to.deep.equal([
      ["2026-05-01T06:00:00.000Z", "2026-05-02T00:00:00.000Z"],
      ["2026-05-02T00:00:00.000Z", "2026-05-03T00:00:00.000Z"],
    ]);
    const all = closedWindows(period, "daily", t("2026-06-01T00:00:00Z"));
    expect(all).to.have.length(4);
    expect(iso(all[3].end)).to.equal("2026-05-04T12:00:00.000Z");
    expect(closedWindows(period, "monthly", t("2026-05-04T11:59:59Z"))).to.deep.equal([]);
  });

  it("apportions a read by time, and the parts of any partition sum exactly to its energy", () => {
    const read = { startAt: t("2026-05-01T22:00:00Z"), endAt: t("2026-05-02T02:00:00Z"), energyWh: 1_001n };
    const midnight = t("2026-05-02T00:00:00Z");
    expect(apportion(read, read.startAt - DAY, midnight) + apportion(read, midnight, read.endAt + DAY)).to.equal(1_001n);
    expect(apportion(read, read.startAt - DAY, midnight)).to.equal(500n);
    expect(apportion(read, read.endAt, read.endAt + HOUR)).to.equal(0n);
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const energyWh = BigInt(Math.floor(random() * 1e12));
      const r = { startAt: 0, endAt: 1 + Math.floor(random() * 10 * DAY), energyWh };
      const cuts = [0, ...Array.from({ length: 5 }, () => Math.floor(random() * r.endAt)).sort((a, b) => a - b), r.endAt];
      const parts = cuts.slice(1).map((cut, i) => apportion(r, cuts[i], cut));
      expect(parts.reduce((a, b) => a + b, 0n), `trial ${trial}`).to.equal(energyWh);
      expect(parts.every((p) => p >= 0n)).to.equal(true);
    }
  });
});

describe("per-device contributions", () => {
  const device = `0x${"ab".repeat(32)}` as const;
  const day = { start: t("2026-05-02T00:00:00Z"), end: t("2026-05-03T00:00:00Z") };
  const read = (from: string, to: string, energyWh: bigint) => ({ startAt: t(from), endAt: t(to), energyWh });

  it("merges touching reads into one leaf, keeps gaps apart, and leaves out what lies outside the window", () => {
    const leaves = deviceLeaves(
      device,
      [
        read("2026-05-01T23:00:00Z", "2026-05-02T01:00:00Z", 200n),
        read("2026-05-02T01:00:00Z", "2026-05-02T02:00:00Z", 50n),
        read("2026-05-02T05:00:00Z", "2026-05-02T06:00:00Z", 70n),
        read("2026-05-02T07:00:00Z", "2026-05-02T08:00:00Z", 0n),
        read("2026-05-03T00:00:00Z", "2026-05-03T01:00:00Z", 90n),
      ],
      day,
    );
    const seconds = (s: string) => BigInt(t(s) / 1000);
    expect(leaves).to.deep.equal([
      { deviceId: device, start: seconds("2026-05-02T00:00:00Z"), end: seconds("2026-05-02T02:00:00Z"), wh: 150n },
      { deviceId: device, start: seconds("2026-05-02T05:00:00Z"), end: seconds("2026-05-02T06:00:00Z"), wh: 70n },
    ]);
    expect(totalWh(leaves)).to.equal(220n);
  });

  it("never overlaps the leaves of a late read certified in a later run", () => {
    const first = deviceLeaves(device, [read("2026-05-02T00:00:00Z", "2026-05-02T10:00:00.500Z", 1_000n)], day);
    const late = deviceLeaves(device, [read("2026-05-02T10:00:00.500Z", "2026-05-02T12:00:00Z", 300n)], day);
    expect(first[0].end).to.be.at.most(late[0].start);
    expect(totalWh(first) + totalWh(late)).to.equal(1_300n);
  });
});
