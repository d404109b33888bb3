import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { gcAccounts } from "../../server/gc/schema";
import { tableSnapshot } from "../support/api";
import { registerDevices, reservationBody, reservationWorld, type World } from "./support";

/** One device's output is certified under one scheme: a D-REC reservation and hourly GCs would count the same Wh twice. */
describe("reservations and GC accounts exclude each other's devices", () => {
  let world: World;
  let deviceIds: string[];

  beforeEach(async () => {
    world = await reservationWorld();
    deviceIds = await registerDevices(world.api, world.developer, 2);
  });
  afterEach(() => world.api.close());

  function gcAccount(): string {
    const id = randomUUID();
    world.api.database.db
      .insert(gcAccounts)
      .values({ id, organisationId: world.developer.organisationId, name: "GC account", address: privateKeyToAddress(generatePrivateKey()), custody: "self", createdAt: 0, createdBy: world.developer.userId })
      .run();
    return id;
  }
  const assign = (deviceId: string, accountId: string) =>
    world.api.request("PUT", `/gc/devices/${deviceId}/account`, { token: world.developer.token, body: { accountId } });

  it("refuses to reserve a device that issues GCs, and leaves it out of the eligible devices", async () => {
    expect((await assign(deviceIds[0], gcAccount())).status).to.equal(200);
    const before = tableSnapshot(world.api);
    const response = await world.api.request("POST", "/reservations", { token: world.buyer.token, body: reservationBody(world, deviceIds) });
    expect(response.status).to.equal(409);
    const body = (await response.json()) as { errors: { field: string; message: string }[] };
    expect(body.errors).to.have.length(1);
    expect(body.errors[0].message).to.match(/issues Granular Certificates .* not both/);
    expect(tableSnapshot(world.api)).to.deep.equal(before);

    const eligible = await world.api.request("GET", "/reservations/eligible-devices", { token: world.buyer.token });
    const listed = JSON.stringify(await eligible.json());
    expect(listed).to.not.include(deviceIds[0]);
    expect(listed).to.include(deviceIds[1]);
  });

  it("refuses to assign a device that has been in a D-REC reservation to a GC account", async () => {
    const created = await world.api.request("POST", "/reservations", { token: world.buyer.token, body: reservationBody(world, [deviceIds[0]]) });
    expect(created.status).to.equal(201);
    const account = gcAccount();
    const before = tableSnapshot(world.api);
    const response = await assign(deviceIds[0], account);
    expect(response.status).to.equal(409);
    expect(((await response.json()) as { title: string }).title).to.equal("Certified as D-REC");
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });
});
