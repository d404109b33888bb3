import type { ReadRules } from "./judgeRead";

export type { ReadRules };

const DAY_MS = 24 * 3_600_000;

/** The seed's fixed limits (3 years of history, 30-day gaps) with the configurable physical ones. */
export function readRules(degradationPerYear: number, safetyMargin: number): ReadRules {
  return { degradationPerYear, safetyMargin, historyMaxAgeYears: 3, maxGapMs: 30 * DAY_MS };
}
