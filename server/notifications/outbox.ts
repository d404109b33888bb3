import { randomUUID } from "node:crypto";
import { and, asc, eq, isNotNull, isNull, lte } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/database";
import { outboxEmails } from "./schema";
import type { MailTransport, OutgoingEmail } from "./transport";

/** After this many failed deliveries the email stays in the outbox, visible with its last error, untried. */
export const MAX_DELIVERY_ATTEMPTS = 8;
/** How long a delivery under way keeps its email from being picked up again by another dispatch. */
const DELIVERY_LEASE_MS = 5 * 60_000;
const BATCH_SIZE = 50;
const MAX_ERROR_LENGTH = 500;

/** Writes an email to the outbox; call it inside the transaction whose change the email reports. */
export function enqueueEmail(tx: DbOrTx, email: OutgoingEmail, now: Date): string {
  const id = randomUUID();
  const at = now.toISOString();
  tx.insert(outboxEmails).values({ id, ...email, createdAt: at, nextAttemptAt: at }).run();
  return id;
}

/** Waiting time after the n-th failed attempt: 1, 2, 4 … minutes, capped at an hour. */
export function retryDelayMs(failedAttempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, failedAttempts - 1), 3_600_000);
}

export interface DispatchResult {
  delivered: number;
  failed: number;
}

/**
 * Delivers every email that is due. Each one is first leased by a conditional update, so the dispatch
 * after a request and the periodic retry never send the same email twice. Transport failures are
 * recorded on the email and never thrown: the change that wrote the email is already committed.
 */
export async function dispatchOutbox(db: Db, transport: MailTransport, clock: () => Date): Promise<DispatchResult> {
  const result: DispatchResult = { delivered: 0, failed: 0 };
  const due = db
    .select()
    .from(outboxEmails)
    .where(and(isNull(outboxEmails.deliveredAt), isNotNull(outboxEmails.nextAttemptAt), lte(outboxEmails.nextAttemptAt, clock().toISOString())))
    .orderBy(asc(outboxEmails.createdAt))
    .limit(BATCH_SIZE)
    .all();
  for (const email of due) {
    const leased = db
      .update(outboxEmails)
      .set({ nextAttemptAt: new Date(clock().getTime() + DELIVERY_LEASE_MS).toISOString() })
      .where(and(eq(outboxEmails.id, email.id), eq(outboxEmails.nextAttemptAt, email.nextAttemptAt!), isNull(outboxEmails.deliveredAt)))
      .run();
    if (leased.changes !== 1) continue;
    const attempts = email.attempts + 1;
    try {
      await transport.deliver({ to: email.to, subject: email.subject, body: email.body });
      db.update(outboxEmails).set({ deliveredAt: clock().toISOString(), attempts, nextAttemptAt: null }).where(eq(outboxEmails.id, email.id)).run();
      result.delivered += 1;
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_LENGTH);
      const nextAttemptAt = attempts >= MAX_DELIVERY_ATTEMPTS ? null : new Date(clock().getTime() + retryDelayMs(attempts)).toISOString();
      db.update(outboxEmails).set({ attempts, lastError: `${transport.name}: ${message}`, nextAttemptAt }).where(eq(outboxEmails.id, email.id)).run();
      result.failed += 1;
    }
  }
  return result;
}

/** Retries failed deliveries (and picks up anything a crash left behind) until stopped. */
export function startOutboxDispatcher(
  db: Db,
  transport: MailTransport,
  clock: () => Date,
  options: { intervalMs: number; onError: (error: unknown) => void },
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => dispatchOutbox(db, transport, clock)).catch(options.onError);
  }, options.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
