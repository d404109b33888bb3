import { expect } from "chai";
import {
  bundleIdError,
  dateCodeOf,
  formatBundleId,
  formatIdRange,
  nextRanges,
  parseBundleId,
  rangeSize,
  splitBundle,
  splitRange,
  type Bundle,
  type IdRange,
} from "../../server/gc/bundleIds";

const SEED_PARENT = "GC101-20240928-20003-0001-0750000";

function split(parent: Bundle, amounts: bigint[], taken: Iterable<string> = []): Bundle[] {
  const result = splitBundle(parent, amounts, taken);
  if (!result.ok) throw new Error(JSON.stringify(result.faults));
  return result.children;
}

describe("GC bundle ids", () => {
  it("parse into the five parts of seed 003 and format back to the same text", () => {
    const id = parseBundleId(SEED_PARENT);
    expect(id).to.deep.equal({ projectId: "GC101", dateCode: "20240928", eacId: "20003", sequence: 1, energyWh: 750_000n });
    expect(formatBundleId(id)).to.equal(SEED_PARENT);
    expect(formatBundleId({ ...id, sequence: 12_345, energyWh: 12_345_678n })).to.equal("GC101-20240928-20003-12345-12345678");
    expect(parseBundleId("GC101-20240928-20003-12345-12345678").energyWh).to.equal(12_345_678n);
  });

  it("name what is wrong with a text that is not one", () => {
    expect(bundleIdError(SEED_PARENT)).to.equal(null);
    const bad = {
      "GC101-20240230-20003-0001-0750000": "not a calendar date",
      "GC101-20240928-20003-0000-0750000": "at least 0001",
      "GC101-20240928-20003-00001-0750000": "padded to four digits and no further",
      "GC101-20240928-20003-0001-750000": "must be a bundle id",
      "GC101-20240928-20003-0001-00750000": "padded to seven digits and no further",
      "GC101-20240928-20003-0001-0000000": "at least 1 Wh",
      "GC-101-20240928-20003-0001-0750000": "must be a bundle id",
      "GC101-2024-09-28-20003-0001-0750000": "must be a bundle id",
      "": "must be a bundle id",
    };
    for (const [text, reason] of Object.entries(bad)) {
      expect(bundleIdError(text), text).to.contain(reason);
      expect(() => parseBundleId(text), text).to.throw(RangeError);
    }
  });

  it("refuse to format parts that would not parse back", () => {
    const id = parseBundleId(SEED_PARENT);
    expect(() => formatBundleId({ ...id, projectId: "GC-1" })).to.throw(RangeError);
    expect(() => formatBundleId({ ...id, dateCode: "20241301" })).to.throw(RangeError);
    expect(() => formatBundleId({ ...id, sequence: 0 })).to.throw(RangeError);
    expect(() => formatBundleId({ ...id, energyWh: 0n })).to.throw(RangeError);
  });

  it("take the UTC date of an instant as date code", () => {
    expect(dateCodeOf(Date.parse("2024-09-28T23:59:59Z"))).to.equal("20240928");
    expect(dateCodeOf(Date.parse("2024-09-28T23:30:00-01:00"))).to.equal("20240929");
  });
});

describe("splitting a bundle (seed 003)", () => {
  const parent: Bundle = { id: SEED_PARENT, range: { start: 1_000_001n, end: 1_750_000n } };

  it("turns the seed's 750,000 Wh into 500,000 + 250,000 exactly as written", () => {
    const children = split(parent, [500_000n, 250_000n]);
    expect(children.map((child) => child.id)).to.deep.equal(["GC101-20240928-20003-0001-0500000", "GC101-20240928-20003-0001-0250000"]);
  });

  it("partitions the parent's certificate ids among the children in order", () => {
    const children = split(parent, [500_000n, 250_000n]);
    expect(children.map((child) => child.range)).to.deep.equal([
      { start: 1_000_001n, end: 1_500_000n },
      { start: 1_500_001n, end: 1_750_000n },
    ]);
    for (const child of children) expect(rangeSize(child.range)).to.equal(parseBundleId(child.id).energyWh);
  });

  it("keeps project, date code and EAC id and numbers children after the ids already taken", () => {
    const [half] = split(parent, [500_000n, 250_000n]);
    const taken = [SEED_PARENT, "GC101-20240928-20003-0001-0500000", "GC101-20240928-20003-0001-0250000"];
    const grandchildren = split(half, [250_000n, 250_000n], taken);
    expect(grandchildren.map((child) => child.id)).to.deep.equal(["GC101-20240928-20003-0002-0250000", "GC101-20240928-20003-0003-0250000"]);
    // Ids of other projects, dates or EAC ids, and ids of other registries, do not take numbers.
    const elsewhere = ["GC102-20240928-20003-0007-0250000", "GC101-20240929-20003-0007-0250000", "GC101-20240928-20004-0007-0250000", "FLEXIDAO-123"];
    expect(split(half, [250_000n, 250_000n], elsewhere).map((child) => parseBundleId(child.id).sequence)).to.deep.equal([1, 2]);
  });

  it("refuses amounts that do not add up to the parent, fewer than two children, and empty children", () => {
    const refused = (amounts: bigint[]) => {
      const result = splitBundle(parent, amounts, []);
      return result.ok ? [] : result.faults;
    };
    expect(refused([500_000n, 249_999n])).to.deep.equal([
      { field: "amounts", message: "add up to 749999 Wh; the parent holds 750000 Wh and the children must hold exactly that" },
    ]);
    expect(refused([750_000n]).map((fault) => fault.field)).to.deep.equal(["amounts"]);
    expect(refused([750_000n, 0n]).map((fault) => fault.field)).to.deep.equal(["amounts[1]"]);
    expect(refused([800_000n, -50_000n]).map((fault) => fault.field)).to.deep.equal(["amounts[1]"]);
  });

  it("refuses a parent whose certificate ids disagree with its energy", () => {
    expect(() => splitBundle({ id: SEED_PARENT, range: { start: 1n, end: 10n } }, [5n, 5n], [])).to.throw(RangeError);
  });
});

describe("certificate id ranges", () => {
  it("start a device at 1 and continue right after its last certificate", () => {
    expect(nextRanges(null, [3n, 2n])).to.deep.equal([
      { start: 1n, end: 3n },
      { start: 4n, end: 5n },
    ]);
    expect(nextRanges(5n, [1n])).to.deep.equal([{ start: 6n, end: 6n }]);
    expect(() => nextRanges(5n, [0n])).to.throw(RangeError);
  });

  it("split into children that partition the range, and only into such", () => {
    expect(splitRange({ start: 11n, end: 20n }, [3n, 1n, 6n])).to.deep.equal([
      { start: 11n, end: 13n },
      { start: 14n, end: 14n },
      { start: 15n, end: 20n },
    ]);
    expect(() => splitRange({ start: 11n, end: 20n }, [3n, 6n])).to.throw(RangeError);
    expect(() => splitRange({ start: 11n, end: 20n }, [11n, -1n])).to.throw(RangeError);
  });

  it("print as from-to", () => {
    expect(formatIdRange({ start: 134_567n, end: 134_599n })).to.equal("134567-134599");
    expect(formatIdRange({ start: 7n, end: 7n })).to.equal("7");
  });

  it("never overlap and always sum, whatever sequence of issues and splits", () => {
    let seed = 11;
    // mulberry32: small, seeded, and exact in 32-bit integer arithmetic.
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
      return Math.floor((((x ^ (x >>> 14)) >>> 0) / 2 ** 32) * n);
    };
    for (let trial = 0; trial < 20; trial++) {
      let lastEnd: bigint | null = null;
      let issuedWh = 0n;
      const active: Bundle[] = [];
      const everId = new Set<string>();
      for (let step = 0; step < 60; step++) {
        if (active.length === 0 || random(3) === 0) {
          const amounts = Array.from({ length: 1 + random(3) }, () => BigInt(1 + random(2_000_000)));
          const ranges: IdRange[] = nextRanges(lastEnd, amounts);
          ranges.forEach((range, i) => {
            const id = formatBundleId({ projectId: "P1", dateCode: "20240701", eacId: `${step}x${i}`, sequence: 1, energyWh: amounts[i] });
            active.push({ id, range });
            everId.add(id);
          });
          lastEnd = ranges[ranges.length - 1].end;
          issuedWh += amounts.reduce((a, b) => a + b, 0n);
        } else {
          const [parent] = active.splice(random(active.length), 1);
          const energy = parseBundleId(parent.id).energyWh;
          if (energy < 2n) {
            active.push(parent);
            continue;
          }
          const parts = energy < 3n || random(2) === 0 ? 2 : 3;
          const cuts = new Set<bigint>();
          while (cuts.size < parts - 1) cuts.add(1n + BigInt(random(Number(energy - 1n))));
          const points = [0n, ...[...cuts].sort((a, b) => (a < b ? -1 : 1)), energy];
          const children = split(parent, points.slice(1).map((point, i) => point - points[i]), everId);
          const reused = children.filter((child) => everId.has(child.id));
          expect(reused, "ids are never reused").to.deep.equal([]);
          for (const child of children) {
            everId.add(child.id);
            active.push(child);
          }
        }
        const sorted = [...active].sort((a, b) => (a.range.start < b.range.start ? -1 : 1));
        const overlapping = sorted.slice(1).filter((bundle, i) => bundle.range.start <= sorted[i].range.end);
        expect(overlapping, `trial ${trial} step ${step}`).to.deep.equal([]);
        expect(active.reduce((sum, bundle) => sum + rangeSize(bundle.range), 0n)).to.equal(issuedWh);
        expect(active.reduce((sum, bundle) => sum + parseBundleId(bundle.id).energyWh, 0n)).to.equal(issuedWh);
        expect(lastEnd, "the ranges leave no gap").to.equal(issuedWh);
      }
    }
  });
});
