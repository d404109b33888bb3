import type { ReadRules } from "./judgeRead";
import { DAY_MS } from "../time/durations";

export type { ReadRules };

/** The seed's fixed limits (3 years of history, 30-day gaps) with the configurable physical ones. */
export function readRules(degradationPerYear: number, safetyMargin: number): ReadRules {
  return { degradationPerYear, safetyMargin, historyMaxAgeYears: 3, maxGapMs: 30 * DAY_MS };
}
