/**
 * Energy units. Values arrive as decimal strings (or JSON numbers, read through their shortest
 * decimal form) and are converted exactly, with integer arithmetic only, to whole Wh.
 *
 * Rounding rule: after exact conversion, a fractional Wh is rounded DOWN (towards zero), so the
 * platform never certifies energy that was not metered. Aggregate meter values are each rounded
 * before differencing, so consecutive deltas telescope: their sum is exactly
 * round(last value) − round(first value), and no Wh is lost or created across a series of reads.
 */
export const ENERGY_UNITS = ["Wh", "kWh", "MWh", "GWh"] as const;
export type EnergyUnit = (typeof ENERGY_UNITS)[number];

const WH_PER_UNIT: Record<EnergyUnit, bigint> = { Wh: 1n, kWh: 1_000n, MWh: 1_000_000n, GWh: 1_000_000_000n };

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

export class InvalidEnergyValue extends Error {}

/** Converts `value` in `unit` to whole Wh, rounding a fraction down (towards zero). */
export function toWh(value: string | number, unit: EnergyUnit): bigint {
  const text = typeof value === "number" ? numberToDecimal(value) : value.trim();
  const match = DECIMAL.exec(text);
  if (!match) throw new InvalidEnergyValue(`"${value}" is not a decimal number`);
  const [, minus, whole, fraction = ""] = match;
  const scale = 10n ** BigInt(fraction.length);
  const scaled = (BigInt(whole) * scale + BigInt(fraction || "0")) * WH_PER_UNIT[unit];
  const wh = scaled / scale; // BigInt division truncates towards zero
  return minus ? -wh : wh;
}

/** A JSON number as the plain decimal text of its shortest round-trip form (no exponent). */
export function numberToDecimal(value: number): string {
  if (!Number.isFinite(value)) throw new InvalidEnergyValue(`${value} is not a finite number`);
  // Shortest round-trip form; exponents only appear outside ±1e21 and below 1e-6.
  const text = String(value);
  if (!/e/i.test(text)) return text;
  const [mantissa, exponentText] = text.toLowerCase().split("e");
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith("-");
  const [intPart, fracPart = ""] = mantissa.replace("-", "").split(".");
  const digits = intPart + fracPart;
  const point = intPart.length + exponent;
  const decimal =
    point <= 0 ? `0.${"0".repeat(-point)}${digits}` : point >= digits.length ? digits + "0".repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (negative ? "-" : "") + decimal;
}
