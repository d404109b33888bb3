import { randomBytes, randomUUID } from "node:crypto";
import { and, asc, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/database";
import type { Permissions } from "./permissions";
import { apiKeys } from "./schema";
import { randomSecret, sha256Hex } from "./secrets";

/** `eak_<16 hex public id>_<43 base64url secret>`: the public id finds the row, the secret is checked by one SHA-256. */
const API_KEY_PATTERN = /^eak_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function parseApiKey(key: string): { publicId: string; secret: string } | undefined {
  const match = API_KEY_PATTERN.exec(key);
  return match ? { publicId: match[1], secret: match[2] } : undefined;
}

export function newApiKey(): { publicId: string; secret: string; key: string } {
  const publicId = randomBytes(8).toString("hex");
  const secret = randomSecret(32);
  return { publicId, secret, key: `eak_${publicId}_${secret}` };
}

type ApiKeyRow = typeof apiKeys.$inferSelect;

/** An API key as listed: never its secret nor its hash; the prefix lets a user recognise the key they hold. */
export function apiKeyView(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: `eak_${row.publicId}`,
    organisationId: row.organisationId,
    createdBy: row.createdBy,
    permissions: row.permissions,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

/** Stores a new key for the organisation and returns it with the full key, which is never retrievable again. */
export function createApiKey(
  db: Db,
  values: { organisationId: string; createdBy: string; name: string; permissions: Permissions },
  now: Date,
): { row: ApiKeyRow; key: string } {
  const { publicId, secret, key } = newApiKey();
  const row = db
    .insert(apiKeys)
    .values({ id: randomUUID(), publicId, secretHash: sha256Hex(secret), ...values, createdAt: now.toISOString() })
    .returning()
    .get();
  return { row, key };
}

export function listApiKeys(db: Db, organisationId: string): ApiKeyRow[] {
  return db.select().from(apiKeys).where(eq(apiKeys.organisationId, organisationId)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id)).all();
}

export function findApiKey(db: Db, id: string): ApiKeyRow | undefined {
  return db.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
}

/** Revoking is idempotent: a key revoked twice keeps its first revocation time. */
export function revokeApiKey(db: Db, id: string, now: Date): void {
  db.update(apiKeys)
    .set({ revokedAt: now.toISOString() })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .run();
}
