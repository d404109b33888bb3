import { expect } from "chai";
import { hourlyBundles } from "../../server/gc/hourlyBundles";

const HOUR = 3_600_000;
const t = (iso: string) => Date.parse(iso);
const read = (from: string, to: string, energyWh: bigint) => ({ startAt: t(from), endAt: t(to), energyWh });
const view = ({ bundles }: ReturnType<typeof hourlyBundles>) => bundles.map((b) => [new Date(b.hourStart).toISOString().slice(11, 16), b.hourEnd - b.hourStart, b.energyWh]);
const energies = (plan: ReturnType<typeof hourlyBundles>) => plan.bundles.map((b) => b.energyWh);
const none = new Set<number>();
const FAR = t("2100-01-01T00:00:00Z");

describe("hourly GC bundles from accepted reads", () => {
  it("share a read of at most an hour that crosses an hour edge between its two hours by time, one bundle of one hour each", () => {
    const plan = hourlyBundles([read("2024-07-01T10:15:00Z", "2024-07-01T11:15:00Z", 1_000n)], { issuedHours: none, through: FAR });
    expect(view(plan)).to.deep.equal([
      ["10:00", HOUR, 750n],
      ["11:00", HOUR, 250n],
    ]);
    expect(plan.skipped).to.deep.equal({ reads: 0, energyWh: 0n });
  });

  it("round each part down by cumulative shares, so the parts of a read still add up to it exactly", () => {
    // 1,001 Wh over 10:40-11:40: the share up to 11:00 is floor(1001 / 3) = 333, the rest 668.
    const reads = [read("2024-07-01T10:40:00Z", "2024-07-01T11:40:00Z", 1_001n), read("2024-07-01T11:40:00Z", "2024-07-01T12:20:00Z", 7n)];
    const plan = hourlyBundles(reads, { issuedHours: none, through: FAR });
    expect(energies(plan)).to.deep.equal([333n, 668n + 3n, 4n]);
    expect(energies(plan).reduce((sum, wh) => sum + wh, 0n)).to.equal(1_008n);
  });

  it("issue nothing from a read longer than an hour, and count it with its Wh once it has ended by `through`", () => {
    const daily = read("2024-07-01T00:00:00Z", "2024-07-02T00:00:00Z", 24_000n);
    const justOver = read("2024-07-02T10:00:00Z", "2024-07-02T11:00:00.001Z", 50n);
    const hourly = read("2024-07-02T12:00:00Z", "2024-07-02T13:00:00Z", 9n);
    const plan = hourlyBundles([daily, justOver, hourly], { issuedHours: none, through: FAR });
    expect(view(plan)).to.deep.equal([["12:00", HOUR, 9n]]);
    expect(plan.skipped).to.deep.equal({ reads: 2, energyWh: 24_050n });
    // A long read still going on at `through` is not counted yet; its hours would not be due anyway.
    expect(hourlyBundles([daily, justOver], { issuedHours: none, through: t("2024-07-02T11:00:00Z") }).skipped).to.deep.equal({ reads: 1, energyWh: 24_000n });
  });

  it("add the reads that share an hour, in hour order whatever the order of the reads", () => {
    const reads = [read("2024-07-01T11:20:00Z", "2024-07-01T11:40:00Z", 30n), read("2024-07-01T10:20:00Z", "2024-07-01T11:20:00Z", 60n), read("2024-07-01T11:40:00Z", "2024-07-01T12:00:00Z", 5n)];
    expect(view(hourlyBundles(reads, { issuedHours: none, through: FAR }))).to.deep.equal([
      ["10:00", HOUR, 40n],
      ["11:00", HOUR, 55n],
    ]);
  });

  it("leave out hours without energy, zero reads included", () => {
    const reads = [read("2024-07-01T10:00:00Z", "2024-07-01T11:00:00Z", 0n), read("2024-07-01T11:00:00Z", "2024-07-01T11:00:00Z", 0n), read("2024-07-01T12:00:00Z", "2024-07-01T13:00:00Z", 9n)];
    expect(view(hourlyBundles(reads, { issuedHours: none, through: FAR }))).to.deep.equal([["12:00", HOUR, 9n]]);
  });

  it("skip hours already issued and hours not over by `through`", () => {
    const reads = ["10", "11", "12", "13"].map((h) => read(`2024-07-01T${h}:00:00Z`, `2024-07-01T${h}:59:00Z`, 100n));
    const issuedHours = new Set([t("2024-07-01T11:00:00Z")]);
    const plan = hourlyBundles(reads, { issuedHours, through: t("2024-07-01T13:59:59Z") });
    expect(view(plan)).to.deep.equal([
      ["10:00", HOUR, 100n],
      ["12:00", HOUR, 100n],
    ]);
  });

  it("never issue a (device, hour) twice across runs, late reads included", () => {
    const first = [read("2024-07-01T10:00:00Z", "2024-07-01T11:00:00Z", 100n), read("2024-07-01T11:00:00Z", "2024-07-01T11:30:00Z", 50n), read("2024-07-01T11:30:00Z", "2024-07-01T12:30:00Z", 100n)];
    const issued = new Set<number>();
    const run = (reads: ReturnType<typeof read>[], through: string) => {
      const plan = hourlyBundles(reads, { issuedHours: issued, through: t(through) });
      for (const bundle of plan.bundles) {
        expect(issued.has(bundle.hourStart), new Date(bundle.hourStart).toISOString()).to.equal(false);
        issued.add(bundle.hourStart);
      }
      return plan;
    };
    expect(view(run(first, "2024-07-01T12:30:00Z"))).to.deep.equal([
      ["10:00", HOUR, 100n],
      ["11:00", HOUR, 100n],
    ]);
    const later = [...first, read("2024-07-01T12:30:00Z", "2024-07-01T13:30:00Z", 100n), read("2024-07-01T13:30:00Z", "2024-07-01T14:00:00Z", 50n), read("2024-07-01T09:00:00Z", "2024-07-01T10:00:00Z", 40n)];
    expect(view(run(later, "2024-07-01T14:00:00Z"))).to.deep.equal([
      ["09:00", HOUR, 40n],
      ["12:00", HOUR, 100n],
      ["13:00", HOUR, 100n],
    ]);
    expect(run(later, "2024-07-01T14:00:00Z").bundles).to.deep.equal([]);
  });

  it("refuses a read with energy that does not last", () => {
    expect(() => hourlyBundles([read("2024-07-01T11:00:00Z", "2024-07-01T11:00:00Z", 3n)], { issuedHours: none, through: FAR })).to.throw(RangeError);
  });
});
