/**
 * Storage records of seed 000's pilot, steps 9 to 12: the storage validator's asset position table becomes
 * charge and discharge records (SCR, SDR), and its allocation records are matched to them by `hour` (the
 * discharge hour) and `charge_hour`, giving allocated records that name the GC bundles to cancel.
 *
 * Asset position table, one row per UTC hour: `hour,charge_wh,discharge_wh`. Each non-zero flow is a record
 * (an hour may hold both). Records are immutable: an hour already recorded for the device is refused.
 *
 * Allocation records: `hour,charge_hour,gc_id,charge_wh,discharge_wh`. A row says that `charge_wh` of the GC
 * bundle `gc_id`, produced in the charge hour and charged into the device then, came back as `discharge_wh`
 * of the discharge in `hour`: GCs of `charge_wh` are cancelled and SD-GCs of `discharge_wh` issued. Charging
 * comes before discharging, a row never returns more than it took in, and no record or bundle is allocated
 * beyond its energy. The volumes feed the maths of seed 000's worked example (see ./maths).
 *
 * Hours are ISO 8601 instants at the start of a UTC hour (without an offset they are read as UTC); energies
 * are whole Wh. Rows come from CSV (with their line numbers) or JSON; every fault names its row and field.
 */
import { parse } from "csv-parse/sync";
import { bundleIdError } from "../gc/bundleIds";
import { parseReadTime } from "../reads/readTime";
import { storageFactors, type StorageFactors, type StorageVolumes } from "./maths";
import { HOUR_MS } from "../time/durations";

/** `row` is the data row (1 = the first after the header), `line` the file line it starts on; null when not applicable. */
export interface RowFault {
  row: number | null;
  line: number | null;
  field: string;
  message: string;
}

/** A submitted row: CSV cells by column, or a JSON object's members. */
export interface CandidateRow {
  row: number;
  line: number | null;
  values: Readonly<Record<string, unknown>>;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; faults: RowFault[] };

export const POSITION_COLUMNS = ["hour", "charge_wh", "discharge_wh"] as const;
export const ALLOCATION_COLUMNS = ["hour", "charge_hour", "gc_id", "charge_wh", "discharge_wh"] as const;

/** The rows of a CSV file whose header has exactly `columns` (in any order, any case). */
export function csvRows(text: string, columns: readonly string[]): Checked<CandidateRow[]> {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    // With `info`, csv-parse returns each record with its position, which its types do not express.
    parsed = parse(text, { info: true, skip_empty_lines: true, relax_column_count: true, trim: true, bom: true }) as unknown as typeof parsed;
  } catch (error) {
    return fail({ row: null, line: (error as { lines?: number }).lines ?? null, field: "file", message: `is not valid CSV: ${(error as Error).message}` });
  }
  if (parsed.length === 0) return fail({ row: null, line: null, field: "file", message: "is empty; the first line is the header" });

  const header = parsed[0].record.map((cell) => cell.toLowerCase());
  const faults: RowFault[] = [];
  header.forEach((name, i) => {
    if (!columns.includes(name)) faults.push({ row: null, line: 1, field: name, message: `is not a column of this file (columns: ${columns.join(", ")})` });
    else if (header.indexOf(name) !== i) faults.push({ row: null, line: 1, field: name, message: "appears twice in the header" });
  });
  for (const column of columns) {
    if (!header.includes(column)) faults.push({ row: null, line: 1, field: column, message: "is missing from the header" });
  }
  if (faults.length > 0) return { ok: false, faults };

  const rows: CandidateRow[] = [];
  parsed.slice(1).forEach(({ record, info }, i) => {
    // csv-parse gives the line a record ends on; line breaks inside quoted cells move its start up.
    const line = info.lines - record.reduce((breaks, cell) => breaks + (cell.match(/\r\n|\n|\r/g)?.length ?? 0), 0);
    if (record.length !== header.length) {
      faults.push({ row: i + 1, line, field: "row", message: `has ${record.length} cells; the header has ${header.length}` });
    } else {
      rows.push({ row: i + 1, line, values: Object.fromEntries(header.map((name, j) => [name, record[j]])) });
    }
  });
  return faults.length > 0 ? { ok: false, faults } : { ok: true, value: rows };
}

export type Flow = "charge" | "discharge";

/** An SCR or SDR: what the device charged or discharged in one UTC hour. */
export interface StorageRecord {
  flow: Flow;
  /** UTC milliseconds; the record covers [hourStart, hourStart + 1 h). */
  hourStart: number;
  energyWh: bigint;
}

/**
 * The charge and discharge records of an asset position table, in hour order. `recordedHours` are the
 * hours the device already has records for; hours ending after `endedBy` (UTC ms) are refused, since a
 * position is known only once its hour is over.
 */
export function storageRecordsFrom(rows: readonly CandidateRow[], recordedHours: ReadonlySet<number>, endedBy = Number.POSITIVE_INFINITY): Checked<StorageRecord[]> {
  if (rows.length === 0) return fail({ row: null, line: null, field: "rows", message: "there are no rows" });
  const faults: RowFault[] = [];
  const records: StorageRecord[] = [];
  const rowOfHour = new Map<number, number>();
  for (const row of rows) {
    const reader = fieldReader(row, faults);
    const hourStart = reader.hour("hour");
    const chargeWh = reader.wh("charge_wh", 0n);
    const dischargeWh = reader.wh("discharge_wh", 0n);
    if (hourStart === undefined || chargeWh === undefined || dischargeWh === undefined) continue;
    const earlier = rowOfHour.get(hourStart);
    if (hourStart + HOUR_MS > endedBy) reader.fault("hour", "has not ended yet");
    else if (earlier !== undefined) reader.fault("hour", `repeats the hour of row ${earlier}`);
    else if (recordedHours.has(hourStart)) reader.fault("hour", "is already recorded for this device; storage records cannot be changed");
    rowOfHour.set(hourStart, earlier ?? row.row);
    if (chargeWh > 0n) records.push({ flow: "charge", hourStart, energyWh: chargeWh });
    if (dischargeWh > 0n) records.push({ flow: "discharge", hourStart, energyWh: dischargeWh });
  }
  if (faults.length > 0) return { ok: false, faults };
  return { ok: true, value: records.sort((a, b) => a.hourStart - b.hourStart || (a.flow === "charge" ? -1 : 1)) };
}

export interface AllocationRow {
  row: number;
  line: number | null;
  dischargeHour: number;
  chargeHour: number;
  gcId: string;
  chargeWh: bigint;
  dischargeWh: bigint;
}

/** Allocation records, each checked on its own (matching comes with `allocate`). */
export function allocationRowsFrom(rows: readonly CandidateRow[]): Checked<AllocationRow[]> {
  if (rows.length === 0) return fail({ row: null, line: null, field: "rows", message: "there are no rows" });
  const faults: RowFault[] = [];
  const allocations: AllocationRow[] = [];
  const rowOfKey = new Map<string, number>();
  for (const row of rows) {
    const reader = fieldReader(row, faults);
    const dischargeHour = reader.hour("hour");
    const chargeHour = reader.hour("charge_hour");
    const gcId = reader.bundleId("gc_id");
    const chargeWh = reader.wh("charge_wh", 1n);
    const dischargeWh = reader.wh("discharge_wh", 1n);
    if (dischargeHour === undefined || chargeHour === undefined || gcId === undefined || chargeWh === undefined || dischargeWh === undefined) continue;
    if (chargeHour >= dischargeHour) reader.fault("charge_hour", "must be before the discharge hour");
    if (dischargeWh > chargeWh) reader.fault("discharge_wh", `is more than the ${chargeWh} Wh charged: storage cannot return more than it took in`);
    const key = `${dischargeHour}|${chargeHour}|${gcId}`;
    const earlier = rowOfKey.get(key);
    if (earlier !== undefined) reader.fault("gc_id", `repeats the hours and GC bundle of row ${earlier}`);
    else rowOfKey.set(key, row.row);
    allocations.push({ row: row.row, line: row.line, dischargeHour, chargeHour, gcId, chargeWh, dischargeWh });
  }
  return faults.length > 0 ? { ok: false, faults } : { ok: true, value: allocations };
}

/** The fault of a row naming a GC bundle not among those available; callers may say more precisely why. */
export const UNAVAILABLE_GC = "is not a GC bundle available for this allocation";

/** A GC bundle the submitter may allocate: produced in `hourStart`, with `availableWh` left to cancel. */
export interface AllocatableGc {
  hourStart: number;
  availableWh: bigint;
}

export interface AllocatedRecord<R extends StorageRecord> extends AllocationRow {
  scr: R;
  sdr: R;
}

export interface Allocation<R extends StorageRecord> {
  records: AllocatedRecord<R>[];
  /** Wh to cancel per GC bundle, in the order the bundles first appear. */
  gcsToCancel: { gcId: string; wh: bigint }[];
  volumes: StorageVolumes;
  factors: StorageFactors;
}

/**
 * Matches allocation rows to the device's records and to the GC bundles available (`gcs`: held and still
 * active when the request cancels them itself, already cancelled for storage when it requires that).
 * `earlier` gives the Wh of a record that earlier allocations took: a record is never allocated beyond its
 * energy over all allocations, and the SDR volume counts only the discharge still unallocated.
 */
export function allocate<R extends StorageRecord>(
  rows: readonly AllocationRow[],
  records: readonly R[],
  gcs: ReadonlyMap<string, AllocatableGc>,
  earlier: ReadonlyMap<R, bigint> = new Map(),
): Checked<Allocation<R>> {
  const byFlowAndHour = new Map(records.map((record) => [`${record.flow}|${record.hourStart}`, record]));
  const used = new Map<R | string, bigint>(earlier);
  const use = (key: R | string, wh: bigint) => {
    const total = (used.get(key) ?? 0n) + wh;
    used.set(key, total);
    return total;
  };
  const faults: RowFault[] = [];
  const allocated: AllocatedRecord<R>[] = [];
  for (const row of rows) {
    const at = (field: string, message: string) => faults.push({ row: row.row, line: row.line, field, message });
    const sdr = byFlowAndHour.get(`discharge|${row.dischargeHour}`);
    const scr = byFlowAndHour.get(`charge|${row.chargeHour}`);
    const gc = gcs.get(row.gcId);
    if (!sdr) at("hour", `has no discharge record: the device discharged nothing in ${iso(row.dischargeHour)}`);
    if (!scr) at("charge_hour", `has no charge record: the device charged nothing in ${iso(row.chargeHour)}`);
    if (!gc) at("gc_id", UNAVAILABLE_GC);
    else if (gc.hourStart !== row.chargeHour) at("gc_id", `was produced in ${iso(gc.hourStart)}, not in the charge hour`);
    if (!sdr || !scr || !gc) continue;
    const discharged = use(sdr, row.dischargeWh);
    if (discharged > sdr.energyWh) at("discharge_wh", `brings the discharge allocated in ${iso(sdr.hourStart)} to ${discharged} Wh, more than the ${sdr.energyWh} Wh discharged`);
    const charged = use(scr, row.chargeWh);
    if (charged > scr.energyWh) at("charge_wh", `brings the charge allocated in ${iso(scr.hourStart)} to ${charged} Wh, more than the ${scr.energyWh} Wh charged`);
    const cancelled = use(row.gcId, row.chargeWh);
    if (cancelled > gc.availableWh) at("charge_wh", `brings the Wh taken from ${row.gcId} to ${cancelled}, more than the ${gc.availableWh} Wh it has available`);
    allocated.push({ ...row, scr, sdr });
  }
  if (faults.length > 0) return { ok: false, faults };

  const sdrs = new Set(allocated.map((record) => record.sdr));
  const volumes: StorageVolumes = {
    sdrVolumeWh: [...sdrs].reduce((sum, sdr) => sum + sdr.energyWh - (earlier.get(sdr) ?? 0n), 0n),
    gcsCancelledWh: allocated.reduce((sum, record) => sum + record.chargeWh, 0n),
    sdgcVolumeWh: allocated.reduce((sum, record) => sum + record.dischargeWh, 0n),
  };
  const factors = storageFactors(volumes);
  // Each row returns no more than it took in and no SDR gives more than it discharged, so the totals cannot fail.
  if (!factors.ok) throw new Error(`inconsistent allocation: ${factors.message}`);
  const gcsToCancel = [...new Set(allocated.map((record) => record.gcId))].map((gcId) => ({ gcId, wh: used.get(gcId)! }));
  return { ok: true, value: { records: allocated, gcsToCancel, volumes, factors: factors.factors } };
}

function fail<T>(fault: RowFault): Checked<T> {
  return { ok: false, faults: [fault] };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

const WHOLE = /^\d+$/;

/** Reads a row's fields, recording a fault for each bad one (and answering undefined for it). */
function fieldReader(row: CandidateRow, faults: RowFault[]) {
  const fault = (field: string, message: string) => {
    faults.push({ row: row.row, line: row.line, field, message });
    return undefined;
  };
  const text = (field: string, kind: string): string | undefined => {
    const value = row.values[field];
    if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) return fault(field, "is required");
    return typeof value === "string" ? value.trim() : fault(field, `must be ${kind}`);
  };
  return {
    fault,
    hour(field: string): number | undefined {
      const value = text(field, "an ISO 8601 date-time");
      if (value === undefined) return undefined;
      const parsed = parseReadTime(value, "UTC");
      if (!parsed.ok) return fault(field, parsed.message);
      const ms = parsed.at.getTime();
      return ms % HOUR_MS === 0 ? ms : fault(field, `${value} is not the start of a UTC hour`);
    },
    wh(field: string, minimum: bigint): bigint | undefined {
      const value = row.values[field];
      const digits = typeof value === "number" ? (Number.isSafeInteger(value) && value >= 0 ? String(value) : "not whole") : text(field, "a whole number of Wh");
      if (digits === undefined) return undefined;
      if (!WHOLE.test(digits) || BigInt(digits) > BigInt(Number.MAX_SAFE_INTEGER)) return fault(field, "must be a whole number of Wh");
      const wh = BigInt(digits);
      return wh >= minimum ? wh : fault(field, `must be at least ${minimum} Wh`);
    },
    bundleId(field: string): string | undefined {
      const value = text(field, "a GC bundle id");
      if (value === undefined) return undefined;
      const error = bundleIdError(value);
      return error === null ? value : fault(field, error);
    },
  };
}
