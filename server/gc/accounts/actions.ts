/**
 * The action log (seed 000): every operation on an account and its bundles, who did it, when and what,
 * failed attempts included. A request refused as malformed (400) or by access control (401/403/404) is not an
 * attempt on the account and writes nothing; one refused by the account's state (409) or by the chain is
 * logged as failed with the reason, and so is an operation the chain refused.
 */
import { randomUUID } from "node:crypto";
import { and, desc, eq, getTableColumns, lt, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/database";
import { gcActions } from "../schema";

export type ActionRow = typeof gcActions.$inferSelect;

export interface ActionEntry {
  at: number;
  userId: string | null;
  accountId: string | null;
  action: string;
  bundleIds: string[];
  details: Record<string, unknown>;
  outcome: "succeeded" | "failed";
  error?: string | null;
  txHash?: string | null;
}

export function recordAction(db: DbOrTx, entry: ActionEntry): string {
  const id = randomUUID();
  db.insert(gcActions)
    .values({ id, ...entry, error: entry.error ?? null, txHash: entry.txHash ?? null })
    .run();
  return id;
}

/**
 * An account's actions, newest first: in the order they were written (SQLite's rowid), which is also their time
 * order and stays total when two share a millisecond. `before` is the rowid of the previous page's last action.
 */
export function actionsOf(db: DbOrTx, accountId: string, options: { limit: number; before?: number; action?: string }): (ActionRow & { seq: number })[] {
  const seq = sql<number>`${gcActions}.rowid`;
  return db
    .select({ ...getTableColumns(gcActions), seq })
    .from(gcActions)
    .where(
      and(
        eq(gcActions.accountId, accountId),
        options.action === undefined ? undefined : eq(gcActions.action, options.action),
        options.before === undefined ? undefined : lt(seq, options.before),
      ),
    )
    .orderBy(desc(seq))
    .limit(options.limit + 1)
    .all();
}
