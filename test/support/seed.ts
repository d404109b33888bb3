import { createHash, randomUUID } from "node:crypto";
import type { RegistryDatabase } from "../../server/db/database";
import { allPermissions, normalisePermissions, type OrganisationType, type Permissions } from "../../server/auth/permissions";
import { organisations, sessions, users } from "../../server/auth/schema";
import { randomSecret, sha256Hex } from "../../server/auth/secrets";
import { UNMATCHABLE_HASH } from "../../server/auth/passwords";

/**
 * Seeding callers straight into a database, without the chain: usable by API tests (through
 * createTestApi) and by benchmark servers that must not load Hardhat.
 */

/** A controllable clock: tests move time forward explicitly. */
export class TestClock {
  constructor(public current = new Date("2026-06-01T12:00:00Z")) {}
  now = (): Date => new Date(this.current);
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** What seeding needs: the database and the clock that stamps rows. */
export interface Seedable {
  database: RegistryDatabase;
  clock: TestClock;
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
  api: Seedable,
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
export function seedUser(api: Seedable, organisationId: string, options: { isOrganisationAdmin?: boolean; permissions?: Permissions } = {}): SeededUser {
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
export function tableCounts(api: Seedable): Record<string, number> {
  return Object.fromEntries(tableNames(api).map((name) => [name, (api.database.sqlite.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n]));
}

/**
 * Every table's row count and a hash of all its rows' contents: equal snapshots before and after a
 * refused request show it neither added, removed nor changed a row.
 */
export function tableSnapshot(api: Seedable): Record<string, string> {
  return Object.fromEntries(
    tableNames(api).map((name) => {
      const rows = api.database.sqlite.prepare(`select * from "${name}" order by rowid`).all();
      return [name, `${rows.length} rows, ${createHash("sha256").update(JSON.stringify(rows)).digest("hex").slice(0, 16)}`];
    }),
  );
}

function tableNames(api: Seedable): string[] {
  const tables = api.database.sqlite
    .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'")
    .all() as { name: string }[];
  return tables.map((t) => t.name);
}

