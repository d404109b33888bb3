import { randomUUID } from "node:crypto";
import { and, eq, gt, inArray, ne, or, sql } from "drizzle-orm";
import type { Statement } from "better-sqlite3";
import type { Db } from "../db/database";
import { devices } from "../devices/schema";
import { reservationDevices, reservations } from "../reservations/schema";
import { chainRef } from "../chain/refs";
import { buildEvidenceTree } from "./evidence";
import { planReservation, type PlanDevice, type PlanRead, type PlanReservation } from "./plan";
import { closedWindows } from "./windows";
import { issuanceJobs } from "./schema";
import { issuedWhOf } from "./progress";
import { deviceSnapshotRecorder } from "./deviceSnapshots";
import { isPlanCurrent, markPlanned, newestReadId, planDigest } from "./planWatermark";
import { yieldOverrides } from "../reads/yields";
import { DAY_MS } from "../time/durations";

/** How far back an ended reservation still takes late reads (the seed's 12-month limit on reservations). */
const LATE_READ_HORIZON_MS = 366 * DAY_MS;

export interface PlanSummary {
  reservations: number;
  certificates: number;
  wh: bigint;
}

type ReservationRow = typeof reservations.$inferSelect;

/**
 * Turns every closed window's uncertified reads into planned jobs (see plan.ts for the rules). Each
 * reservation is planned in its own IMMEDIATE transaction, which takes the write lock before reading: two
 * runs at once (threads or processes) see each other's parts, and the unique (read, part) index backs it.
 */
export function planIssuance(db: Db, now: number): PlanSummary {
  const summary: PlanSummary = { reservations: 0, certificates: 0, wh: 0n };
  const candidates = db
    .select({ id: reservations.id })
    .from(reservations)
    .where(
      or(
        eq(reservations.status, "active"),
        and(ne(reservations.endReason, "target-reached"), gt(sql`coalesce(${reservations.endedAt}, ${reservations.endAt})`, now - LATE_READ_HORIZON_MS)),
      ),
    )
    .all();
  for (const { id } of candidates) {
    const planned = db.transaction((tx) => planOne(tx as unknown as Db, db.$client, id, now), { behavior: "immediate" });
    if (planned.certificates > 0) summary.reservations += 1;
    summary.certificates += planned.certificates;
    summary.wh += planned.wh;
  }
  return summary;
}

function planOne(db: Db, client: Db["$client"], reservationId: string, now: number): { certificates: number; wh: bigint } {
  const reservation = db.select().from(reservations).where(eq(reservations.id, reservationId)).get();
  if (!reservation || reservation.endReason === "target-reached") return { certificates: 0, wh: 0n };
  const input = planInput(db, reservation);
  const members = reservationMembers(db, reservationId);
  const windows = closedWindows({ start: input.startAt, end: input.endAt }, input.frequency, now);
  const watermark = { digest: planDigest(input, members, windows.length), readId: newestReadId(client) };
  if (isPlanCurrent(client, reservationId, reservation, watermark.digest)) return { certificates: 0, wh: 0n };
  markPlanned(db, reservationId, watermark);
  if (windows.length === 0 || input.remainingWh === 0n) return { certificates: 0, wh: 0n };
  const reads = uncertifiedReads(client, members, input.startAt, windows[windows.length - 1].end);
  const plan = planReservation(input, members, reads, now);
  const recordGroup = plan.certificates.length > 0 ? groupRecorder(db, client, members) : undefined;
  let wh = 0n;
  for (const certificate of plan.certificates) {
    const batch = db
      .select({ n: sql<number>`count(*)` })
      .from(issuanceJobs)
      .where(
        and(
          eq(issuanceJobs.reservationId, reservationId),
          eq(issuanceJobs.windowStart, certificate.windowStart),
          eq(issuanceJobs.organisationId, certificate.organisationId),
          eq(issuanceJobs.countryCode, certificate.countryCode),
        ),
      )
      .get()!.n;
    const jobId = randomUUID();
    db.insert(issuanceJobs)
      .values({
        id: jobId,
        reservationId,
        windowStart: certificate.windowStart,
        windowEnd: certificate.windowEnd,
        organisationId: certificate.organisationId,
        countryCode: certificate.countryCode,
        batch,
        state: "planned",
        amountWh: Number(certificate.amountWh),
        evidenceRoot: buildEvidenceTree(certificate.leaves).root,
        standardState: reservation.standard === "I-REC" ? "provisional" : null,
        createdAt: now,
        updatedAt: now,
      })
      .run();
    const deviceOfRef = new Map(members.map((m) => [m.chainRef, m.id]));
    const { leaf, part } = inserts(client);
    for (const l of certificate.leaves) leaf.run(jobId, deviceOfRef.get(l.deviceId)!, Number(l.start), Number(l.end), Number(l.wh));
    for (const p of certificate.parts) part.run(p.readId, p.start, p.end, Number(p.wh), jobId);
    recordGroup!(jobId, certificate);
    wh += certificate.amountWh;
  }
  return { certificates: plan.certificates.length, wh };
}

/**
 * Stores each job's device group as it is at planning (see ./deviceSnapshots.ts): the devices the
 * developer has in the reservation, in the certificate's country when it has one.
 */
function groupRecorder(db: Db, client: Db["$client"], members: readonly PlanDevice[]) {
  const rows = new Map(db.select().from(devices).where(inArray(devices.id, members.map((m) => m.id))).all().map((row) => [row.id, row]));
  const record = deviceSnapshotRecorder(client, yieldOverrides(db));
  return (jobId: string, certificate: { organisationId: string; countryCode: string }) => {
    const group = members.filter((m) => m.organisationId === certificate.organisationId && (certificate.countryCode === "*" || m.countryCode === certificate.countryCode));
    record(jobId, group.map((m) => rows.get(m.id)!));
  };
}

function planInput(db: Db, reservation: ReservationRow): PlanReservation {
  return {
    standard: reservation.standard,
    frequency: reservation.frequency,
    startAt: reservation.startAt,
    endAt: reservation.endedAt ?? reservation.endAt,
    remainingWh: reservation.canExceedTarget ? undefined : BigInt(reservation.targetWh) - issuedWhOf(db, reservation.id),
  };
}

function reservationMembers(db: Db, reservationId: string): PlanDevice[] {
  return db
    .select({ id: devices.id, organisationId: devices.organisationId, countryCode: devices.countryCode, releasedAt: reservationDevices.releasedAt })
    .from(reservationDevices)
    .innerJoin(devices, eq(devices.id, reservationDevices.deviceId))
    .where(eq(reservationDevices.reservationId, reservationId))
    .all()
    .map((row) => ({ ...row, chainRef: chainRef(row.id), releasedAt: row.releasedAt ?? undefined }));
}

/**
 * The accepted reads of `members` that reach into `[from, to)`, each with the starts of its parts already
 * certified. Reads whose every part is certified still come back; the planner skips them.
 */
function uncertifiedReads(client: Db["$client"], members: readonly PlanDevice[], from: number, to: number): PlanRead[] {
  const statement = client.prepare<[string, number, number], { id: number; startAt: number; endAt: number; energyWh: number; parts: string | null }>(
    `SELECT r.id, r.start_at AS startAt, r.end_at AS endAt, r.energy_wh AS energyWh, group_concat(p.part_start) AS parts
       FROM meter_reads r LEFT JOIN issuance_read_parts p ON p.read_id = r.id
      WHERE r.device_id = ? AND r.status = 'accepted' AND r.energy_wh > 0 AND r.end_at > ? AND r.start_at < ?
      GROUP BY r.id`,
  );
  return members.flatMap((member) =>
    statement.all(member.id, from, to).map((row) => ({
      id: row.id,
      deviceId: member.id,
      startAt: row.startAt,
      endAt: row.endAt,
      energyWh: BigInt(row.energyWh),
      certifiedPartStarts: new Set(row.parts ? row.parts.split(",").map(Number) : []),
    })),
  );
}

/**
 * Evidence rows go in through statements prepared once per connection: a month of a thousand devices is
 * hundreds of thousands of read parts, where building each insert through the query builder dominates.
 */
const preparedInserts = new WeakMap<Db["$client"], { leaf: Statement<unknown[]>; part: Statement<unknown[]> }>();

function inserts(client: Db["$client"]): { leaf: Statement<unknown[]>; part: Statement<unknown[]> } {
  let statements = preparedInserts.get(client);
  if (!statements) {
    statements = {
      leaf: client.prepare("INSERT INTO issuance_leaves (job_id, device_id, start, end, wh) VALUES (?, ?, ?, ?, ?)"),
      part: client.prepare("INSERT INTO issuance_read_parts (read_id, part_start, part_end, wh, job_id) VALUES (?, ?, ?, ?, ?)"),
    };
    preparedInserts.set(client, statements);
  }
  return statements;
}
