import { DateTime } from "luxon";

/**
 * Read timestamps arrive either with an offset (`2026-05-01T10:00:00Z`, `…+03:00`) or as local time in
 * the device's zone (`2026-05-01T13:00:00`). A local time that does not exist there (skipped by a
 * daylight-saving jump) is refused rather than silently moved; a repeated local hour resolves to its
 * first occurrence.
 */
const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;

export type ParsedTime = { ok: true; at: Date } | { ok: false; message: string };

/** The ISO form that `Date.parse` reads exactly (at most millisecond precision, explicit offset). */
const PLAIN_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export function parseReadTime(text: string, zone: string): ParsedTime {
  // Gateways send instants with offsets, thousands per batch: the native parser is an order of magnitude faster.
  if (PLAIN_INSTANT.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms) && sameCalendar(text, ms)) return { ok: true, at: new Date(ms) };
  }
  const withOffset = HAS_OFFSET.test(text);
  const parsed = withOffset ? DateTime.fromISO(text, { setZone: true }) : DateTime.fromISO(text, { zone });
  if (!parsed.isValid) return { ok: false, message: `"${text}" is not an ISO 8601 date-time` };
  if (!withOffset && !sameWallClock(text, parsed)) {
    return { ok: false, message: `${text} does not exist in ${zone} (skipped by a daylight-saving change)` };
  }
  return { ok: true, at: parsed.toJSDate() };
}

/** Date.parse rolls 2026-02-30 over into March; luxon (below) refuses it, and so must the fast path. */
function sameCalendar(text: string, ms: number): boolean {
  // Only days past the 28th, or hour 24, can roll over; skip the check for the rest.
  if (text.charCodeAt(8) < 0x32 || (text.slice(8, 10) <= "28" && text.slice(11, 13) < "24")) return true;
  const offset = text.endsWith("Z") || text.endsWith("z") ? 0 : (text.at(-6) === "-" ? -1 : 1) * (Number(text.slice(-5, -3)) * 60 + Number(text.slice(-2)));
  return new Date(ms + offset * 60_000).toISOString().slice(0, 10) === text.slice(0, 10);
}

function sameWallClock(text: string, parsed: DateTime): boolean {
  const given = DateTime.fromISO(text, { zone: "utc" });
  return given.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS") === parsed.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS");
}

const QUARTER_HOUR_MS = 900_000;
const offsetCache = new Map<string, number>();
const OFFSET_CACHE_LIMIT = 100_000;

/**
 * The zone's UTC offset in minutes at `ms`. Every zone changes its offset on a quarter hour, so one
 * lookup per zone and quarter hour is exact; the cache saves an Intl call per formatted time (a
 * 1,000-read answer formats 2,000 of them).
 */
function offsetMinutes(ms: number, zone: string): number {
  const key = `${zone}|${Math.floor(ms / QUARTER_HOUR_MS)}`;
  let offset = offsetCache.get(key);
  if (offset === undefined) {
    offset = DateTime.fromMillis(ms, { zone }).offset;
    if (offsetCache.size >= OFFSET_CACHE_LIMIT) offsetCache.clear();
    offsetCache.set(key, offset);
  }
  return offset;
}

/** The instant as an ISO string in the device's zone, with its offset (`2026-05-01T13:00:00.000+03:00`). */
export function localIso(at: Date | number, zone: string): string {
  const ms = typeof at === "number" ? at : at.getTime();
  const offset = offsetMinutes(ms, zone);
  const sign = offset < 0 ? "-" : "+";
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  const minutes = String(Math.abs(offset) % 60).padStart(2, "0");
  return `${new Date(ms + offset * 60_000).toISOString().slice(0, 23)}${sign}${hours}:${minutes}`;
}
