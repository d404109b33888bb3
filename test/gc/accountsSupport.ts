import { expect } from "chai";
import { eq, inArray } from "drizzle-orm";
import { getAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { network } from "hardhat";
import type { AppDeps } from "../../server/app";
import { REGISTRY_ABI } from "../../server/chain/registryAbi";
import { devices } from "../../server/devices/schema";
import { gcAttributes } from "../../server/gc/attributes";
import { gcMintDeps, mintBundles } from "../../server/gc/minting";
import { gcBundles, type GcBundleOrigin } from "../../server/gc/schema";
import { wallets } from "../../server/wallets/schema";
import { validDevice } from "../devices/support";
import { createTestApi, seedOrganisation, seedUser, type SeededUser, type TestApi } from "../support/api";
import { alignClockToChain } from "../support/chainTime";
import { DAY_MS, HOUR_MS } from "../../server/time/durations";

export interface AccountView {
  id: string;
  organisationId: string;
  address: Hex;
  custody: "managed" | "self";
  allowlist: { enabled: boolean; txHash: string | null };
  yourRoles: string[];
  yourOperations: string[];
  users: { userId: string; roles: string[] }[];
  whitelist: { accountId: string; txHash: string | null; removalPending: boolean }[];
}

export interface BundleView {
  id: string;
  tokenId: string;
  accountId: string;
  deviceId: string;
  status: string;
  origin: string;
  energyWh: string;
  certificateIds: { from: string; to: string };
  parentId: string | null;
  periodStart: string;
  periodEnd: string;
}

export interface AccountsWorld {
  api: TestApi;
  /** Admins of a developer organisation (the producer, owning the devices) and of a buyer organisation (the trader). */
  developer: SeededUser;
  buyer: SeededUser;
  /** A UTC midnight three days before the chain's now, so its hours have all ended. */
  dayStart: number;
  call(user: SeededUser, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  createDevice(overrides?: Record<string, unknown>): Promise<string>;
  /** Creates an account through the API and expects 201. */
  createAccount(user: SeededUser, body: Record<string, unknown>): Promise<AccountView>;
  /** Two accounts that have whitelisted each other. */
  tradingPair(): Promise<[AccountView, AccountView]>;
  /** Mints bundles into an account through the shared minting function; expects every one minted. */
  mint(
    accountId: string,
    bundles: { deviceId: string; startAt: number; hours?: number; energyWh: bigint | number; sourceRegistry?: string; sourceId?: string }[],
    origin?: GcBundleOrigin,
  ): Promise<string[]>;
  bundle(id: string): typeof gcBundles.$inferSelect;
  balanceOf(address: string, tokenId: string | bigint): Promise<bigint>;
  /** A fresh funded key bound to the user's organisation as a wallet (as a signed challenge would). */
  boundWallet(user: SeededUser): Promise<{ key: Hex; address: Hex }>;
}

export async function fund(address: string): Promise<void> {
  await network.provider.request({ method: "hardhat_setBalance", params: [address, "0x21e19e0c9bab2400000"] });
}

export async function accountsWorld(overrides: Partial<AppDeps> = {}): Promise<AccountsWorld> {
  const api = await createTestApi(overrides);
  const now = (await alignClockToChain(api.clock)).getTime();
  const developer = seedOrganisation(api, "developer");
  const buyer = seedOrganisation(api, "buyer");
  const db = api.database.db;
  let deviceCount = 0;

  const call = async (user: SeededUser, method: string, path: string, body?: unknown) => {
    const response = await api.request(method, path, { token: user.token, body });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  const world: AccountsWorld = {
    api,
    developer,
    buyer,
    dayStart: Math.floor(now / DAY_MS) * DAY_MS - 3 * DAY_MS,
    call,
    async createDevice(overrides = {}) {
      deviceCount += 1;
      const { token } = seedUser(api, developer.organisationId);
      const response = await api.request("POST", "/devices", { token, body: validDevice({ externalId: `GCA${deviceCount}`, ...overrides }) });
      const body = (await response.json()) as { id: string };
      expect(response.status, JSON.stringify(body)).to.equal(201);
      return body.id;
    },
    async createAccount(user, body) {
      const { status, body: created } = await call(user, "POST", "/gc/accounts", body);
      expect(status, JSON.stringify(created)).to.equal(201);
      return created.account;
    },
    async tradingPair() {
      const a = await world.createAccount(developer, { name: `producer ${Math.random()}` });
      const b = await world.createAccount(buyer, { name: `trader ${Math.random()}` });
      expect((await call(developer, "POST", `/gc/accounts/${a.id}/whitelist`, { add: [b.id] })).status).to.equal(200);
      expect((await call(buyer, "POST", `/gc/accounts/${b.id}/whitelist`, { add: [a.id] })).status).to.equal(200);
      return [a, b];
    },
    async mint(accountId, bundles, origin = "production") {
      const request = bundles.map((bundle) => {
        const device = db.select().from(devices).where(eq(devices.id, bundle.deviceId)).get()!;
        return {
          deviceId: bundle.deviceId,
          startAt: bundle.startAt,
          endAt: bundle.startAt + (bundle.hours ?? 1) * HOUR_MS,
          energyWh: BigInt(bundle.energyWh),
          sourceRegistry: bundle.sourceRegistry,
          sourceId: bundle.sourceId,
          attributes: gcAttributes(device, { issuedAt: api.clock.now().getTime(), issuingBody: "Test registry", validityMonths: 12 }),
        };
      });
      const outcome = await mintBundles(gcMintDeps(api.deps), { accountId, origin, bundles: request }, api.clock.now().getTime());
      expect(outcome.minted, JSON.stringify(outcome.batches)).to.equal(bundles.length);
      return outcome.bundles.map((bundle) => bundle.id);
    },
    bundle(id) {
      return db.select().from(gcBundles).where(eq(gcBundles.id, id)).get()!;
    },
    balanceOf(address, tokenId) {
      return api.deps.publicClient.readContract({ address: api.deps.registryAddress, abi: REGISTRY_ABI, functionName: "balanceOf", args: [address as Hex, BigInt(tokenId)] });
    },
    async boundWallet(user) {
      const key = generatePrivateKey();
      const address = getAddress(privateKeyToAddress(key));
      db.insert(wallets).values({ address, organisationId: user.organisationId, kind: "bound", createdBy: user.userId, createdAt: api.clock.now().toISOString() }).run();
      await fund(address);
      return { key, address };
    },
  };
  return world;
}

export function bundleRows(api: TestApi, ids: readonly string[]) {
  return api.database.db.select().from(gcBundles).where(inArray(gcBundles.id, [...ids])).all();
}
