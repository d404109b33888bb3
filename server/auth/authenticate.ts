import { and, eq, isNull } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import type { Db } from "../db/database";
import type { AppEnv } from "../http/env";
import { problem } from "../http/problem";
import { parseApiKey } from "./apiKeys";
import { can, intersectPermissions, type Action, type Module, type OrganisationType, type Principal } from "./permissions";
import { apiKeys, organisations, sessions, users } from "./schema";
import { equalHex, sha256Hex } from "./secrets";

type Clock = () => Date;

/**
 * Resolves `Authorization: Bearer <session token>` or `Authorization: ApiKey <key>` (also accepted as
 * `X-API-Key`) into a principal. Requests without credentials pass on anonymous; credentials that do not
 * resolve are refused here with 401 rather than treated as anonymous.
 */
export function authenticate(db: Db, clock: Clock): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    const apiKeyHeader = c.req.header("x-api-key");
    if (!header && !apiKeyHeader) return next();
    const [scheme, credential] = header ? splitAuthorization(header) : ["apikey", apiKeyHeader!];
    const now = clock().toISOString();
    const principal =
      scheme === "bearer" ? sessionPrincipal(db, credential, now) : scheme === "apikey" ? apiKeyPrincipal(db, credential) : undefined;
    if (!principal) {
      return problem(c, 401, "Unauthenticated", "The credentials are unknown, expired or revoked. Log in again or use a valid API key.");
    }
    c.set("principal", principal);
    await next();
    // Recorded only for a request that went through: a refused one writes nothing.
    if (principal.apiKeyId && c.res.status < 400) {
      db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, principal.apiKeyId)).run();
    }
  };
}

/** Refuses anonymous requests with 401. */
export const requireAuthenticated: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get("principal")) return problem(c, 401, "Unauthenticated", "Send a bearer token from POST /auth/login, or an API key.");
  return next();
};

/** Refuses anonymous requests with 401, and callers without `action` on `module` with 403. */
export function requirePermission(module: Module, action: Action): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get("principal");
    if (!principal) return problem(c, 401, "Unauthenticated", "Send a bearer token from POST /auth/login, or an API key.");
    if (!can(principal, module, action)) {
      return problem(c, 403, "Forbidden", `This needs the ${action} permission on ${module}.`);
    }
    return next();
  };
}

/** For what only a logged-in person may do (logout, password change): API keys are refused with 403. */
export const requireSession: MiddlewareHandler<AppEnv> = async (c, next) => {
  const principal = c.get("principal");
  if (!principal) return problem(c, 401, "Unauthenticated", "Send a bearer token from POST /auth/login.");
  if (principal.kind !== "user") return problem(c, 403, "Forbidden", "This needs a user session; an API key cannot do it.");
  return next();
};

/** Refuses anonymous requests with 401, and callers from other organisation types with 403. */
export function requireOrganisationType(...types: OrganisationType[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get("principal");
    if (!principal) return problem(c, 401, "Unauthenticated", "Send a bearer token from POST /auth/login, or an API key.");
    if (!types.includes(principal.organisationType)) {
      return problem(c, 403, "Forbidden", `This is reserved to ${types.join(" and ")} organisations.`);
    }
    return next();
  };
}

function splitAuthorization(header: string): [string, string] {
  const space = header.indexOf(" ");
  return space < 0 ? [header.toLowerCase(), ""] : [header.slice(0, space).toLowerCase(), header.slice(space + 1).trim()];
}

function sessionPrincipal(db: Db, token: string, now: string): Principal | undefined {
  const row = db
    .select({ session: sessions, user: users, organisation: organisations })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(organisations, eq(organisations.id, users.organisationId))
    .where(and(eq(sessions.tokenHash, sha256Hex(token)), isNull(sessions.revokedAt)))
    .get();
  if (!row || row.session.expiresAt <= now) return undefined;
  return {
    kind: "user",
    userId: row.user.id,
    sessionId: row.session.id,
    organisationId: row.organisation.id,
    organisationType: row.organisation.type,
    isOrganisationAdmin: row.user.isOrganisationAdmin,
    permissions: row.user.permissions,
  };
}

function apiKeyPrincipal(db: Db, key: string): Principal | undefined {
  const parsed = parseApiKey(key);
  if (!parsed) return undefined;
  const { publicId, secret } = parsed;
  const row = db
    .select({ key: apiKeys, organisation: organisations, creator: users })
    .from(apiKeys)
    .innerJoin(organisations, eq(organisations.id, apiKeys.organisationId))
    .innerJoin(users, eq(users.id, apiKeys.createdBy))
    .where(and(eq(apiKeys.publicId, publicId), isNull(apiKeys.revokedAt)))
    .get();
  if (!row || !equalHex(sha256Hex(secret), row.key.secretHash)) return undefined;
  return {
    kind: "apiKey",
    userId: row.key.createdBy,
    apiKeyId: row.key.id,
    organisationId: row.organisation.id,
    organisationType: row.organisation.type,
    isOrganisationAdmin: false,
    // Never more than its creator may do today: demoting a person also narrows the keys they made.
    permissions: row.creator.isOrganisationAdmin ? row.key.permissions : intersectPermissions(row.key.permissions, row.creator.permissions),
  };
}
