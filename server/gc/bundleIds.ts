/**
 * GC bundle identifiers and Wh-granular certificate id ranges.
 *
 * Bundle ids follow seed 003 ("Splitting GCs into Smaller Quantities"):
 * `[ProjectID]-[DateCode]-[EAC_ID]-[SequentialNumber]-[Energy_ID]`, e.g. `GC101-20240928-20003-0001-0750000`.
 * ProjectID and EAC_ID are letters and digits; DateCode is a calendar date YYYYMMDD; SequentialNumber is at
 * least four digits and Energy_ID is the bundle's energy in Wh, at least seven digits, both zero-padded.
 * An id is written one way only (no extra leading zeros), so two texts name the same bundle only if equal.
 *
 * Split children keep the parent's project, date code and EAC id and carry their own energy. The seed's
 * example keeps sequence 0001 for both children of `…-0001-0750000` (`…-0001-0500000`, `…-0001-0250000`),
 * which only fits if the sequence counts ids that agree on everything else, energy included: a child takes
 * the next sequence number after the highest already used with its project, date code, EAC id and energy.
 *
 * Certificate id ranges (seed 000, one certificate per Wh): inclusive integer ranges, contiguous per device
 * and never overlapping. A device's first certificate is 1; each new bundle starts right after the device's
 * last certificate, and a split partitions the parent's range among the children in the order given.
 */

export interface BundleId {
  projectId: string;
  /** YYYYMMDD. */
  dateCode: string;
  eacId: string;
  sequence: number;
  energyWh: bigint;
}

/** One faulty part of a request; `field` is relative to it (`amounts[1]`), the route prefixes `body.` or `path.`. */
export interface Fault {
  field: string;
  message: string;
}

const SEQUENCE_DIGITS = 4;
const ENERGY_DIGITS = 7;
const BUNDLE_ID = /^([A-Za-z0-9]+)-(\d{8})-([A-Za-z0-9]+)-(\d{4,})-(\d{7,})$/;
const PART = /^[A-Za-z0-9]+$/;

export function formatBundleId(id: BundleId): string {
  if (!PART.test(id.projectId) || !PART.test(id.eacId)) throw new RangeError("project and EAC ids are letters and digits only");
  if (!isDateCode(id.dateCode)) throw new RangeError(`${id.dateCode} is not a date code YYYYMMDD`);
  if (!Number.isSafeInteger(id.sequence) || id.sequence < 1) throw new RangeError("the sequence number is a whole number from 1");
  if (id.energyWh < 1n) throw new RangeError("a bundle holds at least 1 Wh");
  const sequence = String(id.sequence).padStart(SEQUENCE_DIGITS, "0");
  return `${id.projectId}-${id.dateCode}-${id.eacId}-${sequence}-${id.energyWh.toString().padStart(ENERGY_DIGITS, "0")}`;
}

/** Why `text` is not a bundle id, or null when it is one. */
export function bundleIdError(text: string): string | null {
  const id = read(text);
  return typeof id === "string" ? id : null;
}

export function parseBundleId(text: string): BundleId {
  const id = read(text);
  if (typeof id === "string") throw new RangeError(`${text} ${id}`);
  return id;
}

/** The id, or why it is not one. */
function read(text: string): BundleId | string {
  const match = BUNDLE_ID.exec(text);
  if (!match) return "must be a bundle id ProjectID-YYYYMMDD-EACID-SSSS-WWWWWWW (e.g. GC101-20240928-20003-0001-0750000)";
  const [, projectId, dateCode, eacId, sequence, energy] = match;
  if (!isDateCode(dateCode)) return `has date code ${dateCode}, which is not a calendar date`;
  if (!canonical(sequence, SEQUENCE_DIGITS) || Number(sequence) < 1) return `has sequence number ${sequence}: at least 0001, padded to four digits and no further`;
  if (!Number.isSafeInteger(Number(sequence))) return `has sequence number ${sequence}, which is too large`;
  if (!canonical(energy, ENERGY_DIGITS) || BigInt(energy) < 1n) return `has energy ${energy}: at least 1 Wh, padded to seven digits and no further`;
  return { projectId, dateCode, eacId, sequence: Number(sequence), energyWh: BigInt(energy) };
}

/** The UTC calendar date of `at` as a date code. */
export function dateCodeOf(at: number): string {
  return new Date(at).toISOString().slice(0, 10).replaceAll("-", "");
}

function isDateCode(text: string): boolean {
  if (!/^\d{8}$/.test(text)) return false;
  const [year, month, day] = [Number(text.slice(0, 4)), Number(text.slice(4, 6)), Number(text.slice(6, 8))];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Zero-padded to `width`, and no longer than needed. */
function canonical(digits: string, width: number): boolean {
  return digits.length === width || (digits.length > width && digits[0] !== "0");
}

/** Inclusive; a bundle of n Wh covers n certificate ids. */
export interface IdRange {
  start: bigint;
  end: bigint;
}

export function rangeSize(range: IdRange): bigint {
  return range.end - range.start + 1n;
}

/** `134567-134599`, or one id alone. */
export function formatIdRange(range: IdRange): string {
  return range.start === range.end ? `${range.start}` : `${range.start}-${range.end}`;
}

/**
 * Ranges for new bundles of a device, in order, right after the device's last certificate id
 * (`lastEnd`, null for a device with no certificates yet).
 */
export function nextRanges(lastEnd: bigint | null, amountsWh: readonly bigint[]): IdRange[] {
  return consecutiveRanges((lastEnd ?? 0n) + 1n, amountsWh);
}

/** Child ranges that partition `range`, in order; the amounts must add up to its size exactly. */
export function splitRange(range: IdRange, amountsWh: readonly bigint[]): IdRange[] {
  const total = amountsWh.reduce((sum, amount) => sum + amount, 0n);
  if (total !== rangeSize(range)) throw new RangeError(`amounts of ${total} Wh do not partition a range of ${rangeSize(range)} certificate ids`);
  return consecutiveRanges(range.start, amountsWh);
}

function consecutiveRanges(start: bigint, amountsWh: readonly bigint[]): IdRange[] {
  let next = start;
  return amountsWh.map((amount) => {
    if (amount < 1n) throw new RangeError("every range holds at least 1 Wh");
    const range = { start: next, end: next + amount - 1n };
    next = range.end + 1n;
    return range;
  });
}

export interface Bundle {
  id: string;
  range: IdRange;
}

export type SplitResult = { ok: true; children: Bundle[] } | { ok: false; faults: Fault[] };

/**
 * Splits `parent` into children of `amountsWh`, in order (seed 003). `takenIds` are the ids already in
 * use that may share the parent's project, date code and EAC id (the parent's lineage at least); children
 * are numbered after them, and after each other.
 */
export function splitBundle(parent: Bundle, amountsWh: readonly bigint[], takenIds: Iterable<string>): SplitResult {
  const parentId = parseBundleId(parent.id);
  if (rangeSize(parent.range) !== parentId.energyWh) throw new RangeError(`${parent.id} covers ${rangeSize(parent.range)} certificate ids, not its energy`);
  const faults: Fault[] = [];
  if (amountsWh.length < 2) faults.push({ field: "amounts", message: "a split makes at least two children" });
  amountsWh.forEach((amount, i) => {
    if (amount < 1n) faults.push({ field: `amounts[${i}]`, message: "must be at least 1 Wh" });
  });
  const total = amountsWh.reduce((sum, amount) => sum + amount, 0n);
  if (total !== parentId.energyWh) faults.push({ field: "amounts", message: `add up to ${total} Wh; the parent holds ${parentId.energyWh} Wh and the children must hold exactly that` });
  if (faults.length > 0) return { ok: false, faults };

  const highest = new Map<bigint, number>();
  for (const taken of [...takenIds, parent.id]) {
    const id = read(taken);
    if (typeof id === "string" || id.projectId !== parentId.projectId || id.dateCode !== parentId.dateCode || id.eacId !== parentId.eacId) continue;
    highest.set(id.energyWh, Math.max(highest.get(id.energyWh) ?? 0, id.sequence));
  }
  const ranges = splitRange(parent.range, amountsWh);
  const children = amountsWh.map((energyWh, i) => {
    const sequence = (highest.get(energyWh) ?? 0) + 1;
    highest.set(energyWh, sequence);
    return { id: formatBundleId({ ...parentId, sequence, energyWh }), range: ranges[i] };
  });
  return { ok: true, children };
}
