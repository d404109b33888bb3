import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Db } from "../db/database";
import { reservations } from "../reservations/schema";
import type { PlanDevice, PlanReservation } from "./plan";
import { closedWindows } from "./windows";

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

export function planDigest(input: PlanReservation, members: readonly PlanDevice[], now: number): string {
  const windows = closedWindows({ start: input.startAt, end: input.endAt }, input.frequency, now).length;
  const devices = members.map((m) => `${m.id}@${m.releasedAt ?? ""}`).sort();
  return createHash("sha256")
    .update(JSON.stringify([input.startAt, input.endAt, input.frequency, input.remainingWh?.toString() ?? null, windows, devices]))
    .digest("hex");
}

/** The newest meter read id; read inside the planning transaction, which holds the write lock. */
export const newestReadId = (client: Db["$client"]): number => (client.prepare("SELECT coalesce(max(id), 0) FROM meter_reads").pluck().get() as number);

export function isPlanCurrent(client: Db["$client"], reservationId: string, stored: { planDigest: string | null; plannedReadId: number | null }, digest: string): boolean {
  if (stored.planDigest !== digest || stored.plannedReadId === null) return false;
  const arrived = client
    .prepare(
      `SELECT 1 FROM meter_reads r JOIN reservation_devices rd ON rd.device_id = r.device_id AND rd.reservation_id = ?
        WHERE r.id > ? AND r.status = 'accepted' LIMIT 1`,
    )
    .get(reservationId, stored.plannedReadId);
  return arrived === undefined;
}

export function markPlanned(db: Db, reservationId: string, watermark: PlanWatermark): void {
  db.update(reservations).set({ planDigest: watermark.digest, plannedReadId: watermark.readId }).where(eq(reservations.id, reservationId)).run();
}

/** Makes the next run plan the reservation in full (its failed job's reads were given back). */
export function forgetPlan(db: Db, reservationId: string): void {
  db.update(reservations).set({ planDigest: null, plannedReadId: null }).where(eq(reservations.id, reservationId)).run();
}
