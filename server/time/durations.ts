/** Milliseconds in one hour and one day: every period in the registry is UTC epoch milliseconds. */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
