import { expect } from "chai";
import { and, eq } from "drizzle-orm";
import { parseEventLogs, type Hex } from "viem";
import { REGISTRY_ABI, RetirementReason } from "../../server/chain/registryAbi";
import { gcActions, gcBundles } from "../../server/gc/schema";
import { outboxEmails } from "../../server/notifications/schema";
import { seedOrganisation, tableSnapshot } from "../support/api";
import { syncIndexer } from "../support/indexing";
import type { AuditReport } from "../../server/audit/report";
import { FIXTURE_GCS, POSITIONS_CSV, storageWorld, type StorageWorld } from "./support";

const SD_GC_KIND = 2n;
const kindOf = (tokenId: string) => BigInt(tokenId) >> 248n;

describe("storage allocation and SD-GC issuance (seed 000's worked example)", function () {
  this.timeout(120_000);
  let world: StorageWorld;
  let ids: Map<string, string>;
  let allocation: any;

  before(async () => {
    world = await storageWorld();
    const records = await world.send(world.validator, "POST", `/storage/devices/${world.storageDeviceId}/records`, POSITIONS_CSV);
    expect(records.status, JSON.stringify(records.body)).to.equal(201);
    ids = await world.mintFixtureGcs();
    const response = await world.send(world.validator, "POST", `/storage/devices/${world.storageDeviceId}/allocations?cancellation=cancel`, world.allocationsCsv(ids));
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    allocation = response.body;
  });
  after(() => world.api.close());

  it("gives the seed's volumes and factors exactly", () => {
    expect(allocation.status).to.equal("issued");
    expect(allocation.volumes).to.deep.equal({ sdrVolumeWh: "5257248", gcsCancelledWh: "5210000", sdgcVolumeWh: "5004300" });
    expect(allocation.factors.sdrProportion.value).to.equal("0.95188585");
    expect(allocation.factors.efficiencyFactor.value).to.equal("0.96051823");
    const [n, d] = allocation.factors.efficiencyFactor.exact.split("/").map(BigInt);
    expect(5_210_000n * n).to.equal(5_004_300n * d);
  });

  it("issues one SD-GC bundle per discharge hour into the account, as SD-GC tokens held on chain", async () => {
    const sdgcs = allocation.sdgcs as { id: string; tokenId: string; energyWh: string; periodStart: string; origin: string; status: string; accountId: string; deviceId: string }[];
    expect(sdgcs.map((b) => [b.periodStart, b.energyWh])).to.deep.equal([
      ["2024-07-02T00:00:00.000Z", String(1_248_700 + 57_600)],
      ["2024-07-02T01:00:00.000Z", "1239150"],
      ["2024-07-02T02:00:00.000Z", "1277500"],
      ["2024-07-02T03:00:00.000Z", String(701_000 + 480_350)],
    ]);
    expect(sdgcs.reduce((sum, b) => sum + BigInt(b.energyWh), 0n)).to.equal(5_004_300n);
    for (const sdgc of sdgcs) {
      expect([sdgc.origin, sdgc.status, sdgc.accountId, sdgc.deviceId]).to.deep.equal(["storage", "active", world.accountId, world.storageDeviceId]);
      expect(kindOf(sdgc.tokenId)).to.equal(SD_GC_KIND);
      expect(await world.balanceOf(world.accountAddress, sdgc.tokenId)).to.equal(BigInt(sdgc.energyWh));
    }
    const attributes = world.bundle(sdgcs[0].id).attributes;
    expect([attributes.origin, attributes.deviceName, attributes.energySource]).to.deep.equal(["storage", "Byrd Ranch", "battery_storage"]);
  });

  it("links every allocated record to its SCR, SDR, the GC it cancels and its SD-GC", () => {
    const records = allocation.records as any[];
    expect(records.map((r) => [r.line, r.hour.slice(11, 13), r.chargeHour.slice(11, 13), r.chargeWh, r.dischargeWh])).to.deep.equal([
      [2, "00", "14", "1300000", "1248700"],
      [3, "00", "15", "60000", "57600"],
      [4, "01", "15", "1290000", "1239150"],
      [5, "02", "16", "1330000", "1277500"],
      [6, "03", "17", "730000", "701000"],
      [7, "03", "17", "500000", "480350"],
    ]);
    const sdgcOfHour = new Map((allocation.sdgcs as any[]).map((b) => [b.periodStart, b.id]));
    for (const record of records) expect(record.sdgcBundleId).to.equal(sdgcOfHour.get(record.hour));
    expect(records[1].sdrId).to.equal(records[0].sdrId);
    expect(records[2].scrId).to.equal(records[1].scrId);
  });

  it("cancels the whole GCs for storage on chain, and splits off the part of the one allocated in part", async () => {
    const partial = ids.get(FIXTURE_GCS[4].fixtureId)!;
    const records = allocation.records as any[];
    expect(records[5].gcId).to.equal(partial);
    const part = world.bundle(records[5].cancelledBundleId);
    expect([part.parentId, part.energyWh, part.status]).to.deep.equal([partial, 500_000, "cancelled-for-storage"]);
    expect(world.bundle(partial).status).to.equal("split");
    const rest = world.api.database.db.select().from(gcBundles).where(and(eq(gcBundles.parentId, partial), eq(gcBundles.status, "active"))).all();
    expect(rest.map((b) => b.energyWh)).to.deep.equal([100_000]);

    const cancelled = [...FIXTURE_GCS.slice(0, 4).map((gc) => world.bundle(ids.get(gc.fixtureId)!)), part];
    expect(cancelled.map((b) => b.status)).to.deep.equal(Array(5).fill("cancelled-for-storage"));
    for (const bundle of cancelled) expect(await world.balanceOf(world.accountAddress, bundle.tokenId!)).to.equal(0n);
    expect(cancelled.reduce((sum, b) => sum + b.energyWh, 0)).to.equal(5_210_000);

    const receipt = await world.api.deps.publicClient.getTransactionReceipt({ hash: allocation.gcCancellation.txHash as Hex });
    const retired = parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "Retired" });
    expect(retired.map((log) => [log.args.reason, log.args.amount])).to.deep.equal(cancelled.map((b) => [RetirementReason.CancelledForStorage, BigInt(b.energyWh)]));
  });

  it("logs the cancellation and the SD-GC issuance in the account's action log, and emails the submitter", () => {
    const actions = world.api.database.db.select().from(gcActions).where(and(eq(gcActions.accountId, world.accountId), eq(gcActions.action, "cancel-for-storage"))).all();
    expect(actions.map((a) => [a.outcome, a.txHash, a.userId])).to.deep.equal([["succeeded", allocation.gcCancellation.txHash, world.validator.userId]]);
    const issued = world.api.database.db.select().from(gcActions).where(and(eq(gcActions.accountId, world.accountId), eq(gcActions.action, "issue-sdgc"))).all();
    expect(issued.map((a) => [a.outcome, a.userId, a.bundleIds, a.details.efficiencyFactor])).to.deep.equal([
      ["succeeded", world.validator.userId, allocation.sdgcs.map((b: any) => b.id), allocation.factors.efficiencyFactor.exact],
    ]);
    const emails = world.api.mail.sent.filter((email) => email.to === world.validator.email);
    expect(emails).to.have.length(1);
    expect(emails[0].subject).to.equal("SD-GCs issued for Byrd Ranch: 5,004,300 Wh");
    expect(emails[0].body).to.include("Efficiency factor:      0.96051823");
    expect(world.api.database.db.select().from(outboxEmails).where(eq(outboxEmails.to, world.validator.email)).all().every((row) => row.deliveredAt !== null)).to.equal(true);
  });

  it("shows the records' allocated Wh, and the allocation by id and in the device's list", async () => {
    const records = await world.call(world.validator, "GET", `/storage/devices/${world.storageDeviceId}/records`);
    const allocated = Object.fromEntries((records.body.items as any[]).map((r) => [`${r.kind} ${r.hourStart.slice(5, 13)}`, `${r.allocatedWh}/${r.energyWh}`]));
    expect(allocated).to.deep.include({ "SCR 07-01T14": "1300000/1340000", "SCR 07-01T15": "1350000/1400000", "SCR 07-01T18": "0/200000", "SDR 07-02T00": "1306300/1320000", "SDR 07-02T04": "0/150000" });
    const one = await world.call(world.validator, "GET", `/storage/allocations/${allocation.id}`);
    expect(one.body).to.deep.equal(allocation);
    const list = await world.call(world.validator, "GET", `/storage/devices/${world.storageDeviceId}/allocations`);
    expect(list.body.items.map((a: any) => a.id)).to.deep.equal([allocation.id]);
  });

  it("refuses to allocate the same energy again, naming each row, and writes nothing", async () => {
    const before = tableSnapshot(world.api);
    const again = await world.send(world.validator, "POST", `/storage/devices/${world.storageDeviceId}/allocations?cancellation=cancel`, world.allocationsCsv(ids));
    expect(again.status).to.equal(400);
    const byField = new Map((again.body.errors as any[]).map((e) => [e.field, e.message]));
    expect(byField.get("body.lines[2].gc_id")).to.equal("was cancelled for storage, and all its energy is allocated already");
    expect(byField.get("body.lines[7].gc_id")).to.equal("is split; only active GCs or GCs cancelled for storage can be allocated");
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("counts what earlier allocations took from each record, and allocates what is left", async () => {
    const [late, evening] = await world.mintGcs(world.accountId, [
      { device: "SOL9", hour: "2024-07-01T14:00:00Z", wh: 40_000 },
      { device: "SOL9", hour: "2024-07-01T18:00:00Z", wh: 200_000 },
    ]);
    const header = "hour,charge_hour,gc_id,charge_wh,discharge_wh";
    const before = tableSnapshot(world.api);
    const over = await world.send(world.validator, "POST", `/storage/devices/${world.storageDeviceId}/allocations?cancellation=cancel`, `${header}\n2024-07-02T00:00:00Z,2024-07-01T14:00:00Z,${late},40000,38000\n`);
    expect(over.status).to.equal(400);
    // The 40,000 Wh fit the 14:00 charge exactly (1,300,000 taken before); the discharge has only 13,700 Wh left.
    expect(over.body.errors).to.deep.equal([
      { field: "body.lines[2].discharge_wh", message: "brings the discharge allocated in 2024-07-02T00:00:00.000Z to 1344300 Wh, more than the 1320000 Wh discharged" },
    ]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);

    const fits = await world.send(
      world.validator,
      "POST",
      `/storage/devices/${world.storageDeviceId}/allocations?cancellation=cancel`,
      `${header}\n2024-07-02T00:00:00Z,2024-07-01T14:00:00Z,${late},40000,13700\n2024-07-02T04:00:00Z,2024-07-01T18:00:00Z,${evening},150000,150000\n`,
    );
    expect(fits.status, JSON.stringify(fits.body)).to.equal(201);
    expect(fits.body.volumes).to.deep.equal({ sdrVolumeWh: String(13_700 + 150_000), gcsCancelledWh: "190000", sdgcVolumeWh: "163700" });
    expect(fits.body.sdgcs.map((b: any) => [b.periodStart.slice(11, 13), b.energyWh])).to.deep.equal([
      ["00", "13700"],
      ["04", "150000"],
    ]);
    // A second SD-GC bundle of the same discharge hour: together they hold exactly what was discharged then.
    const firstOfHour = (allocation.sdgcs as any[]).find((b) => b.periodStart.startsWith("2024-07-02T00"));
    expect(BigInt(firstOfHour.energyWh) + 13_700n).to.equal(1_320_000n);
    expect(fits.body.records[1].cancelledBundleId).to.not.equal(evening);
    expect(world.bundle(fits.body.records[1].cancelledBundleId).energyWh).to.equal(150_000);

    // The audit agrees: two SD-GCs of one discharge hour are no double certification while they fit its SDR.
    await syncIndexer(world.api);
    const report = await world.call<AuditReport>(seedOrganisation(world.api, "admin"), "GET", "/audit/report");
    expect(report.body.checks.map((c) => [c.name, c.findings])).to.deep.equal(report.body.checks.map((c) => [c.name, []]));
  });
});

describe("storage allocation of GCs cancelled beforehand (cancellation=require-cancelled)", function () {
  this.timeout(120_000);
  let world: StorageWorld;
  let ids: Map<string, string>;

  before(async () => {
    world = await storageWorld();
    expect((await world.send(world.validator, "POST", `/storage/devices/${world.storageDeviceId}/records`, POSITIONS_CSV)).status).to.equal(201);
    ids = await world.mintFixtureGcs();
  });
  after(() => world.api.close());

  it("refuses active GCs, naming them, and writes nothing", async () => {
    const before = tableSnapshot(world.api);
    const response = await world.send(world.validator, "POST", `/storage/devices/${world.storageDeviceId}/allocations?cancellation=require-cancelled`, world.allocationsCsv(ids));
    expect(response.status).to.equal(400);
    const gcFaults = (response.body.errors as any[]).filter((e) => e.field.endsWith(".gc_id"));
    expect(gcFaults.map((e) => e.field)).to.deep.equal([2, 3, 4, 5, 6, 7].map((line) => `body.lines[${line}].gc_id`));
    expect(gcFaults[0].message).to.match(/^is active: this request requires the GCs it allocates to be cancelled for storage already/);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("cancels GCs for storage ahead, a part split off, then allocates them without cancelling again", async () => {
    const wholes = FIXTURE_GCS.slice(0, 4).map((gc) => ({ id: ids.get(gc.fixtureId)! }));
    const partial = ids.get(FIXTURE_GCS[4].fixtureId)!;
    const cancelled = await world.call(world.validator, "POST", "/storage/cancellations", { accountId: world.accountId, bundles: [...wholes, { id: partial, wh: "500000" }] });
    expect(cancelled.status, JSON.stringify(cancelled.body)).to.equal(201);
    expect(cancelled.body.status).to.equal("cancelled");
    const part = cancelled.body.items[4].cancelledBundleId as string;
    expect(world.bundle(part).parentId).to.equal(partial);
    for (const id of [...wholes.map((w) => w.id), part]) expect(world.bundle(id).status).to.equal("cancelled-for-storage");

    const csv = world.allocationsCsv(new Map([...ids, [FIXTURE_GCS[4].fixtureId, part]]));
    const response = await world.send(world.validator, "POST", `/storage/devices/${world.storageDeviceId}/allocations?cancellation=require-cancelled`, csv);
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    expect(response.body.gcCancellation).to.equal(null);
    expect(response.body.volumes).to.deep.equal({ sdrVolumeWh: "5257248", gcsCancelledWh: "5210000", sdgcVolumeWh: "5004300" });
    expect([response.body.factors.sdrProportion.value, response.body.factors.efficiencyFactor.value]).to.deep.equal(["0.95188585", "0.96051823"]);
    expect(response.body.sdgcs.map((b: any) => b.energyWh)).to.deep.equal(["1306300", "1239150", "1277500", "1181350"]);
  });

  it("refuses cancelling what the account does not hold, or more than a bundle holds, naming each", async () => {
    const [extra] = await world.mintGcs(world.accountId, [{ device: "SOL7", hour: "2024-07-01T10:00:00Z", wh: 1_000 }]);
    const response = await world.call(world.validator, "POST", "/storage/cancellations", {
      accountId: world.accountId,
      bundles: [{ id: extra, wh: "1001" }, { id: "SOL7-20240701-11000-0009-0001000" }, { id: ids.get(FIXTURE_GCS[0].fixtureId)! }, { id: extra }, { id: extra, wh: "0" }],
    });
    expect(response.status).to.equal(400);
    expect((response.body.errors as any[]).map((e) => `${e.field}: ${e.message}`)).to.deep.equal([
      "body.bundles.4.wh: must be a positive whole number of Wh in decimal digits, at most 16 of them",
    ]);
    const second = await world.call(world.validator, "POST", "/storage/cancellations", {
      accountId: world.accountId,
      bundles: [{ id: extra, wh: "1001" }, { id: "SOL7-20240701-11000-0009-0001000" }, { id: ids.get(FIXTURE_GCS[0].fixtureId)! }, { id: extra }],
    });
    expect(second.status).to.equal(400);
    expect((second.body.errors as any[]).map((e) => `${e.field}: ${e.message}`)).to.deep.equal([
      "body.bundles[0].wh: is more than the 1000 Wh the bundle holds",
      "body.bundles[1].id: is not a GC bundle held by this account",
      "body.bundles[2].id: is cancelled-for-storage; only active GCs can be cancelled for storage",
      "body.bundles[3].id: repeats bundles[0]",
    ]);
    expect(world.bundle(extra).status).to.equal("active");
  });
});
