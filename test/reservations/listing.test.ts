import { expect } from "chai";
import { eq } from "drizzle-orm";
import { devices } from "../../server/devices/schema";
import { seedOrganisation, type SeededUser } from "../support/api";
import { advanceClockAndChain } from "../support/chainTime";
import {
  bindWallet,
  createReservation,
  DAY,
  fieldErrorsOf,
  getReservation,
  HOUR,
  refreshSessions,
  registerDevices,
  reservationWorld,
  type ReservationAnswer,
  type World,
} from "./support";

const INDIA = { countryCode: "IN", latitude: 28.6, longitude: 77.2 };

interface Summary {
  id: string;
  deviceCount: number;
  countries: string[];
  offTakers: string[];
  sdgBenefits: string[];
  status: string;
}

describe("reservations: reading", () => {
  let world: World;
  let india: SeededUser;
  let kenyaSchools: string[];
  let kenyaClinic: string;
  let indiaHomes: string[];
  let schools: ReservationAnswer;
  let homes: ReservationAnswer;
  let ended: ReservationAnswer;
  let mixed: ReservationAnswer;
  let foreign: ReservationAnswer;
  let rival: SeededUser;

  before(async () => {
    world = await reservationWorld();
    india = seedOrganisation(world.api, "developer");
    kenyaSchools = await registerDevices(world.api, world.developer, 3, { sdgBenefits: ["AffordableAndCleanEnergy"] });
    [kenyaClinic] = await registerDevices(world.api, world.developer, 1, { offTaker: "HealthFacility", sdgBenefits: ["GoodHealthAndWellBeing"] });
    indiaHomes = await registerDevices(world.api, india, 3, { ...INDIA, offTaker: "Residential", sdgBenefits: ["NoPoverty"] });
    const now = world.api.clock.now().getTime();
    // Creation times order the list: a second between creations makes "newest first" well defined.
    const tick = () => advanceClockAndChain(world.api.clock, 1000);
    ended = await createReservation(world, [kenyaSchools[2]], {
      name: "Ended",
      start: new Date(now - 60 * DAY).toISOString(),
      end: new Date(now - 30 * DAY).toISOString(),
    });
    const ending = await world.api.request("DELETE", `/reservations/${ended.id}`, { token: world.buyer.token });
    expect(ending.status).to.equal(200);
    await tick();
    schools = await createReservation(world, kenyaSchools.slice(0, 2), {
      name: "Schools",
      start: new Date(now).toISOString(),
      end: new Date(now + 20 * DAY).toISOString(),
    });
    await tick();
    homes = await createReservation(world, indiaHomes.slice(0, 2), {
      name: "Homes",
      start: new Date(now + 40 * DAY).toISOString(),
      end: new Date(now + 60 * DAY).toISOString(),
    });
    await tick();
    mixed = await createReservation(world, [kenyaClinic, indiaHomes[2]], {
      name: "Mixed",
      start: new Date(now).toISOString(),
      end: new Date(now + 90 * DAY).toISOString(),
    });
    await tick();
    rival = seedOrganisation(world.api, "buyer");
    const rivalDevices = await registerDevices(world.api, world.developer, 1);
    foreign = await createReservation({ ...world, buyer: rival, wallet: bindWallet(world.api, rival) }, rivalDevices, { name: "Rival's" });
  });
  after(() => world.api.close());

  async function list(query = "", token = world.buyer.token): Promise<{ items: Summary[]; nextCursor: string | null }> {
    const response = await world.api.request("GET", `/reservations${query}`, { token });
    expect(response.status, await response.clone().text()).to.equal(200);
    return (await response.json()) as { items: Summary[]; nextCursor: string | null };
  }
  const ids = (page: { items: Summary[] }) => page.items.map((item) => item.id);

  describe("GET /reservations", () => {
    it("lists the buyer's own, newest first, with the seed's columns", async () => {
      const page = await list();
      expect(ids(page)).to.deep.equal([mixed.id, homes.id, schools.id, ended.id]);
      const [m, , s, e] = page.items;
      expect(m).to.deep.include({
        deviceCount: 2,
        countries: ["IN", "KE"],
        offTakers: ["HealthFacility", "Residential"],
        sdgBenefits: ["NoPoverty", "GoodHealthAndWellBeing"],
      });
      expect(s).to.deep.include({
        name: "Schools",
        deviceCount: 2,
        countries: ["KE"],
        offTakers: ["School"],
        frequency: "daily",
        targetMWh: "10",
        status: "active",
      });
      // An ended reservation holds no devices any more, but still shows what it held.
      expect(e).to.deep.include({ status: "ended", deviceCount: 0, countries: ["KE"] });
    });

    it("filters by country, fuel, off-taker, SDG benefits (any), status and period", async () => {
      expect(ids(await list("?countryCode=IN"))).to.deep.equal([mixed.id, homes.id]);
      expect(ids(await list("?countryCode=KE&offTaker=School"))).to.deep.equal([schools.id, ended.id]);
      expect(ids(await list("?offTaker=HealthFacility,Residential"))).to.deep.equal([mixed.id, homes.id]);
      expect(ids(await list("?fuelCode=Solar"))).to.have.length(4);
      expect(ids(await list("?sdgBenefits=GoodHealthAndWellBeing,AffordableAndCleanEnergy"))).to.deep.equal([mixed.id, schools.id, ended.id]);
      expect(ids(await list("?status=active"))).to.deep.equal([mixed.id, homes.id, schools.id]);
      const now = world.api.clock.now().getTime();
      const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
      // Overlapping [now + 30 d, now + 45 d): Mixed (to +90 d) and Homes (from +40 d); Schools ended at +20 d.
      expect(ids(await list(`?from=${iso(now + 30 * DAY)}&to=${iso(now + 45 * DAY)}`))).to.deep.equal([mixed.id, homes.id]);
      expect(ids(await list(`?to=${iso(now - 20 * DAY)}`))).to.deep.equal([ended.id]);
    });

    it("walks pages with a cursor, never repeating or skipping", async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await list(`?limit=1${cursor ? `&cursor=${cursor}` : ""}`);
        expect(page.items).to.have.length(1);
        seen.push(...ids(page));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).to.deep.equal([mixed.id, homes.id, schools.id, ended.id]);
    });

    it("refuses a bad query, naming the parameter", async () => {
      const bad = await world.api.request("GET", `/reservations?status=inactive&countryCode=XX&cursor=nope&limit=0`, { token: world.buyer.token });
      expect(bad.status).to.equal(400);
      expect((await fieldErrorsOf(bad)).map((e) => e.split(":")[0])).to.have.members(["query.status", "query.countryCode.0", "query.limit"]);
      const cursor = await world.api.request("GET", `/reservations?cursor=nope`, { token: world.buyer.token });
      expect(await fieldErrorsOf(cursor)).to.deep.equal(["query.cursor: is not a cursor this API issued"]);
      const order = await world.api.request("GET", `/reservations?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z`, { token: world.buyer.token });
      expect(await fieldErrorsOf(order)).to.deep.equal(["query.to: must not be before from"]);
    });

    it("shows a developer the reservations holding its devices, counting only its own", async () => {
      const page = await list("", india.token);
      expect(ids(page)).to.deep.equal([mixed.id, homes.id]);
      expect(page.items[0]).to.deep.include({ deviceCount: 1, countries: ["IN"], offTakers: ["Residential"] });
      const detail = await getReservation(world, mixed.id, india.token);
      expect(detail.devices.map((d) => d.deviceId)).to.deep.equal([indiaHomes[2]]);
      expect((await world.api.request("GET", `/reservations/${schools.id}`, { token: india.token })).status).to.equal(404);
    });

    it("shows administrators and auditors every buyer's, or one's with organisationId; others may not name one", async () => {
      const admin = seedOrganisation(world.api, "admin");
      const auditor = seedOrganisation(world.api, "auditor");
      for (const user of [admin, auditor]) {
        expect(ids(await list("", user.token))).to.deep.equal([foreign.id, mixed.id, homes.id, schools.id, ended.id]);
        expect(ids(await list(`?organisationId=${rival.organisationId}`, user.token))).to.deep.equal([foreign.id]);
      }
      const named = await world.api.request("GET", `/reservations?organisationId=${rival.organisationId}`, { token: world.buyer.token });
      expect(named.status).to.equal(404);
      expect(ids(await list(`?organisationId=${world.buyer.organisationId}`))).to.have.length(4);
      expect((await world.api.request("GET", `/reservations/${foreign.id}`, { token: world.buyer.token })).status).to.equal(404);
    });
  });

  describe("GET /reservations/{id}", () => {
    it("returns every field, the devices with their on-chain adds and releases, and the volume issued", async () => {
      const detail = await getReservation(world, ended.id);
      expect(detail).to.include({ id: ended.id, name: "Ended", status: "ended", endReason: "deleted", issuedWh: "0", issuedMWh: "0", deviceCount: 0 });
      expect(detail.buyerOrganisationName).to.match(/^buyer-/);
      expect(detail.devices).to.have.length(1);
      expect(detail.devices[0]).to.include({
        deviceId: kenyaSchools[2],
        countryCode: "KE",
        offTaker: "School",
        capacity: 12.5,
        addTxHash: ended.createTxHash,
        releaseReason: "ended",
      });
      expect(detail.devices[0].releaseTxHash).to.equal(detail.endTxHash);
      expect(detail.devices[0].releasedAt).to.equal(ended.end);
    });
  });

  describe("GET /reservations/eligible-devices", () => {
    interface Group {
      countryCode: string;
      offTaker: string;
      deviceTypeCode: string;
      deviceCount: number;
      totalCapacity: number;
      organisations: { id: string; name: string; deviceCount: number }[];
      commissioning: { from: string; to: string };
      timeZones: string[];
      devices: { id: string; capacity: number }[];
      suggestion?: { deviceIds: string[]; capacity: number; meetsTarget: boolean };
    }
    let free: { small: string; large: string; ground: string; flagged: string; homeA: string; homeB: string };

    before(async () => {
      const [small] = await registerDevices(world.api, world.developer, 1, { capacity: 5, commissioningDate: "2023-03-01" });
      const [large] = await registerDevices(world.api, world.developer, 1, { capacity: 40, commissioningDate: "2024-06-01" });
      const [ground] = await registerDevices(world.api, world.developer, 1, { deviceTypeCode: "PVGroundMounted", capacity: 30 });
      const [flagged] = await registerDevices(world.api, world.developer, 1);
      world.api.database.db
        .update(devices)
        .set({ validationErrors: [{ field: "grid", message: "unknown grid" }] })
        .where(eq(devices.id, flagged))
        .run();
      const [homeA, homeB] = await registerDevices(world.api, india, 2, {
        ...INDIA,
        offTaker: "Residential",
        capacity: 3,
        sdgBenefits: ["NoPoverty", "GenderEquality"],
      });
      free = { small, large, ground, flagged, homeA, homeB };
    });

    async function eligible(query = "", token = world.buyer.token): Promise<{ deviceCount: number; truncated: boolean; groups: Group[] }> {
      const response = await world.api.request("GET", `/reservations/eligible-devices${query}`, { token });
      expect(response.status, await response.clone().text()).to.equal(200);
      return (await response.json()) as { deviceCount: number; truncated: boolean; groups: Group[] };
    }
    const deviceIdsOf = (result: { groups: Group[] }) => result.groups.flatMap((g) => g.devices.map((d) => d.id));

    it("lists only free devices of every developer, grouped by country, fuel, device type and off-taker", async () => {
      const result = await eligible();
      // Reserved devices and the flagged one are left out; the device of the reservation that ended 30 days ago is free again.
      expect(deviceIdsOf(result)).to.have.members([kenyaSchools[2], free.small, free.large, free.ground, free.homeA, free.homeB]);
      expect(result).to.include({ deviceCount: 6, truncated: false });
      const [kenyaRoof, kenyaGround, indiaResidential] = result.groups;
      expect(kenyaRoof).to.deep.include({ countryCode: "KE", deviceTypeCode: "PVRoofMounted", offTaker: "School", deviceCount: 3, totalCapacity: 57.5 });
      expect(kenyaRoof.devices.map((d) => d.id)).to.deep.equal([free.large, kenyaSchools[2], free.small]);
      expect(kenyaRoof.commissioning).to.deep.equal({ from: "2023-03-01", to: "2024-06-01" });
      expect(kenyaRoof.timeZones).to.deep.equal(["Africa/Nairobi"]);
      expect(kenyaGround).to.deep.include({ deviceTypeCode: "PVGroundMounted", totalCapacity: 30 });
      expect(indiaResidential).to.deep.include({ countryCode: "IN", offTaker: "Residential", totalCapacity: 6 });
      expect(indiaResidential.organisations).to.deep.equal([
        { id: india.organisationId, name: `developer-${india.organisationId.slice(0, 8)}`, deviceCount: 2 },
      ]);
      expect(indiaResidential.timeZones).to.deep.equal(["Asia/Kolkata"]);
    });

    it("applies each filter", async () => {
      expect(deviceIdsOf(await eligible("?countryCode=IN"))).to.have.members([free.homeA, free.homeB]);
      expect(deviceIdsOf(await eligible("?offTaker=Residential"))).to.have.members([free.homeA, free.homeB]);
      expect(deviceIdsOf(await eligible("?deviceTypeCode=PVGroundMounted"))).to.deep.equal([free.ground]);
      expect(deviceIdsOf(await eligible("?fuelCode=Solar"))).to.have.length(6);
      expect(deviceIdsOf(await eligible("?capacityMinKw=5&capacityMaxKw=30"))).to.have.members([free.small, kenyaSchools[2], free.ground]);
      expect(deviceIdsOf(await eligible("?sdgBenefits=GenderEquality,ClimateAction"))).to.have.members([
        free.homeA,
        free.homeB,
        free.small,
        free.large,
        free.ground,
      ]);
      expect(deviceIdsOf(await eligible("?sdgBenefits=GenderEquality"))).to.have.members([free.homeA, free.homeB]);
      expect(deviceIdsOf(await eligible("?commissionedFrom=2024-01-01&commissionedTo=2024-12-31&countryCode=KE"))).to.have.members([
        free.large,
        free.ground,
        kenyaSchools[2],
      ]);
      expect(deviceIdsOf(await eligible("?commissionedTo=2023-12-31"))).to.deep.equal([free.small]);
    });

    it("suggests, per group, devices reaching a target capacity", async () => {
      const result = await eligible("?targetCapacityKw=42&countryCode=KE");
      expect(result.groups[0].suggestion).to.deep.equal({ deviceIds: [free.large, free.small], capacity: 45, meetsTarget: true });
      expect(result.groups[1].suggestion).to.deep.equal({ deviceIds: [free.ground], capacity: 30, meetsTarget: false });
    });

    it("refuses a bad query, naming the parameter", async () => {
      const response = await world.api.request("GET", "/reservations/eligible-devices?capacityMinKw=9&capacityMaxKw=3&fuelCode=Coal&targetCapacityKw=0", {
        token: world.buyer.token,
      });
      expect(response.status).to.equal(400);
      expect((await fieldErrorsOf(response)).map((e) => e.split(":")[0])).to.have.members(["query.fuelCode.0", "query.targetCapacityKw"]);
      const range = await world.api.request(
        "GET",
        "/reservations/eligible-devices?capacityMinKw=9&capacityMaxKw=3&commissionedFrom=2025-01-01&commissionedTo=2024-01-01",
        {
          token: world.buyer.token,
        }
      );
      expect(await fieldErrorsOf(range)).to.deep.equal([
        "query.capacityMaxKw: must not be below capacityMinKw",
        "query.commissionedTo: must not be before commissionedFrom",
      ]);
    });

    it("holds a released device 12 hours, and leaves out devices released after an intended start", async () => {
      const before = new Date(Date.parse(ended.end as string) - DAY).toISOString();
      expect(deviceIdsOf(await eligible(`?start=${encodeURIComponent(before)}`))).to.not.include(kenyaSchools[2]);
      expect(deviceIdsOf(await eligible(`?start=${encodeURIComponent(ended.end as string)}`))).to.include(kenyaSchools[2]);

      // Remove a device from a running reservation, then wait out the hold.
      const removed = await world.api.request("PATCH", `/reservations/${schools.id}`, {
        token: world.buyer.token,
        body: { removeDeviceIds: [kenyaSchools[0]] },
      });
      expect(removed.status).to.equal(200);
      const releasedAt = ((await removed.json()) as ReservationAnswer).devices.find((d) => d.deviceId === kenyaSchools[0])!.releasedAt!;
      expect(deviceIdsOf(await eligible())).to.not.include(kenyaSchools[0]);
      await advanceClockAndChain(world.api.clock, 13 * HOUR);
      refreshSessions(world.api, world.buyer);
      expect(deviceIdsOf(await eligible())).to.include(kenyaSchools[0]);
      expect(deviceIdsOf(await eligible(`?start=${encodeURIComponent(releasedAt)}`))).to.include(kenyaSchools[0]);
      const earlier = new Date(Date.parse(releasedAt) - HOUR).toISOString();
      expect(deviceIdsOf(await eligible(`?start=${encodeURIComponent(earlier)}`))).to.not.include(kenyaSchools[0]);
    });
  });

  it("documents every reservations route in /openapi.json, secured, with the fixed fields marked as refused", async () => {
    const doc = await (await world.api.request("GET", "/openapi.json")).json();
    const routes = [
      "post /reservations",
      "get /reservations",
      "get /reservations/eligible-devices",
      "get /reservations/{id}",
      "patch /reservations/{id}",
      "delete /reservations/{id}",
      "post /reservations/{id}/release",
    ];
    for (const route of routes) {
      const [method, path] = route.split(" ");
      const operation = doc.paths[path]?.[method];
      expect(operation, route).to.be.an("object");
      expect(operation.security, route).to.be.an("array").that.is.not.empty;
      expect(operation.responses, route).to.have.property("401");
    }
    expect(doc.components.schemas.ReservationInput.required).to.include.members([
      "name",
      "standard",
      "frequency",
      "start",
      "end",
      "targetMWh",
      "authorityToExceed",
      "walletAddress",
      "deviceIds",
    ]);
    expect(doc.components.schemas.ReservationPatch.properties.frequency.description).to.equal("Cannot change: refused");
  });
});
