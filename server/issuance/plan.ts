import type { EvidenceLeaf } from "./evidence";
import { leavesOfParts, readPart } from "./contributions";
import { closedWindows, type Frequency, type MeteredPeriod, type Window } from "./windows";

type Hex = `0x${string}`;

/**
 * What one issuance run should mint for one reservation. Pure: the engine loads the inputs, this decides,
 * and the engine stores the decision in one transaction, so the rules are tested without a chain.
 *
 * Rules:
 * - Windows are the reservation's closed windows (UTC calendar periods, clipped to the reservation).
 * - A device contributes the parts of its accepted reads inside each window, up to its release if it left
 *   the reservation early. A read spanning a window edge is apportioned by time (see `apportion`).
 * - A read's part in a window is certified at most once: parts already certified are passed in and
 *   skipped, so a later run certifies only what arrived late, never the same Wh twice.
 * - One certificate per window and developer organisation (each pays its own gas), further split by
 *   country for I-REC, whose registry issues per country. Late parts of a window already issued make a
 *   new certificate for that window.
 * - Without authority to exceed, the run stops at the remaining target: parts are taken in time order
 *   and the part that crosses the target is certified only up to it. What is left is reported as leftover.
 */
export interface PlanReservation {
  standard: "D-REC" | "I-REC";
  frequency: Frequency;
  startAt: number;
  /** Where certification stops: the end, or the earlier time the reservation was ended. */
  endAt: number;
  /** Wh still allowed under the target, or undefined with authority to exceed. */
  remainingWh: bigint | undefined;
}

export interface PlanDevice {
  id: string;
  chainRef: Hex;
  organisationId: string;
  countryCode: string;
  /** When the device left this reservation, or undefined while it is in it. */
  releasedAt: number | undefined;
}

export interface PlanRead extends MeteredPeriod {
  id: number;
  deviceId: string;
  /** Starts of the parts of this read already certified (a part is keyed by its start). */
  certifiedPartStarts: ReadonlySet<number>;
}

export interface PlannedPart {
  readId: number;
  deviceId: string;
  start: number;
  end: number;
  wh: bigint;
}

export interface PlannedCertificate {
  windowStart: number;
  windowEnd: number;
  organisationId: string;
  /** The devices' country for I-REC, `*` when the standard does not split by country. */
  countryCode: string;
  parts: PlannedPart[];
  leaves: EvidenceLeaf[];
  amountWh: bigint;
}

export interface ReservationPlan {
  certificates: PlannedCertificate[];
  /** Wh of closed windows not certified because the target was reached. */
  leftoverWh: bigint;
  /** True when this plan reaches a target without authority to exceed. */
  reachesTarget: boolean;
}

export const ALL_COUNTRIES = "*";

export function planReservation(reservation: PlanReservation, devices: readonly PlanDevice[], reads: readonly PlanRead[], now: number): ReservationPlan {
  const byDevice = new Map(devices.map((device) => [device.id, device]));
  const windows = closedWindows({ start: reservation.startAt, end: reservation.endAt }, reservation.frequency, now);
  // Parts per window, then per group: each read visits only the windows it overlaps (usually one).
  const partsByWindow = windows.map(() => new Map<string, PlannedPart[]>());
  for (const read of reads) {
    const device = byDevice.get(read.deviceId);
    if (!device) continue;
    for (let w = firstWindowEndingAfter(windows, read.startAt); w < windows.length && windows[w].start < read.endAt; w++) {
      const window = windows[w];
      const part = readPart(read, window.start, Math.min(window.end, device.releasedAt ?? window.end));
      if (part.start >= part.end || part.wh === 0n || read.certifiedPartStarts.has(part.start)) continue;
      const key = groupKey(device, reservation.standard);
      const groups = partsByWindow[w];
      const list = groups.get(key);
      const planned = { readId: read.id, deviceId: read.deviceId, ...part };
      if (list) list.push(planned);
      else groups.set(key, [planned]);
    }
  }

  let remaining = reservation.remainingWh;
  let leftoverWh = 0n;
  const certificates: PlannedCertificate[] = [];
  windows.forEach((window, w) => {
    const groups = partsByWindow[w];
    for (const key of [...groups.keys()].sort()) {
      const parts = groups.get(key)!.sort((a, b) => a.start - b.start || a.deviceId.localeCompare(b.deviceId));
      const taken: PlannedPart[] = [];
      for (const part of parts) {
        if (remaining === undefined) {
          taken.push(part);
        } else if (remaining > 0n) {
          const wh = part.wh < remaining ? part.wh : remaining;
          taken.push({ ...part, wh });
          remaining -= wh;
          leftoverWh += part.wh - wh;
        } else {
          leftoverWh += part.wh;
        }
      }
      if (taken.length === 0) continue;
      const [organisationId, countryCode] = key.split("|");
      certificates.push({
        windowStart: window.start,
        windowEnd: window.end,
        organisationId,
        countryCode,
        parts: taken,
        leaves: leavesOf(taken, byDevice),
        amountWh: taken.reduce((sum, part) => sum + part.wh, 0n),
      });
    }
  });
  return { certificates, leftoverWh, reachesTarget: remaining === 0n && reservation.remainingWh !== undefined && reservation.remainingWh > 0n };
}

/** Index of the first window (they are sorted and contiguous) that ends after `at`. */
function firstWindowEndingAfter(windows: readonly Window[], at: number): number {
  let low = 0;
  let high = windows.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (windows[mid].end <= at) low = mid + 1;
    else high = mid;
  }
  return low;
}

function groupKey(device: PlanDevice, standard: PlanReservation["standard"]): string {
  return `${device.organisationId}|${standard === "I-REC" ? device.countryCode : ALL_COUNTRIES}`;
}

function leavesOf(parts: readonly PlannedPart[], devices: ReadonlyMap<string, PlanDevice>): EvidenceLeaf[] {
  return [...groupBy(parts, (part) => part.deviceId)].flatMap(([deviceId, own]) => leavesOfParts(devices.get(deviceId)!.chainRef, own));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
