/**
 * Storage maths of seed 000 ("Manual Issuance from Example Records"):
 *
 *   SD-GC volume = SDR volume × SDR proportion
 *   GCs cancelled = SDR volume × SDR proportion / efficiency factor
 *
 * so, from the three volumes an allocation gives, SDR proportion = SD-GC volume / SDR volume and
 * efficiency factor = SD-GC volume / GCs cancelled. The seed's example: 5,257,248 Wh discharged,
 * 5,210,000 Wh of GCs cancelled and 5,004,300 Wh of SD-GCs give 0.95188585 and 0.96051823.
 *
 * Rounding rule, the only one: energy is integer Wh and ratios are exact fractions of bigints. A Wh amount
 * computed from a ratio is rounded down (never certify more than was stored); a ratio shown to people is
 * rounded half to even at 8 decimals, the seed's precision. A shown ratio is never computed with: from
 * 0.95188585 the SD-GC volume would come out 1 Wh short, from the exact ratio it comes out exact.
 */

/** Reduced, with a positive denominator; never negative. */
export interface Ratio {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

export const DISPLAY_DECIMALS = 8;

export function ratio(numerator: bigint, denominator: bigint): Ratio {
  if (denominator <= 0n || numerator < 0n) throw new RangeError(`${numerator}/${denominator} is not a ratio of energies`);
  const divisor = gcd(numerator, denominator);
  return { numerator: numerator / divisor, denominator: denominator / divisor };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** `wh × r`, rounded down to whole Wh. */
export function floorWh(wh: bigint, r: Ratio): bigint {
  if (wh < 0n) throw new RangeError("energy is never negative");
  return (wh * r.numerator) / r.denominator;
}

/** The ratio as a decimal, rounded half to even at `decimals` places: `0.95188585`. */
export function formatRatio(r: Ratio, decimals = DISPLAY_DECIMALS): string {
  const scale = 10n ** BigInt(decimals);
  const scaled = r.numerator * scale;
  let units = scaled / r.denominator;
  const twiceRemainder = 2n * (scaled % r.denominator);
  if (twiceRemainder > r.denominator || (twiceRemainder === r.denominator && units % 2n === 1n)) units += 1n;
  const whole = units / scale;
  const fraction = (units % scale).toString().padStart(decimals, "0");
  return decimals === 0 ? `${whole}` : `${whole}.${fraction}`;
}

export interface StorageVolumes {
  /** Energy discharged in the SDRs the allocation covers. */
  sdrVolumeWh: bigint;
  /** Energy of the GCs cancelled for the charge allocated. */
  gcsCancelledWh: bigint;
  /** Energy of the SD-GCs to issue: the discharge the cancelled GCs account for. */
  sdgcVolumeWh: bigint;
}

export interface StorageFactors {
  /** Null when nothing was discharged. */
  sdrProportion: Ratio | null;
  /** Null when nothing was charged. */
  efficiencyFactor: Ratio | null;
}

export type FactorsResult = { ok: true; factors: StorageFactors } | { ok: false; message: string };

export function storageFactors({ sdrVolumeWh, gcsCancelledWh, sdgcVolumeWh }: StorageVolumes): FactorsResult {
  if (sdrVolumeWh < 0n || gcsCancelledWh < 0n || sdgcVolumeWh < 0n) throw new RangeError("energy is never negative");
  if (sdgcVolumeWh > sdrVolumeWh) {
    return { ok: false, message: `SD-GCs of ${sdgcVolumeWh} Wh would exceed the ${sdrVolumeWh} Wh discharged` };
  }
  if (sdgcVolumeWh > gcsCancelledWh) {
    return { ok: false, message: `SD-GCs of ${sdgcVolumeWh} Wh would exceed the ${gcsCancelledWh} Wh of GCs cancelled: storage cannot return more than it took in` };
  }
  return {
    ok: true,
    factors: {
      sdrProportion: sdrVolumeWh === 0n ? null : ratio(sdgcVolumeWh, sdrVolumeWh),
      efficiencyFactor: gcsCancelledWh === 0n ? null : ratio(sdgcVolumeWh, gcsCancelledWh),
    },
  };
}

/** How a ratio is stored: `numerator/denominator`, exact. */
export function ratioText(r: Ratio): string {
  return `${r.numerator}/${r.denominator}`;
}

export function parseRatioText(text: string): Ratio {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (!match) throw new RangeError(`${text} is not a stored ratio n/d`);
  return ratio(BigInt(match[1]), BigInt(match[2]));
}
