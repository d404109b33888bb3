import { expect } from "chai";
import { createTestApi, seedOrganisation, seedUser, tableSnapshot, type SeededUser, type TestApi } from "../support/api";
import { validDevice } from "../devices/support";
import { deviceReadState } from "../../server/reads/schema";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("meter reads API", () => {
  let api: TestApi;
  let developer: SeededUser;
  let deviceId: string;
  let onboardedAt: Date;

  async function createDevice(owner: SeededUser, overrides: Record<string, unknown> = {}): Promise<string> {
    const response = await api.request("POST", "/devices", { token: owner.token, body: validDevice(overrides) });
    expect(response.status, await response.clone().text()).to.equal(201);
    return ((await response.json()) as { id: string }).id;
  }

  const post = (body: unknown, token = developer.token, path = `/devices/${deviceId}/reads`, headers: Record<string, string> = {}) =>
    api.request("POST", path, { token, body, headers });
  const at = (offsetMs: number) => new Date(onboardedAt.getTime() + offsetMs).toISOString();

  beforeEach(async () => {
    api = await createTestApi();
    developer = seedOrganisation(api, "developer");
    onboardedAt = api.clock.now();
    deviceId = await createDevice(developer);
    moveClock(() => api.clock.advance(10 * DAY));
  });

  /** Moves time, then gives the developer a fresh session (seeded sessions last an hour). */
  function moveClock(move: () => void): void {
    move();
    developer = { ...developer, token: seedUser(api, developer.organisationId).token };
  }
  afterEach(() => api.close());

  it("judges a batch read by read, answers in submitted order, and stores every verdict", async () => {
    const reads = [
      { type: "delta", end: at(2 * HOUR), value: "1", unit: "kWh" },
      { type: "delta", end: at(HOUR), value: 5 },
      { type: "delta", end: at(3 * HOUR), value: "50", unit: "kWh" },
      { type: "delta", end: at(4 * HOUR), value: "0.5", unit: "kWh" },
    ];
    const response = await post({ reads });
    expect(response.status).to.equal(200);
    const body = await response.json();
    expect(body).to.include({ deviceId, accepted: 3, rejected: 1, acceptedWh: 1_500 });
    expect(body.results.map((r: { index: number }) => r.index)).to.deep.equal([0, 1, 2, 3]);
    const [second, baseline, tooMuch, last] = body.results;
    expect(baseline).to.include({ status: "accepted", baseline: true, energyWh: 0, startAt: null, endAt: at(HOUR) });
    expect(second).to.include({ status: "accepted", baseline: false, energyWh: 1_000, startAt: at(HOUR), endAt: at(2 * HOUR) });
    expect(tooMuch.status).to.equal("rejected");
    expect(tooMuch.reasons.map((r: { code: string }) => r.code)).to.deep.equal(["EXCEEDS_MAX_ENERGY"]);
    expect(tooMuch).to.include({ endAt: at(3 * HOUR), energyWh: 0 });
    expect(last).to.include({ energyWh: 500, startAt: at(2 * HOUR) });
    expect(last.endAtLocal).to.equal(new Date(at(4 * HOUR)).toISOString().replace("Z", "").replace(/T(\d\d)/, (_, h) => `T${String((Number(h) + 3) % 24).padStart(2, "0")}`) + "+03:00");

    const list = await (await api.request("GET", `/devices/${deviceId}/reads`, { token: developer.token })).json();
    expect(list.items).to.have.length(4);
    expect(list.totals).to.deep.equal({ acceptedWh: 1_500, rejectedWh: 50_000, accepted: 3, rejected: 1 });
    const rejected = await (await api.request("GET", `/devices/${deviceId}/reads?status=rejected`, { token: developer.token })).json();
    expect(rejected.items.map((r: { energyWh: number; claimedWh: number }) => [r.energyWh, r.claimedWh])).to.deep.equal([[0, 50_000]]);
  });

  it("continues a device's series across requests and returns its latest read", async () => {
    await post({ reads: [{ type: "aggregate", end: at(HOUR), value: "1000" }] });
    const second = await (await post({ reads: [{ type: "aggregate", end: at(2 * HOUR), value: "1800" }] })).json();
    expect(second.results[0]).to.include({ energyWh: 800, startAt: at(HOUR) });
    const refused = await (await post({ reads: [{ type: "delta", end: at(3 * HOUR), value: "1" }] })).json();
    expect(refused.results[0].reasons[0].code).to.equal("TYPE_LOCKED");
    const latest = await (await api.request("GET", `/devices/${deviceId}/reads/latest`, { token: developer.token })).json();
    expect(latest).to.include({ type: "delta", status: "rejected", endAt: at(3 * HOUR) });
  });

  it("accepts CSV and the device's external id, and reads local times in the device's zone", async () => {
    const local = (offsetMs: number) => new Date(onboardedAt.getTime() + offsetMs + 3 * HOUR).toISOString().replace("Z", "");
    const csv = `type,start,end,value,unit\ndelta,,${local(HOUR)},0,Wh\ndelta,,${local(2 * HOUR)},1.5,kWh\n`;
    const response = await post(csv, developer.token, "/devices/by-external-id/KE-0001/reads", { "content-type": "text/csv" });
    expect(response.status, await response.clone().text()).to.equal(200);
    const body = await response.json();
    expect(body.results[1]).to.include({ status: "accepted", energyWh: 1_500, startAt: at(HOUR), endAt: at(2 * HOUR) });
    expect(body.results[1].endAtLocal).to.match(/\+03:00$/);
  });

  it("refuses a batch it cannot understand as a whole, naming each field, and stores nothing", async () => {
    const before = tableSnapshot(api);
    const cases: [unknown, string][] = [
      [{ reads: [{ type: "delta", end: "yesterday", value: 1 }] }, "body.reads.0.end"],
      [{ reads: [{ type: "delta", end: at(HOUR), value: "1e3" }] }, "body.reads.0.value"],
      [{ reads: [{ type: "monthly", end: at(HOUR), value: 1 }] }, "body.reads.0.type"],
      [{ reads: [{ type: "delta", end: at(HOUR), value: 1, unit: "TWh" }] }, "body.reads.0.unit"],
      [{ reads: [{ type: "delta", end: at(HOUR), value: 1, deviceId: "x" }] }, "body.reads.0.deviceId"],
      [{ reads: [] }, "body.reads"],
      [{ reads: Array.from({ length: 10_001 }, () => ({ type: "delta", end: at(HOUR), value: 1 })) }, "body.reads"],
      [{ reads: [{ type: "delta", end: at(HOUR), value: "99999999999999999999" }] }, "body.reads.0.value"],
      ["type,end\nnot,csv,\"", "body"],
    ];
    for (const [body, field] of cases) {
      const headers: Record<string, string> = typeof body === "string" ? { "content-type": "text/csv" } : {};
      const response = await post(body, developer.token, `/devices/${deviceId}/reads`, headers);
      expect(response.status, JSON.stringify(body).slice(0, 80)).to.equal(400);
      const problem = await response.json();
      expect(problem.errors.map((e: { field: string }) => e.field), field).to.include(field);
    }
    expect(tableSnapshot(api)).to.deep.equal(before);
  });

  it("refuses a local time that a daylight-saving change skips", async () => {
    const berlin = await createDevice(developer, { externalId: "DE-1", countryCode: "DE", latitude: 52.52, longitude: 13.4 });
    moveClock(() => (api.clock.current = new Date("2027-04-01T00:00:00Z")));
    const response = await post({ reads: [{ type: "delta", end: "2027-03-28T02:30:00", value: 1 }] }, developer.token, `/devices/${berlin}/reads`);
    expect(response.status).to.equal(400);
    expect((await response.json()).errors[0]).to.include({ field: "body.reads.0.end" });
  });

  it("answers 413 for a body over the batch limit", async () => {
    const response = await post("x".repeat(9 * 1024 * 1024), developer.token, `/devices/${deviceId}/reads`, { "content-type": "text/csv" });
    expect(response.status).to.equal(413);
  });

  it("hides other organisations' devices and lets auditors read but not write", async () => {
    const stranger = seedOrganisation(api, "developer");
    const auditor = seedOrganisation(api, "auditor");
    const buyer = seedOrganisation(api, "buyer");
    const reads = { reads: [{ type: "delta", end: at(HOUR), value: 1 }] };
    expect((await post(reads, stranger.token)).status).to.equal(404);
    expect((await post(reads, stranger.token, "/devices/by-external-id/KE-0001/reads")).status).to.equal(404);
    expect((await api.request("GET", `/devices/${deviceId}/reads`, { token: stranger.token })).status).to.equal(404);
    expect((await post(reads, buyer.token)).status).to.equal(404);
    expect((await post(reads, auditor.token)).status).to.equal(403);
    const unnamed = await api.request("GET", "/devices/by-external-id/KE-0001/reads", { token: auditor.token });
    expect(unnamed.status, "external ids need an organisation for callers who see them all").to.equal(400);
    expect((await unnamed.json()).errors[0].field).to.equal("query.organisationId");
    expect((await api.request("GET", `/devices/by-external-id/KE-0001/reads?organisationId=${developer.organisationId}`, { token: auditor.token })).status).to.equal(200);
    expect((await api.request("GET", `/devices/${deviceId}/reads`, { token: auditor.token })).status).to.equal(200);
    expect((await post(reads)).status).to.equal(200);
    const readOnly = seedOrganisation(api, "developer");
    expect((await post(reads, readOnly.token)).status).to.equal(404);
  });

  it("takes reads from a gateway's API key", async () => {
    const created = await api.request("POST", "/organisation/api-keys", { token: developer.token, body: { name: "gateway", permissions: { reads: ["READ", "WRITE"] } } });
    expect(created.status).to.equal(201);
    const { key } = await created.json();
    const response = await post({ reads: [{ type: "delta", end: at(HOUR), value: 1 }] }, undefined, `/devices/${deviceId}/reads`, { "x-api-key": key });
    expect(response.status).to.equal(200);
  });

  it("serialises concurrent submissions for one device: one baseline, no overlapping periods", async () => {
    const batch = (from: number) => ({ reads: Array.from({ length: 50 }, (_, i) => ({ type: "delta", end: at((from + i) * 60_000), value: 10 })) });
    const responses = await Promise.all([post(batch(1)), post(batch(1)), post(batch(26))]);
    expect(responses.map((r) => r.status)).to.deep.equal([200, 200, 200]);
    const list = await (await api.request("GET", `/devices/${deviceId}/reads?status=accepted&limit=1000`, { token: developer.token })).json();
    const accepted = list.items as { startAt: string | null; endAt: string; baseline: boolean }[];
    expect(accepted.filter((r) => r.baseline)).to.have.length(1);
    const periods = accepted.filter((r) => !r.baseline).map((r) => [Date.parse(r.startAt!), Date.parse(r.endAt)]).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < periods.length; i++) expect(periods[i][0]).to.be.at.least(periods[i - 1][1]);
  });

  it("flags reads that arrive after issuance certified a later point, for the next run", async () => {
    await post({ reads: [{ type: "delta", end: at(HOUR), value: 1 }] });
    // What the issuance engine records after certifying the device through hour 3.
    api.database.db.update(deviceReadState).set({ certifiedThrough: Date.parse(at(3 * HOUR)) }).run();
    const body = await (await post({ reads: [{ type: "delta", end: at(2 * HOUR), value: 5 }, { type: "delta", end: at(4 * HOUR), value: 5 }] })).json();
    expect(body.results.map((r: { status: string }) => r.status)).to.deep.equal(["accepted", "accepted"]);
    const late = await (await api.request("GET", `/devices/${deviceId}/reads?late=true`, { token: developer.token })).json();
    expect(late.items.map((r: { endAt: string }) => r.endAt)).to.deep.equal([at(2 * HOUR), at(4 * HOUR)]);
    const onTime = await (await api.request("GET", `/devices/${deviceId}/reads?late=false`, { token: developer.token })).json();
    expect(onTime.items.map((r: { baseline: boolean }) => r.baseline)).to.deep.equal([true]);
  });

  it("checks reads against the yield an administrator sets for the country, and its default again after removal", async () => {
    // The device carries its own yield; without it the country's applies.
    const plainOnboarded = api.clock.now().getTime();
    const plain = await createDevice(developer, { externalId: "KE-0002", yieldOverride: null });
    moveClock(() => api.clock.advance(DAY));
    const admin = seedOrganisation(api, "admin");
    const table = await (await api.request("GET", "/reads/yields", { token: developer.token })).json();
    expect(table.countries.find((c: { countryCode: string }) => c.countryCode === "KE")).to.include({ yieldKwhPerKwYear: 1_700, source: "default" });
    const hourly = (end: number, value: number) => ({ reads: [{ type: "delta", end: new Date(plainOnboarded + end * HOUR).toISOString(), value }] });
    await post(hourly(1, 0), developer.token, `/devices/${plain}/reads`);
    expect((await (await post(hourly(2, 2_000), developer.token, `/devices/${plain}/reads`)).json()).accepted).to.equal(1);

    expect((await api.request("PUT", "/reads/yields/KE", { token: developer.token, body: { yieldKwhPerKwYear: 100 } })).status).to.equal(403);
    const set = await api.request("PUT", "/reads/yields/KE", { token: admin.token, body: { yieldKwhPerKwYear: 100 } });
    expect(await set.json()).to.include({ countryCode: "KE", yieldKwhPerKwYear: 100, source: "administrator" });
    const refused = await (await post(hourly(3, 2_000), developer.token, `/devices/${plain}/reads`)).json();
    expect(refused.results[0].reasons[0].code).to.equal("EXCEEDS_MAX_ENERGY");
    // The device with its own yield is unaffected.
    await post(hourly(1, 0));
    expect((await (await post(hourly(2, 2_000))).json()).accepted).to.equal(1);

    expect(await (await api.request("DELETE", "/reads/yields/KE", { token: admin.token })).json()).to.include({ yieldKwhPerKwYear: 1_700, source: "default" });
    expect((await (await post(hourly(4, 2_000), developer.token, `/devices/${plain}/reads`)).json()).accepted).to.equal(1);
  });

  it("refuses bad yields naming the field, and changes nothing", async () => {
    const admin = seedOrganisation(api, "admin");
    const before = tableSnapshot(api);
    for (const [path, body, field] of [
      ["/reads/yields/XX", { yieldKwhPerKwYear: 1000 }, "path.countryCode"],
      ["/reads/yields/KE", { yieldKwhPerKwYear: 0 }, "body.yieldKwhPerKwYear"],
      ["/reads/yields/KE", { yieldKwhPerKwYear: 9_000 }, "body.yieldKwhPerKwYear"],
      ["/reads/yields/KE", { yieldKwhPerKwYear: "1000" }, "body.yieldKwhPerKwYear"],
    ] as const) {
      const response = await api.request("PUT", path, { token: admin.token, body });
      expect(response.status, path).to.equal(400);
      expect((await response.json()).errors.map((e: { field: string }) => e.field)).to.include(field);
    }
    expect(tableSnapshot(api)).to.deep.equal(before);
  });

  it("keeps a device with reads from being deleted", async () => {
    await post({ reads: [{ type: "delta", end: at(HOUR), value: 1 }] });
    const response = await api.request("DELETE", `/devices/${deviceId}`, { token: developer.token });
    expect(response.status).to.equal(409);
    expect((await api.request("GET", `/devices/${deviceId}`, { token: developer.token })).status).to.equal(200);
  });
});
