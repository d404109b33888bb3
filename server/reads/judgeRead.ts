import { DateTime } from "luxon";
import { ageInYears, maxEnergyWh } from "./maxEnergy";

/**
 * The verdict on one meter read, given the device and what earlier reads established. Pure: the
 * caller loads the state, applies reads of one device in time order, and stores verdicts and state.
 *
 * History reads cover a period before onboarding (start and end given). Aggregate reads carry the
 * running meter value, delta reads the increment; both give only an end, and start where the previous
 * read ended. The first aggregate or delta read (and the first after a gap of more than 30 days) only
 * sets the baseline. The first of aggregate/delta a device uses is locked for it; history reads may
 * still be added for the pre-onboarding period.
 */
export const READ_TYPES = ["history", "aggregate", "delta"] as const;
export type ReadType = (typeof READ_TYPES)[number];
export type OngoingType = Exclude<ReadType, "history">;

export interface ReadInput {
  type: ReadType;
  startAt?: Date;
  endAt: Date;
  valueWh: bigint;
}

export interface DeviceProfile {
  onboardedAt: Date;
  commissionedAt: Date;
  capacityKw: number;
  yieldKwhPerKwYear: number;
}

export interface ReadRules {
  degradationPerYear: number;
  safetyMargin: number;
  historyMaxAgeYears: number;
  maxGapMs: number;
}

export interface Period {
  startAt: Date;
  endAt: Date;
}

export interface DeviceReadState {
  lockedType?: OngoingType;
  /** End of the last accepted aggregate/delta read, and the meter value there (aggregate only). */
  last?: { endAt: Date; meterWh: bigint };
  /** Accepted history periods that may overlap the read being judged. */
  historyPeriods: readonly Period[];
}

export type RejectionCode =
  | "START_REQUIRED"
  | "START_NOT_ALLOWED"
  | "START_NOT_BEFORE_END"
  | "NEGATIVE_VALUE"
  | "HISTORY_END_AFTER_ONBOARDING"
  | "HISTORY_START_BEFORE_COMMISSIONING"
  | "HISTORY_TOO_OLD"
  | "HISTORY_OVERLAP"
  | "END_BEFORE_ONBOARDING"
  | "END_IN_FUTURE"
  | "TYPE_LOCKED"
  | "NOT_AFTER_PREVIOUS_READ"
  | "METER_DECREASED"
  | "EXCEEDS_MAX_ENERGY";

export interface Rejection {
  code: RejectionCode;
  message: string;
}

export type Verdict =
  | { status: "accepted"; baseline: false; startAt: Date; endAt: Date; energyWh: bigint }
  | { status: "accepted"; baseline: true; startAt: null; endAt: Date; energyWh: 0n }
  | { status: "rejected"; reasons: Rejection[] };

export interface Judgement {
  verdict: Verdict;
  /** The state after this read (unchanged when rejected). */
  state: DeviceReadState;
}

export function judgeRead(read: ReadInput, device: DeviceProfile, state: DeviceReadState, rules: ReadRules, now: Date): Judgement {
  return read.type === "history" ? judgeHistory(read, device, state, rules, now) : judgeOngoing(read, read.type, device, state, rules, now);
}

function judgeHistory(read: ReadInput, device: DeviceProfile, state: DeviceReadState, rules: ReadRules, now: Date): Judgement {
  const reasons: Rejection[] = [];
  const { startAt, endAt } = read;
  if (read.valueWh < 0n) reasons.push(reject("NEGATIVE_VALUE", "History read values must not be negative."));
  if (endAt > device.onboardedAt) reasons.push(reject("HISTORY_END_AFTER_ONBOARDING", `A history read must end by the device's onboarding (${iso(device.onboardedAt)}).`));
  if (!startAt) {
    reasons.push(reject("START_REQUIRED", "History reads need a start time."));
    return rejected(reasons, state);
  }
  if (startAt >= endAt) reasons.push(reject("START_NOT_BEFORE_END", "The start time must be before the end time."));
  if (startAt < device.commissionedAt) {
    reasons.push(reject("HISTORY_START_BEFORE_COMMISSIONING", `A history read cannot start before commissioning (${iso(device.commissionedAt)}).`));
  }
  const oldest = DateTime.fromJSDate(now, { zone: "utc" }).minus({ years: rules.historyMaxAgeYears }).toJSDate();
  if (startAt < oldest) reasons.push(reject("HISTORY_TOO_OLD", `History reads may go back ${rules.historyMaxAgeYears} years, to ${iso(oldest)}.`));
  const clash = state.historyPeriods.find((p) => startAt < p.endAt && p.startAt < endAt);
  if (clash) reasons.push(reject("HISTORY_OVERLAP", `Overlaps the accepted history read ${iso(clash.startAt)} – ${iso(clash.endAt)}.`));
  if (reasons.length === 0) reasons.push(...energyBound(read.valueWh, { startAt, endAt }, device, rules, now));
  if (reasons.length > 0) return rejected(reasons, state);
  return {
    verdict: { status: "accepted", baseline: false, startAt, endAt, energyWh: read.valueWh },
    state: { ...state, historyPeriods: [...state.historyPeriods, { startAt, endAt }] },
  };
}

function judgeOngoing(read: ReadInput, type: OngoingType, device: DeviceProfile, state: DeviceReadState, rules: ReadRules, now: Date): Judgement {
  const reasons: Rejection[] = [];
  const { endAt } = read;
  if (read.startAt) reasons.push(reject("START_NOT_ALLOWED", `${type} reads give only an end time; the start is where the previous read ended.`));
  if (read.valueWh < 0n) reasons.push(reject("NEGATIVE_VALUE", "Meter values must not be negative."));
  if (endAt < device.onboardedAt) reasons.push(reject("END_BEFORE_ONBOARDING", `The end time is before the device's onboarding (${iso(device.onboardedAt)}).`));
  if (endAt > now) reasons.push(reject("END_IN_FUTURE", "The end time is in the future."));
  if (state.lockedType && state.lockedType !== type) {
    reasons.push(reject("TYPE_LOCKED", `This device reports ${state.lockedType} reads; its read type cannot change.`));
  }
  const last = state.last;
  if (last && endAt <= last.endAt) {
    reasons.push(reject("NOT_AFTER_PREVIOUS_READ", `The end time must be after the previous read's end (${iso(last.endAt)}).`));
  }
  if (reasons.length > 0) return rejected(reasons, state);

  const lockedType = state.lockedType ?? type;
  const continues = last !== undefined && endAt.getTime() - last.endAt.getTime() <= rules.maxGapMs;
  if (!continues) {
    return {
      verdict: { status: "accepted", baseline: true, startAt: null, endAt, energyWh: 0n },
      state: { ...state, lockedType, last: { endAt, meterWh: type === "aggregate" ? read.valueWh : 0n } },
    };
  }
  if (type === "aggregate" && read.valueWh < last.meterWh) {
    return rejected([reject("METER_DECREASED", `The meter value is below the previous one (${last.meterWh} Wh).`)], state);
  }
  const energyWh = type === "aggregate" ? read.valueWh - last.meterWh : read.valueWh;
  const period = { startAt: last.endAt, endAt };
  const bound = energyBound(energyWh, period, device, rules, now);
  if (bound.length > 0) return rejected(bound, state);
  return {
    verdict: { status: "accepted", baseline: false, ...period, energyWh },
    state: { ...state, lockedType, last: { endAt, meterWh: type === "aggregate" ? read.valueWh : 0n } },
  };
}

function energyBound(energyWh: bigint, period: Period, device: DeviceProfile, rules: ReadRules, now: Date): Rejection[] {
  const max = maxEnergyWh({
    capacityKw: device.capacityKw,
    yieldKwhPerKwYear: device.yieldKwhPerKwYear,
    periodMs: period.endAt.getTime() - period.startAt.getTime(),
    degradationPerYear: rules.degradationPerYear,
    ageYears: ageInYears(device.commissionedAt, now),
    safetyMargin: rules.safetyMargin,
  });
  return energyWh > max ? [reject("EXCEEDS_MAX_ENERGY", `${energyWh} Wh is more than the device can generate in this period (at most ${max} Wh).`)] : [];
}

function reject(code: RejectionCode, message: string): Rejection {
  return { code, message };
}

function rejected(reasons: Rejection[], state: DeviceReadState): Judgement {
  return { verdict: { status: "rejected", reasons }, state };
}

function iso(date: Date): string {
  return date.toISOString();
}
