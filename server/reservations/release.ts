/**
 * Ending reservations and releasing their devices: the DB bookkeeping shared by DELETE, the automatic
 * release of expired reservations (run by the issuance engine), the manual release when that failed, and
 * the engine's record of a reservation the chain ended at its target.
 */
import { and, asc, eq, isNull, lte } from "drizzle-orm";
import type { Hex } from "viem";
import type { Db, DbOrTx } from "../db/database";
import { chainRef } from "../chain/refs";
import { chainReservationState, endedOnChain, endOnChain, removeOnChain, reservationChainOf, type ReservationChain, type ReservationChainDeps } from "./chain";
import { reservationDevices, reservations, type EndReason, type ReleaseReason } from "./schema";
import { releaseReservationDevices, type ReservationRow } from "./store";

/** Longest `releaseError` kept: enough for a revert or RPC message, not a whole stack. */
const MAX_ERROR_LENGTH = 500;

export interface ReservationEnding {
  reservationId: string;
  reason: EndReason;
  /** The chain's end time (ms): block time, capped at the reservation's end. */
  endedAt: number;
  /** The transaction that ended it, or null when it ended on chain in one the platform cannot name. */
  txHash: string | null;
  /** How its still-reserved devices are marked: "ended" (default), or "manual" when an administrator released them. */
  releaseReason?: Extract<ReleaseReason, "ended" | "manual">;
}

/**
 * Marks an active reservation ended and releases every device still in it at `endedAt`. Idempotent: a
 * reservation already ended is left as it is, so the engine and a release running at once cannot clash.
 * Call it inside the caller's transaction.
 */
export function recordReservationEnded(tx: DbOrTx, ending: ReservationEnding): void {
  const ended = tx
    .update(reservations)
    .set({ status: "ended", endReason: ending.reason, endedAt: ending.endedAt, endTxHash: ending.txHash, releaseError: null })
    .where(and(eq(reservations.id, ending.reservationId), eq(reservations.status, "active")))
    .run();
  if (ended.changes === 0) return;
  tx.update(reservationDevices)
    .set({ releasedAt: ending.endedAt, releaseTxHash: ending.txHash, releaseReason: ending.releaseReason ?? "ended" })
    .where(and(eq(reservationDevices.reservationId, ending.reservationId), isNull(reservationDevices.releasedAt)))
    .run();
}

/**
 * Ends `reservation` on chain (or, when the chain has ended it already, reads how) and records it. `over`
 * names the reason when the platform ends it: the window is over ("expired") or the buyer deleted it.
 */
export async function endReservation(
  db: Db,
  chain: ReservationChain,
  reservation: Pick<ReservationRow, "id" | "chainRef">,
  over: Extract<EndReason, "expired" | "deleted">,
  releaseReason: "ended" | "manual" = "ended"
): Promise<ReservationEnding> {
  let ending: ReservationEnding;
  try {
    const { hash, endedAt } = await endOnChain(chain, reservation.chainRef as Hex);
    ending = { reservationId: reservation.id, reason: over, endedAt, txHash: hash, releaseReason };
  } catch (error) {
    if (!endedOnChain(error)) throw error;
    // Ended on chain already: at its target during issuance, or by an earlier attempt whose record was lost.
    const state = await chainReservationState(chain, reservation.chainRef as Hex);
    ending = { reservationId: reservation.id, reason: state.targetReached ? "target-reached" : over, endedAt: state.endedAt!, txHash: null, releaseReason };
  }
  db.transaction((tx) => recordReservationEnded(tx, ending));
  return ending;
}

export interface ReleaseSummary {
  /** Reservations ended and their devices released in this run. */
  released: number;
  /** Reservations whose release failed; each keeps the reason in `releaseError` and is retried next run. */
  failed: number;
  errors: { reservationId: string; error: string }[];
}

/**
 * Ends every active reservation whose window is over by `now` and releases its devices (seed 001: "System
 * will automatically release the devices which are part of expired reservations"). A failure is recorded on
 * its reservation, for an administrator or the devices' developers to see and release by hand, and the run
 * carries on with the others.
 */
export async function releaseExpiredReservations(deps: ReservationChainDeps & { db: Db }, now: number): Promise<ReleaseSummary> {
  const summary: ReleaseSummary = { released: 0, failed: 0, errors: [] };
  const due = deps.db
    .select({ id: reservations.id, chainRef: reservations.chainRef })
    .from(reservations)
    .where(and(eq(reservations.status, "active"), lte(reservations.endAt, now)))
    .orderBy(asc(reservations.endAt))
    .all();
  const chain = reservationChainOf(deps);
  for (const reservation of due) {
    try {
      if (!chain) throw new Error("the platform's recorder key is not configured (RECORDER_PRIVATE_KEY)");
      await endReservation(deps.db, chain, reservation, "expired");
      summary.released += 1;
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_LENGTH);
      deps.db.update(reservations).set({ releaseError: message }).where(eq(reservations.id, reservation.id)).run();
      summary.failed += 1;
      summary.errors.push({ reservationId: reservation.id, error: message });
    }
  }
  return summary;
}

/**
 * A developer's manual release of its own devices from a reservation that is over but was not released:
 * removed on chain while the chain still holds them, otherwise (the chain ended it) recorded at the chain's end.
 */
export async function releaseDevicesOf(
  db: Db,
  chain: ReservationChain,
  reservation: Pick<ReservationRow, "id" | "chainRef">,
  deviceIds: readonly string[]
): Promise<void> {
  const ref = reservation.chainRef as Hex;
  const record = (releases: { deviceId: string; releasedAt: number }[], txHash: string | null) =>
    db.transaction((tx) => releaseReservationDevices(tx, reservation.id, releases, txHash, "manual"));
  const refs = deviceIds.map((id) => chainRef(id));
  try {
    const removed = await removeOnChain(chain, ref, refs);
    record(
      deviceIds.map((deviceId, i) => ({ deviceId, releasedAt: removed.releasedAt.get(refs[i].toLowerCase())! })),
      removed.hash
    );
    return;
  } catch (error) {
    // The chain has ended it (its target was met, or an administrator's release): that end released the devices there.
    if (!endedOnChain(error)) throw error;
  }
  const { endedAt } = await chainReservationState(chain, ref);
  record(
    deviceIds.map((deviceId) => ({ deviceId, releasedAt: endedAt! })),
    null
  );
}
