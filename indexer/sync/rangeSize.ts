/**
 * How many blocks to ask of `eth_getLogs` at once. Providers refuse ranges that are too long or return
 * too many logs, each with its own limit and message, so the size is learned: halved on any error, doubled
 * while ranges come back with few logs, halved when one returns many (which also bounds the memory a
 * range takes).
 */
export interface RangePolicy {
  initial: number;
  min: number;
  max: number;
  /** Logs per range the size steers towards. */
  targetLogs: number;
}

export const DEFAULT_RANGE_POLICY: RangePolicy = { initial: 10, min: 1, max: 10_000, targetLogs: 5_000 };

/** The next size after a range of `size` blocks returned `logCount` logs. */
export function sizeAfterSuccess(size: number, logCount: number, policy: RangePolicy): number {
  if (logCount > 2 * policy.targetLogs) return Math.max(policy.min, Math.floor(size / 2));
  if (logCount < policy.targetLogs / 2) return Math.min(policy.max, size * 2);
  return size;
}

/** The next size after the provider refused a range of `size` blocks; undefined when it cannot shrink further. */
export function sizeAfterFailure(size: number, policy: RangePolicy): number | undefined {
  if (size <= policy.min) return undefined;
  return Math.max(policy.min, Math.floor(size / 2));
}
