import { expect } from "chai";
import { eq } from "drizzle-orm";
import { STORAGE_TABLE_MAX_BYTES } from "../../server/storage/routes";
import { storageRecordUploads } from "../../server/storage/schema";
import { tableSnapshot } from "../support/api";
import { POSITIONS_CSV, storageWorld, type StorageWorld } from "./support";

describe("storage records API (asset position tables as SCR/SDR)", function () {
  this.timeout(60_000);
  let world: StorageWorld;
  let path: string;

  before(async () => {
    world = await storageWorld();
    path = `/storage/devices/${world.storageDeviceId}/records`;
  });
  after(() => world.api.close());

  it("turns a CSV table into one immutable record per non-zero flow, keeping the table as received", async () => {
    const response = await world.send(world.validator, "POST", path, POSITIONS_CSV);
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    expect([response.body.chargeWh, response.body.dischargeWh]).to.deep.equal(["5630000", "5407248"]);
    const kinds = (response.body.records as any[]).map((r) => `${r.kind} ${r.hourStart.slice(5, 13)} ${r.energyWh}`);
    expect(kinds).to.deep.equal([
      "SCR 07-01T14 1340000",
      "SCR 07-01T15 1400000",
      "SCR 07-01T16 1380000",
      "SCR 07-01T17 1310000",
      "SCR 07-01T18 200000",
      "SDR 07-02T00 1320000",
      "SDR 07-02T01 1310000",
      "SDR 07-02T02 1330248",
      "SDR 07-02T03 1297000",
      "SDR 07-02T04 150000",
    ]);
    const upload = world.api.database.db.select().from(storageRecordUploads).where(eq(storageRecordUploads.id, response.body.uploadId)).get()!;
    expect([upload.content, upload.contentType, upload.submittedBy]).to.deep.equal([POSITIONS_CSV, "text/csv", world.validator.userId]);
    expect(upload.sha256).to.equal(response.body.sha256);
  });

  it("refuses a table naming an hour already recorded, whatever its numbers, and changes nothing", async () => {
    const before = tableSnapshot(world.api);
    const response = await world.send(world.validator, "POST", path, "hour,charge_wh,discharge_wh\n2024-07-05T00:00:00Z,5,0\n2024-07-01T14:00:00Z,1,0\n");
    expect(response.status).to.equal(400);
    expect(response.body.errors).to.deep.equal([{ field: "body.lines[3].hour", message: "is already recorded for this device; storage records cannot be changed" }]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("takes JSON rows, and names faulty JSON fields by row", async () => {
    const good = await world.call(world.validator, "POST", path, { rows: [{ hour: "2024-07-03T10:00:00Z", charge_wh: 700, discharge_wh: "0" }] });
    expect(good.status, JSON.stringify(good.body)).to.equal(201);
    expect(good.body.records.map((r: any) => [r.flow, r.energyWh])).to.deep.equal([["charge", "700"]]);
    const before = tableSnapshot(world.api);
    const bad = await world.call(world.validator, "POST", path, { rows: [{ hour: "2024-07-03T11:30:00Z", charge_wh: 1, discharge_wh: 0 }, { hour: "2024-07-03T12:00:00Z", charge_wh: 1.5, discharge_wh: 0 }] });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors).to.deep.equal([
      { field: "body.rows[0].hour", message: "2024-07-03T11:30:00Z is not the start of a UTC hour" },
      { field: "body.rows[1].charge_wh", message: "must be a whole number of Wh" },
    ]);
    const unknown = await world.call(world.validator, "POST", path, { rows: [{ hour: "2024-07-03T12:00:00Z", charge_wh: 1, discharge_wh: 0, soc: 5 }] });
    expect(unknown.status).to.equal(400);
    expect(unknown.body.errors.map((e: any) => e.field)).to.deep.equal(["body.rows.0.soc"]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("refuses hours that have not ended, bad headers, and bodies of other media types", async () => {
    const before = tableSnapshot(world.api);
    const hour = Math.floor(world.api.clock.now().getTime() / 3_600_000) * 3_600_000;
    const current = await world.send(world.validator, "POST", path, `hour,charge_wh,discharge_wh\n${new Date(hour).toISOString()},1,0\n`);
    expect(current.body.errors).to.deep.equal([{ field: "body.lines[2].hour", message: "has not ended yet" }]);
    const header = await world.send(world.validator, "POST", path, "hour,charge\n2024-07-03T12:00:00Z,1\n");
    expect(header.status).to.equal(400);
    expect(header.body.errors.map((e: any) => e.field)).to.deep.equal(["body.lines[1].charge", "body.lines[1].charge_wh", "body.lines[1].discharge_wh"]);
    const empty = await world.send(world.validator, "POST", path, "");
    expect(empty.body.errors).to.deep.equal([{ field: "body", message: "is empty; the first line is the header" }]);
    const text = await world.send(world.validator, "POST", path, "hour", "text/plain");
    expect(text.status).to.equal(415);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("takes tables beyond the API's default 1 MiB body, up to its own limit", async () => {
    const row = JSON.stringify({ rows: [{ hour: "2024-07-03T13:00:00Z", charge_wh: 1, discharge_wh: 0 }] });
    const padded = await world.send(world.validator, "POST", path, row + " ".repeat(2 * 1024 * 1024), "application/json");
    expect(padded.status, JSON.stringify(padded.body)).to.equal(201);
    const before = tableSnapshot(world.api);
    const tooLarge = await world.send(world.validator, "POST", path, row + " ".repeat(STORAGE_TABLE_MAX_BYTES), "application/json");
    expect(tooLarge.status).to.equal(413);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("lists records in hour order, by flow and period, in keyset pages", async () => {
    const all = await world.call(world.validator, "GET", `${path}?limit=4`);
    expect(all.status).to.equal(200);
    expect(all.body.items.map((r: any) => r.hourStart.slice(5, 13))).to.deep.equal(["07-01T14", "07-01T15", "07-01T16", "07-01T17"]);
    const seen = [...all.body.items];
    let cursor = all.body.nextCursor;
    while (cursor) {
      const page = await world.call(world.validator, "GET", `${path}?limit=4&cursor=${cursor}`);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    }
    expect(seen.map((r) => r.id)).to.have.length(12);
    expect(new Set(seen.map((r) => r.id)).size).to.equal(12);
    const discharges = await world.call(world.validator, "GET", `${path}?flow=discharge&from=2024-07-02T01:00:00Z&to=2024-07-02T03:00:00Z`);
    expect(discharges.body.items.map((r: any) => `${r.kind} ${r.hourStart.slice(11, 13)}`)).to.deep.equal(["SDR 01", "SDR 02"]);
    expect(discharges.body.nextCursor).to.equal(null);
  });

  it("are described in the OpenAPI document, with both body types and every answer", async () => {
    const doc = (await (await world.api.request("GET", "/openapi.json")).json()) as any;
    const storagePaths = Object.keys(doc.paths).filter((p) => p.startsWith("/storage/"));
    expect(storagePaths).to.include.members(["/storage/devices/{deviceId}/records", "/storage/devices/{deviceId}/allocations", "/storage/cancellations", "/storage/allocations/{id}/resume"]);
    const allocate = doc.paths["/storage/devices/{deviceId}/allocations"].post;
    expect(Object.keys(allocate.requestBody.content)).to.deep.equal(["application/json", "text/csv"]);
    expect(allocate.responses).to.include.keys("201", "202", "400", "403", "409", "503");
  });

  it("serves CSV templates that the endpoints accept", async () => {
    const response = await world.api.request("GET", "/storage/templates/asset-positions.csv");
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.match(/^text\/csv/);
    const template = await response.text();
    expect(template.split("\n")[0]).to.equal("hour,charge_wh,discharge_wh");
    const other = await world.api.request("GET", "/storage/templates/allocations.csv");
    expect((await other.text()).split("\n")[0]).to.equal("hour,charge_hour,gc_id,charge_wh,discharge_wh");
    const fresh = template.replaceAll("2024-07-0", "2024-06-0");
    expect((await world.send(world.validator, "POST", path, fresh)).status).to.equal(201);
  });
});
