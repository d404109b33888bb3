import { expect } from "chai";
import { gcAttributes, type AttributeSource } from "../../server/gc/attributes";

const solarFarm: AttributeSource = {
  id: "8d0b6f1e-3c0a-4b55-9a3e-1f2d3c4b5a69",
  externalId: "TX-SOL-7",
  projectName: "Brazoria solar",
  energySource: "solar_pv",
  technologyType: "solar_pv",
  capacityW: 12_500_000,
  latitude: 29.056,
  longitude: -95.687,
  address: "Brazoria County, Texas",
  grid: "ERCOT",
  countryCode: "US",
  commissioningDate: "2023-07-01",
  isStorage: false,
};

const terms = { issuedAt: Date.parse("2024-07-02T10:15:00Z"), issuingBody: "EAC Registry (local)", validityMonths: 12 };

describe("GC bundle attributes", () => {
  it("copy the EnergyTag attributes from the device and the issuance", () => {
    expect(gcAttributes(solarFarm, terms)).to.deep.equal({
      energyCarrier: "electricity",
      energySource: "solar_pv",
      technology: "solar_pv",
      deviceName: "Brazoria solar",
      deviceId: solarFarm.id,
      capacityW: 12_500_000,
      location: { latitude: 29.056, longitude: -95.687, address: "Brazoria County, Texas", grid: "ERCOT" },
      country: "US",
      commissioningDate: "2023-07-01",
      issuanceDate: "2024-07-02",
      issuingBody: "EAC Registry (local)",
      origin: "production",
      expiryDate: "2025-07-02",
    });
  });

  it("mark a storage device's bundles as storage origin and name a device without a project by its external id", () => {
    const battery: AttributeSource = { ...solarFarm, externalId: "BYRD-RANCH", projectName: null, energySource: "battery_storage", technologyType: "battery_storage", isStorage: true };
    const attributes = gcAttributes(battery, terms);
    expect(attributes.origin).to.equal("storage");
    expect(attributes.deviceName).to.equal("BYRD-RANCH");
    expect([attributes.energySource, attributes.technology]).to.deep.equal(["battery_storage", "battery_storage"]);
  });

  it("date issuance in UTC and count expiry in calendar months, ending short months on their last day", () => {
    const expiry = (issued: string, months: number) => gcAttributes(solarFarm, { ...terms, issuedAt: Date.parse(issued), validityMonths: months });
    expect(expiry("2024-07-01T23:30:00-05:00", 12).issuanceDate).to.equal("2024-07-02");
    expect(expiry("2024-01-31T12:00:00Z", 1).expiryDate).to.equal("2024-02-29");
    expect(expiry("2023-01-31T12:00:00Z", 1).expiryDate).to.equal("2023-02-28");
    expect(expiry("2024-11-30T12:00:00Z", 3).expiryDate).to.equal("2025-02-28");
    expect(expiry("2024-02-29T12:00:00Z", 24).expiryDate).to.equal("2026-02-28");
    expect(() => expiry("2024-07-01T00:00:00Z", 0)).to.throw(RangeError);
    expect(() => expiry("2024-07-01T00:00:00Z", 1.5)).to.throw(RangeError);
  });
});
