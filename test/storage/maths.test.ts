import { expect } from "chai";
import { floorWh, formatRatio, parseRatioText, ratio, ratioText, storageFactors, type StorageFactors, type StorageVolumes } from "../../server/storage/maths";

const SEED: StorageVolumes = { sdrVolumeWh: 5_257_248n, gcsCancelledWh: 5_210_000n, sdgcVolumeWh: 5_004_300n };

function factorsOf(volumes: StorageVolumes): StorageFactors {
  const result = storageFactors(volumes);
  if (!result.ok) throw new Error(result.message);
  return result.factors;
}

describe("storage maths (seed 000's worked example)", () => {
  it("gives the seed's SDR proportion and efficiency factor from its three volumes", () => {
    const { sdrProportion, efficiencyFactor } = factorsOf(SEED);
    expect(formatRatio(sdrProportion!)).to.equal("0.95188585");
    expect(formatRatio(efficiencyFactor!)).to.equal("0.96051823");
  });

  it("keeps the ratios exact, so the seed's equations give its volumes back to the Wh", () => {
    const { sdrProportion, efficiencyFactor } = factorsOf(SEED);
    // SD-GC = SDR volume × SDR proportion
    expect(floorWh(SEED.sdrVolumeWh, sdrProportion!)).to.equal(SEED.sdgcVolumeWh);
    // GCs cancelled = SDR volume × SDR proportion / efficiency
    const inverseEfficiency = ratio(efficiencyFactor!.denominator, efficiencyFactor!.numerator);
    expect(floorWh(floorWh(SEED.sdrVolumeWh, sdrProportion!), inverseEfficiency)).to.equal(SEED.gcsCancelledWh);
    // The 8 decimals shown are for people: computing with them loses a Wh.
    expect(floorWh(SEED.sdrVolumeWh, ratio(95_188_585n, 100_000_000n))).to.equal(SEED.sdgcVolumeWh - 1n);
  });

  it("reduces ratios and refuses ones that are not ratios of energies", () => {
    expect(ratio(10n, 4n)).to.deep.equal({ numerator: 5n, denominator: 2n });
    expect(ratio(0n, 7n)).to.deep.equal({ numerator: 0n, denominator: 1n });
    expect(() => ratio(1n, 0n)).to.throw(RangeError);
    expect(() => ratio(-1n, 2n)).to.throw(RangeError);
    expect(() => floorWh(-1n, ratio(1n, 2n))).to.throw(RangeError);
  });

  it("rounds Wh down", () => {
    expect(floorWh(2n, ratio(1n, 3n))).to.equal(0n);
    expect(floorWh(3n, ratio(1n, 3n))).to.equal(1n);
    expect(floorWh(5n, ratio(2n, 3n))).to.equal(3n);
    expect(floorWh(0n, ratio(2n, 3n))).to.equal(0n);
  });

  it("shows ratios rounded half to even at 8 decimals", () => {
    const billionths = (n: bigint) => formatRatio(ratio(n, 1_000_000_000n));
    expect(billionths(5n)).to.equal("0.00000000");
    expect(billionths(15n)).to.equal("0.00000002");
    expect(billionths(25n)).to.equal("0.00000002");
    expect(billionths(35n)).to.equal("0.00000004");
    expect(formatRatio(ratio(50_000_001n, 10_000_000_000_000_000n))).to.equal("0.00000001");
    expect(billionths(999_999_995n)).to.equal("1.00000000");
    expect(billionths(999_999_985n)).to.equal("0.99999998");
    expect(formatRatio(ratio(1n, 3n))).to.equal("0.33333333");
    expect(formatRatio(ratio(2n, 3n))).to.equal("0.66666667");
    expect(formatRatio(ratio(0n, 3n))).to.equal("0.00000000");
    expect(formatRatio(ratio(3n, 2n), 0)).to.equal("2");
    expect(formatRatio(ratio(5n, 2n), 0)).to.equal("2");
  });

  it("leaves the proportion undefined when nothing was discharged, the efficiency when nothing was charged", () => {
    expect(factorsOf({ sdrVolumeWh: 0n, gcsCancelledWh: 1_000n, sdgcVolumeWh: 0n })).to.deep.equal({ sdrProportion: null, efficiencyFactor: ratio(0n, 1n) });
    expect(factorsOf({ sdrVolumeWh: 1_000n, gcsCancelledWh: 0n, sdgcVolumeWh: 0n })).to.deep.equal({ sdrProportion: ratio(0n, 1n), efficiencyFactor: null });
    expect(factorsOf({ sdrVolumeWh: 0n, gcsCancelledWh: 0n, sdgcVolumeWh: 0n })).to.deep.equal({ sdrProportion: null, efficiencyFactor: null });
  });

  it("refuses SD-GCs beyond the discharge or beyond the GCs cancelled, and accepts them at exactly either", () => {
    const refused = (volumes: StorageVolumes) => {
      const result = storageFactors(volumes);
      return result.ok ? "" : result.message;
    };
    expect(refused({ sdrVolumeWh: 100n, gcsCancelledWh: 200n, sdgcVolumeWh: 101n })).to.contain("exceed the 100 Wh discharged");
    expect(refused({ sdrVolumeWh: 200n, gcsCancelledWh: 100n, sdgcVolumeWh: 101n })).to.contain("exceed the 100 Wh of GCs cancelled");
    expect(refused({ sdrVolumeWh: 0n, gcsCancelledWh: 100n, sdgcVolumeWh: 1n })).to.contain("exceed the 0 Wh discharged");
    expect(factorsOf({ sdrVolumeWh: 100n, gcsCancelledWh: 100n, sdgcVolumeWh: 100n })).to.deep.equal({ sdrProportion: ratio(1n, 1n), efficiencyFactor: ratio(1n, 1n) });
    expect(() => storageFactors({ sdrVolumeWh: -1n, gcsCancelledWh: 0n, sdgcVolumeWh: 0n })).to.throw(RangeError);
  });

  it("stores ratios as exact text and reads them back, refusing anything else", () => {
    const { efficiencyFactor } = factorsOf(SEED);
    expect(ratioText(efficiencyFactor!)).to.equal("50043/52100");
    expect(parseRatioText(ratioText(efficiencyFactor!))).to.deep.equal(efficiencyFactor);
    expect(parseRatioText("10/4")).to.deep.equal(ratio(5n, 2n));
    for (const text of ["0.96", "1/0", "-1/2", "1/2/3", ""]) expect(() => parseRatioText(text), text).to.throw(RangeError);
  });
});
