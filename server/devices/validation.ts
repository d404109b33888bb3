/**
 * What makes a device description acceptable. Pure: the JSON create, the update and every row of a CSV
 * upload go through `checkDevice`, so the three paths can never disagree about what is valid.
 */
import { z } from "@hono/zod-openapi";
import { DateTime } from "luxon";
import {
  COUNTRY_CODES,
  DEVICE_DESCRIPTIONS,
  DEVICE_TYPE_CODES,
  ENERGY_SOURCE_OF_FUEL,
  ENERGY_SOURCES,
  FUEL_CODES,
  isCountryCode,
  OFF_TAKERS,
  SDG_BENEFITS,
  SDG_DESCRIPTION,
  STORAGE_TECHNOLOGY_TYPES,
  TECHNOLOGY_OF_DEVICE_TYPE,
  TECHNOLOGY_TYPES,
  type DeviceDescription,
  type DeviceTypeCode,
  type EnergySource,
  type FuelCode,
  type OffTaker,
  type SdgBenefit,
  type TechnologyType,
} from "./catalogue";
import { canonicalTimeZone, deriveTimeZone, localDateOf, type TimeZoneSource } from "./timeZones";

export const EXTERNAL_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
const MAX_CAPACITY_KW = 10_000_000;

const text = (max: number) => z.string({ error: "must be text" }).trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);
const choice = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (issue) => (issue.input === undefined ? "is required" : `must be one of: ${values.join(", ")}`) });
const flag = z.boolean({ error: "must be true or false" });
/** Whole watts (or watt-hours) given in kilo-units: at most three decimals, so the stored integer is exact. */
const kilo = (unit: string) =>
  z
    .number({ error: (issue) => (issue.input === undefined ? "is required" : "must be a number") })
    .positive(`must be greater than 0 ${unit}`)
    .max(MAX_CAPACITY_KW, `must be at most ${MAX_CAPACITY_KW} ${unit}`)
    .refine((value) => Math.abs(value * 1000 - Math.round(value * 1000)) < 1e-6, `must have at most 3 decimals (whole ${unit === "kW" ? "W" : "Wh"})`);

/** A calendar date, or an instant with an explicit offset (taken as the device-local date). */
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const EARLIEST_YEAR = 1900;

function isCalendarDate(value: string): boolean {
  const match = DATE_PATTERN.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= EARLIEST_YEAR && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function parseInstant(value: string): Date | undefined {
  if (!INSTANT_PATTERN.test(value)) return undefined;
  // luxon, not Date.parse: V8 would take 30 February for 1 March.
  const parsed = DateTime.fromISO(value, { setZone: true });
  return parsed.isValid && parsed.year >= EARLIEST_YEAR ? parsed.toJSDate() : undefined;
}

export function isDateInput(value: string): boolean {
  return isCalendarDate(value) || parseInstant(value) !== undefined;
}

/** The device-local calendar date (YYYY-MM-DD) of a date or instant input. */
export function localDate(value: string, zone: string): string {
  return isCalendarDate(value) ? value : localDateOf(parseInstant(value)!, zone);
}

const dateInput = z
  .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a date") })
  .refine(isDateInput, `must be a calendar date YYYY-MM-DD from ${EARLIEST_YEAR} on (or an ISO 8601 instant with Z or an offset)`);

/** Optional fields accept null too, which clears them on update. */
export const DeviceInputSchema = z
  .strictObject({
    externalId: z
      .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be text") })
      .min(1, "must not be empty")
      .max(100, "must be at most 100 characters")
      .regex(EXTERNAL_ID_PATTERN, "may contain only letters, digits, - and _")
      .openapi({ description: "Your own reference, unique within your organisation (letters, digits, - and _)", example: "KE-NBO-0001" }),
    projectName: text(200).nullish().openapi({ example: "Nairobi schools solar" }),
    countryCode: z
      .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be text") })
      .refine(isCountryCode, "must be an ISO 3166-1 alpha-2 country code in capitals, such as KE or IN")
      .openapi({ description: "ISO 3166-1 alpha-2", example: "KE", enum: COUNTRY_CODES }),
    commissioningDate: dateInput.openapi({
      description: "Date the device began operating; on or before the onboarding date (device-local)",
      example: "2023-04-01",
    }),
    capacity: kilo("kW").openapi({ description: "Capacity in kW (whole watts)", example: 12.5 }),
    offTaker: choice(OFF_TAKERS).nullish(),
    fuelCode: choice(FUEL_CODES).nullish().openapi({ description: "Required unless isStorage" }),
    deviceTypeCode: choice(DEVICE_TYPE_CODES).nullish().openapi({ description: "Required unless isStorage" }),
    impactStory: text(5000).nullish(),
    deviceDescription: choice(DEVICE_DESCRIPTIONS).nullish(),
    sdgBenefits: z
      .array(choice(SDG_BENEFITS), { error: "must be a list of SDG benefit codes" })
      .refine((list) => new Set(list).size === list.length, "must not list a benefit twice")
      .nullish()
      .openapi({ description: SDG_DESCRIPTION }),
    address: text(500).nullish(),
    latitude: z.number({ error: "must be a number" }).min(-90, "must be at least -90").max(90, "must be at most 90").nullish(),
    longitude: z.number({ error: "must be a number" }).min(-180, "must be at least -180").max(180, "must be at most 180").nullish(),
    qualityLabels: text(500).nullish(),
    gridInterconnection: flag.nullish().openapi({ description: "Connected to the grid (default false)" }),
    energyStorage: flag.nullish().openapi({ description: "Has energy storage (default false; true for storage devices)" }),
    energyStorageCapacity: kilo("kWh").nullish().openapi({ description: "kWh; required when energyStorage is true" }),
    timeZone: z
      .string({ error: "must be text" })
      .max(64, "must be at most 64 characters")
      .refine((zone) => canonicalTimeZone(zone) !== undefined, "must be an IANA time zone such as Africa/Nairobi")
      .nullish()
      .openapi({ description: "IANA zone; derived from coordinates or country when absent", example: "Africa/Nairobi" }),
    yieldOverride: z
      .number({ error: "must be a number" })
      .positive("must be greater than 0 kWh/kW/year")
      .max(8760, "must be at most 8760 kWh/kW/year (full output every hour of the year)")
      .nullish()
      .openapi({ description: "Specific yield in kWh/kW/year replacing the country's for the meter-read upper bound" }),
    energySource: choice(ENERGY_SOURCES).nullish().openapi({ description: "GC energy source; derived from fuelCode (battery_storage for storage devices)" }),
    technologyType: choice(TECHNOLOGY_TYPES)
      .nullish()
      .openapi({ description: "GC technology type; derived from deviceTypeCode (battery_storage for storage devices)" }),
    isStorage: flag.nullish().openapi({ description: "The device is a storage asset (GC storage, SD-GC); default false" }),
    grid: text(100).nullish().openapi({ description: "Grid or bidding zone", example: "KPLC" }),
  })
  .openapi("DeviceInput");

export type DeviceInput = z.infer<typeof DeviceInputSchema>;
export type DeviceField = keyof DeviceInput;
export const DEVICE_FIELDS = Object.keys(DeviceInputSchema.shape) as DeviceField[];

/**
 * The seed's optional fields, plus our own yield override and grid: a bulk-upload row whose only faults
 * are here is stored without those values and flagged. A fault anywhere else fails the row.
 */
export const OPTIONAL_FIELDS: ReadonlySet<DeviceField> = new Set<DeviceField>([
  "projectName",
  "offTaker",
  "impactStory",
  "deviceDescription",
  "sdgBenefits",
  "address",
  "latitude",
  "longitude",
  "qualityLabels",
  "gridInterconnection",
  "energyStorage",
  "energyStorageCapacity",
  "yieldOverride",
  "grid",
]);

/** Fields that change what a device's certificates say; frozen while the device is reserved. */
export const CERTIFICATION_FIELDS = [
  "countryCode",
  "commissioningDate",
  "capacityW",
  "offTaker",
  "fuelCode",
  "deviceTypeCode",
  "sdgBenefits",
  "latitude",
  "longitude",
  "timeZone",
  "yieldOverride",
  "gridInterconnection",
  "energyStorage",
  "energyStorageCapacityWh",
  "energySource",
  "technologyType",
  "isStorage",
  "grid",
] as const satisfies readonly (keyof DeviceAttributes)[];

/** A valid device, normalised for storage: integer W and Wh, device-local commissioning date, resolved zone. */
export interface DeviceAttributes {
  externalId: string;
  projectName: string | null;
  countryCode: string;
  commissioningDate: string;
  capacityW: number;
  offTaker: OffTaker | null;
  fuelCode: FuelCode | null;
  deviceTypeCode: DeviceTypeCode | null;
  impactStory: string | null;
  deviceDescription: DeviceDescription | null;
  sdgBenefits: SdgBenefit[];
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  qualityLabels: string | null;
  gridInterconnection: boolean;
  energyStorage: boolean;
  energyStorageCapacityWh: number | null;
  timeZone: string;
  timeZoneSource: TimeZoneSource;
  yieldOverride: number | null;
  energySource: EnergySource;
  technologyType: TechnologyType;
  isStorage: boolean;
  grid: string | null;
}

export interface DeviceIssue {
  field: string;
  message: string;
}

export interface DeviceCheck {
  /** Undefined when a fault outside the optional fields makes the input unusable. */
  device?: DeviceAttributes;
  /** Every fault found; when `device` is set they all sit in optional fields, whose values were dropped. */
  issues: DeviceIssue[];
}

export interface CheckContext {
  /** When the device joined (joins) the platform: the commissioning date may not be later. */
  onboardedAt: Date;
}

/** Where a fault lives: "sdgBenefits.2" belongs to the field "sdgBenefits". */
export const fieldOf = (issue: DeviceIssue) => issue.field.split(".")[0] as DeviceField;

/** True when every issue lies in an optional field, so the device can be stored with those fields flagged. */
export function onlyOptionalFaults(issues: readonly DeviceIssue[]): boolean {
  return issues.every((issue) => OPTIONAL_FIELDS.has(fieldOf(issue)));
}

export function checkDevice(candidate: Record<string, unknown>, context: CheckContext): DeviceCheck {
  const issues: DeviceIssue[] = [];
  const fault = (field: string, message: string) => issues.push({ field, message });
  const faulty = (field: DeviceField) => issues.some((issue) => fieldOf(issue) === field);

  for (const key of Object.keys(candidate)) {
    if (!(key in DeviceInputSchema.shape)) fault(key, `is not a device field (accepted: ${DEVICE_FIELDS.join(", ")})`);
  }
  const input: Partial<Record<DeviceField, unknown>> = {};
  for (const field of DEVICE_FIELDS) {
    const parsed = DeviceInputSchema.shape[field].safeParse(candidate[field]);
    if (parsed.success) {
      if (parsed.data !== undefined && parsed.data !== null) input[field] = parsed.data;
    } else {
      for (const issue of parsed.error.issues) fault([field, ...issue.path.map(String)].join("."), issue.message);
    }
  }
  // Null and absent mean the same here: the field is not given.
  const v = input as { [K in DeviceField]?: NonNullable<DeviceInput[K]> };

  const isStorage = v.isStorage ?? false;
  if (isStorage && v.energyStorage === false) fault("energyStorage", "must be true for a storage device (isStorage)");
  const energyStorage = v.energyStorage ?? isStorage;
  if (energyStorage && v.energyStorageCapacity === undefined && !faulty("energyStorageCapacity")) {
    fault("energyStorageCapacity", "is required when energyStorage is true");
  }
  if (!energyStorage && v.energyStorageCapacity !== undefined) fault("energyStorageCapacity", "applies only when energyStorage is true");

  if (v.latitude === undefined && v.longitude !== undefined && !faulty("latitude")) fault("latitude", "is required with longitude");
  if (v.longitude === undefined && v.latitude !== undefined && !faulty("longitude")) fault("longitude", "is required with latitude");

  let energySource: EnergySource | undefined = v.energySource ?? undefined;
  let technologyType: TechnologyType | undefined = v.technologyType ?? undefined;
  if (isStorage) {
    energySource ??= "battery_storage";
    technologyType ??= "battery_storage";
    if (!STORAGE_TECHNOLOGY_TYPES.includes(technologyType)) {
      fault("technologyType", `must be a storage technology (${STORAGE_TECHNOLOGY_TYPES.join(", ")}) for a storage device`);
    }
  } else {
    for (const field of ["fuelCode", "deviceTypeCode"] as const) {
      if (v[field] === undefined && !faulty(field)) fault(field, "is required (unless isStorage is true)");
    }
    if (v.fuelCode) {
      const implied = ENERGY_SOURCE_OF_FUEL[v.fuelCode];
      if (energySource !== undefined && energySource !== implied) fault("energySource", `must be ${implied} for fuelCode ${v.fuelCode}`);
      energySource ??= implied;
    }
    if (v.deviceTypeCode) {
      const implied = TECHNOLOGY_OF_DEVICE_TYPE[v.deviceTypeCode];
      if (technologyType !== undefined && technologyType !== implied) fault("technologyType", `must be ${implied} for deviceTypeCode ${v.deviceTypeCode}`);
      technologyType ??= implied;
    }
  }

  let timeZone: string | undefined;
  let timeZoneSource: TimeZoneSource | undefined;
  if (v.timeZone) {
    timeZone = canonicalTimeZone(v.timeZone);
    timeZoneSource = "given";
  } else if (v.countryCode && !faulty("timeZone")) {
    const coordinates = v.latitude !== undefined && v.longitude !== undefined ? { latitude: v.latitude, longitude: v.longitude } : undefined;
    const derived = deriveTimeZone(v.countryCode, coordinates);
    if ("problem" in derived) fault("timeZone", derived.problem);
    else ({ zone: timeZone, source: timeZoneSource } = derived);
  }

  let commissioningDate: string | undefined;
  if (v.commissioningDate && timeZone) {
    commissioningDate = localDate(v.commissioningDate, timeZone);
    const onboardedOn = localDateOf(context.onboardedAt, timeZone);
    if (commissioningDate > onboardedOn) {
      fault("commissioningDate", `must be on or before the onboarding date ${onboardedOn} (${timeZone}); got ${commissioningDate}`);
      commissioningDate = undefined;
    }
  }

  if (!onlyOptionalFaults(issues) || !v.externalId || !v.countryCode || !commissioningDate || v.capacity === undefined) return { issues };
  // Only optional fields are faulty here: drop their values (defaults apply) and keep the rest.
  const kept = (field: DeviceField) => !faulty(field);
  const keep = <T>(field: DeviceField, value: T | null | undefined): T | null => (kept(field) && value !== undefined ? value : null);
  return {
    issues,
    device: {
      externalId: v.externalId,
      projectName: keep("projectName", v.projectName),
      countryCode: v.countryCode,
      commissioningDate,
      capacityW: Math.round(v.capacity * 1000),
      offTaker: keep("offTaker", v.offTaker),
      fuelCode: v.fuelCode ?? null,
      deviceTypeCode: v.deviceTypeCode ?? null,
      impactStory: keep("impactStory", v.impactStory),
      deviceDescription: keep("deviceDescription", v.deviceDescription),
      sdgBenefits: keep("sdgBenefits", v.sdgBenefits) ?? [],
      address: keep("address", v.address),
      latitude: kept("longitude") ? keep("latitude", v.latitude) : null,
      longitude: kept("latitude") ? keep("longitude", v.longitude) : null,
      qualityLabels: keep("qualityLabels", v.qualityLabels),
      gridInterconnection: keep("gridInterconnection", v.gridInterconnection) ?? false,
      energyStorage: kept("energyStorage") ? energyStorage : isStorage,
      energyStorageCapacityWh: kept("energyStorageCapacity") && v.energyStorageCapacity !== undefined ? Math.round(v.energyStorageCapacity * 1000) : null,
      timeZone: timeZone!,
      timeZoneSource: timeZoneSource!,
      yieldOverride: keep("yieldOverride", v.yieldOverride),
      energySource: energySource!,
      technologyType: technologyType!,
      isStorage,
      grid: keep("grid", v.grid),
    },
  };
}

/**
 * The input an update is checked as: the stored device described as input, with the patch laid over
 * it (null clears). Values the platform derived (time zone, GC types of a generator) are left out so
 * they are derived again from the new values: moving a device moves its zone.
 */
export function patchedInput(device: DeviceAttributes, patch: Partial<DeviceInput>): Record<string, unknown> {
  const keepsStorageTypes = device.isStorage && (patch.isStorage ?? true);
  const stored: DeviceInput = {
    externalId: device.externalId,
    projectName: device.projectName,
    countryCode: device.countryCode,
    commissioningDate: device.commissioningDate,
    capacity: device.capacityW / 1000,
    offTaker: device.offTaker,
    fuelCode: device.fuelCode,
    deviceTypeCode: device.deviceTypeCode,
    impactStory: device.impactStory,
    deviceDescription: device.deviceDescription,
    sdgBenefits: device.sdgBenefits,
    address: device.address,
    latitude: device.latitude,
    longitude: device.longitude,
    qualityLabels: device.qualityLabels,
    gridInterconnection: device.gridInterconnection,
    energyStorage: device.energyStorage,
    energyStorageCapacity: device.energyStorageCapacityWh === null ? null : device.energyStorageCapacityWh / 1000,
    timeZone: device.timeZoneSource === "given" ? device.timeZone : null,
    yieldOverride: device.yieldOverride,
    energySource: keepsStorageTypes ? device.energySource : null,
    technologyType: keepsStorageTypes ? device.technologyType : null,
    isStorage: device.isStorage,
    grid: device.grid,
  };
  return { ...stored, ...patch };
}

/**
 * How an update's faults (from checking the patched device) meet the flags a bulk upload left: a flag
 * stays until its field is updated, so faults of flagged fields the patch leaves alone do not refuse it.
 */
export function judgeUpdate(flags: readonly DeviceIssue[], patch: object, issues: readonly DeviceIssue[]): { refused: DeviceIssue[]; flags: DeviceIssue[] } {
  const kept = flags.filter((flag) => !(fieldOf(flag) in patch));
  const keptFields = new Set(kept.map(fieldOf));
  return { refused: issues.filter((issue) => !keptFields.has(fieldOf(issue))), flags: kept };
}

/** The certification fields whose values differ between two versions of a device, by their API names. */
export function changedCertificationFields(before: DeviceAttributes, after: DeviceAttributes): DeviceField[] {
  return CERTIFICATION_FIELDS.filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field])).map(
    (field) => (field === "capacityW" ? "capacity" : field === "energyStorageCapacityWh" ? "energyStorageCapacity" : field),
  );
}

/** For each position, the earlier position that used the same external id (values that are not text are skipped). */
export function repeatedExternalIds(externalIds: readonly unknown[]): Map<number, number> {
  const firstAt = new Map<string, number>();
  const repeats = new Map<number, number>();
  externalIds.forEach((externalId, index) => {
    if (typeof externalId !== "string") return;
    const first = firstAt.get(externalId);
    if (first === undefined) firstAt.set(externalId, index);
    else repeats.set(index, first);
  });
  return repeats;
}
