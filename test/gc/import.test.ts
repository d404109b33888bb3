import { expect } from "chai";
import { and, eq } from "drizzle-orm";
import { CertificateKind } from "../../server/issuance/voucherTypedData";
import { BUNDLE_CSV_COLUMNS } from "../../server/gc/issuance/bundleCsv";
import { gcActions, gcBundles } from "../../server/gc/schema";
import { gcImports } from "../../server/gc/issuance/schema";
import { seedOrganisation, tableSnapshot } from "../support/api";
import { gcWorld, type GcWorld } from "./issuanceSupport";
import { HOUR_MS } from "../../server/time/durations";

type Problem = { status: number; errors?: { field: string; message: string }[] };
type Imported = { importId: string; minted: number; pending: number; bundles: { id: string; tokenId: string; origin: string; status: string; sourceRegistry: string; sourceId: string; energyWh: string; deviceId: string; attributes: Record<string, unknown> }[] };

describe("GC import from CSV (API)", function () {
  this.timeout(180_000);

  let world: GcWorld;
  let device: string;
  let account: { id: string; address: `0x${string}` };
  let trader: { token: string; userId: string };
  before(async () => {
    world = await gcWorld();
    device = await world.createDevice({ externalId: "FX-SOLAR-1" });
    account = await world.createAccount();
    trader = world.member(account.id, "trading");
  });

  let nextSource = 0;
  let nextHour = 0;
  /** A row for a fresh source id, hour and certificate range, unless overridden. */
  function row(cells: Partial<Record<(typeof BUNDLE_CSV_COLUMNS)[number], string>> = {}): string {
    nextSource += 1;
    nextHour += 1;
    const start = world.dayStart - 30 * 24 * HOUR_MS + nextHour * HOUR_MS;
    const values: Record<string, string> = {
      source_registry: "Flexidao",
      source_id: `FX-${nextSource}`,
      device_id: "FX-SOLAR-1",
      production_start: new Date(start).toISOString(),
      production_end: new Date(start + HOUR_MS).toISOString(),
      energy_wh: "1000",
      certificate_range_start: String(nextSource * 10_000 + 1),
      certificate_range_end: String(nextSource * 10_000 + 1_000),
      energy_source: "",
      technology: "",
      country: "",
      issuing_body: "",
      issuance_date: "",
      expiry_date: "",
      ...cells,
    };
    return BUNDLE_CSV_COLUMNS.map((column) => values[column]).join(",");
  }
  const csv = (...rows: string[]) => [BUNDLE_CSV_COLUMNS.join(","), ...rows].join("\n") + "\n";
  const post = (body: string, accountId = account.id, token = trader.token, contentType = "text/csv") =>
    world.api.request("POST", `/gc/imports?accountId=${accountId}`, { token, body, headers: { "content-type": contentType } });

  it("serves the template, which is the file format", async () => {
    const response = await world.api.request("GET", "/gc/imports/template");
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.match(/^text\/csv/);
    expect((await response.text()).split("\r\n")[0]).to.equal(BUNDLE_CSV_COLUMNS.join(","));
  });

  it("mints each row as an imported GC into the account, keeping its source registry, id and certificate range", async () => {
    const response = await post(csv(row(), row({ device_id: device, energy_wh: "7", certificate_range_end: "" })));
    // The second row leaves its range end empty: refused.
    expect(response.status).to.equal(400);
    expect(((await response.json()) as Problem).errors).to.deep.equal([
      { field: "body.lines[3].certificate_range_end", message: "is required" },
    ]);

    const good = await post(csv(row({ energy_source: "solar_pv", country: "KE", issuing_body: "Flexidao EU", issuance_date: "2026-01-02" }), row({ device_id: device, energy_wh: "7", certificate_range_start: "5", certificate_range_end: "11" })));
    const body = (await good.json()) as Imported;
    expect(good.status, JSON.stringify(body)).to.equal(201);
    expect([body.minted, body.pending]).to.deep.equal([2, 0]);
    expect(body.bundles.map((b) => [b.origin, b.status, b.sourceRegistry, b.energyWh, b.deviceId])).to.deep.equal([
      ["imported", "active", "Flexidao", "1000", device],
      ["imported", "active", "Flexidao", "7", device],
    ]);
    expect(body.bundles[0].attributes).to.include({ issuingBody: "Flexidao EU", issuanceDate: "2026-01-02", origin: "production", deviceId: device });
    expect(body.bundles[1].attributes).to.include({ issuingBody: "Flexidao" });
    for (const bundle of body.bundles) {
      expect(Number(BigInt(bundle.tokenId) >> 248n)).to.equal(CertificateKind.ImportedGranularCertificate);
      expect(await world.balanceOf(account.address, bundle.tokenId)).to.equal(BigInt(bundle.energyWh));
    }
    const imports = world.api.database.db.select().from(gcImports).where(eq(gcImports.importId, body.importId)).all();
    expect(imports.map((entry) => [entry.line, entry.sourceRangeEnd - entry.sourceRangeStart + 1, entry.importedBy])).to.deep.equal([
      [2, 1000, trader.userId],
      [3, 7, trader.userId],
    ]);
    expect([imports[1].sourceRangeStart, imports[1].sourceRangeEnd]).to.deep.equal([5, 11]);
    const [action] = world.api.database.db.select().from(gcActions).where(and(eq(gcActions.accountId, account.id), eq(gcActions.action, "import"))).all();
    expect([action.userId, action.outcome, action.bundleIds]).to.deep.equal([trader.userId, "succeeded", body.bundles.map((b) => b.id)]);
  });

  it("takes the file as a multipart form's `file` field too", async () => {
    const form = new FormData();
    form.set("file", new File([csv(row())], "gc_pilot_certs_gcos_format.csv", { type: "text/csv" }));
    const response = await world.api.app.request(`/gc/imports?accountId=${account.id}`, { method: "POST", body: form, headers: { authorization: `Bearer ${trader.token}` } });
    expect(response.status, await response.clone().text()).to.equal(201);
    expect(((await response.json()) as Imported).bundles).to.have.length(1);
  });

  it("refuses overlaps inside the file, and what contradicts the device or is not the organisation's device, writing nothing", async () => {
    const other = seedOrganisation(world.api, "developer");
    const foreignDevice = await world.createDevice({ externalId: "NOT-OURS" });
    world.api.database.sqlite.prepare("update devices set organisation_id = ? where id = ?").run(other.organisationId, foreignDevice);
    const before = tableSnapshot(world.api);

    const overlapping = await post(csv(row({ certificate_range_start: "900001", certificate_range_end: "901000" }), row({ certificate_range_start: "900500", certificate_range_end: "901499" }), row({ source_id: "FX-dup" }), row({ source_id: "FX-dup" })));
    expect(overlapping.status).to.equal(400);
    expect(((await overlapping.json()) as Problem).errors!.map((e) => e.field)).to.deep.equal(["body.lines[3].certificate_range_start", "body.lines[5].source_id"]);

    const mismatched = await post(csv(row({ device_id: "nope" }), row({ device_id: foreignDevice }), row({ energy_source: "wind", technology: "wind_turbine", country: "DE" })));
    expect(mismatched.status).to.equal(400);
    expect(((await mismatched.json()) as Problem).errors!.map((e) => `${e.field}: ${e.message}`)).to.deep.equal([
      "body.lines[2].device_id: is not a device of the account's organisation (give its id or external id)",
      "body.lines[3].device_id: is not a device of the account's organisation (give its id or external id)",
      "body.lines[4].energy_source: is wind; the device's is solar_pv",
      "body.lines[4].technology: is wind_turbine; the device's is solar_pv",
      "body.lines[4].country: is DE; the device is in KE",
    ]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("refuses energy already in the registry: the same source bundle, meeting certificate ids, or a period issued here (409)", async () => {
    const first = row({ certificate_range_start: "500001", certificate_range_end: "501000" });
    expect((await post(csv(first))).status).to.equal(201);

    // An hour this registry issued GCs for, for the same device.
    const issuedHour = world.dayStart - 2 * 24 * HOUR_MS;
    await world.assign(device, account.id);
    await world.postHourlyReads(device, issuedHour, 1, () => 100);
    expect((await world.api.request("POST", "/gc/issuance/runs", { token: world.developer.token, body: { deviceIds: [device] } })).status).to.equal(200);

    const before = tableSnapshot(world.api);
    const response = await post(
      csv(
        first.replace(/,500001,501000,/, ",600001,601000,"),
        row({ certificate_range_start: "500900", certificate_range_end: "501899" }),
        row({ production_start: new Date(issuedHour + 30 * 60_000).toISOString(), production_end: new Date(issuedHour + 60 * 60_000).toISOString(), certificate_range_start: "70000001", certificate_range_end: "70001000" }),
      ),
    );
    expect(response.status).to.equal(409);
    const errors = ((await response.json()) as Problem).errors!;
    expect(errors.map((e) => e.field)).to.deep.equal(["body.lines[2].source_id", "body.lines[2].production_start", "body.lines[3].certificate_range_start", "body.lines[4].production_start"]);
    expect(errors[2].message).to.match(/^overlaps certificate ids 500001-501000 imported before/);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("refuses energy the device could not have produced in the period, naming energy_wh and the bound (400), writing nothing", async () => {
    // The device has 12.5 kW: 12,500 Wh in an hour, 6,250 in half an hour.
    const halfHour = world.dayStart - 40 * 24 * HOUR_MS;
    const before = tableSnapshot(world.api);
    const response = await post(
      csv(
        row({ energy_wh: "12501", certificate_range_start: "800001", certificate_range_end: "812501" }),
        row({ production_start: new Date(halfHour).toISOString(), production_end: new Date(halfHour + HOUR_MS / 2).toISOString(), energy_wh: "6251", certificate_range_start: "820001", certificate_range_end: "826251" }),
      ),
    );
    expect(response.status).to.equal(400);
    expect(((await response.json()) as Problem).errors).to.deep.equal([
      { field: "body.lines[2].energy_wh", message: "is more than the device can produce in the period: at most 12500 Wh (its 12.5 kW × 3600 s ÷ 3600 s/h × 1000 Wh/kWh, rounded down)" },
      { field: "body.lines[3].energy_wh", message: "is more than the device can produce in the period: at most 6250 Wh (its 12.5 kW × 1800 s ÷ 3600 s/h × 1000 Wh/kWh, rounded down)" },
    ]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
    // At the bound exactly is possible.
    expect((await post(csv(row({ energy_wh: "12500", certificate_range_start: "830001", certificate_range_end: "842500" })))).status).to.equal(201);
  });

  it("answers 400, not 500, for rows of quadrillions of Wh, whose certificate ids would pass what the registry stores exactly", async () => {
    const before = tableSnapshot(world.api);
    const huge = { energy_wh: "5000000000000000", certificate_range_start: "1", certificate_range_end: "5000000000000000" };
    const response = await post(csv(row(huge), row({ ...huge, source_registry: "Other" })));
    expect(response.status).to.equal(400);
    const errors = ((await response.json()) as Problem).errors!;
    expect(errors.map((e) => e.field)).to.deep.equal(["body.lines[2].energy_wh", "body.lines[3].energy_wh"]);
    expect(errors[0].message).to.match(/^is more than the device can produce in the period: at most 12500 Wh/);
    expect(tableSnapshot(world.api)).to.deep.equal(before);

    // Within the capacity, but past the last certificate id the registry stores exactly for the device.
    const crowded = await world.createDevice({ externalId: "FX-CROWDED" });
    expect((await post(csv(row({ device_id: "FX-CROWDED" })))).status).to.equal(201);
    world.api.database.sqlite.prepare("update gc_bundles set range_start = ?, range_end = ? where device_id = ?").run(Number.MAX_SAFE_INTEGER - 1_998, Number.MAX_SAFE_INTEGER - 999, crowded);
    const beforeFull = tableSnapshot(world.api);
    const full = await post(csv(row({ device_id: "FX-CROWDED" })));
    expect(full.status).to.equal(400);
    expect(((await full.json()) as Problem).errors).to.deep.equal([
      { field: "body.lines[2].energy_wh", message: "would take the device's certificate ids to 9007199254740992, past 9007199254740991, the highest the registry stores exactly" },
    ]);
    expect(tableSnapshot(world.api)).to.deep.equal(beforeFull);
  });

  it("refuses two rows of one device and hour in the file, whatever their registries, ids and certificate ranges (400)", async () => {
    const hour = world.dayStart - 50 * 24 * HOUR_MS;
    const period = { production_start: new Date(hour).toISOString(), production_end: new Date(hour + HOUR_MS).toISOString() };
    const before = tableSnapshot(world.api);
    const response = await post(
      csv(
        row({ ...period, certificate_range_start: "900001", certificate_range_end: "901000" }),
        row({ ...period, source_registry: "Other", certificate_range_start: "1", certificate_range_end: "1000" }),
      ),
    );
    expect(response.status).to.equal(400);
    expect(((await response.json()) as Problem).errors).to.deep.equal([
      { field: "body.lines[3].production_start", message: `overlaps the production period of line 2 (${period.production_start} to ${period.production_end}) for the same device` },
    ]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("refuses a row overlapping an earlier import's period for the device from another source (409), naming the original bundle, not its split children", async () => {
    const hour = world.dayStart - 60 * 24 * HOUR_MS;
    const first = await post(csv(row({ production_start: new Date(hour).toISOString(), production_end: new Date(hour + HOUR_MS).toISOString() })));
    expect(first.status).to.equal(201);
    const original = ((await first.json()) as Imported).bundles[0];
    const split = await world.api.request("POST", `/gc/bundles/${original.id}/split`, { token: trader.token, body: { amounts: ["400", "600"] } });
    expect(split.status, await split.clone().text()).to.equal(201);

    const before = tableSnapshot(world.api);
    const response = await post(
      csv(row({ source_registry: "Other", production_start: new Date(hour + 30 * 60_000).toISOString(), production_end: new Date(hour + 60 * 60_000).toISOString(), energy_wh: "500", certificate_range_start: "1", certificate_range_end: "500" })),
    );
    expect(response.status).to.equal(409);
    expect(((await response.json()) as Problem).errors).to.deep.equal([
      {
        field: "body.lines[2].production_start",
        message: `overlaps the production period of bundle ${original.id} (${new Date(hour).toISOString()} to ${new Date(hour + HOUR_MS).toISOString()}), imported before for the device`,
      },
    ]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("hourly issuance skips hours an imported bundle of the device covers", async () => {
    const hour = world.dayStart - 3 * 24 * HOUR_MS;
    expect((await post(csv(row({ production_start: new Date(hour + 15 * 60_000).toISOString(), production_end: new Date(hour + 45 * 60_000).toISOString() })))).status).to.equal(201);
    await world.postHourlyReads(device, hour, 2, () => 100);
    const response = await world.api.request("POST", "/gc/issuance/runs", { token: world.developer.token, body: { deviceIds: [device] } });
    const body = (await response.json()) as { devices: { bundles: number; firstBundleId: string }[] };
    expect(body.devices[0].bundles).to.equal(1);
    const [issued] = world.api.database.db.select().from(gcBundles).where(eq(gcBundles.id, body.devices[0].firstBundleId)).all();
    expect(issued.startAt).to.equal(hour + HOUR_MS);
  });

  it("who may import: trading users and administrators of the account, and the organisation's admin", async () => {
    const roles = [
      ["trading", 201],
      ["administrator", 201],
      ["production", 403],
      ["audit", 403],
    ] as const;
    for (const [role, status] of roles) expect((await post(csv(row()), account.id, world.member(account.id, role).token)).status, role).to.equal(status);
    expect((await post(csv(row()), account.id, world.developer.token)).status).to.equal(201);
    expect((await post(csv(row()), account.id, seedOrganisation(world.api, "buyer").token)).status).to.equal(404);
    expect((await post(csv(row()), account.id, "")).status).to.equal(401);
    const bad = await post(csv(row()), "not-a-uuid");
    expect([bad.status, ((await bad.json()) as Problem).errors?.[0].field]).to.deep.equal([400, "query.accountId"]);
  });
});
