/**
 * The reservation rules that need no database (seed 001 "Buyer Reservation Version1.0"): the window, the
 * target volume, and the hold after a release. Pure, tested directly.
 */
import { numberToDecimal } from "../reads/units";
import { HOUR_MS } from "../time/durations";

/** A released device waits this long before another reservation may take it (the contract's default too). */
export const RELEASE_HOLD_MS = 12 * HOUR_MS;

const WH_PER_MWH = 1_000_000n;
/** The contract stores the target as uint96; the database as a safe integer, the tighter of the two. */
const MAX_TARGET_WH = BigInt(Number.MAX_SAFE_INTEGER);
const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * The target volume in MWh, as decimal text or a JSON number, converted exactly to Wh (no floating point).
 * A value finer than 1 Wh (a seventh decimal that is not zero) is refused rather than rounded: the buyer
 * would otherwise buy a target they did not ask for.
 */
export function targetWhOf(value: string | number): Checked<bigint> {
  const text = typeof value === "number" ? (Number.isFinite(value) ? numberToDecimal(value) : "") : value.trim();
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) return { ok: false, message: 'must be a positive decimal number of MWh, such as 12.5 or "12.5"' };
  const [, whole, fraction = ""] = match;
  if (/[1-9]/.test(fraction.slice(6))) return { ok: false, message: "must not be finer than 1 Wh (at most 6 decimals of MWh)" };
  const wh = BigInt(whole) * WH_PER_MWH + BigInt(fraction.slice(0, 6).padEnd(6, "0"));
  if (wh < 1n) return { ok: false, message: "must be at least 0.000001 MWh (1 Wh)" };
  if (wh > MAX_TARGET_WH) return { ok: false, message: `must be at most ${formatMWh(MAX_TARGET_WH)} MWh` };
  return { ok: true, value: wh };
}

/** Wh as exact MWh decimal text, without trailing zeros ("12.5", "0.000001", "3"). */
export function formatMWh(wh: bigint): string {
  const whole = wh / WH_PER_MWH;
  const fraction = (wh % WH_PER_MWH).toString().padStart(6, "0").replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole.toString();
}

/** The earliest instant a reservation's start or end may have: 12 calendar months (UTC) before `now`. */
export function earliestReservationTime(now: Date): Date {
  const earliest = new Date(now);
  earliest.setUTCFullYear(earliest.getUTCFullYear() - 1);
  return earliest;
}

export interface WindowFault {
  field: "start" | "end";
  message: string;
}

/**
 * The seed's window rules: start and end may lie in the past but not more than 12 months back, and the
 * end is after the start. Both are whole seconds, the chain's resolution, so the window the chain checks
 * certificates against is exactly the one shown here.
 */
export function windowFaults(start: Date, end: Date, now: Date): WindowFault[] {
  const faults: WindowFault[] = [];
  const earliest = earliestReservationTime(now);
  for (const [field, at] of [
    ["start", start],
    ["end", end],
  ] as const) {
    if (at.getTime() % 1000 !== 0) faults.push({ field, message: "must be a whole second (the chain records reservation windows in seconds)" });
    else if (at < earliest) faults.push({ field, message: `must not be more than 12 months in the past (earliest ${earliest.toISOString()})` });
  }
  if (end <= start && !faults.some((fault) => fault.field === "end")) faults.push({ field: "end", message: "must be after start" });
  return faults;
}

/** When a device released at `releasedAt` may be reserved again. */
export const availableAfterRelease = (releasedAt: number): number => releasedAt + RELEASE_HOLD_MS;

/** What the database knows of a device a reservation wants to take. */
export interface DeviceStanding {
  hasValidationErrors: boolean;
  /** The reservation holding it now, if any. */
  activeReservationId: string | null;
  /** When it left its latest reservation, if it ever was in one. */
  lastReleasedAt: number | null;
  /** The GC account its hourly GCs go to, if it issues GCs. */
  gcAccountId: string | null;
}

/**
 * Why a device cannot join a reservation whose window starts at `windowStart`, or undefined when it can.
 * Mirrors the contract's checks (reserved, on hold, overlapping an earlier reservation's window), and adds
 * the platform's own: a device still flagged by validation is not certified.
 */
export function unavailability(device: DeviceStanding, windowStart: number, now: number): string | undefined {
  if (device.hasValidationErrors) return "has validation errors (see the device's validationErrors): its developer must correct them first";
  // One device's output is certified under one scheme: its hourly GCs would certify the same Wh again.
  if (device.gcAccountId) return `issues Granular Certificates (GC account ${device.gcAccountId}); a device is certified as D-REC or as GC, not both`;
  if (device.activeReservationId) return `is in active reservation ${device.activeReservationId}`;
  if (device.lastReleasedAt === null) return undefined;
  const availableAt = availableAfterRelease(device.lastReleasedAt);
  if (availableAt > now) return `is on hold until ${new Date(availableAt).toISOString()} after its last reservation`;
  if (device.lastReleasedAt > windowStart) {
    return `was reserved until ${new Date(device.lastReleasedAt).toISOString()}; a reservation taking it must start at or after then`;
  }
  return undefined;
}
