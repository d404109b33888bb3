import tzLookup from "@photostructure/tz-lookup";
import countriesAndTimezones from "countries-and-timezones";
import { IANAZone } from "luxon";

export const TIME_ZONE_SOURCES = ["given", "coordinates", "country"] as const;
export type TimeZoneSource = (typeof TIME_ZONE_SOURCES)[number];

/** Keyed by the lower-cased name and holding valid zones only, so clients cannot grow it without bound. */
const canonicalZones = new Map<string, string>();

/** The canonical spelling of an IANA zone ("africa/nairobi" → "Africa/Nairobi"), or undefined if it is not one. */
export function canonicalTimeZone(zone: string): string | undefined {
  const key = zone.toLowerCase();
  const known = canonicalZones.get(key);
  if (known) return known;
  if (!IANAZone.isValidZone(zone)) return undefined;
  const canonical = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  canonicalZones.set(key, canonical);
  return canonical;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (YYYY-MM-DD) in `zone` at `instant`. Formatters are cached: building one costs far more than using it. */
export function localDateOf(instant: Date, zone: string): string {
  let format = dateFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" });
    dateFormats.set(zone, format);
  }
  // "MM/DD/YYYY": format() is several times faster than formatToParts(), and bulk uploads call this per row.
  const [month, day, year] = format.format(instant).split("/");
  return `${year.padStart(4, "0")}-${month}-${day}`;
}

export type DerivedTimeZone = { zone: string; source: Exclude<TimeZoneSource, "given"> } | { problem: string };

/**
 * A device's zone from its coordinates when it has them, else from its country when the country has
 * exactly one zone. A country spanning several zones is not guessed: the caller must say which.
 */
export function deriveTimeZone(countryCode: string, coordinates?: { latitude: number; longitude: number }): DerivedTimeZone {
  if (coordinates) return { zone: tzLookup(coordinates.latitude, coordinates.longitude), source: "coordinates" };
  const zones = countriesAndTimezones.getCountry(countryCode)?.timezones ?? [];
  if (zones.length === 1) return { zone: zones[0], source: "country" };
  if (zones.length === 0) return { problem: `no time zone is known for country ${countryCode}: give timeZone (an IANA zone) or latitude and longitude` };
  return {
    problem: `country ${countryCode} spans several time zones (${zones.join(", ")}): give timeZone, or latitude and longitude to derive it`,
  };
}
