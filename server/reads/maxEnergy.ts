/**
 * The physical upper bound on what a device can have generated in a period (seed 001, "Meter reads"):
 *
 *   Max energy [kWh] = capacity [kW] × (yield [kWh/kW/yr] / 8760) × period [h] × (1 − degradation)^(age [yr] − 1)
 *
 * then widened by the configured safety margin. Age counts from the commissioning date to the moment
 * of validation (as the seed says), and the exponent is floored at 0 so a device in its first year
 * is not credited more than its nameplate yield.
 */
import { HOUR_MS } from "../time/durations";

export interface MaxEnergyInput {
  capacityKw: number;
  /** Specific yield for the device's country (or its own override), kWh per kW per year. */
  yieldKwhPerKwYear: number;
  periodMs: number;
  /** Yearly output loss as a fraction, e.g. 0.005 for 0.5 %/yr. */
  degradationPerYear: number;
  ageYears: number;
  /** Tolerance above the formula, as a fraction, e.g. 0.1 allows 10 % more. */
  safetyMargin: number;
}

const HOURS_PER_YEAR = 8760;
export const MS_PER_YEAR = HOURS_PER_YEAR * HOUR_MS;

/** The bound in whole Wh, rounded down. Float arithmetic is fine here: this is a plausibility ceiling, not a ledger value. */
export function maxEnergyWh(input: MaxEnergyInput): bigint {
  const hours = input.periodMs / HOUR_MS;
  const degradation = Math.pow(1 - input.degradationPerYear, Math.max(0, input.ageYears - 1));
  const kwh = input.capacityKw * (input.yieldKwhPerKwYear / HOURS_PER_YEAR) * hours * degradation * (1 + input.safetyMargin);
  // The micro-Wh nudge absorbs float error, so a bound that is exactly 20,000 Wh is not floored to 19,999.
  return BigInt(Math.floor(kwh * 1000 + 1e-6));
}

export function ageInYears(commissionedAt: Date, at: Date): number {
  return Math.max(0, (at.getTime() - commissionedAt.getTime()) / MS_PER_YEAR);
}
