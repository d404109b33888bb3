import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Statement } from "better-sqlite3";
import type { Db, DbOrTx } from "../db/database";
import { reservations } from "../reservations/schema";
import type { PlanDevice, PlanReservation } from "./plan";

/**
 * Whether a reservation needs planning again. A plan depends on the reservation's period and target left,
 * the windows closed so far, its devices (and their release), and the accepted reads of those devices. The
 * first four go into a digest; reads are tracked by the newest read id at planning (reads are never edited,
 * and ids only grow), so a run finds new ones with a range scan over what arrived since. An unchanged
 * reservation is then skipped without reading its history, which is what keeps idle runs cheap.
 */
export interface PlanWatermark {
  digest: string;
  readId: number;
}

/** `closedWindows`: how many of its windows have closed by now. */
export function planDigest(input: PlanReservation, members: readonly PlanDevice[], closedWindows: number): string {
  const devices = members.map((m) => `${m.id}@${m.releasedAt ?? ""}`).sort();
  return createHash("sha256")
    .update(JSON.stringify([input.startAt, input.endAt, input.frequency, input.remainingWh?.toString() ?? null, closedWindows, devices]))
    .digest("hex");
}

/** The newest meter read id; read inside the planning transaction, which holds the write lock. */
export const newestReadId = (client: Db["$client"]): number => (client.prepare("SELECT coalesce(max(id), 0) FROM meter_reads").pluck().get() as number);

const arrivedStatements = new WeakMap<Db["$client"], Statement<[number, string]>>();

export function isPlanCurrent(client: Db["$client"], reservationId: string, stored: { planDigest: string | null; plannedReadId: number | null }, digest: string): boolean {
  if (stored.planDigest !== digest || stored.plannedReadId === null) return false;
  let arrived = arrivedStatements.get(client);
  if (!arrived) {
    // CROSS JOIN keeps SQLite's join order: the reads since the watermark first, by rowid range, then whether
    // their device is in the reservation. The other order would walk every read of every device.
    arrived = client.prepare<[number, string]>(
      `SELECT 1 FROM meter_reads r CROSS JOIN reservation_devices rd
        WHERE r.id > ? AND r.status = 'accepted' AND rd.device_id = r.device_id AND rd.reservation_id = ? LIMIT 1`,
    );
    arrivedStatements.set(client, arrived);
  }
  return arrived.get(stored.plannedReadId, reservationId) === undefined;
}

export function markPlanned(db: DbOrTx, reservationId: string, watermark: PlanWatermark): void {
  db.update(reservations).set({ planDigest: watermark.digest, plannedReadId: watermark.readId }).where(eq(reservations.id, reservationId)).run();
}

/** Makes the next run plan the reservation in full (its failed job's reads were given back). */
export function forgetPlan(db: DbOrTx, reservationId: string): void {
  db.update(reservations).set({ planDigest: null, plannedReadId: null }).where(eq(reservations.id, reservationId)).run();
}
