import { expect } from "chai";
import { cdsEac, CdsEacListSchema, CdsEacSchema } from "../../server/cds/eac";
import { pageLinks, readPageCursor } from "../../server/cds/pagination";
import { retiredGc } from "./support";

describe("CDS EAC format", () => {
  it("maps a retired GC to the fields of seeds 002 and 004, valid against the schema", () => {
    const eac = cdsEac(retiredGc());
    expect(CdsEacSchema.safeParse(eac).success).to.equal(true);
    expect(eac).to.deep.equal({
      cds_eac_id: "0x5f1c0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a190817263-4",
      cds_created: "2024-10-02T09:30:00.000Z",
      cds_modified: "2024-10-02T09:30:00.000Z",
      eac_number: "GC101-20240928-20003-0001-0750000",
      source_id: "b5b1f8a2-2f4e-4c0e-8d7e-0c3f1a2b3c4d",
      source_name: "Lone Star Solar",
      destination_id: "e3a2c1b0-9f8e-4d7c-b6a5-948372615041",
      destination_name: "LevelTen Energy",
      beneficiary_type: "customer",
      beneficiaries: ["CUST123"],
      asset_id: "8d0b6f1e-3c0a-4b55-9a3e-1f2d3c4b5a69",
      asset_commissioned: "2023-07-01",
      asset_origination: "ERCOT",
      asset_destination: "ERCOT",
      technology_type: "solar_pv",
      emissions_factor_direct: 0,
      emissions_factor_lca: null,
      period_start: "2024-09-28T14:00:00.000Z",
      period_end: "2024-09-28T15:00:00.000Z",
      values: [
        {
          eac_number: "GC101-20240928-20003-0001-0750000:1500001-1750000",
          issued: "2024-09-29",
          retired: "2024-10-02",
          start: "2024-09-28T14:00:00.000Z",
          end: "2024-09-28T15:00:00.000Z",
          unit: "wh",
          value: 250_000,
        },
      ],
    });
  });

  it("gives emission factors where known: as given, zero direct for generation that burns nothing, else null", () => {
    const given = cdsEac(retiredGc({ device: { energySource: "biomass", emissionsFactorDirect: 41.5, emissionsFactorLca: 230 } }));
    expect([given.emissions_factor_direct, given.emissions_factor_lca]).to.deep.equal([41.5, 230]);
    expect(cdsEac(retiredGc({ device: { energySource: "biomass" } })).emissions_factor_direct).to.equal(null);
    expect(cdsEac(retiredGc({ device: { energySource: "wind" } })).emissions_factor_direct).to.equal(0);
  });

  it("falls back to the country of an asset without a grid, and to null for an unknown destination", () => {
    const eac = cdsEac(retiredGc({ device: { grid: null }, beneficiary: { location: null } }));
    expect([eac.asset_origination, eac.asset_destination]).to.deep.equal(["US", null]);
    expect(CdsEacSchema.safeParse(eac).success).to.equal(true);
  });

  it("numbers a value by the certificate alone when it has no Wh-granular ids", () => {
    const eac = cdsEac(retiredGc({ certificate: { number: "452312848583266388373324160190187140051835877600158453279131187530910662657" }, retirement: { certificateIds: null } }));
    expect(eac.values[0].eac_number).to.equal(eac.eac_number);
  });

  it("refuses a retirement whose certificate ids disagree with its Wh, or too large for JSON", () => {
    expect(() => cdsEac(retiredGc({ retirement: { amountWh: 250_001n } }))).to.throw(RangeError);
    expect(() => cdsEac(retiredGc({ retirement: { amountWh: 2n ** 53n, certificateIds: null } }))).to.throw(RangeError);
  });

  it("has a schema that refuses documents off the format", () => {
    const eac = cdsEac(retiredGc());
    const { asset_id: _dropped, ...missing } = eac;
    expect(CdsEacSchema.safeParse(missing).success).to.equal(false);
    expect(CdsEacSchema.safeParse({ ...eac, extra: 1 }).success).to.equal(false);
    expect(CdsEacSchema.safeParse({ ...eac, beneficiaries: [] }).success).to.equal(false);
    expect(CdsEacSchema.safeParse({ ...eac, values: [{ ...eac.values[0], unit: "kwh" }] }).success).to.equal(false);
    expect(CdsEacSchema.safeParse({ ...eac, values: [{ ...eac.values[0], value: 1.5 }] }).success).to.equal(false);
    expect(CdsEacSchema.safeParse({ ...eac, period_start: "2024-09-28" }).success).to.equal(false);
  });
});

describe("CDS pagination links", () => {
  const url = "https://registry.example/cds/eacs?beneficiary=CUST123&cursor=old&limit=2";

  it("link the next and previous pages with the request's own query and a fresh cursor", () => {
    const links = pageLinks(url, { first: ["2024-10-01T00:00:00.000Z", "a"], last: ["2024-10-02T00:00:00.000Z", "b"], hasPrevious: true, hasNext: true });
    const next = new URL(links.next!);
    expect([next.origin + next.pathname, next.searchParams.get("beneficiary"), next.searchParams.get("limit")]).to.deep.equal(["https://registry.example/cds/eacs", "CUST123", "2"]);
    expect(readPageCursor(next.searchParams.get("cursor")!, ["s", "s"])).to.deep.equal({ direction: "after", position: ["2024-10-02T00:00:00.000Z", "b"] });
    const previous = new URL(links.previous!);
    expect(readPageCursor(previous.searchParams.get("cursor")!, ["s", "s"])).to.deep.equal({ direction: "before", position: ["2024-10-01T00:00:00.000Z", "a"] });
    expect(CdsEacListSchema.safeParse({ eacs: [cdsEac(retiredGc())], ...links }).success).to.equal(true);
  });

  it("are null at either end and on an empty page", () => {
    expect(pageLinks(url, { first: [1], last: [2], hasPrevious: false, hasNext: false })).to.deep.equal({ next: null, previous: null });
    expect(pageLinks(url, { first: null, last: null, hasPrevious: true, hasNext: true })).to.deep.equal({ next: null, previous: null });
  });

  it("read back only cursors they made, of the list's shape", () => {
    const cursor = new URL(pageLinks(url, { first: [1, "x"], last: [1, "x"], hasPrevious: false, hasNext: true }).next!).searchParams.get("cursor")!;
    expect(readPageCursor(cursor, ["n", "s"])).to.deep.equal({ direction: "after", position: [1, "x"] });
    expect(readPageCursor(cursor, ["s", "s"])).to.equal(undefined);
    expect(readPageCursor("not a cursor", ["n", "s"])).to.equal(undefined);
    expect(readPageCursor(Buffer.from(JSON.stringify(["sideways", 1, "x"])).toString("base64url"), ["n", "s"])).to.equal(undefined);
  });
});
