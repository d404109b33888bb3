import { expect } from "chai";
import { ageInYears, maxEnergyWh, MS_PER_YEAR } from "../../server/reads/maxEnergy";

const HOUR = 3_600_000;
// 8760 kWh/kW/yr is exactly 1 kWh per kW per hour, which makes the bound easy to state.
const base = { capacityKw: 10, yieldKwhPerKwYear: 8760, periodMs: 2 * HOUR, degradationPerYear: 0.01, ageYears: 1, safetyMargin: 0 };

describe("maximum energy bound", () => {
  it("is capacity × yield/8760 × hours in the first year", () => {
    expect(maxEnergyWh(base)).to.equal(20_000n);
    expect(maxEnergyWh({ ...base, ageYears: 0.2 })).to.equal(20_000n);
  });

  it("applies degradation for every year after the first", () => {
    expect(maxEnergyWh({ ...base, ageYears: 2 })).to.equal(19_800n);
    expect(maxEnergyWh({ ...base, ageYears: 3 })).to.equal(19_602n);
  });

  it("widens by the safety margin and rounds down to whole Wh", () => {
    expect(maxEnergyWh({ ...base, safetyMargin: 0.1 })).to.equal(22_000n);
    expect(maxEnergyWh({ ...base, periodMs: 1_000 })).to.equal(2n);
  });

  it("scales with yield and period", () => {
    expect(maxEnergyWh({ ...base, yieldKwhPerKwYear: 1752 })).to.equal(4_000n);
    expect(maxEnergyWh({ ...base, periodMs: 24 * HOUR })).to.equal(240_000n);
  });

  it("measures age in years from commissioning", () => {
    const commissioned = new Date("2020-01-01T00:00:00Z");
    expect(ageInYears(commissioned, new Date(commissioned.getTime() + 2 * MS_PER_YEAR))).to.equal(2);
    expect(ageInYears(commissioned, new Date("2019-01-01T00:00:00Z"))).to.equal(0);
  });
});
