import { expect } from "chai";
import { network } from "hardhat";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { getAddress, type Hex } from "viem";
import type { Frequency } from "../../server/issuance/windows";
import { runIssuance, type IssuanceRunSummary } from "../../server/issuance/engine";
import { wallets } from "../../server/wallets/schema";
import { validDevice } from "../devices/support";
import { createTestApi, seedOrganisation, type SeededUser, type TestApi } from "./api";
import { alignClockToChain } from "./chainTime";
import type { AppDeps } from "../../server/app";
import { MAX_DEVICES_PER_REQUEST } from "../../server/reservations/apiSchemas";
import { DAY_MS, HOUR_MS } from "../../server/time/durations";

export interface IssuanceWorldOptions {
  standard?: "D-REC" | "I-REC";
  frequency?: Frequency;
  /** Whole UTC days of hourly history before now that the reservation covers (default 3). */
  days?: number;
  /** Devices per developer organisation (default 2), and their countries in turn (default KE). */
  devicesPerDeveloper?: number;
  developers?: number;
  countryCodes?: string[];
  /** Wh each device generates per hour (default 1,000). */
  hourlyWh?: number;
  targetMWh?: string;
  authorityToExceed?: boolean;
  /** Days the reservation runs on after the last day of reads (default 0: it is over, and released at the first run). */
  daysAfter?: number;
  /** Leave reads to the test (default: every hour of every day is posted for every device). */
  withoutReads?: boolean;
  overrides?: Partial<AppDeps>;
}

export interface IssuanceWorld {
  api: TestApi;
  developers: (SeededUser & { managedWallet: Hex })[];
  buyer: SeededUser;
  /** The buyer's own (bound) wallet, with its key: certificates land there. */
  buyerKey: Hex;
  buyerWallet: Hex;
  devices: { id: string; organisationId: string; countryCode: string }[];
  reservationId: string;
  /** Start of the reservation (a UTC midnight), and the end of its reads, `days` later. */
  start: number;
  end: number;
  run(): Promise<IssuanceRunSummary>;
  postHourlyReads(deviceId: string, from: number, hours: number, wh: number): Promise<void>;
  /** A session for `user` made now (sessions expire an hour after seeding). */
  request(user: SeededUser, method: string, path: string, body?: unknown): Promise<Response>;
}

/**
 * Developers with devices and a month's (or `days`') hourly history, a funded managed wallet each, and a
 * buyer with its own wallet who reserved every device for exactly those days: the world every issuance
 * test starts from. The API clock and the chain's time are aligned first; the reservation's days all lie
 * before "now", so every window is closed and the first run can issue them all.
 */
export async function issuanceWorld(options: IssuanceWorldOptions = {}): Promise<IssuanceWorld> {
  const days = options.days ?? 3;
  const api = await createTestApi(options.overrides);
  const now = (await alignClockToChain(api.clock)).getTime();
  const end = Math.floor(now / DAY_MS) * DAY_MS;
  const start = end - days * DAY_MS;

  const request = (user: SeededUser, method: string, path: string, body?: unknown) => api.request(method, path, { token: user.token, body });
  const postHourlyReads = async (deviceId: string, from: number, hours: number, wh: number) => {
    const owner = developers.find((d) => world.devices.some((device) => device.id === deviceId && device.organisationId === d.organisationId))!;
    const reads = Array.from({ length: hours }, (_, h) => ({
      type: "history",
      start: new Date(from + h * HOUR_MS).toISOString(),
      end: new Date(from + (h + 1) * HOUR_MS).toISOString(),
      value: wh,
    }));
    const response = await request(owner, "POST", `/devices/${deviceId}/reads`, { reads });
    const body = (await response.json()) as { results?: { status: string }[] };
    expect(response.status, JSON.stringify(body)).to.be.oneOf([200, 201]);
  };

  const developers: IssuanceWorld["developers"] = [];
  const devices: IssuanceWorld["devices"] = [];
  const countries = options.countryCodes ?? ["KE"];
  for (let d = 0; d < (options.developers ?? 1); d++) {
    const developer = seedOrganisation(api, "developer");
    const walletResponse = await request(developer, "POST", "/organisation/managed-wallet");
    expect(walletResponse.status).to.equal(201);
    const managedWallet = ((await walletResponse.json()) as { address: Hex }).address;
    await network.provider.request({ method: "hardhat_setBalance", params: [managedWallet, "0x21e19e0c9bab2400000"] });
    developers.push({ ...developer, managedWallet });
    for (let i = 0; i < (options.devicesPerDeveloper ?? 2); i++) {
      const countryCode = countries[devices.length % countries.length];
      const response = await request(developer, "POST", "/devices", validDevice({ externalId: `dev${d}-device-${i}`, countryCode, latitude: undefined, longitude: undefined }));
      const created = (await response.json()) as { id: string };
      expect(response.status, JSON.stringify(created)).to.equal(201);
      devices.push({ id: created.id, organisationId: developer.organisationId, countryCode });
    }
  }

  const buyer = seedOrganisation(api, "buyer");
  const buyerKey = generatePrivateKey();
  const buyerWallet = getAddress(privateKeyToAddress(buyerKey));
  api.database.db.insert(wallets).values({ address: buyerWallet, organisationId: buyer.organisationId, kind: "bound", createdBy: buyer.userId, createdAt: api.clock.now().toISOString() }).run();
  await network.provider.request({ method: "hardhat_setBalance", params: [buyerWallet, "0x21e19e0c9bab2400000"] });

  const world: IssuanceWorld = {
    api,
    developers,
    buyer,
    buyerKey,
    buyerWallet,
    devices,
    reservationId: "",
    start,
    end,
    run: () => runIssuance(api.deps),
    postHourlyReads,
    request,
  };
  if (!options.withoutReads) {
    for (const device of devices) await postHourlyReads(device.id, start, days * 24, options.hourlyWh ?? 1_000);
  }
  const reservation = await request(buyer, "POST", "/reservations", {
    name: "Issuance test",
    standard: options.standard ?? "D-REC",
    frequency: options.frequency ?? "daily",
    start: new Date(start).toISOString(),
    end: new Date(end + (options.daysAfter ?? 0) * DAY_MS).toISOString(),
    targetMWh: options.targetMWh ?? "1000",
    authorityToExceed: options.authorityToExceed ?? true,
    walletAddress: buyerWallet,
    deviceIds: devices.slice(0, MAX_DEVICES_PER_REQUEST).map((d) => d.id),
  });
  const created = (await reservation.json()) as { id: string };
  expect(reservation.status, JSON.stringify(created)).to.equal(201);
  world.reservationId = created.id;
  for (let i = MAX_DEVICES_PER_REQUEST; i < devices.length; i += MAX_DEVICES_PER_REQUEST) {
    const added = await request(buyer, "PATCH", `/reservations/${created.id}`, { addDeviceIds: devices.slice(i, i + MAX_DEVICES_PER_REQUEST).map((d) => d.id) });
    expect(added.status, await added.clone().text()).to.equal(200);
  }
  return world;
}
