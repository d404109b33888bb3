import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { eq } from "drizzle-orm";
import type { Hex } from "viem";
import type { AppDeps } from "../../server/app";
import type { Permissions } from "../../server/auth/permissions";
import { REGISTRY_ABI } from "../../server/chain/registryAbi";
import { devices } from "../../server/devices/schema";
import { gcAttributes } from "../../server/gc/attributes";
import { gcMintDeps, mintBundles } from "../../server/gc/minting";
import { gcBundles } from "../../server/gc/schema";
import { FLEXIDAO_GCS } from "../../scripts/pilot/storagePilot";
import { validDevice } from "../devices/support";
import { createTestApi, seedOrganisation, seedUser, type SeededUser, type TestApi } from "../support/api";
import { alignClockToChain } from "../support/chainTime";
import { HOUR_MS } from "../../server/time/durations";

const fixtureText = (name: string) => readFileSync(join(__dirname, "fixtures", name), "utf8");
export const POSITIONS_CSV = fixtureText("byrd-ranch-positions.csv");
const ALLOCATIONS_CSV = fixtureText("byrd-ranch-allocations.csv");

/** Storage validators act through the devices and certificates modules, without being organisation admins. */
const VALIDATOR_PERMISSIONS: Permissions = { devices: ["READ", "WRITE"], certificates: ["READ", "WRITE"] };

/** The GCs the fixture's allocation records name (by `fixtureId`): device external id, production hour and Wh. */
export const FIXTURE_GCS = FLEXIDAO_GCS.map((gc) => ({ fixtureId: gc.recordName, device: gc.device, hour: gc.hour, wh: gc.wh }));

export interface Answer<T = any> {
  status: number;
  body: T;
}

export interface StorageWorld {
  api: TestApi;
  /** Quintrace: a developer organisation owning the storage device, its admin, and its storage validator. */
  admin: SeededUser;
  validator: SeededUser;
  accountId: string;
  accountAddress: Hex;
  storageDeviceId: string;
  /** Solar farms of another organisation, by external id (SOL7, SOL9). */
  producers: Record<string, string>;
  call<T = any>(user: SeededUser, method: string, path: string, body?: unknown): Promise<Answer<T>>;
  send<T = any>(user: SeededUser, method: string, path: string, text: string, contentType?: string): Promise<Answer<T>>;
  /** Mints production GCs into an account through the shared minting function; answers their bundle ids in order. */
  mintGcs(accountId: string, gcs: readonly { device: string; hour: string; wh: number }[]): Promise<string[]>;
  /** The fixture's GCs minted into the Quintrace account; fixture id → registry bundle id. */
  mintFixtureGcs(): Promise<Map<string, string>>;
  /** The fixture's allocation records naming the registry's bundle ids. */
  allocationsCsv(ids: ReadonlyMap<string, string>): string;
  bundle(id: string): typeof gcBundles.$inferSelect;
  balanceOf(address: string, tokenId: string | bigint): Promise<bigint>;
  /** A new user of the organisation holding `roles` on the account (none: a plain member). */
  member(roles: string[], accountId?: string): Promise<SeededUser>;
}

/**
 * Seed 000's storage side: Quintrace (a developer organisation) with a managed GC account whose user is a
 * storage validator, the Byrd Ranch battery assigned to that account, and two solar farms (SOL7 and
 * SOL9) of another organisation whose GCs tests mint into the account. The API clock follows the chain.
 */
export async function storageWorld(overrides: Partial<AppDeps> = {}): Promise<StorageWorld> {
  const api = await createTestApi(overrides);
  await alignClockToChain(api.clock);
  const db = api.database.db;
  const admin = seedOrganisation(api, "developer", { name: `Quintrace ${Math.random()}` });
  const validator = seedUser(api, admin.organisationId, { isOrganisationAdmin: false, permissions: VALIDATOR_PERMISSIONS });

  const call = async (user: SeededUser, method: string, path: string, body?: unknown) => {
    const response = await api.request(method, path, { token: user.token, body });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const send = async (user: SeededUser, method: string, path: string, text: string, contentType = "text/csv") => {
    const response = await api.request(method, path, { token: user.token, body: text, headers: { "content-type": contentType } });
    const answer = await response.text();
    return { status: response.status, body: answer ? JSON.parse(answer) : undefined };
  };

  const created = await call(admin, "POST", "/gc/accounts", { name: "Quintrace Account", users: [{ userId: validator.userId, roles: ["storage-validator"] }] });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  const account = created.body.account as { id: string; address: Hex };

  const device = await call(
    admin,
    "POST",
    "/devices",
    validDevice({
      externalId: "BYRD-RANCH",
      projectName: "Byrd Ranch",
      countryCode: "US",
      commissioningDate: "2023-07-01",
      capacity: 50_000,
      fuelCode: undefined,
      deviceTypeCode: undefined,
      isStorage: true,
      energyStorage: true,
      energyStorageCapacity: 100_000,
      grid: "ERCOT",
      latitude: 29.056,
      longitude: -95.687,
      address: "Brazoria County, Texas",
      yieldOverride: undefined,
      offTaker: undefined,
      deviceDescription: undefined,
    }),
  );
  expect(device.status, JSON.stringify(device.body)).to.equal(201);
  const assigned = await call(admin, "PUT", `/gc/devices/${device.body.id}/account`, { accountId: account.id });
  expect(assigned.status, JSON.stringify(assigned.body)).to.equal(200);

  const producer = seedOrganisation(api, "developer");
  const producers: Record<string, string> = {};
  for (const externalId of ["SOL7", "SOL9"]) {
    const response = await call(producer, "POST", "/devices", validDevice({ externalId, projectName: `${externalId} solar farm`, countryCode: "US", deviceTypeCode: "PVGroundMounted", latitude: 29.1, longitude: -95.5, address: "Texas", grid: "ERCOT", capacity: 5_000, yieldOverride: undefined }));
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    producers[externalId] = response.body.id;
  }

  const world: StorageWorld = {
    api,
    admin,
    validator,
    accountId: account.id,
    accountAddress: account.address,
    storageDeviceId: device.body.id,
    producers,
    call,
    send,
    async mintGcs(accountId, gcs) {
      const now = api.clock.now().getTime();
      const bundles = gcs.map((gc) => {
        const row = db.select().from(devices).where(eq(devices.id, producers[gc.device])).get()!;
        const startAt = Date.parse(gc.hour);
        return { deviceId: row.id, startAt, endAt: startAt + HOUR_MS, energyWh: BigInt(gc.wh), attributes: gcAttributes(row, { issuedAt: now, issuingBody: "Test registry", validityMonths: 12 }) };
      });
      const outcome = await mintBundles(gcMintDeps(api.deps), { accountId, origin: "production", bundles }, now);
      expect(outcome.minted, JSON.stringify(outcome.batches)).to.equal(gcs.length);
      return outcome.bundles.map((bundle) => bundle.id);
    },
    async mintFixtureGcs() {
      const ids = await world.mintGcs(account.id, FIXTURE_GCS);
      return new Map(FIXTURE_GCS.map((gc, i) => [gc.fixtureId, ids[i]]));
    },
    allocationsCsv(ids) {
      let text = ALLOCATIONS_CSV;
      for (const [fixtureId, id] of ids) text = text.replaceAll(fixtureId, id);
      return text;
    },
    bundle(id) {
      return db.select().from(gcBundles).where(eq(gcBundles.id, id)).get()!;
    },
    balanceOf(address, tokenId) {
      return api.deps.publicClient.readContract({ address: api.deps.registryAddress, abi: REGISTRY_ABI, functionName: "balanceOf", args: [address as Hex, BigInt(tokenId)] });
    },
    async member(roles, accountId = account.id) {
      const user = seedUser(api, admin.organisationId, { isOrganisationAdmin: false, permissions: VALIDATOR_PERMISSIONS });
      if (roles.length > 0) {
        const added = await call(admin, "PUT", `/gc/accounts/${accountId}/users/${user.userId}`, { roles });
        expect(added.status, JSON.stringify(added.body)).to.equal(200);
      }
      return user;
    },
  };
  return world;
}
