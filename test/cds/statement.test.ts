import { expect } from "chai";
import { CancellationStatementSchema, cancellationStatement } from "../../server/cds/statement";
import { retiredGc } from "./support";

const t = (iso: string) => Date.parse(iso);
const request = { registryId: "eac-registry:31337:0x5fbdb2315678afecb367f032d93f642f64180aa3", beneficiaryId: "CUST123", periodStart: t("2024-09-01T00:00:00Z"), periodEnd: t("2024-10-01T00:00:00Z") };

describe("cancellation statements", () => {
  it("list the review's fields for each cancellation, valid against the schema", () => {
    const statement = cancellationStatement(request, [retiredGc()]);
    expect(CancellationStatementSchema.safeParse(statement).success).to.equal(true);
    expect(statement).to.deep.equal({
      period_start: "2024-09-01T00:00:00.000Z",
      period_end: "2024-10-01T00:00:00.000Z",
      registry_id: request.registryId,
      beneficiary_id: "CUST123",
      quantity: 250_000,
      unit: "wh",
      cancellations: [
        {
          period_start: "2024-09-28T14:00:00.000Z",
          period_end: "2024-09-28T15:00:00.000Z",
          registry_id: request.registryId,
          beneficiary_id: "CUST123",
          asset_id: "8d0b6f1e-3c0a-4b55-9a3e-1f2d3c4b5a69",
          asset_name: "Brazoria solar",
          technology_type: "solar_pv",
          production_country: "US",
          production_site_commissioning_date: "2023-07-01",
          quantity: 250_000,
          unit: "wh",
          certificate_ids: { from: "1500001", to: "1750000" },
          emissions_factor_direct: 0,
        },
      ],
    });
  });

  it("keep only the beneficiary's cancellations produced within the period, in production order", () => {
    const hour = (iso: string, end: string, amountWh: bigint, ids: string[] = ["CUST123"]) =>
      retiredGc({ certificate: { periodStart: t(iso), periodEnd: t(end) }, retirement: { amountWh, certificateIds: null }, beneficiary: { ids } });
    const statement = cancellationStatement(request, [
      hour("2024-09-30T23:00:00Z", "2024-10-01T00:00:00Z", 3n),
      hour("2024-09-01T00:00:00Z", "2024-09-01T01:00:00Z", 5n, ["OTHER", "CUST123"]),
      hour("2024-08-31T23:00:00Z", "2024-09-01T00:00:00Z", 7n),
      hour("2024-09-30T23:30:00Z", "2024-10-01T00:30:00Z", 11n),
      hour("2024-09-15T12:00:00Z", "2024-09-15T13:00:00Z", 13n, ["OTHER"]),
    ]);
    expect(statement.cancellations.map((line) => [line.period_start.slice(0, 16), line.quantity])).to.deep.equal([
      ["2024-09-01T00:00", 5],
      ["2024-09-30T23:00", 3],
    ]);
    expect(statement.quantity).to.equal(8);
    expect(statement.cancellations[0].certificate_ids).to.equal(null);
    expect(CancellationStatementSchema.safeParse(statement).success).to.equal(true);
  });

  it("give the direct emissions factor in kgCO2e/kWh, null when unknown", () => {
    const lines = cancellationStatement(request, [
      retiredGc({ device: { energySource: "biomass", emissionsFactorDirect: 490.7 } }),
      retiredGc({ device: { energySource: "chp" }, certificate: { periodStart: t("2024-09-29T14:00:00Z"), periodEnd: t("2024-09-29T15:00:00Z") } }),
    ]).cancellations;
    // Compared as the decimal published: the division alone would give 0.49069999999999997.
    expect(lines.map((line) => (line.emissions_factor_direct === null ? null : String(line.emissions_factor_direct)))).to.deep.equal(["0.4907", null]);
  });

  it("is empty, with a zero total, when nothing was retired for the beneficiary", () => {
    const statement = cancellationStatement({ ...request, beneficiaryId: "NOBODY" }, [retiredGc()]);
    expect([statement.cancellations, statement.quantity]).to.deep.equal([[], 0]);
    expect(CancellationStatementSchema.safeParse(statement).success).to.equal(true);
  });
});
