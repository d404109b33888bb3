/**
 * Issuance windows and the share of each read that falls in a window. Pure: the engine (and anyone
 * checking it) can recompute every certificate's amount from the reads alone.
 *
 * Windows are calendar periods in UTC: hours, days, ISO weeks (from Monday), months and quarters
 * (from January, April, July, October). UTC rather than device-local time because one reservation can
 * hold devices in several zones, and one window must mean one period for all of them.
 */
import { DAY_MS, HOUR_MS } from "../time/durations";

export const FREQUENCIES = ["hourly", "daily", "weekly", "monthly", "quarterly"] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** Half-open, in UTC milliseconds. */
export interface Window {
  start: number;
  end: number;
}

/** Start of the window of `frequency` that contains `at`. */
export function windowStartOf(at: number, frequency: Frequency): number {
  const d = new Date(at);
  switch (frequency) {
    case "hourly":
      return Math.floor(at / HOUR_MS) * HOUR_MS;
    case "daily":
      return Math.floor(at / DAY_MS) * DAY_MS;
    case "weekly": {
      const day = Math.floor(at / DAY_MS) * DAY_MS;
      // 1970-01-01 was a Thursday: shift so that weeks start on Monday.
      const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
      return day - sinceMonday * DAY_MS;
    }
    case "monthly":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case "quarterly":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - (d.getUTCMonth() % 3), 1);
  }
}

/** Start of the window after the one starting at `start`. */
export function nextWindowStart(start: number, frequency: Frequency): number {
  const d = new Date(start);
  switch (frequency) {
    case "hourly":
      return start + HOUR_MS;
    case "daily":
      return start + DAY_MS;
    case "weekly":
      return start + 7 * DAY_MS;
    case "monthly":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    case "quarterly":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 3, 1);
  }
}

/** The windows of a reservation that have closed by `now`, each clipped to the reservation's period. */
export function closedWindows(period: Window, frequency: Frequency, now: number): Window[] {
  const windows: Window[] = [];
  for (let start = windowStartOf(period.start, frequency); start < period.end; start = nextWindowStart(start, frequency)) {
    const window = { start: Math.max(start, period.start), end: Math.min(nextWindowStart(start, frequency), period.end) };
    if (window.end > now) break;
    windows.push(window);
  }
  return windows;
}

export interface MeteredPeriod {
  startAt: number;
  endAt: number;
  energyWh: bigint;
}

/**
 * The Wh of `read` that fall in `[from, to)`, apportioned by time. The share up to an instant t is
 * floor(E × (t − start) / (end − start)), and a window's part is the difference of the shares at its
 * edges: the parts of any partition of a read sum exactly to its energy, and a window's part does not
 * depend on which other windows were computed, or when (late reads are certified with the same shares).
 */
export function apportion(read: MeteredPeriod, from: number, to: number): bigint {
  const share = (t: number): bigint => {
    const clamped = Math.min(Math.max(t, read.startAt), read.endAt);
    return (read.energyWh * BigInt(clamped - read.startAt)) / BigInt(read.endAt - read.startAt);
  };
  return from >= to ? 0n : share(to) - share(from);
}
