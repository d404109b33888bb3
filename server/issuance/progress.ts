import { and, eq, notInArray, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../db/database";
import { issuanceJobs } from "./schema";

/**
 * Wh issued or committed to be issued for a reservation: every job that is not failed (or released after
 * failing), whether still planned, signed or confirmed. Counting planned ones keeps two runs from planning past the target.
 */
export function issuedWhOf(db: DbOrTx, reservationId: string): bigint {
  return jobWh(db, reservationId, notInArray(issuanceJobs.state, ["failed", "released"]));
}

/** Wh already minted on chain for a reservation (confirmed jobs only). */
export function confirmedWhOf(db: DbOrTx, reservationId: string): bigint {
  return jobWh(db, reservationId, eq(issuanceJobs.state, "confirmed"));
}

function jobWh(db: DbOrTx, reservationId: string, state: SQL): bigint {
  const row = db
    .select({ wh: sql<number | null>`sum(${issuanceJobs.amountWh})` })
    .from(issuanceJobs)
    .where(and(eq(issuanceJobs.reservationId, reservationId), state))
    .get();
  return BigInt(row?.wh ?? 0);
}
