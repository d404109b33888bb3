import type { EvidenceLeaf } from "./evidence";
import { apportion, type MeteredPeriod, type Window } from "./windows";

type Hex = `0x${string}`;

/** The energy of one read that falls in one period, apportioned by time (see {@link apportion}). */
export interface ReadPart {
  start: number;
  end: number;
  wh: bigint;
}

/** The part of `read` inside `[from, to)`; empty (start ≥ end) when they do not meet. */
export function readPart(read: MeteredPeriod, from: number, to: number): ReadPart {
  const start = Math.max(read.startAt, from);
  const end = Math.min(read.endAt, to);
  return { start, end, wh: apportion(read, start, end) };
}

/**
 * One device's evidence leaves from the parts of its reads that a certificate covers, with touching
 * parts merged into one leaf. Leaves are in whole unix seconds (the evidence format): bounds are floored,
 * which keeps neighbouring leaves from overlapping, also across certificates issued at different times.
 * Parts with no energy are left out; the leaves sum to the parts.
 */
export function leavesOfParts(deviceId: Hex, parts: readonly ReadPart[]): EvidenceLeaf[] {
  const sorted = parts.filter((part) => part.start < part.end && part.wh > 0n).sort((a, b) => a.start - b.start);
  const leaves: EvidenceLeaf[] = [];
  for (const part of sorted) {
    const start = BigInt(Math.floor(part.start / 1000));
    const end = BigInt(Math.floor(part.end / 1000));
    const last = leaves[leaves.length - 1];
    if (last && start <= last.end) {
      last.end = end > last.end ? end : last.end;
      last.wh += part.wh;
    } else {
      leaves.push({ deviceId, start, end, wh: part.wh });
    }
  }
  // A part shorter than a second that touches nothing would floor to an empty period.
  for (const leaf of leaves) if (leaf.end === leaf.start) leaf.end = leaf.start + 1n;
  return leaves;
}

/** One device's evidence leaves for a window: the part of each accepted read inside it (see {@link leavesOfParts}). */
export function deviceLeaves(deviceId: Hex, reads: readonly MeteredPeriod[], window: Window): EvidenceLeaf[] {
  return leavesOfParts(
    deviceId,
    reads.map((read) => readPart(read, window.start, window.end)),
  );
}

/** A certificate's amount: the sum of its leaves. */
export function totalWh(leaves: readonly EvidenceLeaf[]): bigint {
  return leaves.reduce((sum, leaf) => sum + leaf.wh, 0n);
}
