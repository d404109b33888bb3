import { expect } from "chai";
import { eq } from "drizzle-orm";
import { privateKeyToAccount } from "viem/accounts";
import { chainRef } from "../../server/chain/refs";
import { sendRegistryTransaction } from "../../server/chain/sendTransaction";
import { recordReservationEnded, releaseExpiredReservations } from "../../server/reservations/release";
import { reservations } from "../../server/reservations/schema";
import { seedOrganisation, seedUser, tableSnapshot, type SeededUser } from "../support/api";
import { advanceClockAndChain } from "../support/chainTime";
import { fundedKey } from "../support/chain";
import {
  createReservation,
  DAY,
  deviceOnChain,
  getReservation,
  HOUR,
  onChain,
  refreshSessions,
  registerDevices,
  reservationWorld,
  type ReservationAnswer,
  type World,
} from "./support";

describe("reservations: releasing devices", () => {
  let world: World;
  let deviceIds: string[];

  beforeEach(async () => {
    world = await reservationWorld();
    deviceIds = await registerDevices(world.api, world.developer, 4);
  });
  afterEach(() => world.api.close());

  const endsIn = (ms: number) => ({ end: new Date(world.api.clock.now().getTime() + ms).toISOString() });
  async function advance(ms: number, ...users: SeededUser[]) {
    await advanceClockAndChain(world.api.clock, ms);
    refreshSessions(world.api, world.buyer, world.developer, ...users);
  }
  const now = () => world.api.clock.now().getTime();
  const release = (id: string, token: string) => world.api.request("POST", `/reservations/${id}/release`, { token });
  const recorder = () => privateKeyToAccount(world.api.chain.keys.recorder);
  const connection = () => ({ publicClient: world.api.chain.clients.publicClient, registryAddress: world.api.chain.address });

  describe("automatically, at the end of the period", () => {
    it("ends expired reservations on chain and releases their devices at the end; running ones stay", async () => {
      const expiring = await createReservation(world, [deviceIds[0], deviceIds[1]], endsIn(DAY));
      const running = await createReservation(world, [deviceIds[2]], endsIn(10 * DAY));
      await advance(2 * DAY);

      const summary = await releaseExpiredReservations(world.api.deps, now());
      expect(summary).to.deep.equal({ released: 1, failed: 0, errors: [] });
      const ended = await getReservation(world, expiring.id);
      expect(ended).to.include({ status: "ended", endReason: "expired", endedAt: expiring.end, releaseError: null });
      expect(ended.endTxHash).to.match(/^0x[0-9a-f]{64}$/);
      for (const device of ended.devices) expect(device).to.include({ releasedAt: expiring.end, releaseTxHash: ended.endTxHash, releaseReason: "ended" });
      expect((await onChain(world.api, expiring.id)).endedAt * 1000).to.equal(Date.parse(expiring.end as string));
      expect((await getReservation(world, running.id)).status).to.equal("active");
      expect((await onChain(world.api, running.id)).endedAt).to.equal(0);

      // Released at the end, so held 12 hours from the end (already over here): free for a window from the end on.
      const next = await createReservation(world, [deviceIds[0]], { start: expiring.end });
      expect((await deviceOnChain(world.api, deviceIds[0])).reservationId).to.equal(chainRef(next.id));

      const before = tableSnapshot(world.api);
      expect(await releaseExpiredReservations(world.api.deps, now())).to.deep.equal({ released: 0, failed: 0, errors: [] });
      expect(tableSnapshot(world.api)).to.deep.equal(before);
    });

    it("records a failure on its reservation and carries on with the others", async () => {
      const broken = await createReservation(world, [deviceIds[0]], endsIn(DAY));
      const fine = await createReservation(world, [deviceIds[1]], endsIn(DAY));
      await advance(2 * DAY);
      // A record whose chain reference went wrong: the chain knows no such reservation.
      const badRef = chainRef("22222222-2222-4222-8222-222222222222");
      world.api.database.db.update(reservations).set({ chainRef: badRef }).where(eq(reservations.id, broken.id)).run();

      const summary = await releaseExpiredReservations(world.api.deps, now());
      expect(summary.released).to.equal(1);
      expect(summary.failed).to.equal(1);
      expect(summary.errors).to.have.length(1);
      expect(summary.errors[0].reservationId).to.equal(broken.id);
      expect(summary.errors[0].error).to.include(`UnknownReservation(${badRef})`);
      const failed = await getReservation(world, broken.id);
      expect(failed).to.include({ status: "active", releaseError: summary.errors[0].error });
      expect(failed.devices[0].releasedAt).to.equal(null);
      expect((await getReservation(world, fine.id)).status).to.equal("ended");
    });

    it("only records the end when the chain has already ended the reservation", async () => {
      const created = await createReservation(world, [deviceIds[0]], endsIn(DAY));
      // An earlier run ended it on chain but its database write was lost.
      await sendRegistryTransaction(connection(), recorder(), "endReservation", [chainRef(created.id)]);
      const chainEnd = (await onChain(world.api, created.id)).endedAt * 1000;
      await advance(2 * DAY);

      expect(await releaseExpiredReservations(world.api.deps, now())).to.deep.equal({ released: 1, failed: 0, errors: [] });
      const ended = await getReservation(world, created.id);
      expect(ended).to.include({ status: "ended", endReason: "expired", endedAt: new Date(chainEnd).toISOString(), endTxHash: null });
      expect(ended.devices[0]).to.include({ releasedAt: ended.endedAt, releaseReason: "ended", releaseTxHash: null });
    });

    it("records a reservation the chain ended at its target (the issuance engine's call), once", async () => {
      const created = await createReservation(world, [deviceIds[0]]);
      const db = world.api.database.db;
      const endedAt = now() + HOUR;
      db.transaction((tx) => recordReservationEnded(tx, { reservationId: created.id, reason: "target-reached", endedAt, txHash: "0xabc" }));
      const ended = await getReservation(world, created.id);
      expect(ended).to.include({ status: "ended", endReason: "target-reached", endedAt: new Date(endedAt).toISOString(), endTxHash: "0xabc" });
      expect(ended.devices[0]).to.include({ releasedAt: ended.endedAt, releaseTxHash: "0xabc", releaseReason: "ended" });
      const before = tableSnapshot(world.api);
      db.transaction((tx) => recordReservationEnded(tx, { reservationId: created.id, reason: "expired", endedAt: endedAt + DAY, txHash: "0xdef" }));
      expect(tableSnapshot(world.api)).to.deep.equal(before);
    });
  });

  describe("by hand, when the automatic release failed", () => {
    let other: SeededUser;
    let stuck: ReservationAnswer;
    let running: ReservationAnswer;
    let foreignDevice: string;

    beforeEach(async () => {
      other = seedOrganisation(world.api, "developer");
      [foreignDevice] = await registerDevices(world.api, other, 1);
      stuck = await createReservation(world, [deviceIds[0], deviceIds[1], foreignDevice], endsIn(DAY));
      running = await createReservation(world, [deviceIds[2]], endsIn(10 * DAY));
      await advance(2 * DAY, other);
      // The recorder key in use lost its role: the automatic release fails.
      const impostor = privateKeyToAccount(await fundedKey());
      const summary = await releaseExpiredReservations({ ...world.api.deps, chainSigners: { issuer: impostor, recorder: impostor } }, now());
      expect(summary.failed).to.equal(1);
      expect(summary.errors[0].error).to.include("AccessControlUnauthorizedAccount");
    });

    it("shows the failure on the reservation", async () => {
      const shown = await getReservation(world, stuck.id);
      expect(shown.status).to.equal("active");
      expect(shown.releaseError).to.include("AccessControlUnauthorizedAccount");
    });

    it("is refused for a reservation still running, and for one already ended", async () => {
      const admin = seedOrganisation(world.api, "admin");
      const early = await release(running.id, admin.token);
      expect(early.status).to.equal(409);
      expect((await early.json()).detail).to.include(`runs until ${running.end}`);
      expect((await release(stuck.id, admin.token)).status).to.equal(200);
      const again = await release(stuck.id, admin.token);
      expect(again.status).to.equal(409);
      expect((await again.json()).title).to.equal("Already released");
    });

    it("refuses buyers, developers without UPDATE or DELETE on devices, and admins without it on reservations, writing nothing", async () => {
      const reader = seedUser(world.api, world.developer.organisationId, { isOrganisationAdmin: false });
      const writerOnly = seedUser(world.api, world.developer.organisationId, { isOrganisationAdmin: false, permissions: { devices: ["READ", "WRITE"] } });
      const adminOrg = seedOrganisation(world.api, "admin");
      const readOnlyAdmin = seedUser(world.api, adminOrg.organisationId, { isOrganisationAdmin: false });
      const auditor = seedOrganisation(world.api, "auditor");
      const snapshot = tableSnapshot(world.api);
      for (const user of [world.buyer, reader, writerOnly, readOnlyAdmin, auditor]) expect((await release(stuck.id, user.token)).status).to.equal(403);
      expect((await world.api.request("POST", `/reservations/${stuck.id}/release`)).status).to.equal(401);
      expect(tableSnapshot(world.api)).to.deep.equal(snapshot);
      const outsider = seedOrganisation(world.api, "developer");
      expect((await release(stuck.id, outsider.token)).status).to.equal(404);
    });

    it("lets a developer with devices UPDATE release its own devices only, removing them on chain", async () => {
      const updater = seedUser(world.api, world.developer.organisationId, {
        isOrganisationAdmin: false,
        permissions: { devices: ["READ", "UPDATE"], reservations: ["READ"] },
      });
      const response = await release(stuck.id, updater.token);
      expect(response.status, await response.clone().text()).to.equal(200);
      const seen = (await response.json()) as ReservationAnswer;
      expect(seen.devices.map((d) => d.deviceId)).to.deep.equal([deviceIds[0], deviceIds[1]]);
      for (const device of seen.devices) {
        expect(device).to.include({ releasedAt: stuck.end, releaseReason: "manual" });
        expect(device.releaseTxHash).to.match(/^0x[0-9a-f]{64}$/);
        expect((await deviceOnChain(world.api, device.deviceId)).reservationId).to.equal(undefined);
      }
      const whole = await getReservation(world, stuck.id);
      expect(whole.status).to.equal("active");
      expect(whole.devices.find((d) => d.deviceId === foreignDevice)!.releasedAt).to.equal(null);
      expect((await deviceOnChain(world.api, foreignDevice)).reservationId).to.equal(chainRef(stuck.id));

      const nothingLeft = await release(stuck.id, updater.token);
      expect(nothingLeft.status).to.equal(409);
      expect((await nothingLeft.json()).detail).to.equal("None of your devices remain in this reservation.");
      const deleter = seedUser(world.api, other.organisationId, {
        isOrganisationAdmin: false,
        permissions: { devices: ["READ", "DELETE"], reservations: ["READ"] },
      });
      expect((await release(stuck.id, deleter.token)).status).to.equal(200);
      expect((await getReservation(world, stuck.id)).deviceCount).to.equal(0);
    });

    it("lets a platform administrator end the reservation and release every device", async () => {
      const admin = seedOrganisation(world.api, "admin");
      const response = await release(stuck.id, admin.token);
      expect(response.status, await response.clone().text()).to.equal(200);
      const ended = (await response.json()) as ReservationAnswer;
      expect(ended).to.include({ status: "ended", endReason: "expired", endedAt: stuck.end, releaseError: null });
      expect(ended.endTxHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(ended.devices).to.have.length(3);
      for (const device of ended.devices) expect(device).to.include({ releasedAt: stuck.end, releaseTxHash: ended.endTxHash, releaseReason: "manual" });
      expect((await onChain(world.api, stuck.id)).endedAt * 1000).to.equal(Date.parse(stuck.end as string));
    });

    it("records a developer's release without a transaction when the chain has ended the reservation already", async () => {
      await sendRegistryTransaction(connection(), recorder(), "endReservation", [chainRef(stuck.id)]);
      const response = await release(stuck.id, world.developer.token);
      expect(response.status).to.equal(200);
      for (const device of ((await response.json()) as ReservationAnswer).devices) {
        expect(device).to.include({ releasedAt: stuck.end, releaseTxHash: null, releaseReason: "manual" });
      }
    });
  });
});
