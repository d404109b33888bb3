/**
 * The API server for bench:reads, in its own process so its peak resident memory is its own. It seeds
 * one developer organisation with `DEVICES` devices onboarded five days ago, serves on 127.0.0.1 and
 * reports {url, token, deviceIds} to the parent; on "stop" it reports its peak RSS and exits.
 */
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createPublicClient, http, zeroAddress } from "viem";
import { createApp } from "../../server/app";
import { loadConfig } from "../../server/config";
import { openDatabase } from "../../server/db/database";
import { localMailTransport } from "../../server/notifications/transport";
import { createKeyVault } from "../../server/wallets/vault";
import { seedOrganisation, seedUser, TestClock, type Seedable } from "../../test/support/seed";
import { validDevice } from "../../test/devices/support";

const DAY = 86_400_000;

async function main() {
  const [databasePath, deviceCount] = [process.argv[2], Number(process.argv[3])];
  const database = openDatabase(databasePath);
  const clock = new TestClock(new Date(Date.now() - 5 * DAY));
  const config = loadConfig({});
  const app = createApp({
    db: database.db,
    // Read ingestion never touches the chain; the client only satisfies the type.
    publicClient: createPublicClient({ transport: http("http://127.0.0.1:1") }),
    registryAddress: zeroAddress,
    clock: clock.now,
    mail: localMailTransport(() => undefined),
    accounts: config.accounts,
    vault: createKeyVault(randomBytes(32)),
    readRules: config.readRules,
  });
  const seedingApi: Seedable = { database, clock };
  const developer = seedOrganisation(seedingApi, "developer");
  const deviceIds: string[] = [];
  for (let start = 0; start < deviceCount; start += 500) {
    const body = Array.from({ length: Math.min(500, deviceCount - start) }, (_, i) => validDevice({ externalId: `BENCH-${start + i}` }));
    const response = await app.request("/devices", { method: "POST", headers: { authorization: `Bearer ${developer.token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    if (response.status !== 201) throw new Error(`seeding devices failed: ${response.status} ${await response.text()}`);
    deviceIds.push(...((await response.json()) as { id: string }[]).map((d) => d.id));
  }
  clock.current = new Date();
  // The seeded session was issued five days ago with an hour to live: give the client a current one.
  const { token } = seedUser(seedingApi, developer.organisationId);
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await once(server, "listening");
  process.send!({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token, deviceIds });
  process.on("message", (message) => {
    if (message !== "stop") return;
    server.close();
    database.close();
    process.send!({ maxRssKb: process.resourceUsage().maxRSS }, () => process.exit(0));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
