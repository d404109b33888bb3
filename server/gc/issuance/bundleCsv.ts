/**
 * The CSV format GC bundles cross registries in: what an import reads and an export writes (seed 000: the
 * export "generates a CSV matching the format of the imported GCs"). One bundle per row:
 *
 * - `source_registry`, `source_id`: the registry the bundle comes from and its id there;
 * - `device_id`: the producing device, as registered here (its id, or its owner's external id for it);
 * - `production_start`, `production_end`: ISO 8601 instants (UTC when no offset), at most an hour apart;
 * - `energy_wh`: whole Wh, at least 1;
 * - `certificate_range_start`, `certificate_range_end`: the bundle's certificate ids in the source registry,
 *   inclusive, one per Wh;
 * - `energy_source`, `technology`, `country`, `issuing_body`, `issuance_date`, `expiry_date`: the source's
 *   EnergyTag attributes. They may be left empty; when given, the first three must agree with the device.
 *
 * Pure: parsing, the in-file overlap check, the capacity bound and writing. The checks against the database
 * are in imports.ts.
 */
import { csvCell } from "../../devices/csv";
import { parseReadTime } from "../../reads/readTime";
import { csvRows, type CandidateRow, type Checked, type RowFault } from "../../storage/records";
import type { GcAttributes } from "../attributes";
import { HOUR_MS } from "../../time/durations";

export const BUNDLE_CSV_COLUMNS = [
  "source_registry",
  "source_id",
  "device_id",
  "production_start",
  "production_end",
  "energy_wh",
  "certificate_range_start",
  "certificate_range_end",
  "energy_source",
  "technology",
  "country",
  "issuing_body",
  "issuance_date",
  "expiry_date",
] as const;
export type BundleCsvColumn = (typeof BUNDLE_CSV_COLUMNS)[number];

/** Rows one import takes: each becomes a token, minted in vouchers of a few hundred. */
export const MAX_IMPORT_ROWS = 5_000;
/** Room for MAX_IMPORT_ROWS rows of long ids and attributes. */
export const MAX_IMPORT_BYTES = 4 * 1024 * 1024;

const WHOLE = /^\d+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_TEXT = 200;

export interface BundleCsvRow {
  /** The data row (1 = the first after the header) and the file line it starts on. */
  row: number;
  line: number | null;
  sourceRegistry: string;
  sourceId: string;
  /** As written: a device id or an external id, resolved against the importing account's organisation. */
  device: string;
  startAt: number;
  endAt: number;
  energyWh: bigint;
  rangeStart: bigint;
  rangeEnd: bigint;
  energySource: string | null;
  technology: string | null;
  country: string | null;
  issuingBody: string | null;
  issuanceDate: string | null;
  expiryDate: string | null;
}

/** The rows of an import file, each checked on its own; periods must have ended by `now`. */
export function parseBundleCsv(text: string, now: number): Checked<BundleCsvRow[]> {
  const candidates = csvRows(text, BUNDLE_CSV_COLUMNS);
  if (!candidates.ok) return candidates;
  if (candidates.value.length === 0) return { ok: false, faults: [{ row: null, line: null, field: "file", message: "has no bundles after the header" }] };
  if (candidates.value.length > MAX_IMPORT_ROWS) return { ok: false, faults: [{ row: null, line: null, field: "file", message: `has ${candidates.value.length} bundles; one import takes at most ${MAX_IMPORT_ROWS}` }] };
  const faults: RowFault[] = [];
  const rows = candidates.value.flatMap((candidate) => {
    const row = readRow(candidate, now, faults);
    return row ? [row] : [];
  });
  return faults.length > 0 ? { ok: false, faults } : { ok: true, value: rows };
}

function readRow(candidate: CandidateRow, now: number, faults: RowFault[]): BundleCsvRow | undefined {
  const before = faults.length;
  const fault = (field: BundleCsvColumn, message: string) => {
    faults.push({ row: candidate.row, line: candidate.line, field, message });
    return undefined;
  };
  const cell = (field: BundleCsvColumn) => String(candidate.values[field] ?? "").trim();
  const required = (field: BundleCsvColumn) => {
    const value = cell(field);
    if (value === "") return fault(field, "is required");
    return value.length > MAX_TEXT ? fault(field, `must be at most ${MAX_TEXT} characters`) : value;
  };
  const optional = (field: BundleCsvColumn, pattern?: RegExp, kind?: string) => {
    const value = cell(field);
    if (value === "") return null;
    if (value.length > MAX_TEXT) return fault(field, `must be at most ${MAX_TEXT} characters`) ?? null;
    return pattern && !pattern.test(value) ? (fault(field, `must be ${kind}`) ?? null) : value;
  };
  const instant = (field: BundleCsvColumn) => {
    const value = required(field);
    if (value === undefined) return undefined;
    const parsed = parseReadTime(value, "UTC");
    return parsed.ok ? parsed.at.getTime() : fault(field, parsed.message);
  };
  const whole = (field: BundleCsvColumn, minimum: bigint) => {
    const value = required(field);
    if (value === undefined) return undefined;
    if (!WHOLE.test(value) || BigInt(value) > BigInt(Number.MAX_SAFE_INTEGER)) return fault(field, "must be a whole number");
    return BigInt(value) >= minimum ? BigInt(value) : fault(field, `must be at least ${minimum}`);
  };

  const sourceRegistry = required("source_registry");
  const sourceId = required("source_id");
  const device = required("device_id");
  const startAt = instant("production_start");
  const endAt = instant("production_end");
  const energyWh = whole("energy_wh", 1n);
  const rangeStart = whole("certificate_range_start", 1n);
  const rangeEnd = whole("certificate_range_end", 1n);
  const row = {
    energySource: optional("energy_source"),
    technology: optional("technology"),
    country: optional("country"),
    issuingBody: optional("issuing_body"),
    issuanceDate: optional("issuance_date", DATE, "a date YYYY-MM-DD"),
    expiryDate: optional("expiry_date", DATE, "a date YYYY-MM-DD"),
  };
  if (startAt !== undefined && endAt !== undefined) {
    if (endAt <= startAt) fault("production_end", "must be after production_start");
    else if (endAt - startAt > HOUR_MS) fault("production_end", "is more than an hour after production_start; a GC covers at most an hour");
    else if (endAt > now) fault("production_end", "has not passed yet");
  }
  if (energyWh !== undefined && rangeStart !== undefined && rangeEnd !== undefined && rangeEnd - rangeStart + 1n !== energyWh) {
    fault("certificate_range_end", `gives ${rangeEnd - rangeStart + 1n} certificate ids from certificate_range_start; energy_wh is ${energyWh} (one id per Wh)`);
  }
  if (faults.length > before) return undefined;
  return { row: candidate.row, line: candidate.line, sourceRegistry: sourceRegistry!, sourceId: sourceId!, device: device!, startAt: startAt!, endAt: endAt!, energyWh: energyWh!, rangeStart: rangeStart!, rangeEnd: rangeEnd!, ...row };
}

/**
 * Rows of one file that are the same energy twice: a source id repeated, two certificate ranges of one source
 * registry and device that meet, or two production periods of one device that overlap, whatever their sources
 * (an hour of a device's generation is certified once). `deviceOf` gives the device each row resolved to.
 */
export function overlapsInFile(rows: readonly BundleCsvRow[], deviceOf: (row: BundleCsvRow) => string): RowFault[] {
  const faults: RowFault[] = [];
  const firstWithId = new Map<string, BundleCsvRow>();
  for (const row of rows) {
    const key = `${row.sourceRegistry}\u0000${row.sourceId}`;
    const earlier = firstWithId.get(key);
    if (earlier) faults.push({ row: row.row, line: row.line, field: "source_id", message: `repeats the bundle of line ${earlier.line}` });
    else firstWithId.set(key, row);
  }
  const ranges = meetingRows(rows, (row) => `${row.sourceRegistry}\u0000${deviceOf(row)}`, (row) => ({ start: row.rangeStart, end: row.rangeEnd }));
  for (const [first, second] of ranges) {
    faults.push({ row: second.row, line: second.line, field: "certificate_range_start", message: `overlaps the certificate ids of line ${first.line} (${first.rangeStart}-${first.rangeEnd}) for the same device and registry` });
  }
  // Periods are half-open: [start, end) is the inclusive range of milliseconds start..end − 1.
  const periods = meetingRows(rows, deviceOf, (row) => ({ start: BigInt(row.startAt), end: BigInt(row.endAt) - 1n }));
  for (const [first, second] of periods) {
    faults.push({ row: second.row, line: second.line, field: "production_start", message: `overlaps the production period of line ${first.line} (${periodText(first)}) for the same device` });
  }
  return faults.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

export const periodText = (period: { startAt: number; endAt: number }) => `${new Date(period.startAt).toISOString()} to ${new Date(period.endAt).toISOString()}`;

/**
 * Pairs of rows of one group whose inclusive intervals meet, each as (earlier line, later line). In start
 * order within a group, a row meets an earlier one iff it starts by the furthest end so far.
 */
function meetingRows(rows: readonly BundleCsvRow[], groupOf: (row: BundleCsvRow) => string, intervalOf: (row: BundleCsvRow) => { start: bigint; end: bigint }): [BundleCsvRow, BundleCsvRow][] {
  const sorted = rows
    .map((row) => ({ row, group: groupOf(row), ...intervalOf(row) }))
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const pairs: [BundleCsvRow, BundleCsvRow][] = [];
  let furthest: (typeof sorted)[number] | undefined;
  for (const entry of sorted) {
    const sameGroup = furthest !== undefined && furthest.group === entry.group;
    if (sameGroup && entry.start <= furthest!.end) {
      pairs.push((furthest!.row.line ?? 0) < (entry.row.line ?? 0) ? [furthest!.row, entry.row] : [entry.row, furthest!.row]);
    }
    if (!sameGroup || entry.end > furthest!.end) furthest = entry;
  }
  return pairs;
}

/**
 * The most a device of `capacityW` can produce in [startAt, endAt): its capacity for the whole period, i.e.
 * capacity [kW] × period [h] × 1000, in whole Wh rounded down. Exact integer arithmetic.
 */
export function nameplateMaxWh(capacityW: number, startAt: number, endAt: number): bigint {
  return (BigInt(capacityW) * BigInt(endAt - startAt)) / BigInt(HOUR_MS);
}

/** A bundle as an export writes it. */
export interface ExportedBundle {
  sourceRegistry: string;
  sourceId: string;
  deviceId: string;
  startAt: number;
  endAt: number;
  energyWh: bigint;
  rangeStart: bigint;
  rangeEnd: bigint;
  attributes: Pick<GcAttributes, "energySource" | "technology" | "country" | "issuingBody" | "issuanceDate" | "expiryDate">;
}

export function bundleCsv(bundles: readonly ExportedBundle[]): string {
  const lines = bundles.map((bundle) =>
    [
      bundle.sourceRegistry,
      bundle.sourceId,
      bundle.deviceId,
      new Date(bundle.startAt).toISOString(),
      new Date(bundle.endAt).toISOString(),
      String(bundle.energyWh),
      String(bundle.rangeStart),
      String(bundle.rangeEnd),
      bundle.attributes.energySource,
      bundle.attributes.technology,
      bundle.attributes.country,
      bundle.attributes.issuingBody,
      bundle.attributes.issuanceDate,
      bundle.attributes.expiryDate,
    ]
      .map(csvCell)
      .join(","),
  );
  return [BUNDLE_CSV_COLUMNS.join(","), ...lines].join("\r\n") + "\r\n";
}

/** The downloadable template: the header and one example row. */
export function bundleCsvTemplate(): string {
  return bundleCsv([
    {
      sourceRegistry: "Flexidao",
      sourceId: "GC101-20240928-20003-0001-0750000",
      deviceId: "KE-NBO-0001",
      startAt: Date.parse("2024-09-28T03:00:00Z"),
      endAt: Date.parse("2024-09-28T04:00:00Z"),
      energyWh: 750_000n,
      rangeStart: 1_000_001n,
      rangeEnd: 1_750_000n,
      attributes: { energySource: "solar_pv", technology: "solar_pv", country: "KE", issuingBody: "Flexidao", issuanceDate: "2024-10-01", expiryDate: "2025-10-01" },
    },
  ]);
}
