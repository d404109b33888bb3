import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { createPublicClient, custom, getAddress, type Hex, type PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { createApp, type AppDeps } from "../../server/app";
import { chainRef } from "../../server/chain/refs";
import { REGISTRY_ABI } from "../../server/chain/registryAbi";
import { wallets } from "../../server/wallets/schema";
import { validDevice } from "../devices/support";
import { createTestApi, seedOrganisation, seedUser, type SeededUser, type TestApi } from "../support/api";
import { alignClockToChain } from "../support/chainTime";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** A new address bound to `organisation` (as POST /organisation/wallets would leave it). */
export function bindWallet(api: TestApi, organisation: SeededUser): Hex {
  const address = getAddress(privateKeyToAddress(generatePrivateKey()));
  api.database.db
    .insert(wallets)
    .values({
      address,
      organisationId: organisation.organisationId,
      kind: "bound",
      sealedKey: null,
      createdBy: organisation.userId,
      createdAt: api.clock.now().toISOString(),
    })
    .run();
  return address;
}

let externalIds = 0;

/** Registers devices for `developer` through the API; returns their ids in order. */
export async function registerDevices(api: TestApi, developer: SeededUser, count: number, overrides: Record<string, unknown> = {}): Promise<string[]> {
  const body = Array.from({ length: count }, () => validDevice({ externalId: `dev-${++externalIds}`, ...overrides }));
  const response = await api.request("POST", "/devices", { token: developer.token, body });
  expect(response.status, await response.clone().text()).to.equal(201);
  return ((await response.json()) as { id: string }[]).map((device) => device.id);
}

export interface World {
  api: TestApi;
  buyer: SeededUser;
  wallet: Hex;
  developer: SeededUser;
}

/**
 * A fresh registry and database with the API clock on the chain's time (reservation holds and windows are
 * judged by both), a buyer with a bound wallet and a developer organisation.
 */
export async function reservationWorld(): Promise<World> {
  const api = await createTestApi();
  await alignClockToChain(api.clock);
  const buyer = seedOrganisation(api, "buyer");
  const developer = seedOrganisation(api, "developer");
  return { api, buyer, wallet: bindWallet(api, buyer), developer };
}

/** Fresh sessions for everyone (seeded sessions last an hour, and tests move time by days). */
export function refreshSessions(api: TestApi, ...users: SeededUser[]): void {
  for (const user of users) user.token = seedUser(api, user.organisationId).token;
}

/** A valid reservation body: from an hour ago for 30 days, daily, 10 MWh. */
export function reservationBody(world: Pick<World, "api" | "wallet">, deviceIds: string[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = world.api.clock.now().getTime();
  return {
    name: `Reservation ${randomUUID().slice(0, 6)}`,
    standard: "D-REC",
    frequency: "daily",
    start: new Date(now - HOUR).toISOString(),
    end: new Date(now + 30 * DAY).toISOString(),
    targetMWh: "10",
    authorityToExceed: false,
    walletAddress: world.wallet,
    deviceIds,
    ...overrides,
  };
}

export interface ReservationAnswer {
  id: string;
  chainRef: Hex;
  status: string;
  endReason: string | null;
  endedAt: string | null;
  createTxHash: Hex;
  endTxHash: Hex | null;
  releaseError: string | null;
  deviceCount: number;
  devices: { deviceId: string; addedAt: string; addTxHash: Hex; releasedAt: string | null; releaseTxHash: Hex | null; releaseReason: string | null }[];
  [field: string]: unknown;
}

export async function createReservation(
  world: World,
  deviceIds: string[],
  overrides: Record<string, unknown> = {},
  token = world.buyer.token
): Promise<ReservationAnswer> {
  const response = await world.api.request("POST", "/reservations", { token, body: reservationBody(world, deviceIds, overrides) });
  expect(response.status, await response.clone().text()).to.equal(201);
  return (await response.json()) as ReservationAnswer;
}

export async function getReservation(world: World, id: string, token = world.buyer.token): Promise<ReservationAnswer> {
  const response = await world.api.request("GET", `/reservations/${id}`, { token });
  expect(response.status, await response.clone().text()).to.equal(200);
  return (await response.json()) as ReservationAnswer;
}

/** The reservation as the contract records it. */
export function onChain(api: TestApi, reservationId: string) {
  return api.chain.clients.publicClient.readContract({
    address: api.chain.address,
    abi: REGISTRY_ABI,
    functionName: "getReservation",
    args: [chainRef(reservationId)],
  });
}

/** Where the contract says a device stands: the reservation holding it (as a UUID, or undefined) and when it is free. */
export async function deviceOnChain(api: TestApi, deviceId: string): Promise<{ reservationId: string | undefined; availableAt: number }> {
  const [reservation, availableAt] = await api.chain.clients.publicClient.readContract({
    address: api.chain.address,
    abi: REGISTRY_ABI,
    functionName: "deviceStatus",
    args: [chainRef(deviceId)],
  });
  return { reservationId: BigInt(reservation) === 0n ? undefined : reservation, availableAt: Number(availableAt) * 1000 };
}

/** The problem's field errors as `field: message` lines, for compact assertions. */
export async function fieldErrorsOf(response: Response): Promise<string[]> {
  const body = (await response.json()) as { errors?: { field: string; message: string }[] };
  return (body.errors ?? []).map((error) => `${error.field}: ${error.message}`);
}

/**
 * The test API's app again (same database, clock and mail) with some dependencies swapped, say a chain client
 * that fails: a second app on the same data, so a test sets up on a working chain and one request meets the fault.
 */
export function apiWith(api: TestApi, overrides: Partial<AppDeps>) {
  const app = createApp({ ...api.deps, ...overrides });
  return (method: string, path: string, token: string, body?: unknown) =>
    Promise.resolve(
      app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    );
}

/**
 * A client on `healthy`'s chain whose transport throws, as a node that went away would, whenever
 * `failing(method)` says so for the JSON-RPC method about to be sent.
 */
export function failingClient(healthy: PublicClient, failing: (method: string) => boolean): PublicClient {
  return createPublicClient({
    chain: healthy.chain,
    transport: custom({ request: (args) => (failing(args.method) ? Promise.reject(new Error("socket hang up")) : healthy.request(args as never)) }, { retryCount: 0 }),
  });
}
