import { randomBytes, randomUUID } from "node:crypto";
import { createApp, type App, type AppDeps } from "../../server/app";
import { openDatabase, type RegistryDatabase } from "../../server/db/database";
import { allPermissions, normalisePermissions, type OrganisationType, type Permissions } from "../../server/auth/permissions";
import { organisations, sessions, users } from "../../server/auth/schema";
import { randomSecret, sha256Hex } from "../../server/auth/secrets";
import { UNMATCHABLE_HASH } from "../../server/auth/passwords";
import { deployWithViem, type DeployedOnHardhat } from "./chain";
import { RecordingMailTransport } from "./mail";
import { loadConfig } from "../../server/config";
import { createKeyVault, MASTER_KEY_BYTES } from "../../server/wallets/vault";

/** A controllable clock: tests move time forward explicitly. */
export class TestClock {
  constructor(public current = new Date("2026-06-01T12:00:00Z")) {}
  now = (): Date => new Date(this.current);
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

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

export interface SeededUser {
  organisationId: string;
  userId: string;
  email: string;
  token: string;
}

/**
 * Inserts an organisation with one user and a live session straight into the database, for tests of
 * other domains that need a caller of a given kind without going through sign-up.
 */
export function seedOrganisation(
  api: TestApi,
  type: OrganisationType,
  options: { name?: string; isOrganisationAdmin?: boolean; permissions?: Permissions } = {},
): SeededUser {
  const db = api.database.db;
  const organisationId = randomUUID();
  const name = options.name ?? `${type}-${organisationId.slice(0, 8)}`;
  const now = api.clock.now().toISOString();
  db.insert(organisations).values({ id: organisationId, name, type, address: "1 Test Street", createdAt: now }).run();
  return seedUser(api, organisationId, options);
}

/** Adds a user with a live session to an existing organisation. */
export function seedUser(api: TestApi, organisationId: string, options: { isOrganisationAdmin?: boolean; permissions?: Permissions } = {}): SeededUser {
  const db = api.database.db;
  const userId = randomUUID();
  const email = `user-${userId.slice(0, 8)}@example.test`;
  const isOrganisationAdmin = options.isOrganisationAdmin ?? true;
  const now = api.clock.now();
  db.insert(users)
    .values({
      id: userId,
      organisationId,
      firstName: "Test",
      lastName: "User",
      email,
      passwordHash: UNMATCHABLE_HASH,
      isOrganisationAdmin,
      permissions: isOrganisationAdmin ? allPermissions() : normalisePermissions(options.permissions),
      createdAt: now.toISOString(),
    })
    .run();
  const token = randomSecret();
  db.insert(sessions)
    .values({ id: randomUUID(), userId, tokenHash: sha256Hex(token), createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + 3_600_000).toISOString() })
    .run();
  return { organisationId, userId, email, token };
}

/** Row counts of every table, to show a refused request changed nothing. */
export function tableCounts(api: TestApi): Record<string, number> {
  const tables = api.database.sqlite
    .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'")
    .all() as { name: string }[];
  return Object.fromEntries(tables.map(({ name }) => [name, (api.database.sqlite.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n]));
}

