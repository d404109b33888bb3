import { expect } from "chai";
import { CdsEacListSchema, type CdsEac } from "../../server/cds/eac";
import { CancellationStatementSchema } from "../../server/cds/statement";
import { seedOrganisation } from "../support/api";
import { accountsWorld, type AccountsWorld, type AccountView } from "../gc/accountsSupport";
import { HOUR_MS } from "../../server/time/durations";

describe("CDS publication routes (/cds/eacs, /cds/cancellation-statements)", function () {
  this.timeout(120_000);

  let world: AccountsWorld;
  let producer: AccountView;
  let trader: AccountView;
  /** Bundle id → its row, for the retirements made below, in the order they were made. */
  const retired: { id: string; beneficiary: string; by: "developer" | "buyer" }[] = [];
  let hour = 0;

  before(async () => {
    world = await accountsWorld();
    const device = await world.createDevice({ projectName: "Brazoria solar", grid: "ERCOT", countryCode: "US", latitude: 29.056, longitude: -95.687, address: "Brazoria, TX" });
    [producer, trader] = await world.tradingPair();
    const mint = (account: AccountView, count: number) => world.mint(account.id, Array.from({ length: count }, () => ({ deviceId: device, startAt: world.dayStart + hour++ * HOUR_MS, energyWh: 1_000 + hour })));
    const retire = async (by: "developer" | "buyer", account: AccountView, ids: string[], beneficiary: string, kind: "cancel" | "claim") => {
      world.api.clock.advance(1_000);
      const user = by === "developer" ? world.developer : world.buyer;
      const response = await world.call(user, "POST", `/gc/bundles/${kind}`, { accountId: account.id, bundleIds: ids, beneficiary, beneficiaryLocation: "ERCOT" });
      expect(response.status, JSON.stringify(response.body)).to.equal(200);
      retired.push(...ids.map((id) => ({ id, beneficiary, by })));
    };
    const own = await mint(producer, 4);
    await retire("developer", producer, own.slice(0, 2), "CUST123", "cancel");
    await retire("developer", producer, own.slice(2, 3), "CUST123", "claim");
    await retire("developer", producer, own.slice(3), "OTHER", "cancel");
    const sold = await mint(producer, 2);
    expect((await world.call(world.developer, "POST", "/gc/bundles/transfer", { sourceAccountId: producer.id, targetAccountId: trader.id, bundleIds: sold })).status).to.equal(200);
    await retire("buyer", trader, sold, "CUST123", "claim");
  });

  const eacs = async (user = world.developer, query = "") => {
    const response = await world.call(user, "GET", `/cds/eacs${query}`);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    return CdsEacListSchema.parse(response.body);
  };

  it("lists what the caller's organisation retired in the CDS EAC format, newest first, validated against the schema", async () => {
    const list = await eacs(world.developer, "?limit=50");
    const mine = retired.filter((r) => r.by === "developer");
    expect(list.eacs.map((eac) => eac.eac_number)).to.have.members(mine.map((r) => r.id));
    expect(newestFirst(list.eacs)).to.equal(true);
    expect(list.next).to.equal(null);
    expect(list.previous).to.equal(null);

    const first = list.eacs.find((eac) => eac.eac_number === mine[0].id)!;
    const bundle = world.bundle(first.eac_number);
    expect(first).to.deep.include({
      source_id: world.developer.organisationId,
      destination_id: world.developer.organisationId,
      beneficiary_type: "customer",
      beneficiaries: ["CUST123"],
      asset_id: bundle.deviceId,
      asset_commissioned: "2024-01-15",
      asset_origination: "ERCOT",
      asset_destination: "ERCOT",
      technology_type: "solar_pv",
      emissions_factor_direct: 0,
      emissions_factor_lca: null,
      period_start: new Date(bundle.startAt).toISOString(),
      period_end: new Date(bundle.endAt).toISOString(),
    });
    expect(first.values).to.deep.equal([
      {
        eac_number: `${bundle.id}:${bundle.rangeStart}-${bundle.rangeEnd}`,
        issued: new Date(bundle.createdAt).toISOString().slice(0, 10),
        retired: first.cds_created.slice(0, 10),
        start: new Date(bundle.startAt).toISOString(),
        end: new Date(bundle.endAt).toISOString(),
        unit: "wh",
        value: bundle.energyWh,
      },
    ]);
  });

  it("shows the buyer only its own retirements, with the producer as source, and auditors everything", async () => {
    const buyers = await eacs(world.buyer);
    expect(buyers.eacs.map((eac) => eac.eac_number)).to.have.members(retired.filter((r) => r.by === "buyer").map((r) => r.id));
    for (const eac of buyers.eacs) expect([eac.source_id, eac.destination_id]).to.deep.equal([world.developer.organisationId, world.buyer.organisationId]);
    const auditor = seedOrganisation(world.api, "auditor");
    expect((await eacs(auditor)).eacs).to.have.length(retired.length);
  });

  it("filters by beneficiary and walks pages with next and previous links", async () => {
    const auditor = seedOrganisation(world.api, "auditor");
    const customer = (await eacs(auditor, "?beneficiary=CUST123")).eacs.map((eac) => eac.eac_number);
    expect(customer).to.have.members(retired.filter((r) => r.beneficiary === "CUST123").map((r) => r.id));

    const pages: CdsEac[][] = [];
    let page = await eacs(auditor, "?limit=2");
    expect(page.previous).to.equal(null);
    pages.push(page.eacs);
    while (page.next) {
      const url = new URL(page.next);
      expect(url.searchParams.get("limit")).to.equal("2");
      page = await eacs(auditor, url.search);
      pages.push(page.eacs);
    }
    const walked = pages.flat().map((eac) => eac.eac_number);
    expect(walked).to.deep.equal((await eacs(auditor, "?limit=500")).eacs.map((eac) => eac.eac_number));
    expect(walked).to.have.members(retired.map((r) => r.id));
    expect(newestFirst(pages.flat())).to.equal(true);
    expect(pages.every((p) => p.length <= 2)).to.equal(true);
    // And back from the last page to the first.
    const back: string[][] = [];
    while (page.previous) {
      page = await eacs(auditor, new URL(page.previous).search);
      back.unshift(page.eacs.map((eac) => eac.eac_number));
    }
    expect(back).to.deep.equal(pages.slice(0, -1).map((p) => p.map((eac) => eac.eac_number)));
  });

  it("refuses a cursor it did not write, and anonymous callers", async () => {
    const response = await world.call(world.developer, "GET", "/cds/eacs?cursor=bogus");
    expect(response.status).to.equal(400);
    expect(response.body.errors).to.deep.equal([{ field: "query.cursor", message: "is not a cursor of this list" }]);
    expect((await world.api.request("GET", "/cds/eacs")).status).to.equal(401);
  });

  it("states what was cancelled or claimed for a beneficiary within a period, with the seed's fields", async () => {
    const auditor = seedOrganisation(world.api, "auditor");
    const periodStart = new Date(world.dayStart).toISOString();
    const periodEnd = new Date(world.dayStart + 24 * HOUR_MS).toISOString();
    const response = await world.call(auditor, "GET", `/cds/cancellation-statements?beneficiary=CUST123&periodStart=${periodStart}&periodEnd=${periodEnd}`);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    const statement = CancellationStatementSchema.parse(response.body);
    const expected = retired.filter((r) => r.beneficiary === "CUST123").map((r) => world.bundle(r.id));
    expect(statement).to.include({ beneficiary_id: "CUST123", unit: "wh", period_start: periodStart, period_end: periodEnd });
    expect(statement.registry_id).to.equal(`eip155:${world.api.deps.publicClient.chain!.id}:${world.api.deps.registryAddress.toLowerCase()}`);
    expect(statement.quantity).to.equal(expected.reduce((sum, b) => sum + b.energyWh, 0));
    expect(statement.cancellations.map((line) => [line.asset_id, line.asset_name, line.production_country, line.quantity, line.certificate_ids])).to.deep.equal(
      expected.sort((x, y) => x.startAt - y.startAt).map((b) => [b.deviceId, "Brazoria solar", "US", b.energyWh, { from: String(b.rangeStart), to: String(b.rangeEnd) }]),
    );

    // A period holding only the first hour states only that hour's bundle.
    const firstHour = await world.call(auditor, "GET", `/cds/cancellation-statements?beneficiary=CUST123&periodStart=${periodStart}&periodEnd=${new Date(world.dayStart + HOUR_MS).toISOString()}`);
    expect(firstHour.body.cancellations).to.have.length(1);
    // The developer's statement leaves out what the buyer retired.
    const developers = await world.call(world.developer, "GET", `/cds/cancellation-statements?beneficiary=CUST123&periodStart=${periodStart}&periodEnd=${periodEnd}`);
    expect(developers.body.cancellations).to.have.length(retired.filter((r) => r.beneficiary === "CUST123" && r.by === "developer").length);
  });

  it("refuses statement requests without a beneficiary or with a period that ends before it starts", async () => {
    const missing = await world.call(world.developer, "GET", "/cds/cancellation-statements?periodStart=2026-01-01T00:00:00Z&periodEnd=2026-02-01T00:00:00Z");
    expect(missing.status).to.equal(400);
    expect(missing.body.errors.map((e: { field: string }) => e.field)).to.deep.equal(["query.beneficiary"]);
    const backwards = await world.call(world.developer, "GET", "/cds/cancellation-statements?beneficiary=X&periodStart=2026-02-01T00:00:00Z&periodEnd=2026-01-01T00:00:00Z");
    expect(backwards.status).to.equal(400);
    expect(backwards.body.errors).to.deep.equal([{ field: "query.periodEnd", message: "must be after periodStart" }]);
  });
});

/** Whether the EACs are in reverse chronological order of modification, as CDS lists must be. */
function newestFirst(eacs: readonly CdsEac[]): boolean {
  return eacs.every((eac, i) => i === 0 || eac.cds_modified <= eacs[i - 1].cds_modified);
}
