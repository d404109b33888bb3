import { randomUUID } from "node:crypto";
import { and, eq, isNull, ne } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/database";
import { sessions } from "./schema";
import { randomSecret, sha256Hex } from "./secrets";

/** When a session started at `now` stops being accepted; sessions do not slide, so a stolen token dies on time. */
export function sessionExpiry(now: Date, ttlMinutes: number): Date {
  return new Date(now.getTime() + ttlMinutes * 60_000);
}

/** Starts a session; the token is returned once and only its SHA-256 is kept. */
export function startSession(db: Db, userId: string, now: Date, ttlMinutes: number): { token: string; expiresAt: string } {
  const token = randomSecret();
  const expiresAt = sessionExpiry(now, ttlMinutes).toISOString();
  db.insert(sessions).values({ id: randomUUID(), userId, tokenHash: sha256Hex(token), createdAt: now.toISOString(), expiresAt }).run();
  return { token, expiresAt };
}

export function revokeSession(db: Db, sessionId: string, now: Date): void {
  db.update(sessions)
    .set({ revokedAt: now.toISOString() })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .run();
}

/** After a password change, every other device has to log in again with the new password. */
export function revokeOtherSessions(db: DbOrTx, userId: string, keepSessionId: string, now: Date): number {
  return db
    .update(sessions)
    .set({ revokedAt: now.toISOString() })
    .where(and(eq(sessions.userId, userId), ne(sessions.id, keepSessionId), isNull(sessions.revokedAt)))
    .run().changes;
}
