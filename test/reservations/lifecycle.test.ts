import { expect } from "chai";
import { parseEventLogs } from "viem";
import { chainRef } from "../../server/chain/refs";
import { REGISTRY_ABI } from "../../server/chain/registryAbi";
import { reservationDevices } from "../../server/reservations/schema";
import { seedOrganisation, tableSnapshot } from "../support/api";
import { advanceClockAndChain } from "../support/chainTime";
import {
  createReservation,
  DAY,
  deviceOnChain,
  fieldErrorsOf,
  getReservation,
  HOUR,
  onChain,
  refreshSessions,
  registerDevices,
  reservationBody,
  reservationWorld,
  type ReservationAnswer,
  type World,
} from "./support";

describe("reservations: changing, ending, holding", () => {
  let world: World;
  let deviceIds: string[];

  beforeEach(async () => {
    world = await reservationWorld();
    deviceIds = await registerDevices(world.api, world.developer, 4);
  });
  afterEach(() => world.api.close());

  const patch = (id: string, body: unknown, token = world.buyer.token) => world.api.request("PATCH", `/reservations/${id}`, { token, body });
  const remove = (id: string, token = world.buyer.token) => world.api.request("DELETE", `/reservations/${id}`, { token });
  /** Moves API clock and chain together, then renews the sessions that would have expired. */
  async function advance(ms: number) {
    await advanceClockAndChain(world.api.clock, ms);
    refreshSessions(world.api, world.buyer, world.developer);
  }

  describe("PATCH", () => {
    it("adds devices on chain, records each with its transaction, and notifies their developer", async () => {
      const created = await createReservation(world, [deviceIds[0]]);
      world.api.mail.sent.length = 0;
      const response = await patch(created.id, { name: "Renamed", addDeviceIds: [deviceIds[1], deviceIds[2]] });
      expect(response.status, await response.clone().text()).to.equal(200);
      const changed = (await response.json()) as ReservationAnswer;
      expect(changed).to.include({ name: "Renamed", deviceCount: 3 });
      const added = changed.devices.filter((d) => d.deviceId !== deviceIds[0]);
      expect(added.map((d) => d.deviceId)).to.deep.equal([deviceIds[1], deviceIds[2]]);
      const addTx = added[0].addTxHash;
      expect(addTx).to.not.equal(created.createTxHash);
      expect(added[1].addTxHash).to.equal(addTx);
      const receipt = await world.api.chain.clients.publicClient.getTransactionReceipt({ hash: addTx });
      expect(parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "DeviceAdded" }).map((l) => l.args.device)).to.deep.equal([
        chainRef(deviceIds[1]),
        chainRef(deviceIds[2]),
      ]);
      for (const id of deviceIds.slice(0, 3)) expect((await deviceOnChain(world.api, id)).reservationId).to.equal(chainRef(created.id));
      const [email] = world.api.mail.to(world.developer.email);
      expect(email.subject).to.match(/reserved 2 devices/);
      expect(email.body).to.include(`"Renamed" (${created.id})`);
    });

    it("removes devices on chain, releasing each at the chain's time, and holds them 12 hours", async () => {
      const created = await createReservation(world, [deviceIds[0], deviceIds[1]]);
      await advance(HOUR);
      const response = await patch(created.id, { removeDeviceIds: [deviceIds[0]] });
      expect(response.status, await response.clone().text()).to.equal(200);
      const changed = (await response.json()) as ReservationAnswer;
      const removed = changed.devices.find((d) => d.deviceId === deviceIds[0])!;
      expect(removed.releaseReason).to.equal("removed");
      expect(changed.deviceCount).to.equal(1);
      const receipt = await world.api.chain.clients.publicClient.getTransactionReceipt({ hash: removed.releaseTxHash! });
      const [event] = parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "DeviceRemoved" });
      expect(event.args.device).to.equal(chainRef(deviceIds[0]));
      expect(removed.releasedAt).to.equal(new Date(Number(event.args.releasedAt) * 1000).toISOString());
      const status = await deviceOnChain(world.api, deviceIds[0]);
      expect(status).to.deep.equal({ reservationId: undefined, availableAt: Date.parse(removed.releasedAt!) + 12 * HOUR });

      // Held: another reservation cannot take it for 12 hours, whatever its window.
      const onHold = await world.api.request("POST", "/reservations", {
        token: world.buyer.token,
        body: reservationBody(world, [deviceIds[0]], { start: new Date(Date.parse(removed.releasedAt!) + HOUR).toISOString() }),
      });
      expect(onHold.status).to.equal(409);
      expect(await fieldErrorsOf(onHold)).to.deep.equal([
        `body.deviceIds.0: is on hold until ${new Date(status.availableAt).toISOString()} after its last reservation`,
      ]);
    });

    it("refuses every fixed field, naming it, and changes nothing", async () => {
      const created = await createReservation(world, [deviceIds[0]]);
      const before = tableSnapshot(world.api);
      const response = await patch(created.id, {
        name: "New name",
        frequency: "hourly",
        start: created.start,
        end: created.end,
        standard: "I-REC",
        targetMWh: "20",
        authorityToExceed: true,
        walletAddress: world.wallet,
        deviceIds: [deviceIds[1]],
      });
      expect(response.status).to.equal(400);
      expect(await fieldErrorsOf(response)).to.have.members([
        "body.frequency: is fixed for the reservation's life",
        "body.start: is fixed for the reservation's life",
        "body.end: is fixed for the reservation's life",
        "body.standard: is fixed for the reservation's life",
        "body.targetMWh: is fixed for the reservation's life",
        "body.authorityToExceed: is fixed for the reservation's life",
        "body.walletAddress: is fixed for the reservation's life",
        "body.deviceIds: cannot be replaced: list devices in addDeviceIds and removeDeviceIds",
      ]);
      expect(tableSnapshot(world.api)).to.deep.equal(before);
      expect((await onChain(world.api, created.id)).frequency).to.equal(1);
    });

    it("refuses bad device changes, naming each, and writes nothing", async () => {
      const created = await createReservation(world, [deviceIds[0], deviceIds[1]]);
      const other = await createReservation(world, [deviceIds[2]]);
      const before = tableSnapshot(world.api);
      const unknown = "00000000-0000-4000-8000-000000000000";
      const bad = await patch(created.id, { addDeviceIds: [deviceIds[0], unknown, deviceIds[3], deviceIds[3]], removeDeviceIds: [deviceIds[3], deviceIds[2]] });
      expect(bad.status).to.equal(400);
      expect(await fieldErrorsOf(bad)).to.have.members([
        "body.addDeviceIds.0: is already in this reservation",
        "body.addDeviceIds.1: no such device",
        "body.addDeviceIds.3: repeats item 2",
        "body.removeDeviceIds.0: is also in addDeviceIds",
        "body.removeDeviceIds.1: is not in this reservation",
      ]);
      const taken = await patch(created.id, { name: "Not applied", addDeviceIds: [deviceIds[2]] });
      expect(taken.status).to.equal(409);
      expect(await fieldErrorsOf(taken)).to.deep.equal([`body.addDeviceIds.0: is in active reservation ${other.id}`]);
      expect(tableSnapshot(world.api)).to.deep.equal(before);
    });

    it("answers 404 for another buyer's reservation or an unknown id", async () => {
      const created = await createReservation(world, [deviceIds[0]]);
      const stranger = seedOrganisation(world.api, "buyer");
      expect((await patch(created.id, { name: "Mine now" }, stranger.token)).status).to.equal(404);
      expect((await remove(created.id, stranger.token)).status).to.equal(404);
      expect((await patch("00000000-0000-4000-8000-000000000000", { name: "x" })).status).to.equal(404);
      expect((await getReservation(world, created.id)).name).to.not.equal("Mine now");
    });

    it("refuses device changes once the period is over, and any change once ended", async () => {
      const created = await createReservation(world, [deviceIds[0]], { end: new Date(world.api.clock.now().getTime() + DAY).toISOString() });
      await advance(2 * DAY);
      const late = await patch(created.id, { addDeviceIds: [deviceIds[1]] });
      expect(late.status).to.equal(409);
      expect((await late.json()).detail).to.include("period ended");
      expect((await patch(created.id, { name: "Still renameable" })).status).to.equal(200);
      expect((await remove(created.id)).status).to.equal(200);
      const ended = await patch(created.id, { name: "Too late" });
      expect(ended.status).to.equal(409);
      expect((await ended.json()).title).to.equal("Reservation ended");
    });
  });

  describe("DELETE", () => {
    it("ends the reservation on chain and releases every device at the chain's end time", async () => {
      const created = await createReservation(world, [deviceIds[0], deviceIds[1]]);
      await advance(HOUR);
      const response = await remove(created.id);
      expect(response.status, await response.clone().text()).to.equal(200);
      const ended = (await response.json()) as ReservationAnswer;
      const chainState = await onChain(world.api, created.id);
      expect(chainState.endedAt).to.be.greaterThan(0);
      expect(ended).to.include({ status: "ended", endReason: "deleted", endedAt: new Date(chainState.endedAt * 1000).toISOString(), releaseError: null });
      const receipt = await world.api.chain.clients.publicClient.getTransactionReceipt({ hash: ended.endTxHash! });
      expect(parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "ReservationEnded" })[0].args.reservationId).to.equal(chainRef(created.id));
      for (const device of ended.devices) expect(device).to.include({ releasedAt: ended.endedAt, releaseTxHash: ended.endTxHash, releaseReason: "ended" });
      expect(ended.deviceCount).to.equal(0);
      for (const id of deviceIds.slice(0, 2))
        expect(await deviceOnChain(world.api, id)).to.deep.equal({ reservationId: chainRef(created.id), availableAt: Date.parse(ended.endedAt!) + 12 * HOUR });

      const again = await remove(created.id);
      expect(again.status).to.equal(409);
    });
  });

  describe("the 12-hour hold and windows that never overlap", () => {
    it("frees a device 12 hours after its reservation ended, for windows starting at or after that end", async () => {
      const first = await createReservation(world, [deviceIds[0]], { start: new Date(world.api.clock.now().getTime() - 5 * DAY).toISOString() });
      await advance(HOUR);
      const ended = (await (await remove(first.id)).json()) as ReservationAnswer;
      const endedAt = Date.parse(ended.endedAt!);
      const availableAt = new Date(endedAt + 12 * HOUR).toISOString();

      const tooSoon = await world.api.request("POST", "/reservations", {
        token: world.buyer.token,
        body: reservationBody(world, [deviceIds[0]], { start: ended.endedAt }),
      });
      expect(await fieldErrorsOf(tooSoon)).to.deep.equal([`body.deviceIds.0: is on hold until ${availableAt} after its last reservation`]);

      await advance(Date.parse(availableAt) - world.api.clock.now().getTime());
      // The hold is over, but the device's output up to the end belongs to the first buyer.
      const overlapping = await world.api.request("POST", "/reservations", {
        token: world.buyer.token,
        body: reservationBody(world, [deviceIds[0]], { start: new Date(endedAt - DAY).toISOString() }),
      });
      expect(overlapping.status).to.equal(409);
      expect(await fieldErrorsOf(overlapping)).to.deep.equal([
        `body.deviceIds.0: was reserved until ${ended.endedAt}; a reservation taking it must start at or after then`,
      ]);
      const second = await createReservation(world, [deviceIds[0]], { start: ended.endedAt });
      expect((await deviceOnChain(world.api, deviceIds[0])).reservationId).to.equal(chainRef(second.id));
      expect((await getReservation(world, first.id)).devices[0].releasedAt).to.equal(ended.endedAt);
    });

    it("the chain holds the device too: a reservation bypassing the database checks is refused there", async () => {
      const first = await createReservation(world, [deviceIds[0]]);
      await advance(HOUR);
      const ended = (await (await remove(first.id)).json()) as ReservationAnswer;
      // Forget the release in the database: only the chain now knows the device is on hold.
      world.api.database.db.delete(reservationDevices).run();
      const response = await world.api.request("POST", "/reservations", {
        token: world.buyer.token,
        body: reservationBody(world, [deviceIds[1], deviceIds[0]], { start: ended.endedAt }),
      });
      expect(response.status).to.equal(409);
      expect(await fieldErrorsOf(response)).to.deep.equal([
        `body.deviceIds.1: is on hold until ${new Date(Date.parse(ended.endedAt!) + 12 * HOUR).toISOString()} after its last reservation (chain)`,
      ]);
    });
  });

  describe("devices in an active reservation are locked for their developers", () => {
    it("refuses deletion and certification-field changes until released, allows the rest", async () => {
      const created = await createReservation(world, [deviceIds[0]], { name: "Locked portfolio" });
      const token = world.developer.token;
      const deleted = await world.api.request("DELETE", `/devices/${deviceIds[0]}`, { token });
      expect(deleted.status).to.equal(409);
      expect((await deleted.json()).detail).to.include(`in active reservation "Locked portfolio" (${created.id})`);
      const capacity = await world.api.request("PATCH", `/devices/${deviceIds[0]}`, { token, body: { capacity: 99 } });
      expect(capacity.status).to.equal(409);
      expect(await fieldErrorsOf(capacity)).to.deep.equal(["body.capacity: cannot change while the device is reserved"]);
      const story = await world.api.request("PATCH", `/devices/${deviceIds[0]}`, { token, body: { impactStory: "Now with a library" } });
      expect(story.status).to.equal(200);
      // A device outside any reservation is not locked.
      expect((await world.api.request("PATCH", `/devices/${deviceIds[1]}`, { token, body: { capacity: 99 } })).status).to.equal(200);

      await advance(HOUR);
      expect((await remove(created.id)).status).to.equal(200);
      const afterRelease = await world.api.request("PATCH", `/devices/${deviceIds[0]}`, { token: world.developer.token, body: { capacity: 99 } });
      expect(afterRelease.status).to.equal(200);
      // Its reservation history still refers to it, so it stays (refused as in use, not as locked).
      const stillReferenced = await world.api.request("DELETE", `/devices/${deviceIds[0]}`, { token: world.developer.token });
      expect(stillReferenced.status).to.equal(409);
      expect((await stillReferenced.json()).title).to.equal("Device in use");
    });
  });
});
