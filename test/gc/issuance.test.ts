import { parseAbi } from "viem";
import { expect } from "chai";
import { and, eq } from "drizzle-orm";
import { gcActions, gcBundles } from "../../server/gc/schema";
import { gcDeviceAccounts } from "../../server/gc/issuance/schema";
import { hourlyPlan } from "../../server/gc/issuance/hourly";
import { DEFAULT_GC_TERMS } from "../../server/gc/issuance/terms";
import { seedOrganisation, seedUser, tableSnapshot } from "../support/api";
import { gcWorld, type GcWorld } from "./issuanceSupport";
import { DAY_MS, HOUR_MS } from "../../server/time/durations";

type DeviceRun = { deviceId: string; accountId: string; bundles: number; energyWh: string; minted: number; pending: number; firstBundleId: string | null; lastBundleId: string | null; skippedLongReads: { reads: number; energyWh: string } };
type RunBody = { bundles: number; energyWh: string; devices: DeviceRun[]; resumed: { confirmed: number; blocked: number } };

describe("GC hourly issuance (API)", function () {
  this.timeout(180_000);

  let world: GcWorld;
  before(async () => {
    world = await gcWorld();
  });
  const run = async (body: Record<string, unknown> = {}, token = world.developer.token) => {
    const response = await world.api.request("POST", "/gc/issuance/runs", { token, body });
    return { status: response.status, body: (await response.json()) as RunBody & { errors?: { field: string; message: string }[] } };
  };
  const productionBundles = (deviceId: string) =>
    world.api.database.db.select().from(gcBundles).where(and(eq(gcBundles.deviceId, deviceId), eq(gcBundles.origin, "production"))).orderBy(gcBundles.startAt).all();

  it("issues one bundle per ended hour from accepted reads into the device's account, each hour once", async () => {
    const device = await world.createDevice();
    const account = await world.createAccount();
    await world.assign(device, account.id);
    // Six hourly reads of 1,000 + h Wh.
    await world.postHourlyReads(device, world.dayStart, 6, (h) => 1_000 + h);
    const first = await run({ deviceIds: [device] });
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect(first.body.devices).to.have.length(1);
    expect(first.body.devices[0]).to.deep.include({ deviceId: device, accountId: account.id, bundles: 6, energyWh: String(6 * 1_000 + 15), minted: 6, pending: 0, skippedLongReads: { reads: 0, energyWh: "0" } });

    const rows = productionBundles(device);
    expect(rows.map((row) => [row.startAt - world.dayStart, row.endAt - row.startAt, row.energyWh, row.status, row.accountId])).to.deep.equal(
      Array.from({ length: 6 }, (_, h) => [h * HOUR_MS, HOUR_MS, 1_000 + h, "active", account.id]),
    );
    for (const row of rows) expect(await world.balanceOf(account.address, row.tokenId!)).to.equal(BigInt(row.energyWh));
    expect(rows[0].attributes).to.include({ energyCarrier: "electricity", deviceId: device, issuingBody: DEFAULT_GC_TERMS.issuingBody, origin: "production", country: "KE" });

    // Nothing new: a second run issues nothing, however often it is asked.
    const second = await run({ deviceIds: [device] });
    expect([second.body.bundles, second.body.devices[0].bundles]).to.deep.equal([0, 0]);

    // More reads, including one for an hour already issued: only the new hours are issued.
    await world.postHourlyReads(device, world.dayStart + 6 * HOUR_MS, 2, () => 500);
    const third = await run({ deviceIds: [device] });
    expect(third.body.devices[0]).to.include({ bundles: 2, energyWh: "1000" });
    const after = productionBundles(device);
    expect(after).to.have.length(8);
    expect(after.map((row) => row.rangeStart)).to.deep.equal(after.map((_, i) => 1 + after.slice(0, i).reduce((sum, row) => sum + row.energyWh, 0)));

    const actions = world.api.database.db.select().from(gcActions).where(and(eq(gcActions.accountId, account.id), eq(gcActions.action, "issue"))).all();
    expect(actions.map((action) => action.bundleIds.length)).to.deep.equal([6, 2]);
    expect(actions.every((action) => action.userId === world.developer.userId && action.outcome === "succeeded")).to.equal(true);
  });

  it("serves each bundle's ERC-1155 metadata where the registry's uri(id) points, without credentials", async () => {
    const device = await world.createDevice();
    const account = await world.createAccount();
    await world.assign(device, account.id);
    await world.postHourlyReads(device, world.dayStart, 1, () => 1_234);
    expect((await run({ deviceIds: [device] })).status).to.equal(200);
    const [bundle] = productionBundles(device);
    const uri = await world.api.deps.publicClient.readContract({ address: world.api.deps.registryAddress, abi: parseAbi(["function uri(uint256 id) view returns (string)"]), functionName: "uri", args: [BigInt(bundle.tokenId!)] });
    const response = await world.api.request("GET", new URL(uri).pathname);
    expect(response.status).to.equal(200);
    const metadata = (await response.json()) as { name: string; decimals: number; properties: Record<string, unknown> };
    expect([metadata.name, metadata.decimals]).to.deep.equal([`GC ${bundle.id}`, 0]);
    expect(metadata.properties).to.deep.include({
      bundleId: bundle.id,
      tokenId: bundle.tokenId,
      origin: "production",
      volumeWh: "1234",
      productionStart: new Date(world.dayStart).toISOString(),
      productionEnd: new Date(world.dayStart + HOUR_MS).toISOString(),
      certificateRange: { start: String(bundle.rangeStart), end: String(bundle.rangeEnd) },
      attributes: bundle.attributes,
    });
  });

  it("issues no GCs from reads longer than an hour, and reports them per device with their Wh on every run", async () => {
    const device = await world.createDevice();
    const account = await world.createAccount();
    await world.assign(device, account.id);
    const { token } = seedUser(world.api, world.developer.organisationId);
    const at = (ms: number) => new Date(ms).toISOString();
    const reads = [
      { type: "history", start: at(world.dayStart - DAY_MS), end: at(world.dayStart), value: 20_000 },
      { type: "history", start: at(world.dayStart), end: at(world.dayStart + 2 * HOUR_MS), value: 3_000 },
      // At most an hour, across the 02:00 edge: apportioned by time, 300 Wh to each hour.
      { type: "history", start: at(world.dayStart + 2 * HOUR_MS + 30 * 60_000), end: at(world.dayStart + 3 * HOUR_MS + 30 * 60_000), value: 600 },
    ];
    const posted = await world.api.request("POST", `/devices/${device}/reads`, { token, body: { reads } });
    const verdicts = ((await posted.json()) as { results: { status: string }[] }).results.map((r) => r.status);
    expect(verdicts).to.deep.equal(["accepted", "accepted", "accepted"]);

    const first = await run({ deviceIds: [device] });
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect(first.body.devices[0]).to.deep.include({ bundles: 2, energyWh: "600", skippedLongReads: { reads: 2, energyWh: "23000" } });
    expect(productionBundles(device).map((row) => [row.startAt - world.dayStart, row.endAt - row.startAt, row.energyWh])).to.deep.equal([
      [2 * HOUR_MS, HOUR_MS, 300],
      [3 * HOUR_MS, HOUR_MS, 300],
    ]);
    // The long reads stay unissued, and say so again.
    const second = await run({ deviceIds: [device] });
    expect(second.body.devices[0]).to.deep.include({ bundles: 0, skippedLongReads: { reads: 2, energyWh: "23000" } });
    expect(productionBundles(device)).to.have.length(2);
  });

  it("leaves hours not yet over (or after `through`) for a later run", async () => {
    const device = await world.createDevice();
    const account = await world.createAccount();
    await world.assign(device, account.id);
    await world.postHourlyReads(device, world.dayStart, 4, () => 100);
    const partial = await run({ deviceIds: [device], through: new Date(world.dayStart + 2 * HOUR_MS + 30 * 60_000).toISOString() });
    expect(partial.body.devices[0].bundles).to.equal(2);
    const rest = await run({ deviceIds: [device] });
    expect(rest.body.devices[0].bundles).to.equal(2);
  });

  it("a (device, hour) is never issued twice, whatever became of its bundle", async () => {
    const device = await world.createDevice();
    const account = await world.createAccount();
    await world.assign(device, account.id);
    await world.postHourlyReads(device, world.dayStart, 1, () => 100);
    await run({ deviceIds: [device] });
    world.api.database.db.update(gcBundles).set({ status: "cancelled" }).where(eq(gcBundles.deviceId, device)).run();
    expect(hourlyPlan(world.api.database.db, device, world.api.clock.now().getTime(), DEFAULT_GC_TERMS, world.api.clock.now().getTime()).bundles).to.deep.equal([]);
    expect((await run({ deviceIds: [device] })).body.devices[0].bundles).to.equal(0);
  });

  it("two runs at once issue each hour once", async () => {
    const device = await world.createDevice();
    const account = await world.createAccount();
    await world.assign(device, account.id);
    await world.postHourlyReads(device, world.dayStart, 5, () => 10);
    const [a, b] = await Promise.all([run({ deviceIds: [device] }), run({ deviceIds: [device] })]);
    expect(a.body.devices[0].bundles + b.body.devices[0].bundles).to.equal(5);
    expect(productionBundles(device)).to.have.length(5);
  });

  it("skips storage devices and devices without an account; a developer's run covers only its own devices", async () => {
    const storage = await world.createDevice({ energySource: "battery_storage", technologyType: "battery_storage", isStorage: true });
    const unassigned = await world.createDevice();
    const account = await world.createAccount();
    await world.assign(storage, account.id);
    await world.postHourlyReads(storage, world.dayStart, 2, () => 10);
    await world.postHourlyReads(unassigned, world.dayStart, 2, () => 10);

    const other = seedOrganisation(world.api, "developer");
    const otherRun = await run({}, other.token);
    expect([otherRun.status, otherRun.body.devices]).to.deep.equal([200, []]);

    const mine = await run({});
    expect(mine.body.devices.map((d) => d.deviceId)).to.not.include.members([storage, unassigned]);
    expect(productionBundles(storage)).to.have.length(0);
    expect(productionBundles(unassigned)).to.have.length(0);
  });

  it("refuses devices and accounts the caller cannot issue for, and bad bodies, writing nothing", async () => {
    const device = await world.createDevice();
    const unassigned = await world.createDevice();
    const account = await world.createAccount();
    await world.assign(device, account.id);
    const other = seedOrganisation(world.api, "developer");
    const before = tableSnapshot(world.api);

    const foreign = await run({ deviceIds: [device], accountId: account.id }, other.token);
    expect([foreign.status, foreign.body.errors?.map((e) => e.field)]).to.deep.equal([404, ["body.deviceIds[0]", "body.accountId"]]);
    const notAssigned = await run({ deviceIds: [unassigned] });
    expect([notAssigned.status, notAssigned.body.errors?.[0].message]).to.deep.equal([404, "is not assigned to a GC account (PUT /gc/devices/{id}/account)"]);
    const bad = await run({ deviceIds: ["x"], through: "yesterday", extra: 1 });
    expect([bad.status, bad.body.errors?.map((e) => e.field).sort()]).to.deep.equal([400, ["body.deviceIds.0", "body.extra", "body.through"].sort()]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("who may run issuance: developers and platform administrators with certificates WRITE", async () => {
    const readOnly = seedUser(world.api, world.developer.organisationId, { isOrganisationAdmin: false });
    const callers: [string, string | undefined, number][] = [
      ["developer admin", world.developer.token, 200],
      ["developer with certificates WRITE", world.member(null).token, 200],
      ["developer, read-only", readOnly.token, 403],
      ["platform admin", seedOrganisation(world.api, "admin").token, 200],
      ["buyer", seedOrganisation(world.api, "buyer").token, 403],
      ["auditor", seedOrganisation(world.api, "auditor").token, 403],
      ["nobody", undefined, 401],
    ];
    const statuses = [];
    for (const [, token] of callers) statuses.push((await world.api.request("POST", "/gc/issuance/runs", { token, body: { accountId: (await world.createAccount()).id } })).status);
    expect(statuses).to.deep.equal(callers.map(([, , status]) => status));
  });

  describe("device assignment", () => {
    it("assigns a device to an account of its own organisation, and re-assigns it", async () => {
      const device = await world.createDevice();
      const [a, b] = [await world.createAccount(), await world.createAccount()];
      await world.assign(device, a.id);
      const put = await world.api.request("PUT", `/gc/devices/${device}/account`, { token: world.developer.token, body: { accountId: b.id } });
      expect(put.status).to.equal(200);
      const response = await world.api.request("GET", `/gc/devices/${device}/account`, { token: world.developer.token });
      expect(response.status).to.equal(200);
      expect(await response.json()).to.include({ deviceId: device, accountId: b.id, assignedBy: world.developer.userId });
    });

    it("refuses another organisation's account or device, and auditors", async () => {
      const device = await world.createDevice();
      const other = seedOrganisation(world.api, "developer");
      const foreignAccount = await world.createAccount({ organisationId: other.organisationId });
      const own = await world.createAccount();
      const put = (token: string, accountId: string) => world.api.request("PUT", `/gc/devices/${device}/account`, { token, body: { accountId } });
      const auditor = seedOrganisation(world.api, "auditor");
      const before = tableSnapshot(world.api);
      const foreign = await put(world.developer.token, foreignAccount.id);
      expect(foreign.status).to.equal(404);
      expect(((await foreign.json()) as { errors: { field: string }[] }).errors[0].field).to.equal("body.accountId");
      expect((await put(other.token, own.id)).status).to.equal(404);
      expect((await put(auditor.token, own.id)).status).to.equal(403);
      expect((await world.api.request("GET", `/gc/devices/${device}/account`, { token: other.token })).status).to.equal(404);
      expect(tableSnapshot(world.api)).to.deep.equal(before);
      expect(world.api.database.db.select().from(gcDeviceAccounts).where(eq(gcDeviceAccounts.deviceId, device)).all()).to.deep.equal([]);
    });
  });
});
