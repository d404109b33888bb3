import type { Db } from "../db/database";
import { countryYields } from "./schema";

/**
 * Default specific yields of photovoltaics, kWh per kW of capacity per year, by ISO country code:
 * rounded long-term PV output figures for the countries D-REC devices are most common in. They feed a
 * plausibility ceiling that the safety margin widens further, so round figures are enough; an
 * administrator can override any country, and a device can carry its own yield.
 */
export const DEFAULT_YIELD_KWH_PER_KW_YEAR = 1_500;

export const DEFAULT_COUNTRY_YIELDS: Readonly<Record<string, number>> = {
  BD: 1_350, BF: 1_650, BJ: 1_450, BR: 1_550, CD: 1_400, CI: 1_400, CM: 1_400, ET: 1_700, GH: 1_450,
  IN: 1_550, KE: 1_700, LR: 1_300, MG: 1_650, ML: 1_650, MW: 1_750, MZ: 1_650, NE: 1_750, NG: 1_500,
  NP: 1_500, PK: 1_600, RW: 1_500, SL: 1_400, SN: 1_650, SO: 1_850, SS: 1_700, TD: 1_750, TG: 1_450,
  TZ: 1_650, UG: 1_550, ZA: 1_800, ZM: 1_750, ZW: 1_750,
};

/** A country's yield: the administrator's, else the built-in default for the country, else the global one. */
export function countryYield(countryCode: string, overrides: ReadonlyMap<string, number>): number {
  return overrides.get(countryCode) ?? DEFAULT_COUNTRY_YIELDS[countryCode] ?? DEFAULT_YIELD_KWH_PER_KW_YEAR;
}

/** The yield that applies to a device: its own override, else its country's. */
export function yieldFor(device: { countryCode: string; yieldOverride: number | null }, overrides: ReadonlyMap<string, number>): number {
  return device.yieldOverride ?? countryYield(device.countryCode, overrides);
}

export function yieldOverrides(db: Db): Map<string, number> {
  return new Map(db.select().from(countryYields).all().map((r) => [r.countryCode, r.yieldKwhPerKwYear]));
}
