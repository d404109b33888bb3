import { expect } from "chai";
import { eq } from "drizzle-orm";
import { privateKeyToAccount } from "viem/accounts";
import { chainRef } from "../../server/chain/refs";
import { sendRegistryTransaction } from "../../server/chain/sendTransaction";
import { reservationDevices } from "../../server/reservations/schema";
import { seedOrganisation, tableSnapshot } from "../support/api";
import { fundedKey } from "../support/chain";
import { advanceClockAndChain } from "../support/chainTime";
import {
  apiWith,
  createReservation,
  DAY,
  deviceOnChain,
  failingClient,
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

type Problem = { title: string; detail: string; errors?: { field: string; message: string }[] };

describe("reservations: when the chain fails or refuses", () => {
  let world: World;
  let deviceIds: string[];

  beforeEach(async () => {
    world = await reservationWorld();
    deviceIds = await registerDevices(world.api, world.developer, 4);
  });
  afterEach(() => world.api.close());

  /** Where the chain has each of the world's devices: the reservation's UUID-ref, or undefined. */
  const devicesOnChain = async () => Promise.all(deviceIds.map(async (id) => (await deviceOnChain(world.api, id)).reservationId));
  /** Answers `request`, expecting `status`, and shows that neither the database nor the chain's devices changed. */
  async function refusedUnchanged(status: number, request: () => Promise<Response>): Promise<Problem> {
    const before = tableSnapshot(world.api);
    const chainBefore = await devicesOnChain();
    const response = await request();
    expect(response.status, await response.clone().text()).to.equal(status);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
    expect(await devicesOnChain()).to.deep.equal(chainBefore);
    return (await response.json()) as Problem;
  }

  describe("a chain that does not answer: 503, nothing written", () => {
    let down: ReturnType<typeof apiWith>;
    beforeEach(() => {
      down = apiWith(world.api, { publicClient: failingClient(world.api.deps.publicClient, () => true) });
    });

    it("on create", async () => {
      const problem = await refusedUnchanged(503, () => down("POST", "/reservations", world.buyer.token, reservationBody(world, [deviceIds[0]])));
      expect(problem.title).to.equal("Chain unavailable");
      expect(problem.detail).to.equal("The chain did not answer. Nothing was changed. Try again shortly.");
    });

    it("on PATCH (adding, removing, both) and DELETE", async () => {
      const created = await createReservation(world, [deviceIds[0], deviceIds[1]]);
      for (const body of [{ addDeviceIds: [deviceIds[2]] }, { removeDeviceIds: [deviceIds[1]] }, { name: "Renamed", addDeviceIds: [deviceIds[2]], removeDeviceIds: [deviceIds[1]] }]) {
        const problem = await refusedUnchanged(503, () => down("PATCH", `/reservations/${created.id}`, world.buyer.token, body));
        expect(problem.title, JSON.stringify(body)).to.equal("Chain unavailable");
      }
      expect((await refusedUnchanged(503, () => down("DELETE", `/reservations/${created.id}`, world.buyer.token))).title).to.equal("Chain unavailable");
      expect((await onChain(world.api, created.id)).endedAt).to.equal(0);
      expect((await getReservation(world, created.id)).name).to.equal(created.name);
    });

    it("on a manual release, by an administrator or a developer", async () => {
      const finished = await createReservation(world, [deviceIds[0]], { end: new Date(world.api.clock.now().getTime() + DAY).toISOString() });
      await advanceClockAndChain(world.api.clock, 2 * DAY);
      refreshSessions(world.api, world.buyer, world.developer);
      const admin = seedOrganisation(world.api, "admin");
      for (const token of [admin.token, world.developer.token]) {
        expect((await refusedUnchanged(503, () => down("POST", `/reservations/${finished.id}/release`, token))).title).to.equal("Chain unavailable");
      }
      expect((await onChain(world.api, finished.id)).endedAt).to.equal(0);
    });
  });

  it("answers 503 when the registry refuses the platform's recorder (it lost its role), writing nothing", async () => {
    const created = await createReservation(world, [deviceIds[0]]);
    const impostor = privateKeyToAccount(await fundedKey());
    const broken = apiWith(world.api, { chainSigners: { issuer: impostor, recorder: impostor } });
    const requests: [string, string, unknown?][] = [
      ["POST", "/reservations", reservationBody(world, [deviceIds[1]])],
      ["PATCH", `/reservations/${created.id}`, { addDeviceIds: [deviceIds[1]] }],
      ["DELETE", `/reservations/${created.id}`],
    ];
    for (const [method, path, body] of requests) {
      const problem = await refusedUnchanged(503, () => broken(method, path, world.buyer.token, body));
      expect(problem.title, `${method} ${path}`).to.equal("Chain refused the platform");
      expect(problem.detail).to.include("AccessControlUnauthorizedAccount");
    }
  });

  describe("a PATCH that adds and removes", () => {
    let created: ReservationAnswer;
    beforeEach(async () => {
      created = await createReservation(world, [deviceIds[0], deviceIds[1]]);
      await advanceClockAndChain(world.api.clock, HOUR);
      refreshSessions(world.api, world.buyer, world.developer);
    });
    const patch = (body: unknown) => world.api.request("PATCH", `/reservations/${created.id}`, { token: world.buyer.token, body });

    it("is refused with 409 before anything is written when the chain would refuse the removal", async () => {
      // The database still lists device 1, but the chain released it (a write whose record was lost).
      const recorder = privateKeyToAccount(world.api.chain.keys.recorder);
      await sendRegistryTransaction(world.api.deps, recorder, "removeDevices", [chainRef(created.id), [chainRef(deviceIds[1])]]);
      const problem = await refusedUnchanged(409, () => patch({ name: "Not applied", addDeviceIds: [deviceIds[2]], removeDeviceIds: [deviceIds[0], deviceIds[1]] }));
      expect(problem.errors).to.deep.equal([{ field: "body.removeDeviceIds.1", message: "is not in this reservation on chain" }]);
      expect(await devicesOnChain()).to.deep.equal([chainRef(created.id), undefined, undefined, undefined]);
      expect((await getReservation(world, created.id)).name).to.equal(created.name);
    });

    it("says the additions stand when the chain fails between the two writes, and the removal can be sent again", async () => {
      let sent = 0;
      // The node goes away once the addition's transaction is in: the removal's simulation gets no answer.
      const flaky = apiWith(world.api, {
        publicClient: failingClient(world.api.deps.publicClient, (method) => {
          if (method === "eth_sendRawTransaction") sent += 1;
          return sent > 0 && method === "eth_call";
        }),
      });
      const response = await flaky("PATCH", `/reservations/${created.id}`, world.buyer.token, { name: "Renamed", addDeviceIds: [deviceIds[2]], removeDeviceIds: [deviceIds[1]] });
      expect(response.status).to.equal(503);
      const problem = (await response.json()) as Problem;
      const shown = await getReservation(world, created.id);
      const added = shown.devices.find((d) => d.deviceId === deviceIds[2])!;
      expect(problem.detail).to.equal(
        `The chain did not answer. The devices in addDeviceIds were added (transaction ${added.addTxHash}) and the name changed; send the removal again. Try again shortly.`
      );
      expect([shown.name, shown.deviceCount]).to.deep.equal(["Renamed", 3]);
      expect(await devicesOnChain()).to.deep.equal([chainRef(created.id), chainRef(created.id), chainRef(created.id), undefined]);

      const again = await patch({ removeDeviceIds: [deviceIds[1]] });
      expect(again.status, await again.clone().text()).to.equal(200);
      expect(((await again.json()) as ReservationAnswer).deviceCount).to.equal(2);
      expect((await deviceOnChain(world.api, deviceIds[1])).reservationId).to.equal(undefined);
    });

    it("names the device the chain refuses to add, with 409, writing nothing", async () => {
      const other = await createReservation(world, [deviceIds[3]]);
      // Forget the other reservation's device in the database: only the chain still knows it is taken.
      world.api.database.db.delete(reservationDevices).where(eq(reservationDevices.reservationId, other.id)).run();
      const problem = await refusedUnchanged(409, () => patch({ addDeviceIds: [deviceIds[2], deviceIds[3]], removeDeviceIds: [deviceIds[1]] }));
      expect(problem.errors).to.deep.equal([{ field: "body.addDeviceIds.1", message: `is already in reservation ${other.id} on chain` }]);
    });
  });
});
