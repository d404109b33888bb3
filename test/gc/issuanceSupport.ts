import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import type { Hex } from "viem";
import { createTestApi, seedOrganisation, seedUser, type SeededUser, type TestApi } from "../support/api";
import { alignClockToChain } from "../support/chainTime";
import { validDevice } from "../devices/support";
import { gcAccounts, gcAccountUsers, type GcRole } from "../../server/gc/schema";
import { gcAttributes, type GcAttributes } from "../../server/gc/attributes";
import { devices } from "../../server/devices/schema";
import { eq } from "drizzle-orm";
import { REGISTRY_ABI } from "../../server/chain/registryAbi";
import type { AppDeps } from "../../server/app";
import { DAY_MS, HOUR_MS } from "../../server/time/durations";

export interface GcWorld {
  api: TestApi;
  /** Admin of a developer organisation: owns the devices and the accounts. */
  developer: SeededUser;
  /** A UTC midnight a few days before now (chain time), so its hours have all ended. */
  dayStart: number;
  createDevice(overrides?: Record<string, unknown>): Promise<string>;
  createAccount(options?: { custody?: "managed" | "self"; organisationId?: string; members?: { userId: string; role: GcRole }[]; fund?: boolean }): Promise<{ id: string; address: Hex; key: Hex }>;
  attributesOf(deviceId: string): GcAttributes;
  balanceOf(address: Hex, tokenId: string | bigint): Promise<bigint>;
  /** Hourly history reads of `wh(h)` Wh each, from `from`, posted by the developer. */
  postHourlyReads(deviceId: string, from: number, hours: number, wh: (hour: number) => number): Promise<void>;
  /** A non-admin user of `organisationId` (default: the developer's) holding `role` on the account (none: no role). */
  member(accountId: string | null, role?: GcRole, organisationId?: string): SeededUser;
  /** Assigns the device to the account through the API. */
  assign(deviceId: string, accountId: string): Promise<void>;
}

/** The API with its clock on the chain's time, a developer organisation, and helpers to add devices and GC accounts. */
export async function gcWorld(overrides: Partial<AppDeps> = {}): Promise<GcWorld> {
  const api = await createTestApi(overrides);
  const now = (await alignClockToChain(api.clock)).getTime();
  const developer = seedOrganisation(api, "developer");
  const db = api.database.db;
  let deviceCount = 0;
  return {
    api,
    developer,
    dayStart: Math.floor(now / DAY_MS) * DAY_MS - 3 * DAY_MS,
    async createDevice(overrides = {}) {
      deviceCount += 1;
      // A fresh session: tests move the clock past a session's hour.
      const { token } = seedUser(api, developer.organisationId);
      const response = await api.request("POST", "/devices", { token, body: validDevice({ externalId: `GC-DEV-${deviceCount}`, ...overrides }) });
      const body = (await response.json()) as { id: string };
      expect(response.status, JSON.stringify(body)).to.equal(201);
      return body.id;
    },
    async createAccount(options = {}) {
      const id = randomUUID();
      const key = generatePrivateKey();
      const address = privateKeyToAddress(key);
      const custody = options.custody ?? "managed";
      db.insert(gcAccounts)
        .values({
          id,
          organisationId: options.organisationId ?? developer.organisationId,
          name: `account ${id.slice(0, 8)}`,
          address,
          custody,
          sealedKey: custody === "managed" ? api.deps.vault.seal(id, key) : null,
          createdAt: api.clock.now().getTime(),
          createdBy: developer.userId,
        })
        .run();
      for (const member of options.members ?? []) db.insert(gcAccountUsers).values({ accountId: id, ...member, createdAt: api.clock.now().getTime() }).run();
      if (options.fund ?? custody === "managed") await api.deps.fundManagedWallet!(address);
      return { id, address, key };
    },
    attributesOf(deviceId) {
      const device = db.select().from(devices).where(eq(devices.id, deviceId)).get()!;
      return gcAttributes(device, { issuedAt: api.clock.now().getTime(), issuingBody: "Test registry", validityMonths: 12 });
    },
    async postHourlyReads(deviceId, from, hours, wh) {
      await postHourReads(api, developer.organisationId, deviceId, Array.from({ length: hours }, (_, h) => ({ startAt: from + h * HOUR_MS, wh: wh(h) })));
    },
    member(accountId, role, organisationId = developer.organisationId) {
      const user = seedUser(api, organisationId, { isOrganisationAdmin: false, permissions: { certificates: ["READ", "WRITE"], devices: ["READ"] } });
      if (accountId && role) db.insert(gcAccountUsers).values({ accountId, userId: user.userId, role, createdAt: api.clock.now().getTime() }).run();
      return user;
    },
    assign(deviceId, accountId) {
      return assignDevice(api, developer.organisationId, deviceId, accountId);
    },
    async balanceOf(address, tokenId) {
      return api.deps.publicClient.readContract({ address: api.deps.registryAddress, abi: REGISTRY_ABI, functionName: "balanceOf", args: [address, BigInt(tokenId)] });
    },
  };
}


/** One read's verdict, as `POST /devices/{id}/reads` answers it. */
export interface ReadVerdict {
  status: "accepted" | "rejected";
  reasons: { code: string }[];
}

/**
 * History reads of exactly one hour each (`wh` Wh from `startAt`), posted through the API by a fresh admin
 * of the device's organisation; returns each read's verdict in order.
 */
export async function postHourReads(api: TestApi, organisationId: string, deviceId: string, hours: readonly { startAt: number; wh: number }[]): Promise<ReadVerdict[]> {
  // A fresh session: tests move the clock past a session's hour.
  const { token } = seedUser(api, organisationId);
  const reads = hours.map(({ startAt, wh }) => ({ type: "history", start: new Date(startAt).toISOString(), end: new Date(startAt + HOUR_MS).toISOString(), value: wh }));
  const verdicts: ReadVerdict[] = [];
  for (let i = 0; i < reads.length; i += 5_000) {
    const response = await api.request("POST", `/devices/${deviceId}/reads`, { token, body: { reads: reads.slice(i, i + 5_000) } });
    const text = await response.text();
    expect(response.status, text).to.be.oneOf([200, 201]);
    verdicts.push(...(JSON.parse(text) as { results: ReadVerdict[] }).results);
  }
  return verdicts;
}

/** Assigns the device to a GC account through the API (`PUT /gc/devices/{id}/account`), as a fresh admin of its organisation. */
export async function assignDevice(api: TestApi, organisationId: string, deviceId: string, accountId: string): Promise<void> {
  const { token } = seedUser(api, organisationId);
  const response = await api.request("PUT", `/gc/devices/${deviceId}/account`, { token, body: { accountId } });
  expect(response.status, await response.clone().text()).to.equal(200);
}
