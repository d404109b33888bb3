/**
 * The hourly GC bundles a device's accepted reads give (issue #7, seed 000's GC registry): one bundle per
 * UTC hour, so no bundle spans more than an hour, holding the Wh the reads put in that hour.
 *
 * Each read is shared among the hours it covers with `apportion`, which rounds down and makes a read's
 * parts sum exactly to its energy. Hours already issued are skipped whatever became of their bundles, so a
 * (device, hour) is never issued twice. Hours ending after `through` are left for later: reads still to come
 * may add to them, and an hour issued early could never take that energy.
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

/** Bundles in hour order; hours with no energy give none. */
export function hourlyBundles(reads: readonly MeteredPeriod[], { issuedHours, through }: HourlyOptions): HourlyBundle[] {
  const energyByHour = new Map<number, bigint>();
  for (const read of reads) {
    if (read.endAt <= read.startAt) {
      if (read.energyWh === 0n) continue;
      throw new RangeError(`a read of ${read.energyWh} Wh ends at ${new Date(read.endAt).toISOString()}, not after it starts`);
    }
    for (let hourStart = Math.floor(read.startAt / HOUR_MS) * HOUR_MS; hourStart < read.endAt; hourStart += HOUR_MS) {
      if (hourStart + HOUR_MS > through || issuedHours.has(hourStart)) continue;
      const share = apportion(read, hourStart, hourStart + HOUR_MS);
      energyByHour.set(hourStart, (energyByHour.get(hourStart) ?? 0n) + share);
    }
  }
  return [...energyByHour]
    .filter(([, energyWh]) => energyWh > 0n)
    .sort(([a], [b]) => a - b)
    .map(([hourStart, energyWh]) => ({ hourStart, hourEnd: hourStart + HOUR_MS, energyWh }));
}
