import { KIND_SHIFT } from "./ledger";

/** The audit's checks, in the order they run and are reported, with what each one establishes. */
export const CHECKS = {
  mirror: "The mirror equals the chain (balances and claimed balances against the contract's views, certificate rows)",
  supply: "Supply is conserved for every id (issued = held + claimed + retired by reason + split away)",
  evidence: "Each certificate's commitment matches its published evidence, and each device's proof verifies",
  doubleCertification: "No device-period is certified twice",
  reservations: "Every D-REC lies inside its on-chain reservation and went to its buyer",
} as const;

export type CheckName = keyof typeof CHECKS;

/** One thing the audit found wrong, with what it involves. uint256 values and times are decimal strings. */
export interface Finding {
  /** Stable, machine-readable kind of finding, e.g. `balance-mismatch`. */
  code: string;
  message: string;
  certificateIds?: string[];
  holder?: string;
  device?: string;
  /** Unix seconds, end exclusive. */
  period?: { start: string; end: string };
}

const KIND_LABELS = ["D-REC", "GC", "SD-GC", "imported GC"];
const SERIAL_MASK = (1n << KIND_SHIFT) - 1n;

/** A token id for people, as its kind and serial ("GC #12"); the exact id travels in `certificateIds`. */
export function describeId(id: bigint): string {
  const label = KIND_LABELS[Number(id >> KIND_SHIFT)];
  return label ? `${label} #${id & SERIAL_MASK}` : `id ${id}`;
}

export interface Period {
  start: bigint;
  end: bigint;
}

export function periodOf(p: Period): { start: string; end: string } {
  return { start: p.start.toString(), end: p.end.toString() };
}

/** A period for people, end exclusive. */
export function describePeriod(p: Period): string {
  return `[${describeTime(p.start)}, ${describeTime(p.end)})`;
}

const LAST_DATE_SECONDS = 8_640_000_000_000n;

/** A time for people: ISO UTC when it fits a date, unix seconds otherwise. */
export function describeTime(seconds: bigint): string {
  return seconds >= 0n && seconds <= LAST_DATE_SECONDS ? new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z") : `${seconds}s`;
}
