/** The device list's query: filters from the seed's "My devices" filter menu, a sort, and an opaque cursor. */
import { z } from "@hono/zod-openapi";
import { DEVICE_TYPE_CODES, isCountryCode, OFF_TAKERS, SDG_BENEFITS, type DeviceTypeCode, type OffTaker, type SdgBenefit } from "./catalogue";
import type { FieldError } from "../http/problem";

export const DEVICE_SORTS = ["onboardedAt", "commissioningDate", "capacity", "externalId"] as const;
export type DeviceSort = (typeof DEVICE_SORTS)[number];
export type SortOrder = "asc" | "desc";

/** `a,b,c` in a query string, each item checked by `item`. */
export const commaList = <O extends string>(item: z.ZodType<O, string>, description: string) =>
  z
    .string()
    .transform((value) => value.split(",").map((part) => part.trim()))
    .pipe(z.array(item).min(1))
    .optional()
    .openapi({ type: "string", description: `${description} (comma-separated)` });

export const choiceOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `must be one of: ${values.join(", ")}` });
export const kilowatts = z.coerce.number({ error: "must be a number of kW" }).min(0, "must not be negative").optional();
export const calendarDate = z.iso.date({ error: "must be a calendar date YYYY-MM-DD" }).optional();

export const DeviceListQuerySchema = z.object({
  organisationId: z.uuid({ error: "must be a UUID" }).optional().openapi({ description: "Platform administrators and auditors: one organisation's devices only" }),
  countryCode: commaList(z.string().refine(isCountryCode, "must be an ISO 3166-1 alpha-2 country code in capitals"), "Any of these countries"),
  deviceTypeCode: commaList(choiceOf(DEVICE_TYPE_CODES), "Any of these device types"),
  offTaker: commaList(choiceOf(OFF_TAKERS), "Any of these off-takers"),
  sdgBenefits: commaList(choiceOf(SDG_BENEFITS), "Devices providing every one of these SDG benefits"),
  capacityMin: kilowatts.openapi({ description: "Capacity at least this many kW" }),
  capacityMax: kilowatts.openapi({ description: "Capacity at most this many kW" }),
  commissionedFrom: calendarDate.openapi({ description: "Commissioned on or after this date" }),
  commissionedTo: calendarDate.openapi({ description: "Commissioned on or before this date" }),
  sort: z.enum(DEVICE_SORTS).default("onboardedAt"),
  order: z.enum(["asc", "desc"]).default("desc"),
  limit: z.coerce.number({ error: "must be a whole number" }).int("must be a whole number").min(1, "must be at least 1").max(500, "must be at most 500").default(50),
  cursor: z.string().optional().openapi({ description: "`nextCursor` of the previous page; keep the same sort and order" }),
});
export type DeviceListParams = z.infer<typeof DeviceListQuerySchema>;

export interface DeviceListQuery {
  countryCode?: string[];
  deviceTypeCode?: DeviceTypeCode[];
  offTaker?: OffTaker[];
  sdgBenefits?: SdgBenefit[];
  capacityMinW?: number;
  capacityMaxW?: number;
  commissionedFrom?: string;
  commissionedTo?: string;
  sort: DeviceSort;
  order: SortOrder;
  limit: number;
  /** Continue strictly after this position. */
  after?: { value: string | number; id: string };
}

interface CursorPosition {
  sort: DeviceSort;
  order: SortOrder;
  value: string | number;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.sort, position.order, position.value, position.id])).toString("base64url");
}

export function decodeCursor(cursor: string): CursorPosition | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (!Array.isArray(decoded) || decoded.length !== 4) return undefined;
    const [sort, order, value, id] = decoded as unknown[];
    if (!DEVICE_SORTS.includes(sort as DeviceSort) || (order !== "asc" && order !== "desc") || typeof id !== "string") return undefined;
    if (typeof value !== (sort === "capacity" ? "number" : "string")) return undefined;
    return { sort: sort as DeviceSort, order, value: value as string | number, id };
  } catch {
    return undefined;
  }
}

// Capacities are whole watts, so a bound in kW rounds inwards without changing the answer.
/** The fewest whole watts that are at least `kw` kilowatts. */
export const wattsAtLeast = (kw: number): number => Math.ceil(kw * 1000 - 1e-6);
/** The most whole watts that are at most `kw` kilowatts. */
export const wattsAtMost = (kw: number): number => Math.floor(kw * 1000 + 1e-6);

/** The validated query as the store needs it (integer watts, decoded cursor), or the faults naming each parameter. */
export function toListQuery(params: DeviceListParams): DeviceListQuery | FieldError[] {
  const errors: FieldError[] = [];
  if (params.capacityMin !== undefined && params.capacityMax !== undefined && params.capacityMin > params.capacityMax) {
    errors.push({ field: "query.capacityMax", message: "must not be below capacityMin" });
  }
  if (params.commissionedFrom && params.commissionedTo && params.commissionedFrom > params.commissionedTo) {
    errors.push({ field: "query.commissionedTo", message: "must not be before commissionedFrom" });
  }
  let after: DeviceListQuery["after"];
  if (params.cursor !== undefined) {
    const position = decodeCursor(params.cursor);
    if (!position) errors.push({ field: "query.cursor", message: "is not a cursor this API issued" });
    else if (position.sort !== params.sort || position.order !== params.order) {
      errors.push({ field: "query.cursor", message: `was issued for sort=${position.sort}&order=${position.order}; repeat those with it` });
    } else after = { value: position.value, id: position.id };
  }
  if (errors.length > 0) return errors;
  return {
    countryCode: params.countryCode,
    deviceTypeCode: params.deviceTypeCode,
    offTaker: params.offTaker,
    sdgBenefits: params.sdgBenefits,
    capacityMinW: params.capacityMin === undefined ? undefined : wattsAtLeast(params.capacityMin),
    capacityMaxW: params.capacityMax === undefined ? undefined : wattsAtMost(params.capacityMax),
    commissionedFrom: params.commissionedFrom,
    commissionedTo: params.commissionedTo,
    sort: params.sort,
    order: params.order,
    limit: params.limit,
    after,
  };
}
