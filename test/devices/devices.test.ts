import { expect } from "chai";
import { createApp } from "../../server/app";
import type { DeviceLocks } from "../../server/devices/locks";
import { DEVICE_FIELDS } from "../../server/devices/validation";
import { createTestApi, seedOrganisation, seedUser, tableCounts, tableSnapshot, type SeededUser, type TestApi } from "../support/api";
import { validDevice } from "./support";

describe("devices API", () => {
  let api: TestApi;
  let developer: SeededUser;

  before(async () => {
    api = await createTestApi();
  });
  after(() => api.close());
  beforeEach(() => {
    developer = seedOrganisation(api, "developer");
  });

  const create = (token: string, body: unknown, query = "") => api.request("POST", `/devices${query}`, { token, body });
  const createOne = async (token: string, overrides: Record<string, unknown> = {}) => {
    const response = await create(token, validDevice(overrides));
    expect(response.status, JSON.stringify(await response.clone().json())).to.equal(201);
    return (await response.json()) as Record<string, unknown> & { id: string };
  };
  const fields = async (response: Response) => ((await response.json()).errors as { field: string }[]).map((e) => e.field);

  describe("POST /devices", () => {
    it("registers a device with a platform UUID, every seed field, a derived zone and a Location", async () => {
      const response = await create(developer.token, validDevice());
      expect(response.status).to.equal(201);
      const device = await response.json();
      expect(device.id).to.match(/^[0-9a-f-]{36}$/);
      expect(response.headers.get("location")).to.equal(`/devices/${device.id}`);
      expect(device).to.deep.include({
        organisationId: developer.organisationId,
        externalId: "KE-0001",
        projectName: "Nairobi schools",
        countryCode: "KE",
        commissioningDate: "2024-01-15",
        onboardedAt: api.clock.now().toISOString(),
        capacity: 12.5,
        offTaker: "School",
        fuelCode: "Solar",
        deviceTypeCode: "PVRoofMounted",
        impactStory: "Lights for 600 pupils",
        deviceDescription: "RooftopSolar",
        address: "1 School Road, Nairobi",
        latitude: -1.2921,
        longitude: 36.8219,
        qualityLabels: "IEC 61215",
        gridInterconnection: true,
        energyStorage: true,
        energyStorageCapacity: 20,
        timeZone: "Africa/Nairobi",
        timeZoneSource: "coordinates",
        yieldOverride: 1600,
        energySource: "solar_pv",
        technologyType: "solar_pv",
        isStorage: false,
        grid: "KPLC",
        createdBy: developer.userId,
      });
      expect(device.sdgBenefits).to.deep.equal(["AffordableAndCleanEnergy", "ClimateAction"]);
      expect(device.validationErrors).to.deep.equal([]);
      const fetched = await api.request("GET", `/devices/${device.id}`, { token: developer.token });
      expect(await fetched.json()).to.deep.equal(device);
    });

    it("registers an array in order, or nothing with per-item errors naming index and field", async () => {
      const before = tableSnapshot(api);
      const refused = await create(developer.token, [
        validDevice({ externalId: "a-1" }),
        validDevice({ externalId: "a-2", capacity: -1, offTaker: "Hospital" }),
        validDevice({ externalId: "a-3", commissioningDate: "2026-06-02" }),
        validDevice({ externalId: "a-1" }),
      ]);
      expect(refused.status).to.equal(400);
      const problem = await refused.json();
      expect(problem.errors).to.deep.equal([
        { field: "body.1.capacity", message: "must be greater than 0 kW" },
        { field: "body.1.offTaker", message: "must be one of: School, HealthFacility, Residential, Commercial, Industrial, PublicSector, Agriculture" },
        { field: "body.2.commissioningDate", message: "must be on or before the onboarding date 2026-06-01 (Africa/Nairobi); got 2026-06-02" },
        { field: "body.3.externalId", message: "repeats item 0's externalId" },
      ]);
      expect(tableSnapshot(api)).to.deep.equal(before);

      const accepted = await create(developer.token, [validDevice({ externalId: "b-1" }), validDevice({ externalId: "b-2", countryCode: "IN", latitude: 28.6, longitude: 77.2 })]);
      expect(accepted.status).to.equal(201);
      const devices = await accepted.json();
      expect(devices.map((d: { externalId: string }) => d.externalId)).to.deep.equal(["b-1", "b-2"]);
      expect(devices[1].timeZone).to.equal("Asia/Kolkata");
    });

    it("names the item of a structurally broken array, and refuses empty and oversized arrays", async () => {
      expect(await fields(await create(developer.token, [validDevice(), validDevice({ externalId: "other", capacity: "big" })]))).to.deep.equal(["body.1.capacity"]);
      expect(await fields(await create(developer.token, [validDevice(), "not a device"]))).to.deep.equal(["body.1"]);
      expect(await fields(await create(developer.token, []))).to.deep.equal(["body"]);
      const tooMany = Array.from({ length: 1001 }, (_, i) => validDevice({ externalId: `m-${i}` }));
      const refused = await create(developer.token, tooMany);
      expect(refused.status).to.equal(400);
      expect((await refused.json()).errors[0].message).to.match(/at most 1000 devices; upload a CSV file/);
    });

    it("keeps external ids unique within an organisation, not across organisations", async () => {
      await createOne(developer.token, { externalId: "shared" });
      const other = seedOrganisation(api, "developer");
      const elsewhere = await createOne(other.token, { externalId: "shared" });
      expect(elsewhere.organisationId).to.equal(other.organisationId);

      const before = tableSnapshot(api);
      const duplicate = await create(developer.token, [validDevice({ externalId: "fresh" }), validDevice({ externalId: "shared" })]);
      expect(duplicate.status).to.equal(409);
      const problem = await duplicate.json();
      expect(problem.errors).to.have.length(1);
      expect(problem.errors[0].field).to.equal("body.1.externalId");
      expect(problem.errors[0].message).to.match(/^is already used by device [0-9a-f-]{36} in this organisation$/);
      expect(tableSnapshot(api)).to.deep.equal(before);
    });

    it("refuses an organisationId in the body and other unknown fields, writing nothing", async () => {
      const before = tableCounts(api);
      const response = await create(developer.token, { ...validDevice(), organisationId: seedOrganisation(api, "developer").organisationId });
      expect(response.status).to.equal(400);
      expect((await response.json()).errors).to.deep.equal([{ field: "body.organisationId", message: `is not a device field (accepted: ${DEVICE_FIELDS.join(", ")})` }]);
      expect(tableCounts(api)).to.deep.equal({ ...before, organisations: before.organisations + 1, users: before.users + 1, sessions: before.sessions + 1 });
    });

    it("requires an explicit zone for a multi-zone country without coordinates", async () => {
      const response = await create(developer.token, validDevice({ countryCode: "BR", latitude: null, longitude: null }));
      expect(response.status).to.equal(400);
      const [error] = (await response.json()).errors;
      expect(error.field).to.equal("body.timeZone");
      expect(error.message).to.match(/^country BR spans several time zones .*give timeZone/);
      const explicit = await createOne(developer.token, { countryCode: "BR", latitude: null, longitude: null, timeZone: "America/Sao_Paulo" });
      expect(explicit).to.deep.include({ timeZone: "America/Sao_Paulo", timeZoneSource: "given" });
    });

    it("stores SQL-breaking strings verbatim and refuses them where the format forbids them", async () => {
      const nasty = `Robert'); DROP TABLE devices;-- "quoted" \\ %_ ${"\u0000".slice(1)}`;
      const device = await createOne(developer.token, { projectName: nasty, impactStory: "' OR '1'='1", address: "1; DELETE FROM devices" });
      const fetched = await (await api.request("GET", `/devices/${device.id}`, { token: developer.token })).json();
      expect(fetched).to.deep.include({ projectName: nasty.trim(), impactStory: "' OR '1'='1", address: "1; DELETE FROM devices" });

      const before = tableSnapshot(api);
      expect(await fields(await create(developer.token, validDevice({ externalId: "x'; DROP TABLE devices;--" })))).to.deep.equal(["body.externalId"]);
      expect((await api.request("GET", `/devices?countryCode=${encodeURIComponent("KE' OR '1'='1")}`, { token: developer.token })).status).to.equal(400);
      expect((await api.request("GET", `/devices?sort=${encodeURIComponent("capacity; DROP TABLE devices")}`, { token: developer.token })).status).to.equal(400);
      expect((await api.request("GET", `/devices/by-external-id/${encodeURIComponent("' OR 1=1--")}`, { token: developer.token })).status).to.equal(400);
      expect((await api.request("GET", `/devices/${encodeURIComponent("1' OR '1'='1")}`, { token: developer.token })).status).to.equal(400);
      expect(tableSnapshot(api)).to.deep.equal(before);
    });
  });

  describe("GET /devices/{id} and /devices/by-external-id/{externalId}", () => {
    it("finds a device by external id within the caller's organisation only", async () => {
      const mine = await createOne(developer.token, { externalId: "gateway-7" });
      const other = seedOrganisation(api, "developer");
      await createOne(other.token, { externalId: "gateway-7" });
      const found = await api.request("GET", "/devices/by-external-id/gateway-7", { token: developer.token });
      expect((await found.json()).id).to.equal(mine.id);
      expect((await api.request("GET", "/devices/by-external-id/unknown", { token: developer.token })).status).to.equal(404);

      const auditor = seedOrganisation(api, "auditor");
      expect((await api.request("GET", "/devices/by-external-id/gateway-7", { token: auditor.token })).status).to.equal(400);
      const named = await api.request("GET", `/devices/by-external-id/gateway-7?organisationId=${developer.organisationId}`, { token: auditor.token });
      expect((await named.json()).id).to.equal(mine.id);
    });

    it("answers 404 for an unknown id and for another organisation's device alike", async () => {
      const device = await createOne(developer.token);
      const stranger = seedOrganisation(api, "developer");
      const unknown = await api.request("GET", "/devices/00000000-0000-4000-8000-000000000000", { token: stranger.token });
      const foreign = await api.request("GET", `/devices/${device.id}`, { token: stranger.token });
      expect(foreign.status).to.equal(404);
      expect(await foreign.json()).to.deep.equal(await unknown.json());
      expect((await api.request("GET", `/devices/by-external-id/KE-0001`, { token: stranger.token })).status).to.equal(404);
      const scoped = await api.request("GET", `/devices/by-external-id/KE-0001?organisationId=${developer.organisationId}`, { token: stranger.token });
      expect(scoped.status).to.equal(404);
    });
  });

  describe("PATCH /devices/{id}", () => {
    const patch = (token: string, id: string, body: unknown) => api.request("PATCH", `/devices/${id}`, { token, body });

    it("changes the given fields, re-checks the whole device, and clears optional fields with null", async () => {
      const device = await createOne(developer.token);
      api.clock.advance(60_000);
      const response = await patch(developer.token, device.id, { capacity: 15, projectName: null, latitude: 28.6, longitude: 77.2, countryCode: "IN" });
      expect(response.status).to.equal(200);
      const updated = await response.json();
      expect(updated).to.deep.include({ capacity: 15, projectName: null, countryCode: "IN", timeZone: "Asia/Kolkata", onboardedAt: device.onboardedAt });
      expect(updated.updatedAt).to.equal(api.clock.now().toISOString());
      expect(await (await api.request("GET", `/devices/${device.id}`, { token: developer.token })).json()).to.deep.equal(updated);
    });

    it("refuses a change that leaves the device invalid, changing nothing", async () => {
      const device = await createOne(developer.token);
      const before = tableCounts(api);
      const cases: [unknown, string[]][] = [
        [{ capacity: null }, ["body.capacity"]],
        [{ commissioningDate: "2026-06-02" }, ["body.commissioningDate"]],
        [{ energyStorageCapacity: null }, ["body.energyStorageCapacity"]],
        [{ latitude: 91 }, ["body.latitude"]],
        [{ organisationId: seedOrganisation(api, "developer").organisationId }, ["body.organisationId"]],
        [{ externalId: "no spaces" }, ["body.externalId"]],
      ];
      const afterSeeding = { ...before, organisations: before.organisations + 1, users: before.users + 1, sessions: before.sessions + 1 };
      for (const [body, expected] of cases) {
        const response = await patch(developer.token, device.id, body);
        expect(response.status, JSON.stringify(body)).to.equal(400);
        expect(await fields(response), JSON.stringify(body)).to.deep.equal(expected);
      }
      expect(tableCounts(api)).to.deep.equal(afterSeeding);
      expect(await (await api.request("GET", `/devices/${device.id}`, { token: developer.token })).json()).to.deep.equal(device);
    });

    it("refuses an external id another device of the organisation has", async () => {
      await createOne(developer.token, { externalId: "taken" });
      const device = await createOne(developer.token, { externalId: "mine" });
      const response = await patch(developer.token, device.id, { externalId: "taken" });
      expect(response.status).to.equal(409);
      expect(await fields(response)).to.deep.equal(["body.externalId"]);
    });

    it("freezes certification fields of a locked device but lets its description change", async () => {
      const locks: DeviceLocks = { locked: (ids) => new Map(ids.map((id) => [id, "in active reservation R-1"])) };
      const app = createApp({ ...api.deps, deviceLocks: locks });
      const device = await createOne(developer.token);
      const send = (method: string, body?: unknown) =>
        app.request(`/devices/${device.id}`, {
          method,
          headers: { authorization: `Bearer ${developer.token}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const frozen = await send("PATCH", { capacity: 20, countryCode: "UG", latitude: 0.35, longitude: 32.6, projectName: "Renamed" });
      expect(frozen.status).to.equal(409);
      const problem = await frozen.json();
      expect(problem.detail).to.match(/in active reservation R-1/);
      expect(problem.errors.map((e: { field: string }) => e.field)).to.deep.equal(["body.countryCode", "body.capacity", "body.latitude", "body.longitude", "body.timeZone"]);
      const described = await send("PATCH", { projectName: "Renamed", impactStory: "More pupils", externalId: "KE-0001-b", capacity: 12.5 });
      expect(described.status).to.equal(200);
      expect(await described.json()).to.deep.include({ projectName: "Renamed", externalId: "KE-0001-b", capacity: 12.5 });
      const removal = await send("DELETE");
      expect(removal.status).to.equal(409);
      expect((await api.request("GET", `/devices/${device.id}`, { token: developer.token })).status).to.equal(200);
    });
  });

  describe("DELETE /devices/{id}", () => {
    it("removes the device; another organisation gets 404 and removes nothing", async () => {
      const device = await createOne(developer.token);
      const stranger = seedOrganisation(api, "developer");
      const before = tableCounts(api);
      expect((await api.request("DELETE", `/devices/${device.id}`, { token: stranger.token })).status).to.equal(404);
      expect((await api.request("PATCH", `/devices/${device.id}`, { token: stranger.token, body: { capacity: 1 } })).status).to.equal(404);
      expect(tableCounts(api)).to.deep.equal(before);
      expect((await api.request("DELETE", `/devices/${device.id}`, { token: developer.token })).status).to.equal(204);
      expect((await api.request("GET", `/devices/${device.id}`, { token: developer.token })).status).to.equal(404);
      expect(tableCounts(api).devices).to.equal(before.devices - 1);
    });
  });

  it("documents every devices route in /openapi.json, with credentials and the full device input", async () => {
    const doc = await (await api.request("GET", "/openapi.json")).json();
    const secured = [
      "post /devices",
      "get /devices",
      "get /devices/{id}",
      "patch /devices/{id}",
      "delete /devices/{id}",
      "get /devices/by-external-id/{externalId}",
      "post /devices/uploads",
      "get /devices/uploads",
      "get /devices/uploads/{jobId}",
      "get /devices/uploads/{jobId}/rows",
      "get /devices/uploads/{jobId}/file",
    ];
    for (const route of secured) {
      const [method, path] = route.split(" ");
      const operation = doc.paths[path]?.[method];
      expect(operation, route).to.be.an("object");
      expect(operation.security, route).to.be.an("array").that.is.not.empty;
      expect(operation.responses, route).to.have.property("401");
    }
    expect(doc.paths["/devices/uploads/template"].get.security).to.equal(undefined);
    expect(doc.paths["/devices/uploads"].post.requestBody.content).to.have.keys("text/csv", "multipart/form-data");
    const input = doc.components.schemas.DeviceInput;
    expect(Object.keys(input.properties)).to.deep.equal(DEVICE_FIELDS);
    expect(input.required).to.have.members(["externalId", "countryCode", "commissioningDate", "capacity"]);
    expect(input.additionalProperties).to.equal(false);
  });

  describe("permissions", () => {
    const withDevices = (actions: ("READ" | "WRITE" | "UPDATE" | "DELETE")[]) =>
      seedUser(api, developer.organisationId, { isOrganisationAdmin: false, permissions: { devices: actions } });

    it("needs READ to read, WRITE to create, UPDATE to update and DELETE to delete", async () => {
      const device = await createOne(developer.token);
      const reader = withDevices(["READ"]);
      expect((await api.request("GET", `/devices/${device.id}`, { token: reader.token })).status).to.equal(200);
      expect((await api.request("GET", "/devices", { token: reader.token })).status).to.equal(200);
      expect((await create(reader.token, validDevice({ externalId: "r-1" }))).status).to.equal(403);
      expect((await api.request("PATCH", `/devices/${device.id}`, { token: reader.token, body: { capacity: 1 } })).status).to.equal(403);
      expect((await api.request("DELETE", `/devices/${device.id}`, { token: reader.token })).status).to.equal(403);

      const writer = withDevices(["WRITE"]);
      expect((await api.request("GET", "/devices", { token: writer.token })).status).to.equal(403);
      expect((await create(writer.token, validDevice({ externalId: "w-1" }))).status).to.equal(201);
      const updater = withDevices(["UPDATE"]);
      expect((await api.request("PATCH", `/devices/${device.id}`, { token: updater.token, body: { capacity: 1 } })).status).to.equal(200);
      const deleter = withDevices(["DELETE"]);
      expect((await api.request("DELETE", `/devices/${device.id}`, { token: deleter.token })).status).to.equal(204);
      expect((await api.request("GET", "/devices")).status).to.equal(401);
      expect((await create("", validDevice())).status).to.equal(401);
    });

    it("never lets buyers create devices, even their organisation admin", async () => {
      const buyer = seedOrganisation(api, "buyer");
      const before = tableSnapshot(api);
      const response = await create(buyer.token, validDevice());
      expect(response.status).to.equal(403);
      expect((await response.json()).detail).to.equal("Only developer organisations own devices.");
      expect(tableSnapshot(api)).to.deep.equal(before);
      const list = await api.request("GET", "/devices", { token: buyer.token });
      expect((await list.json()).items).to.deep.equal([]);
    });

    it("lets auditors read every organisation's devices and change none", async () => {
      const device = await createOne(developer.token);
      const auditor = seedOrganisation(api, "auditor");
      expect((await api.request("GET", `/devices/${device.id}`, { token: auditor.token })).status).to.equal(200);
      const listed = await (await api.request("GET", `/devices?organisationId=${developer.organisationId}`, { token: auditor.token })).json();
      expect(listed.items.map((d: { id: string }) => d.id)).to.deep.equal([device.id]);
      expect((await create(auditor.token, validDevice(), `?organisationId=${developer.organisationId}`)).status).to.equal(403);
      expect((await api.request("PATCH", `/devices/${device.id}`, { token: auditor.token, body: { capacity: 1 } })).status).to.equal(403);
      expect((await api.request("DELETE", `/devices/${device.id}`, { token: auditor.token })).status).to.equal(403);
    });

    it("lets platform administrators register for a named developer organisation and change any device", async () => {
      const admin = seedOrganisation(api, "admin");
      expect(await fields(await create(admin.token, validDevice()))).to.deep.equal(["query.organisationId"]);
      const buyer = seedOrganisation(api, "buyer");
      expect((await create(admin.token, validDevice(), `?organisationId=${buyer.organisationId}`)).status).to.equal(400);
      expect((await create(admin.token, validDevice(), "?organisationId=00000000-0000-4000-8000-000000000000")).status).to.equal(404);
      const created = await create(admin.token, validDevice({ externalId: "by-admin" }), `?organisationId=${developer.organisationId}`);
      expect(created.status).to.equal(201);
      const device = await created.json();
      expect(device).to.deep.include({ organisationId: developer.organisationId, createdBy: admin.userId });
      expect((await api.request("PATCH", `/devices/${device.id}`, { token: admin.token, body: { capacity: 3 } })).status).to.equal(200);
      expect((await api.request("DELETE", `/devices/${device.id}`, { token: admin.token })).status).to.equal(204);
    });

    it("does not let a developer aim at another organisation through organisationId", async () => {
      const other = seedOrganisation(api, "developer");
      expect((await create(developer.token, validDevice(), `?organisationId=${other.organisationId}`)).status).to.equal(404);
      expect((await api.request("GET", `/devices?organisationId=${other.organisationId}`, { token: developer.token })).status).to.equal(404);
    });
  });
});
