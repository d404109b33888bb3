import { expect } from "chai";
import { eq } from "drizzle-orm";
import { parseEventLogs } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainRef } from "../../server/chain/refs";
import { REGISTRY_ABI } from "../../server/chain/registryAbi";
import { RegistryRevertError, sendRegistryTransaction } from "../../server/chain/sendTransaction";
import { devices } from "../../server/devices/schema";
import { outboxEmails } from "../../server/notifications/schema";
import { reservationDevices, reservations } from "../../server/reservations/schema";
import { createTestApi, seedOrganisation, seedUser, tableSnapshot } from "../support/api";
import {
  bindWallet,
  createReservation,
  DAY,
  deviceOnChain,
  fieldErrorsOf,
  onChain,
  registerDevices,
  reservationBody,
  reservationWorld,
  type ReservationAnswer,
  type World,
} from "./support";

describe("reservations: creating", () => {
  let world: World;
  let deviceIds: string[];

  beforeEach(async () => {
    world = await reservationWorld();
    deviceIds = await registerDevices(world.api, world.developer, 3);
  });
  afterEach(() => world.api.close());

  const post = (body: unknown, token = world.buyer.token) => world.api.request("POST", "/reservations", { token, body });

  it("records the reservation on chain first, then in the database with the transaction hash", async () => {
    const now = world.api.clock.now().getTime();
    const start = new Date(now - 2 * DAY).toISOString();
    const end = new Date(now + 90 * DAY).toISOString();
    const response = await post(
      reservationBody(world, deviceIds, {
        name: "Nairobi schools 2027",
        standard: "I-REC",
        frequency: "weekly",
        start,
        end,
        targetMWh: 12.345678,
        authorityToExceed: true,
        walletAddress: world.wallet.toLowerCase(),
      })
    );
    expect(response.status, await response.clone().text()).to.equal(201);
    const created = (await response.json()) as ReservationAnswer;
    expect(response.headers.get("location")).to.equal(`/reservations/${created.id}`);
    expect(created).to.include({
      name: "Nairobi schools 2027",
      standard: "I-REC",
      frequency: "weekly",
      start,
      end,
      targetMWh: "12.345678",
      targetWh: "12345678",
      authorityToExceed: true,
      walletAddress: world.wallet,
      status: "active",
      endReason: null,
      buyerOrganisationId: world.buyer.organisationId,
      chainRef: chainRef(created.id),
      deviceCount: 3,
      issuedWh: "0",
    });
    expect(created.devices.map((d) => d.deviceId)).to.deep.equal(deviceIds);
    expect(created.devices.every((d) => d.addTxHash === created.createTxHash && d.releasedAt === null)).to.equal(true);

    const recorded = await onChain(world.api, created.id);
    expect(recorded).to.deep.include({
      buyer: world.wallet,
      start: Date.parse(start) / 1000,
      end: Date.parse(end) / 1000,
      frequency: 2,
      standard: 1,
      targetWh: 12_345_678n,
      canExceedTarget: true,
      endedAt: 0,
    });
    for (const id of deviceIds) expect((await deviceOnChain(world.api, id)).reservationId).to.equal(chainRef(created.id));
    const receipt = await world.api.chain.clients.publicClient.getTransactionReceipt({ hash: created.createTxHash });
    const added = parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "DeviceAdded" });
    expect(added.map((log) => log.args.device)).to.deep.equal(deviceIds.map((id) => chainRef(id)));
    expect(added.every((log) => log.args.reservationId === chainRef(created.id))).to.equal(true);
  });

  it("accepts the target as a JSON number or decimal text, and a start or end up to 12 months back", async () => {
    const now = world.api.clock.now();
    const yearAgo = new Date(now);
    yearAgo.setUTCFullYear(yearAgo.getUTCFullYear() - 1);
    const created = await createReservation(world, [deviceIds[0]], {
      targetMWh: "0.000001",
      start: yearAgo.toISOString(),
      end: new Date(yearAgo.getTime() + DAY).toISOString(),
    });
    expect(created).to.include({ targetWh: "1", targetMWh: "0.000001", start: yearAgo.toISOString() });
    const big = await createReservation(world, [deviceIds[1]], { targetMWh: 2500 });
    expect(big.targetWh).to.equal("2500000000");
  });

  describe("refuses bad input, naming each field, and writes nothing (chain included)", () => {
    async function refused(body: unknown, status: number): Promise<string[]> {
      const before = tableSnapshot(world.api);
      const response = await post(body);
      expect(response.status, await response.clone().text()).to.equal(status);
      expect(tableSnapshot(world.api)).to.deep.equal(before);
      for (const id of deviceIds) expect((await deviceOnChain(world.api, id)).reservationId).to.equal(undefined);
      return fieldErrorsOf(response);
    }
    const now = () => world.api.clock.now().getTime();

    it("each field's shape", async () => {
      const errors = await refused(
        {
          name: " ",
          standard: "Gold Standard",
          frequency: "yearly",
          start: "tomorrow",
          end: "2026-13-01T00:00:00Z",
          targetMWh: true,
          authorityToExceed: "yes",
          walletAddress: "0x1234",
          deviceIds: ["not-a-uuid"],
          colour: "green",
        },
        400
      );
      expect(errors).to.have.members([
        "body.name: must not be empty",
        "body.standard: must be one of: D-REC, I-REC",
        "body.frequency: must be one of: hourly, daily, weekly, monthly, quarterly",
        "body.start: must be an ISO 8601 date-time with an offset (Z for UTC)",
        "body.end: must be an ISO 8601 date-time with an offset (Z for UTC)",
        "body.targetMWh: must be a decimal number of MWh (a string or a number)",
        "body.authorityToExceed: must be true or false",
        "body.walletAddress: must be a 0x-prefixed 20-byte address (mixed case must be a valid EIP-55 checksum)",
        "body.deviceIds.0: must be a device UUID",
        "body.colour: is not a field of this request",
      ]);
    });

    it("missing fields and an empty device list", async () => {
      const errors = await refused({ deviceIds: [] }, 400);
      expect(errors).to.include("body.deviceIds: must list at least one device");
      for (const field of ["name", "standard", "frequency", "start", "end", "targetMWh", "authorityToExceed", "walletAddress"]) {
        expect(
          errors.some((e) => e.startsWith(`body.${field}:`)),
          field
        ).to.equal(true);
      }
    });

    it("the window: more than 12 months back, end not after start, split seconds", async () => {
      const longAgo = new Date(now() - 400 * DAY).toISOString();
      expect(await refused(reservationBody(world, deviceIds, { start: longAgo }), 400)).to.deep.equal([
        `body.start: must not be more than 12 months in the past (earliest ${(() => {
          const d = world.api.clock.now();
          d.setUTCFullYear(d.getUTCFullYear() - 1);
          return d.toISOString();
        })()})`,
      ]);
      const start = new Date(now() + DAY).toISOString();
      expect(await refused(reservationBody(world, deviceIds, { start, end: start }), 400)).to.deep.equal(["body.end: must be after start"]);
      expect(await refused(reservationBody(world, deviceIds, { end: new Date(now() + DAY + 1).toISOString() }), 400)).to.deep.equal([
        "body.end: must be a whole second (the chain records reservation windows in seconds)",
      ]);
    });

    it("a target finer than 1 Wh, zero, or negative", async () => {
      expect(await refused(reservationBody(world, deviceIds, { targetMWh: "1.0000001" }), 400)).to.deep.equal([
        "body.targetMWh: must not be finer than 1 Wh (at most 6 decimals of MWh)",
      ]);
      expect(await refused(reservationBody(world, deviceIds, { targetMWh: 0 }), 400)).to.deep.equal(["body.targetMWh: must be at least 0.000001 MWh (1 Wh)"]);
      expect(await refused(reservationBody(world, deviceIds, { targetMWh: "-5" }), 400)).to.have.length(1);
    });

    it("a wallet that is not the buyer organisation's", async () => {
      const stranger = bindWallet(world.api, seedOrganisation(world.api, "buyer"));
      for (const walletAddress of [stranger, "0x000000000000000000000000000000000000dEaD"]) {
        expect(await refused(reservationBody(world, deviceIds, { walletAddress }), 400)).to.deep.equal([
          "body.walletAddress: is not one of your organisation's wallets (bind it with POST /organisation/wallets)",
        ]);
      }
    });

    it("unknown and repeated devices", async () => {
      const unknown = "00000000-0000-4000-8000-000000000000";
      expect(await refused(reservationBody(world, [deviceIds[0], unknown, deviceIds[1], deviceIds[0]]), 400)).to.deep.equal([
        "body.deviceIds.3: repeats item 0",
        "body.deviceIds.1: no such device",
      ]);
    });

    it("a device with validation errors (409)", async () => {
      world.api.database.db
        .update(devices)
        .set({ validationErrors: [{ field: "grid", message: "is not a known grid" }] })
        .where(eq(devices.id, deviceIds[2]))
        .run();
      expect(await refused(reservationBody(world, deviceIds), 409)).to.deep.equal([
        "body.deviceIds.2: has validation errors (see the device's validationErrors): its developer must correct them first",
      ]);
    });
  });

  describe("a device is in at most one active reservation", () => {
    it("refuses a device already reserved, naming it and the reservation, and writes nothing", async () => {
      const first = await createReservation(world, [deviceIds[0]]);
      const before = tableSnapshot(world.api);
      const response = await post(reservationBody(world, [deviceIds[1], deviceIds[0]]));
      expect(response.status).to.equal(409);
      expect(await fieldErrorsOf(response)).to.deep.equal([`body.deviceIds.1: is in active reservation ${first.id}`]);
      expect(tableSnapshot(world.api)).to.deep.equal(before);
      expect((await deviceOnChain(world.api, deviceIds[1])).reservationId).to.equal(undefined);
    });

    it("is enforced by the database: a second unreleased row for a device is refused", async () => {
      const first = await createReservation(world, [deviceIds[0]]);
      const second = await createReservation(world, [deviceIds[1]]);
      const db = world.api.database.db;
      expect(() => db.insert(reservationDevices).values({ reservationId: second.id, deviceId: deviceIds[0], addedAt: 1, addTxHash: "0x01" }).run()).to.throw(
        /UNIQUE constraint failed: reservation_devices.device_id/
      );
      // Once released, the device may appear again (its history stays).
      db.update(reservationDevices).set({ releasedAt: 1 }).where(eq(reservationDevices.reservationId, first.id)).run();
      db.insert(reservationDevices).values({ reservationId: second.id, deviceId: deviceIds[0], addedAt: 2, addTxHash: "0x02" }).run();
    });

    it("is enforced by the chain: the recorder cannot reserve a reserved device, even bypassing the API", async () => {
      const first = await createReservation(world, [deviceIds[0]]);
      const recorder = privateKeyToAccount(world.api.chain.keys.recorder);
      const now = Math.floor(world.api.clock.now().getTime() / 1000);
      const error = await sendRegistryTransaction(
        { publicClient: world.api.chain.clients.publicClient, registryAddress: world.api.chain.address },
        recorder,
        "createReservation",
        [chainRef("11111111-1111-4111-8111-111111111111"), world.wallet, now, now + 86_400, 1, 0, 1n, false, [chainRef(deviceIds[0])]]
      ).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(RegistryRevertError);
      expect((error as RegistryRevertError).errorName).to.equal("DeviceAlreadyReserved");
      expect((error as RegistryRevertError).args).to.deep.equal([chainRef(deviceIds[0]), chainRef(first.id)]);
    });

    it("of two buyers racing for one device, the chain admits one and the other gets 409 with nothing written", async () => {
      const rival = seedOrganisation(world.api, "buyer");
      const rivalWallet = bindWallet(world.api, rival);
      const requests = [
        { body: reservationBody(world, [deviceIds[0], deviceIds[1]]), token: world.buyer.token, contested: 0 },
        { body: reservationBody({ api: world.api, wallet: rivalWallet }, [deviceIds[2], deviceIds[0]]), token: rival.token, contested: 1 },
      ];
      const responses = await Promise.all(requests.map((r) => post(r.body, r.token)));
      expect(responses.map((r) => r.status).sort()).to.deep.equal([201, 409]);
      const winnerIndex = responses.findIndex((r) => r.status === 201);
      const loser = requests[1 - winnerIndex];
      const winner = (await responses[winnerIndex].json()) as ReservationAnswer;
      expect(await fieldErrorsOf(responses[1 - winnerIndex])).to.deep.equal([
        `body.deviceIds.${loser.contested}: is already in reservation ${winner.id} on chain`,
      ]);
      expect(
        world.api.database.db
          .select()
          .from(reservations)
          .all()
          .map((r) => r.id)
      ).to.deep.equal([winner.id]);
      expect(
        world.api.database.db
          .select()
          .from(reservationDevices)
          .all()
          .map((r) => r.deviceId)
      ).to.have.members(winner.devices.map((d) => d.deviceId));
      const loserOnly = (loser.body.deviceIds as string[]).find((id) => id !== deviceIds[0])!;
      expect((await deviceOnChain(world.api, loserOnly)).reservationId).to.equal(undefined);
    });
  });

  it("notifies each developer organisation's admins once, naming their devices, the reservation, buyer and period", async () => {
    const other = seedOrganisation(world.api, "developer");
    const otherAdmin = seedUser(world.api, other.organisationId, { isOrganisationAdmin: true });
    const otherMember = seedUser(world.api, other.organisationId, { isOrganisationAdmin: false });
    const [foreign] = await registerDevices(world.api, other, 1);
    const created = await createReservation(world, [deviceIds[0], foreign, deviceIds[1]], { name: "Mixed portfolio" });

    const outbox = world.api.database.db.select().from(outboxEmails).all();
    expect(outbox.map((e) => e.to).sort()).to.deep.equal([world.developer.email, other.email, otherAdmin.email].sort());
    expect(world.api.mail.to(otherMember.email)).to.deep.equal([]);
    const [mine] = world.api.mail.to(world.developer.email);
    expect(mine.subject).to.match(/reserved 2 devices of developer-/);
    expect(mine.body).to.include(`"Mixed portfolio" (${created.id})`);
    expect(mine.body).to.include(`${created.start} to ${created.end}`);
    const devicesOfMine = world.api.database.db.select().from(devices).where(eq(devices.organisationId, world.developer.organisationId)).all();
    for (const device of devicesOfMine.filter((d) => deviceIds.slice(0, 2).includes(d.id))) expect(mine.body).to.include(`${device.externalId} (${device.id})`);
    expect(mine.body).to.not.include(foreign);
    const [theirs] = world.api.mail.to(otherAdmin.email);
    expect(theirs.subject).to.match(/reserved 1 device of developer-/);
    expect(theirs.body).to.include(foreign);
  });

  it("answers 503 without the platform's recorder key, having written nothing", async () => {
    const api = await createTestApi({ chainSigners: undefined });
    try {
      const buyer = seedOrganisation(api, "buyer");
      const developer = seedOrganisation(api, "developer");
      const ids = await registerDevices(api, developer, 1);
      const body = reservationBody({ api, wallet: bindWallet(api, buyer) }, ids);
      const before = tableSnapshot(api);
      const response = await api.request("POST", "/reservations", { token: buyer.token, body });
      expect(response.status).to.equal(503);
      expect(tableSnapshot(api)).to.deep.equal(before);
    } finally {
      api.close();
    }
  });

  it("takes at most 250 devices in one request", async () => {
    const many = Array.from({ length: 251 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const response = await post(reservationBody(world, many));
    expect(await fieldErrorsOf(response)).to.deep.equal(["body.deviceIds: must list at most 250 devices; add more with PATCH"]);
  });

  it("keeps times as whole seconds of UTC from any offset", async () => {
    const created = await createReservation(world, [deviceIds[0]], { start: "2026-12-01T03:00:00+03:00", end: "2027-01-01T00:00:00-05:00" });
    expect(created).to.include({ start: "2026-12-01T00:00:00.000Z", end: "2027-01-01T05:00:00.000Z" });
  });
});
