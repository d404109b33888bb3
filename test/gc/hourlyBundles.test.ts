import { expect } from "chai";
import { hourlyBundles } from "../../server/gc/hourlyBundles";

const HOUR = 3_600_000;
const t = (iso: string) => Date.parse(iso);
const read = (from: string, to: string, energyWh: bigint) => ({ startAt: t(from), endAt: t(to), energyWh });
const view = (bundles: ReturnType<typeof hourlyBundles>) => bundles.map((b) => [new Date(b.hourStart).toISOString().slice(11, 16), b.hourEnd - b.hourStart, b.energyWh]);
const none = new Set<number>();
const FAR = t("2100-01-01T00:00:00Z");

describe("hourly GC bundles from accepted reads", () => {
  it("share a read among the UTC hours it covers, one bundle of one hour each", () => {
    const bundles = hourlyBundles([read("2024-07-01T10:30:00Z", "2024-07-01T12:30:00Z", 1_000n)], { issuedHours: none, through: FAR });
    expect(view(bundles)).to.deep.equal([
      ["10:00", HOUR, 250n],
      ["11:00", HOUR, 500n],
      ["12:00", HOUR, 250n],
    ]);
  });

  it("round each hour down while the hours still add up to the reads exactly", () => {
    const reads = [read("2024-07-01T10:00:00Z", "2024-07-01T13:00:00Z", 1_001n), read("2024-07-01T13:00:00Z", "2024-07-01T13:20:00Z", 7n)];
    const bundles = hourlyBundles(reads, { issuedHours: none, through: FAR });
    expect(bundles.map((b) => b.energyWh)).to.deep.equal([333n, 334n, 334n, 7n]);
    expect(bundles.reduce((sum, b) => sum + b.energyWh, 0n)).to.equal(1_008n);
  });

  it("add the reads that share an hour, in hour order whatever the order of the reads", () => {
    const reads = [read("2024-07-01T11:20:00Z", "2024-07-01T11:40:00Z", 30n), read("2024-07-01T10:00:00Z", "2024-07-01T11:20:00Z", 80n), read("2024-07-01T11:40:00Z", "2024-07-01T12:00:00Z", 5n)];
    expect(view(hourlyBundles(reads, { issuedHours: none, through: FAR }))).to.deep.equal([
      ["10:00", HOUR, 60n],
      ["11:00", HOUR, 55n],
    ]);
  });

  it("leave out hours without energy, zero reads included", () => {
    const reads = [read("2024-07-01T10:00:00Z", "2024-07-01T11:00:00Z", 0n), read("2024-07-01T11:00:00Z", "2024-07-01T11:00:00Z", 0n), read("2024-07-01T12:00:00Z", "2024-07-01T13:00:00Z", 9n)];
    expect(view(hourlyBundles(reads, { issuedHours: none, through: FAR }))).to.deep.equal([["12:00", HOUR, 9n]]);
  });

  it("skip hours already issued and hours not over by `through`", () => {
    const reads = [read("2024-07-01T10:00:00Z", "2024-07-01T14:30:00Z", 450n)];
    const issuedHours = new Set([t("2024-07-01T11:00:00Z")]);
    const bundles = hourlyBundles(reads, { issuedHours, through: t("2024-07-01T13:59:59Z") });
    expect(view(bundles)).to.deep.equal([
      ["10:00", HOUR, 100n],
      ["12:00", HOUR, 100n],
    ]);
  });

  it("never issue a (device, hour) twice across runs, late reads included", () => {
    const first = [read("2024-07-01T10:00:00Z", "2024-07-01T12:30:00Z", 250n)];
    const issued = new Set<number>();
    const run = (reads: ReturnType<typeof read>[], through: string) => {
      const bundles = hourlyBundles(reads, { issuedHours: issued, through: t(through) });
      for (const bundle of bundles) {
        expect(issued.has(bundle.hourStart), new Date(bundle.hourStart).toISOString()).to.equal(false);
        issued.add(bundle.hourStart);
      }
      return bundles;
    };
    expect(view(run(first, "2024-07-01T12:30:00Z"))).to.deep.equal([
      ["10:00", HOUR, 100n],
      ["11:00", HOUR, 100n],
    ]);
    const later = [...first, read("2024-07-01T12:30:00Z", "2024-07-01T14:00:00Z", 150n), read("2024-07-01T09:00:00Z", "2024-07-01T10:00:00Z", 40n)];
    expect(view(run(later, "2024-07-01T14:00:00Z"))).to.deep.equal([
      ["09:00", HOUR, 40n],
      ["12:00", HOUR, 100n],
      ["13:00", HOUR, 100n],
    ]);
    expect(run(later, "2024-07-01T14:00:00Z")).to.deep.equal([]);
  });

  it("refuses a read with energy that does not last", () => {
    expect(() => hourlyBundles([read("2024-07-01T11:00:00Z", "2024-07-01T11:00:00Z", 3n)], { issuedHours: none, through: FAR })).to.throw(RangeError);
  });
});
