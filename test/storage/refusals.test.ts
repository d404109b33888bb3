import { expect } from "chai";
import { getAddress } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { wallets } from "../../server/wallets/schema";
import { validDevice } from "../devices/support";
import { tableSnapshot } from "../support/api";
import { POSITIONS_CSV, storageWorld, type StorageWorld } from "./support";

const ROW = "hour,charge_hour,gc_id,charge_wh,discharge_wh\n2024-07-02T00:00:00Z,2024-07-01T14:00:00Z,SOL7-20240701-11400-0001-0001000,1000,900\n";

describe("storage requests the registry cannot serve", function () {
  this.timeout(120_000);
  let world: StorageWorld;

  before(async () => {
    world = await storageWorld();
    expect((await world.send(world.validator, "POST", `/storage/devices/${world.storageDeviceId}/records`, POSITIONS_CSV)).status).to.equal(201);
  });
  after(() => world.api.close());

  it("refuse a device that is not a storage device, naming it", async () => {
    const solar = await world.call(world.admin, "POST", "/devices", validDevice({ externalId: "QT-SOLAR" }));
    const before = tableSnapshot(world.api);
    const response = await world.send(world.validator, "POST", `/storage/devices/${solar.body.id}/records`, POSITIONS_CSV);
    expect([response.status, response.body.errors]).to.deep.equal([400, [{ field: "path.deviceId", message: "is not a storage device (register it with isStorage: true)" }]]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("refuse allocations for a storage device not assigned to a GC account", async () => {
    const battery = await world.call(world.admin, "POST", "/devices", validDevice({ externalId: "QT-BATTERY-2", isStorage: true, fuelCode: undefined, deviceTypeCode: undefined }));
    expect(battery.status, JSON.stringify(battery.body)).to.equal(201);
    const response = await world.send(world.validator, "POST", `/storage/devices/${battery.body.id}/allocations?cancellation=cancel`, ROW);
    expect([response.status, response.body.title]).to.deep.equal([409, "No GC account"]);
  });

  it("refuse to cancel for storage from a self-custody account, the platform holding no key", async () => {
    const address = getAddress(privateKeyToAddress(generatePrivateKey()));
    world.api.database.db.insert(wallets).values({ address, organisationId: world.admin.organisationId, kind: "bound", createdBy: world.admin.userId, createdAt: world.api.clock.now().toISOString() }).run();
    const account = await world.call(world.admin, "POST", "/gc/accounts", { name: "QT own wallet", custody: "self", address, users: [{ userId: world.validator.userId, roles: ["storage-validator"] }] });
    expect(account.status, JSON.stringify(account.body)).to.equal(201);
    const battery = await world.call(world.admin, "POST", "/devices", validDevice({ externalId: "QT-BATTERY-3", isStorage: true, fuelCode: undefined, deviceTypeCode: undefined }));
    expect((await world.call(world.admin, "PUT", `/gc/devices/${battery.body.id}/account`, { accountId: account.body.account.id })).status).to.equal(200);
    const before = tableSnapshot(world.api);
    const allocation = await world.send(world.validator, "POST", `/storage/devices/${battery.body.id}/allocations?cancellation=cancel`, ROW);
    expect([allocation.status, allocation.body.title]).to.deep.equal([409, "Self-custody account"]);
    const cancellation = await world.call(world.validator, "POST", "/storage/cancellations", { accountId: account.body.account.id, bundles: [{ id: "SOL7-20240701-11400-0001-0001000" }] });
    expect([cancellation.status, cancellation.body.title]).to.deep.equal([409, "Self-custody account"]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });
});

describe("storage allocations without the issuer key", function () {
  this.timeout(120_000);
  it("answer 503 and store nothing", async () => {
    const world = await storageWorld({ chainSigners: undefined });
    try {
      const before = tableSnapshot(world.api);
      const response = await world.send(world.validator, "POST", `/storage/devices/${world.storageDeviceId}/allocations?cancellation=cancel`, ROW);
      expect([response.status, response.body.title]).to.deep.equal([503, "Issuance unavailable"]);
      expect(tableSnapshot(world.api)).to.deep.equal(before);
    } finally {
      world.api.close();
    }
  });
});
