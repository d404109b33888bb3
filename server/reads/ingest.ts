import { and, eq, gt, lt } from "drizzle-orm";
import { DateTime } from "luxon";
import type Database from "better-sqlite3";
import type { Db } from "../db/database";
import type { DeviceRow } from "../devices/store";
import type { FieldError } from "../http/problem";
import { judgeRead, type DeviceProfile, type DeviceReadState, type ReadInput, type ReadRules, type ReadType, type Verdict } from "./judgeRead";
import { parseReadTime } from "./readTime";
import { deviceReadState, meterReads, type SubmittedRead } from "./schema";
import { InvalidEnergyValue, toWh, type EnergyUnit } from "./units";

export interface ReadSubmission {
  type: ReadType;
  start?: string;
  end: string;
  value: string | number;
  unit: EnergyUnit;
}

export interface PreparedRead extends ReadInput {
  index: number;
  submitted: SubmittedRead;
}

const MAX_STORABLE_WH = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Turns submitted reads into typed ones: times into instants (offset or device-local), values into
 * Wh. A read that cannot be understood at all refuses the whole request (400 naming the field);
 * reads that are understood but break a rule are stored as rejected later, with their reasons.
 */
export function prepareReads(submissions: readonly ReadSubmission[], zone: string): { reads: PreparedRead[] } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const reads: PreparedRead[] = [];
  submissions.forEach((s, index) => {
    const field = (name: string) => `body.reads.${index}.${name}`;
    const end = parseReadTime(s.end, zone);
    if (!end.ok) errors.push({ field: field("end"), message: end.message });
    const start = s.start === undefined ? undefined : parseReadTime(s.start, zone);
    if (start && !start.ok) errors.push({ field: field("start"), message: start.message });
    let valueWh: bigint | undefined;
    try {
      valueWh = toWh(s.value, s.unit);
      if (valueWh > MAX_STORABLE_WH || -valueWh > MAX_STORABLE_WH) {
        errors.push({ field: field("value"), message: `is more than ${MAX_STORABLE_WH} Wh` });
      }
    } catch (error) {
      if (!(error instanceof InvalidEnergyValue)) throw error;
      errors.push({ field: field("value"), message: error.message });
    }
    if (end.ok && (!start || start.ok) && valueWh !== undefined) {
      reads.push({
        index,
        type: s.type,
        startAt: start?.ok ? start.at : undefined,
        endAt: end.at,
        valueWh,
        submitted: { type: s.type, ...(s.start === undefined ? {} : { start: s.start }), end: s.end, value: String(s.value), unit: s.unit },
      });
    }
  });
  return errors.length > 0 ? { errors } : { reads };
}

export interface RecordedRead {
  index: number;
  id: number;
  /** The read's end as submitted, also for rejected reads. */
  endAt: Date;
  verdict: Verdict;
}

export interface RecordContext {
  rules: ReadRules;
  yieldKwhPerKwYear: number;
  now: Date;
  submittedBy: string;
  apiKeyId?: string;
}

export function deviceProfile(device: DeviceRow, yieldKwhPerKwYear: number): DeviceProfile {
  return {
    onboardedAt: new Date(device.onboardedAt),
    // The commissioning date is a calendar day where the device stands; it begins at local midnight.
    commissionedAt: DateTime.fromISO(device.commissioningDate, { zone: device.timeZone }).startOf("day").toJSDate(),
    capacityKw: device.capacityW / 1000,
    yieldKwhPerKwYear,
  };
}

/**
 * Judges and stores one device's reads in time order, in one IMMEDIATE transaction: the write lock is
 * taken before the device's state is read, so two submissions for the same device (from this process or
 * another on the same file) are serialised and cannot build on the same baseline or overlap.
 */
export function recordReads(db: Db, device: DeviceRow, reads: readonly PreparedRead[], context: RecordContext): RecordedRead[] {
  const ordered = [...reads].sort((a, b) => a.endAt.getTime() - b.endAt.getTime() || a.index - b.index);
  const profile = deviceProfile(device, context.yieldKwhPerKwYear);
  const receivedAt = context.now.getTime();
  return db.transaction(
    (tx) => {
      const loaded = loadState(tx as unknown as Db, device.id, ordered);
      const certifiedThrough = loaded.certifiedThrough;
      let state = loaded.state;
      const rows: (typeof meterReads.$inferInsert)[] = [];
      const results: Omit<RecordedRead, "id">[] = [];
      for (const read of ordered) {
        const previousMeter = state.last?.meterWh;
        const judged = judgeRead(read, profile, state, context.rules, context.now);
        state = judged.state;
        const verdict = judged.verdict;
        results.push({ index: read.index, endAt: read.endAt, verdict });
        rows.push({
          deviceId: device.id,
          type: read.type,
          status: verdict.status,
          baseline: verdict.status === "accepted" && verdict.baseline,
          startAt: verdict.status === "accepted" ? (verdict.startAt?.getTime() ?? null) : (read.startAt?.getTime() ?? null),
          endAt: read.endAt.getTime(),
          valueWh: Number(read.valueWh),
          energyWh: verdict.status === "accepted" ? Number(verdict.energyWh) : 0,
          claimedWh: Number(claimedWh(read, previousMeter)),
          reasons: verdict.status === "rejected" ? verdict.reasons : [],
          submitted: read.submitted,
          receivedAt,
          late: verdict.status === "accepted" && !verdict.baseline && certifiedThrough !== null && verdict.startAt.getTime() < certifiedThrough,
          submittedBy: context.submittedBy,
          apiKeyId: context.apiKeyId ?? null,
        });
      }
      const ids = insertReads(db.$client, rows);
      saveState(tx as unknown as Db, device.id, state);
      return results.map((r, i) => ({ ...r, id: ids[i] })).sort((a, b) => a.index - b.index);
    },
    { behavior: "immediate" },
  );
}

/** What a read claims: its value, or for an aggregate read the rise since the previous meter value. */
function claimedWh(read: ReadInput, previousMeter: bigint | undefined): bigint {
  if (read.type !== "aggregate") return read.valueWh;
  return previousMeter === undefined || read.valueWh < previousMeter ? 0n : read.valueWh - previousMeter;
}

function loadState(db: Db, deviceId: string, reads: readonly PreparedRead[]): { state: DeviceReadState; certifiedThrough: number | null } {
  const row = db.select().from(deviceReadState).where(eq(deviceReadState.deviceId, deviceId)).get();
  const history = reads.filter((r) => r.type === "history" && r.startAt);
  const historyPeriods =
    history.length === 0
      ? []
      : db
          .select({ startAt: meterReads.startAt, endAt: meterReads.endAt })
          .from(meterReads)
          .where(
            and(
              eq(meterReads.deviceId, deviceId),
              eq(meterReads.status, "accepted"),
              eq(meterReads.type, "history"),
              lt(meterReads.startAt, Math.max(...history.map((r) => r.endAt.getTime()))),
              gt(meterReads.endAt, Math.min(...history.map((r) => r.startAt!.getTime()))),
            ),
          )
          .all()
          .map((p) => ({ startAt: new Date(p.startAt!), endAt: new Date(p.endAt) }));
  return {
    state: {
      lockedType: row?.lockedType ?? undefined,
      last: row?.lastEndAt != null ? { endAt: new Date(row.lastEndAt), meterWh: BigInt(row.lastMeterWh ?? 0) } : undefined,
      historyPeriods,
    },
    certifiedThrough: row?.certifiedThrough ?? null,
  };
}

function saveState(db: Db, deviceId: string, state: DeviceReadState): void {
  const values = {
    deviceId,
    lockedType: state.lockedType ?? null,
    lastEndAt: state.last?.endAt.getTime() ?? null,
    lastMeterWh: state.last ? Number(state.last.meterWh) : null,
  };
  db.insert(deviceReadState).values(values).onConflictDoUpdate({ target: deviceReadState.deviceId, set: values }).run();
}

const insertStatements = new WeakMap<Database.Database, Database.Statement>();

/**
 * Inserts through one cached prepared statement. Read batches are the hottest write path (gateways
 * send thousands of reads a second); building a 1,000-row insert with the query builder cost more
 * than SQLite's own work.
 */
function insertReads(client: Database.Database, rows: (typeof meterReads.$inferInsert)[]): number[] {
  let statement = insertStatements.get(client);
  if (!statement) {
    statement = client.prepare(
      `insert into meter_reads (device_id, type, status, baseline, start_at, end_at, value_wh, energy_wh, claimed_wh, reasons, submitted, received_at, late, submitted_by, api_key_id)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    insertStatements.set(client, statement);
  }
  const insert = statement;
  return rows.map((r) =>
    Number(
      insert.run(
        r.deviceId,
        r.type,
        r.status,
        r.baseline ? 1 : 0,
        r.startAt ?? null,
        r.endAt,
        r.valueWh,
        r.energyWh,
        r.claimedWh,
        JSON.stringify(r.reasons),
        JSON.stringify(r.submitted),
        r.receivedAt,
        r.late ? 1 : 0,
        r.submittedBy,
        r.apiKeyId ?? null,
      ).lastInsertRowid,
    ),
  );
}
