import { randomUUID } from "node:crypto";
import { desc, eq, sql } from "drizzle-orm";
import { expect } from "chai";
import { createApiKey } from "../../server/auth/apiKeys";
import type { Permissions } from "../../server/auth/permissions";
import { organisations, sessions } from "../../server/auth/schema";
import { randomSecret, sha256Hex } from "../../server/auth/secrets";
import { invite } from "../../server/invitations/invitations";
import { outboxEmails } from "../../server/notifications/schema";
import { createTestApi, seedOrganisation, seedUser, type SeededUser, type TestApi } from "./api";

/**
 * The callers every ACL matrix runs each endpoint as. The "home" organisation whose data rows target is
 * the developer organisation; the buyer admin is the outsider, who must get 404 for its data.
 */
export const CALLERS = [
  "anonymous",
  "developerAdmin",
  "developerReader",
  "developerWriter",
  "buyerAdmin",
  "auditor",
  "platformAdmin",
  "apiKey",
] as const;
export type CallerName = (typeof CALLERS)[number];

/** The developer organisation's machine client: what a meter gateway typically holds. */
export const API_KEY_PERMISSIONS: Permissions = { organisation: ["READ"], devices: ["READ", "WRITE"], reads: ["READ", "WRITE"] };

export interface Caller {
  /** Credentials as headers; empty for the anonymous caller. */
  headers: Record<string, string>;
  /** The user behind the caller (for the API key, its creator); undefined for the anonymous caller. */
  user?: SeededUser;
}

export interface AclWorld {
  api: TestApi;
  callers: Record<CallerName, Caller>;
  /** The organisation rows act on, and its admin. */
  developer: SeededUser;
  buyer: SeededUser;
  /** A new user in the developer organisation (read-only member). */
  newMember(): SeededUser;
  /** A new API key of the developer organisation; returns its id. */
  newApiKey(): string;
  /** A new pending invitation into the developer organisation, with its token as read from the outbox. */
  newInvitation(): { id: string; token: string; email: string };
  /** A bearer header for a new session of the caller's user (for rows that end the session). */
  freshSessionHeaders(caller: CallerName): Record<string, string>;
}

/** Allowed means any 2xx; otherwise the exact refusal expected. */
export type Expectation = "ok" | 400 | 401 | 403 | 404 | 409 | 410;

export interface AclRow {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** The path as documented, shown in the test names: "/organisation/api-keys/{id}". */
  label: string;
  path(world: AclWorld, caller: CallerName): string;
  body?(world: AclWorld, caller: CallerName): unknown;
  /** Send a new session token instead of the caller's usual one (logout would otherwise end it for later rows). */
  freshSession?: boolean;
  expect: Record<CallerName, Expectation>;
}

let counter = 0;
/** An email nobody has used yet in this process. */
export function uniqueEmail(prefix = "person"): string {
  counter += 1;
  return `${prefix}-${counter}-${randomUUID().slice(0, 6)}@example.test`;
}

/** The token of the latest invitation email written to the outbox for `email`. */
export function invitationTokenFromOutbox(api: TestApi, email: string): string {
  const row = api.database.db
    .select()
    .from(outboxEmails)
    .where(eq(outboxEmails.to, email.toLowerCase()))
    .orderBy(desc(outboxEmails.createdAt), desc(sql`rowid`))
    .get();
  const token = row && /\/invitations\/([A-Za-z0-9_-]+)/.exec(row.body)?.[1];
  if (!token) throw new Error(`no invitation email to ${email} in the outbox`);
  return token;
}

/** Sets up the organisations and callers of the matrix on an API (developer, buyer, auditor, admin, API key). */
export function setUpCallers(api: TestApi): AclWorld {
  const db = api.database.db;
  const developer = seedOrganisation(api, "developer");
  const buyer = seedOrganisation(api, "buyer");
  const reader = seedUser(api, developer.organisationId, { isOrganisationAdmin: false });
  const writer = seedUser(api, developer.organisationId, { isOrganisationAdmin: false, permissions: { organisation: ["READ", "WRITE"] } });
  const auditor = seedOrganisation(api, "auditor");
  const admin = seedOrganisation(api, "admin");
  const { key } = createApiKey(db, { organisationId: developer.organisationId, createdBy: developer.userId, name: "gateway", permissions: API_KEY_PERMISSIONS }, api.clock.now());
  const bearer = (user: SeededUser): Caller => ({ headers: { authorization: `Bearer ${user.token}` }, user });

  const callers: Record<CallerName, Caller> = {
    anonymous: { headers: {} },
    developerAdmin: bearer(developer),
    developerReader: bearer(reader),
    developerWriter: bearer(writer),
    buyerAdmin: bearer(buyer),
    auditor: bearer(auditor),
    platformAdmin: bearer(admin),
    apiKey: { headers: { "x-api-key": key }, user: developer },
  };

  return {
    api,
    callers,
    developer,
    buyer,
    newMember: () => seedUser(api, developer.organisationId, { isOrganisationAdmin: false }),
    newApiKey: () =>
      createApiKey(db, { organisationId: developer.organisationId, createdBy: developer.userId, name: "spare", permissions: { devices: ["READ"] } }, api.clock.now()).row.id,
    newInvitation: () => {
      const email = uniqueEmail("invitee");
      const organisation = db.select().from(organisations).where(eq(organisations.id, developer.organisationId)).get()!;
      const result = invite(
        db,
        { organisation, email, firstName: "In", lastName: "Vitee", permissions: { devices: ["READ"] }, isOrganisationAdmin: false, invitedBy: developer.userId },
        api.clock.now(),
        api.deps.accounts,
      );
      if (!result.ok) throw new Error("could not seed an invitation");
      return { id: result.invitation.id, token: invitationTokenFromOutbox(api, email), email };
    },
    freshSessionHeaders: (name) => {
      const user = callers[name].user;
      if (!user || name === "apiKey") return callers[name].headers;
      const token = randomSecret();
      const now = api.clock.now();
      db.insert(sessions)
        .values({ id: randomUUID(), userId: user.userId, tokenHash: sha256Hex(token), createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + 3_600_000).toISOString() })
        .run();
      return { authorization: `Bearer ${token}` };
    },
  };
}

/**
 * Declares one test per row and caller: the row's endpoint called as that caller must answer as the
 * row expects. Other domains call this with their own rows (and, through `prepare`, their own fixtures).
 */
export function aclMatrix(title: string, rows: AclRow[], prepare?: (world: AclWorld) => void | Promise<void>): void {
  describe(title, () => {
    let world: AclWorld;
    before(async () => {
      world = setUpCallers(await createTestApi());
      await prepare?.(world);
    });
    after(() => world.api.close());

    for (const row of rows) {
      describe(`${row.method} ${row.label}`, () => {
        for (const caller of CALLERS) {
          const expected = row.expect[caller];
          it(`${caller}: ${expected === "ok" ? "allowed" : `refused ${expected}`}`, async () => {
            const headers = row.freshSession ? world.freshSessionHeaders(caller) : world.callers[caller].headers;
            const response = await world.api.request(row.method, row.path(world, caller), { headers, body: row.body?.(world, caller) });
            const text = await response.text();
            if (expected === "ok") expect(response.status, text).to.be.within(200, 299);
            else expect(response.status, text).to.equal(expected);
          });
        }
      });
    }
  });
}
