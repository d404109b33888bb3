import { DateTime } from "luxon";

/**
 * Read timestamps arrive either with an offset (`2026-05-01T10:00:00Z`, `…+03:00`) or as local time in
 * the device's zone (`2026-05-01T13:00:00`). A local time that does not exist there (skipped by a
 * daylight-saving jump) is refused rather than silently moved; a repeated local hour resolves to its
 * first occurrence.
 */
const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;

export type ParsedTime = { ok: true; at: Date } | { ok: false; message: string };

export function parseReadTime(text: string, zone: string): ParsedTime {
  const withOffset = HAS_OFFSET.test(text);
  const parsed = withOffset ? DateTime.fromISO(text, { setZone: true }) : DateTime.fromISO(text, { zone });
  if (!parsed.isValid) return { ok: false, message: `"${text}" is not an ISO 8601 date-time` };
  if (!withOffset && !sameWallClock(text, parsed)) {
    return { ok: false, message: `${text} does not exist in ${zone} (skipped by a daylight-saving change)` };
  }
  return { ok: true, at: parsed.toJSDate() };
}

function sameWallClock(text: string, parsed: DateTime): boolean {
  const given = DateTime.fromISO(text, { zone: "utc" });
  return given.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS") === parsed.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS");
}

/** The instant as an ISO string in the device's zone, with its offset. */
export function localIso(at: Date | number, zone: string): string {
  return DateTime.fromMillis(typeof at === "number" ? at : at.getTime(), { zone }).toISO()!;
}
