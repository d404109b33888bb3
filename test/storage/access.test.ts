import { expect } from "chai";
import { createApiKey } from "../../server/auth/apiKeys";
import { seedOrganisation, seedUser, type SeededUser } from "../support/api";
import { POSITIONS_CSV, storageWorld, type StorageWorld } from "./support";

/**
 * Storage endpoints accept only storage validators of the storage device's organisation (issue #7). Each
 * row is one endpoint; each caller gets the answer in its column ("ok" = any 2xx, "400" = allowed through
 * to the body checks).
 */
const CALLERS = ["anonymous", "validator", "validatorKey", "organisationAdmin", "trader", "member", "otherAccountValidator", "outsideValidator", "platformAdmin", "auditor"] as const;
type Caller = (typeof CALLERS)[number];
type Expectation = "ok" | 400 | 401 | 403 | 404;

interface Row {
  method: string;
  path: (ids: Ids) => string;
  body?: (ids: Ids, caller: Caller, n: number) => { text: string; type: string };
  expect: Record<Caller, Expectation>;
}

interface Ids {
  device: string;
  account: string;
  allocation: string;
  cancellation: string;
}

const csv = (text: string) => ({ text, type: "text/csv" });
const json = (value: unknown) => ({ text: JSON.stringify(value), type: "application/json" });
const NO_SUCH_GC = "SOL7-20240701-11400-0042-0000100";

const all = (value: Expectation, overrides: Partial<Record<Caller, Expectation>> = {}): Record<Caller, Expectation> => ({
  ...(Object.fromEntries(CALLERS.map((caller) => [caller, value])) as Record<Caller, Expectation>),
  anonymous: 401,
  ...overrides,
});
// Validators of the organisation get through; its other members are refused; other organisations do not see the device.
const orgValidators = (allowed: Expectation) => all(403, { validator: allowed, validatorKey: allowed, otherAccountValidator: allowed, outsideValidator: 404 });
const accountValidators = (allowed: Expectation) => all(403, { validator: allowed, validatorKey: allowed, outsideValidator: 404 });

const ROWS: Row[] = [
  {
    method: "POST",
    path: (ids) => `/storage/devices/${ids.device}/records`,
    body: (_ids, _caller, n) => csv(`hour,charge_wh,discharge_wh\n${new Date(Date.UTC(2024, 0, 1) + n * 3_600_000).toISOString()},5,0\n`),
    expect: orgValidators("ok"),
  },
  { method: "GET", path: (ids) => `/storage/devices/${ids.device}/records`, expect: orgValidators("ok") },
  {
    method: "POST",
    path: (ids) => `/storage/devices/${ids.device}/allocations?cancellation=cancel`,
    body: () => csv(`hour,charge_hour,gc_id,charge_wh,discharge_wh\n2024-07-02T00:00:00Z,2024-07-01T14:00:00Z,${NO_SUCH_GC},100,90\n`),
    expect: accountValidators(400),
  },
  { method: "GET", path: (ids) => `/storage/devices/${ids.device}/allocations`, expect: orgValidators("ok") },
  { method: "GET", path: (ids) => `/storage/allocations/${ids.allocation}`, expect: orgValidators("ok") },
  { method: "POST", path: (ids) => `/storage/allocations/${ids.allocation}/resume`, expect: accountValidators("ok") },
  {
    method: "POST",
    path: () => "/storage/cancellations",
    body: (ids) => json({ accountId: ids.account, bundles: [{ id: NO_SUCH_GC }] }),
    expect: all(403, { validator: 400, validatorKey: 400, outsideValidator: 404, platformAdmin: 404 }),
  },
  { method: "GET", path: (ids) => `/storage/cancellations/${ids.cancellation}`, expect: all(403, { validator: "ok", validatorKey: "ok", outsideValidator: 404, platformAdmin: 404, auditor: 404 }) },
  { method: "POST", path: (ids) => `/storage/cancellations/${ids.cancellation}/resume`, expect: all(403, { validator: "ok", validatorKey: "ok", outsideValidator: 404, platformAdmin: 404 }) },
];

describe("storage endpoints: only storage validators of the storage device's organisation", function () {
  this.timeout(120_000);
  let world: StorageWorld;
  let ids: Ids;
  const headers = new Map<Caller, Record<string, string>>();

  before(async () => {
    world = await storageWorld();
    const { api, call, send, validator, admin } = world;
    expect((await send(validator, "POST", `/storage/devices/${world.storageDeviceId}/records`, POSITIONS_CSV)).status).to.equal(201);
    const [gc] = await world.mintGcs(world.accountId, [{ device: "SOL7", hour: "2024-07-01T14:00:00Z", wh: 1_000 }]);
    const allocation = await send(validator, "POST", `/storage/devices/${world.storageDeviceId}/allocations?cancellation=cancel`, `hour,charge_hour,gc_id,charge_wh,discharge_wh\n2024-07-02T00:00:00Z,2024-07-01T14:00:00Z,${gc},1000,900\n`);
    expect(allocation.status, JSON.stringify(allocation.body)).to.equal(201);
    const [ahead] = await world.mintGcs(world.accountId, [{ device: "SOL7", hour: "2024-07-01T15:00:00Z", wh: 1_000 }]);
    const cancellation = await call(validator, "POST", "/storage/cancellations", { accountId: world.accountId, bundles: [{ id: ahead }] });
    expect(cancellation.status, JSON.stringify(cancellation.body)).to.equal(201);
    ids = { device: world.storageDeviceId, account: world.accountId, allocation: allocation.body.id, cancellation: cancellation.body.id };

    const second = await call(admin, "POST", "/gc/accounts", { name: "Second account" });
    const outsider = seedOrganisation(api, "developer");
    const outsiderAccount = await call(outsider, "POST", "/gc/accounts", { name: "Elsewhere" });
    const outsideValidator = seedUser(api, outsider.organisationId, { isOrganisationAdmin: false, permissions: { devices: ["READ", "WRITE"], certificates: ["READ", "WRITE"] } });
    expect((await call(outsider, "PUT", `/gc/accounts/${outsiderAccount.body.account.id}/users/${outsideValidator.userId}`, { roles: ["storage-validator"] })).status).to.equal(200);
    const key = createApiKey(api.database.db, { organisationId: admin.organisationId, createdBy: validator.userId, name: "QT integration", permissions: { devices: ["READ", "WRITE"], certificates: ["READ", "WRITE"] } }, api.clock.now());
    const bearer = (user: SeededUser) => ({ authorization: `Bearer ${user.token}` });
    headers.set("anonymous", {});
    headers.set("validator", bearer(validator));
    headers.set("validatorKey", { "x-api-key": key.key });
    headers.set("organisationAdmin", bearer(admin));
    headers.set("trader", bearer(await world.member(["trading", "audit"])));
    headers.set("member", bearer(await world.member([])));
    headers.set("otherAccountValidator", bearer(await world.member(["storage-validator"], second.body.account.id)));
    headers.set("outsideValidator", bearer(outsideValidator));
    headers.set("platformAdmin", bearer(seedOrganisation(api, "admin")));
    headers.set("auditor", bearer(seedOrganisation(api, "auditor")));
  });
  after(() => world.api.close());

  let n = 0;
  for (const row of ROWS) {
    describe(`${row.method} ${row.path({ device: "{deviceId}", account: "{accountId}", allocation: "{id}", cancellation: "{id}" })}`, () => {
      for (const caller of CALLERS) {
        const expected = row.expect[caller];
        it(`${caller}: ${expected === "ok" ? "allowed" : `answered ${expected}`}`, async () => {
          n += 1;
          const body = row.body?.(ids, caller, n);
          const response = await world.api.request(row.method, row.path(ids), { headers: { ...headers.get(caller)!, ...(body ? { "content-type": body.type } : {}) }, body: body?.text });
          const text = await response.text();
          if (expected === "ok") expect(response.status, text).to.be.within(200, 299);
          else expect(response.status, text).to.equal(expected);
        });
      }
    });
  }
});
