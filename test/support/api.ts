import { randomBytes } from "node:crypto";
import { createApp, type App, type AppDeps } from "../../server/app";
import { openDatabase, type RegistryDatabase } from "../../server/db/database";
import { deployWithViem, type DeployedOnHardhat } from "./chain";
import { RecordingMailTransport } from "./mail";
import { loadConfig } from "../../server/config";
import { createKeyVault, MASTER_KEY_BYTES } from "../../server/wallets/vault";
import { TestClock } from "./seed";
import { privateKeyToAccount } from "viem/accounts";
import { network } from "hardhat";

export { seedOrganisation, seedUser, tableCounts, tableSnapshot, TestClock, type SeededUser } from "./seed";

export interface TestApi {
  app: App;
  database: RegistryDatabase;
  chain: DeployedOnHardhat;
  clock: TestClock;
  deps: AppDeps;
  /** Records the emails the app delivers (unless `mail` was overridden). */
  mail: RecordingMailTransport;
  /** Sends a JSON request; `token` goes in as a bearer token (or pass headers yourself). */
  request(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  close(): void;
}

/** The API on an in-memory database and a registry freshly deployed on the in-process chain. */
export async function createTestApi(overrides: Partial<AppDeps> = {}): Promise<TestApi> {
  const chain = await deployWithViem();
  const database = openDatabase(":memory:");
  const clock = new TestClock();
  const mail = new RecordingMailTransport();
  const deps: AppDeps = {
    db: database.db,
    publicClient: chain.clients.publicClient,
    registryAddress: chain.address,
    clock: clock.now,
    mail,
    // The local defaults (session and invitation lifetimes, http://127.0.0.1:3000 in email links).
    accounts: loadConfig({}).accounts,
    readRules: loadConfig({}).readRules,
    vault: createKeyVault(randomBytes(MASTER_KEY_BYTES)),
    chainSigners: { issuer: privateKeyToAccount(chain.keys.issuer), recorder: privateKeyToAccount(chain.keys.recorder), admin: privateKeyToAccount(chain.keys.admin) },
    fundManagedWallet: async (address) => {
      await network.provider.request({ method: "hardhat_setBalance", params: [address, "0x21e19e0c9bab2400000"] });
    },
    ...overrides,
  };
  const app = createApp(deps);
  return {
    app,
    database,
    chain,
    clock,
    deps,
    mail,
    request(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: BodyInit | undefined;
      if (options.body !== undefined) {
        headers["content-type"] ??= "application/json";
        body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      }
      return Promise.resolve(app.request(path, { method, headers, body }));
    },
    close: () => database.close(),
  };
}
