/**
 * The hourly GC bundles a device's accepted reads give (issue #7, seed 000's GC registry): one bundle per
 * UTC hour, so no bundle spans more than an hour, holding the Wh the reads put in that hour.
 *
 * Only reads of at most an hour are issued. A longer read (a daily total, say) says nothing about how its
 * energy fell across its hours, and spreading it evenly would certify an hourly profile nobody metered; such
 * reads are counted in `skipped` so the caller can say why their energy was not issued. A read of at most an
 * hour that crosses an hour boundary is apportioned by time with `apportion`: the share up to an instant t is
 * floor(E × (t − start) / (end − start)) and each hour gets the difference of the shares at its edges, so the
 * parts round down yet sum exactly to the read. Hours already issued are skipped whatever became of their
 * bundles, so a (device, hour) is never issued twice. Hours ending after `through` are left for later: reads
 * still to come may add to them, and an hour issued early could never take that energy.
 */
import { apportion, type MeteredPeriod } from "../issuance/windows";
import { HOUR_MS } from "../time/durations";

export interface HourlyBundle {
  /** UTC milliseconds; the bundle covers [hourStart, hourEnd). */
  hourStart: number;
  hourEnd: number;
  energyWh: bigint;
}

export interface HourlyOptions {
  /** Starts of the hours already issued for this device. */
  issuedHours: ReadonlySet<number>;
  /** Only hours ending at or before this instant (UTC milliseconds) are issued. */
  through: number;
}

/** Reads longer than an hour, which are never issued as GCs: how many ended by `through`, and their Wh. */
export interface SkippedReads {
  reads: number;
  energyWh: bigint;
}

export const NOTHING_SKIPPED: Readonly<SkippedReads> = { reads: 0, energyWh: 0n };

export interface HourlyPlan {
  /** In hour order; hours with no energy give none. */
  bundles: HourlyBundle[];
  skipped: SkippedReads;
}

export function hourlyBundles(reads: readonly MeteredPeriod[], { issuedHours, through }: HourlyOptions): HourlyPlan {
  const energyByHour = new Map<number, bigint>();
  const skipped = { ...NOTHING_SKIPPED };
  for (const read of reads) {
    if (read.endAt <= read.startAt) {
      if (read.energyWh === 0n) continue;
      throw new RangeError(`a read of ${read.energyWh} Wh ends at ${new Date(read.endAt).toISOString()}, not after it starts`);
    }
    if (read.endAt - read.startAt > HOUR_MS) {
      if (read.endAt <= through) {
        skipped.reads += 1;
        skipped.energyWh += read.energyWh;
      }
      continue;
    }
    for (let hourStart = Math.floor(read.startAt / HOUR_MS) * HOUR_MS; hourStart < read.endAt; hourStart += HOUR_MS) {
      if (hourStart + HOUR_MS > through || issuedHours.has(hourStart)) continue;
      const share = apportion(read, hourStart, hourStart + HOUR_MS);
      energyByHour.set(hourStart, (energyByHour.get(hourStart) ?? 0n) + share);
    }
  }
  const bundles = [...energyByHour]
    .filter(([, energyWh]) => energyWh > 0n)
    .sort(([a], [b]) => a - b)
    .map(([hourStart, energyWh]) => ({ hourStart, hourEnd: hourStart + HOUR_MS, energyWh }));
  return { bundles, skipped };
}
