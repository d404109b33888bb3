import { expect } from "chai";
import { InvalidEnergyValue, toWh } from "../../server/reads/units";

describe("energy units", () => {
  it("converts each unit to Wh exactly", () => {
    expect(toWh("1", "Wh")).to.equal(1n);
    expect(toWh("1", "kWh")).to.equal(1_000n);
    expect(toWh("1", "MWh")).to.equal(1_000_000n);
    expect(toWh("1", "GWh")).to.equal(1_000_000_000n);
    expect(toWh("0.75", "MWh")).to.equal(750_000n);
  });

  it("rounds a fractional Wh down, never up", () => {
    expect(toWh("1.0009", "kWh")).to.equal(1_000n);
    expect(toWh("1.9999", "Wh")).to.equal(1n);
    expect(toWh("0.0000000019", "GWh")).to.equal(1n);
    expect(toWh("0.0000000009", "GWh")).to.equal(0n);
  });

  it("keeps precision no float has", () => {
    expect(toWh("123456789012345678.123", "GWh")).to.equal(123456789012345678123000000n);
    expect(toWh("0.1", "kWh") + toWh("0.2", "kWh")).to.equal(toWh("0.3", "kWh"));
  });

  it("reads JSON numbers through their shortest decimal form, exponents included", () => {
    expect(toWh(0.1, "kWh")).to.equal(100n);
    expect(toWh(1.5e-6, "GWh")).to.equal(1_500n);
    expect(toWh(2e21, "Wh")).to.equal(2_000_000_000_000_000_000_000n);
    expect(toWh(-2.5, "kWh")).to.equal(-2_500n);
  });

  it("makes consecutive aggregate deltas telescope to the rounded total", () => {
    const meter = ["1000.4", "1000.9", "1001.3", "1003.7"].map((v) => toWh(v, "Wh"));
    const deltas = meter.slice(1).map((v, i) => v - meter[i]);
    expect(deltas.reduce((a, b) => a + b, 0n)).to.equal(meter[3] - meter[0]);
  });

  it("refuses anything that is not a plain decimal", () => {
    for (const bad of ["", "1e3", "abc", "1,5", "--1", "1.", ".5", "0x10", "1 000"]) {
      expect(() => toWh(bad, "Wh"), bad).to.throw(InvalidEnergyValue);
    }
    expect(() => toWh(Number.NaN, "Wh")).to.throw(InvalidEnergyValue);
    expect(() => toWh(Number.POSITIVE_INFINITY, "Wh")).to.throw(InvalidEnergyValue);
  });
});
