/** Request and response shapes of the reservations API, as documented in /openapi.json. */
import { z } from "@hono/zod-openapi";
import { DEVICE_TYPE_CODES, FUEL_CODES, isCountryCode, OFF_TAKERS, SDG_BENEFITS, SDG_DESCRIPTION } from "../devices/catalogue";
import { calendarDate, choiceOf, commaList, kilowatts } from "../devices/listing";
import { CURSOR, LIMIT } from "../chain/pagination";
import { FREQUENCIES } from "../issuance/windows";
import { WalletAddressSchema } from "../wallets/routes";
import { END_REASONS, RELEASE_REASONS, RESERVATION_STATUSES, STANDARDS } from "./schema";

/** More devices than this go in further PATCH requests: one transaction's gas must stay well inside a block. */
export const MAX_DEVICES_PER_REQUEST = 250;

const instant = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with an offset (Z for UTC)" });
const deviceIdList = (description: string) =>
  z
    .array(z.uuid({ error: "must be a device UUID" }))
    .max(MAX_DEVICES_PER_REQUEST, `must list at most ${MAX_DEVICES_PER_REQUEST} devices; add more with PATCH`)
    .openapi({ description });

export const ReservationInputSchema = z
  .strictObject({
    name: z.string({ error: "must be text" }).trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
    standard: choiceOf(STANDARDS).openapi({ description: "I-REC: certificates stay provisional until the I-REC registry assigns serials" }),
    frequency: choiceOf(FREQUENCIES).openapi({ description: "How often certificates are issued (UTC calendar windows); fixed for the reservation's life" }),
    start: instant.openapi({ description: "Start of generation to certify; may be past, but not more than 12 months back. Whole seconds." }),
    end: instant.openapi({ description: "End, exclusive; after start, and not more than 12 months back. Whole seconds." }),
    targetMWh: z
      .union([z.string(), z.number()], { error: "must be a decimal number of MWh (a string or a number)" })
      .openapi({ description: "Target volume in MWh, exact to 1 Wh (at most 6 decimals); a string keeps every digit", example: "125.5" }),
    authorityToExceed: z.boolean({ error: "must be true or false" }).openapi({
      description: "If true, certificates keep coming after the target until the end; if false, the reservation ends when the target is met",
    }),
    walletAddress: WalletAddressSchema.openapi({ description: "Where certificates go: one of the buyer organisation's wallets (bound or managed)" }),
    deviceIds: deviceIdList("Devices to reserve (see GET /reservations/eligible-devices)").min(1, "must list at least one device"),
  })
  .openapi("ReservationInput");

/** Fields set at creation that a PATCH may not send: the chain fixed them (seed 001: the frequency "should remain intact"). */
const FIXED_FIELDS = ["standard", "frequency", "start", "end", "targetMWh", "authorityToExceed", "walletAddress"] as const;

/** A field a PATCH may not carry: any value it is sent with is refused with `message`. */
const refused = (message: string, description: string) =>
  z
    .unknown()
    .refine(() => false, message)
    .optional()
    .openapi({ description });
const fixed = refused("is fixed for the reservation's life", "Cannot change: refused");

export const ReservationPatchSchema = z
  .strictObject({
    name: ReservationInputSchema.shape.name.optional(),
    addDeviceIds: deviceIdList("Devices to add (reserved, and their developers notified)").optional(),
    removeDeviceIds: deviceIdList("Devices to remove (released now, then held 12 hours)").optional(),
    ...(Object.fromEntries(FIXED_FIELDS.map((field) => [field, fixed])) as Record<(typeof FIXED_FIELDS)[number], typeof fixed>),
    deviceIds: refused("cannot be replaced: list devices in addDeviceIds and removeDeviceIds", "Refused: use addDeviceIds and removeDeviceIds"),
  })
  .openapi("ReservationPatch");

export const IdParams = z.object({ id: z.uuid({ error: "must be a reservation UUID" }).openapi({ param: { name: "id", in: "path" } }) });

const reservationFields = {
  id: z.string(),
  chainRef: z.string().openapi({ description: "The reservation's bytes32 id in the on-chain log" }),
  name: z.string(),
  buyerOrganisationId: z.string(),
  buyerOrganisationName: z.string(),
  standard: z.enum(STANDARDS),
  frequency: z.enum(FREQUENCIES),
  start: z.string(),
  end: z.string().openapi({ description: "Exclusive" }),
  targetMWh: z.string().openapi({ description: "Exact decimal" }),
  targetWh: z.string(),
  authorityToExceed: z.boolean(),
  walletAddress: z.string(),
  status: z.enum(RESERVATION_STATUSES),
  endReason: z.enum(END_REASONS).nullable(),
  endedAt: z.string().nullable().openapi({ description: "The chain's end time (block time, at most `end`)" }),
  releaseError: z.string().nullable().openapi({ description: "Why the automatic release failed, while it has not succeeded" }),
  createdAt: z.string(),
  createdBy: z.string(),
  createTxHash: z.string(),
  endTxHash: z.string().nullable(),
  deviceCount: z.number().int().openapi({ description: "Devices in it now (a developer counts only its own)" }),
};

const ReservationDeviceSchema = z
  .object({
    deviceId: z.string(),
    organisationId: z.string(),
    externalId: z.string(),
    projectName: z.string().nullable(),
    countryCode: z.string(),
    capacity: z.number().openapi({ description: "kW" }),
    fuelCode: z.enum(FUEL_CODES).nullable(),
    deviceTypeCode: z.enum(DEVICE_TYPE_CODES).nullable(),
    offTaker: z.enum(OFF_TAKERS).nullable(),
    sdgBenefits: z.array(z.enum(SDG_BENEFITS)),
    commissioningDate: z.string(),
    onboardedAt: z.string(),
    timeZone: z.string(),
    addedAt: z.string(),
    addTxHash: z.string(),
    releasedAt: z.string().nullable(),
    releaseTxHash: z.string().nullable().openapi({ description: "Null when released by a chain end the platform did not send" }),
    releaseReason: z.enum(RELEASE_REASONS).nullable(),
  })
  .openapi("ReservationDevice");

export const ReservationSchema = z
  .object({
    ...reservationFields,
    issuedWh: z.string().openapi({ description: "Wh issued or being issued for it so far" }),
    issuedMWh: z.string(),
    devices: z.array(ReservationDeviceSchema).openapi({ description: "Every device it holds or held (a developer sees only its own)" }),
  })
  .openapi("Reservation");

export const ReservationSummarySchema = z
  .object({
    ...reservationFields,
    countries: z.array(z.string()),
    offTakers: z.array(z.enum(OFF_TAKERS)),
    sdgBenefits: z.array(z.enum(SDG_BENEFITS)),
  })
  .openapi("ReservationSummary");

export const ReservationPageSchema = z.object({ items: z.array(ReservationSummarySchema), nextCursor: z.string().nullable() }).openapi("ReservationPage");

const countryCodes = commaList(z.string().refine(isCountryCode, "must be an ISO 3166-1 alpha-2 country code in capitals"), "Any of these countries");

export const ReservationListQuerySchema = z.object({
  organisationId: z.uuid({ error: "must be a UUID" }).optional().openapi({ description: "Platform administrators and auditors: one buyer organisation's" }),
  countryCode: countryCodes,
  fuelCode: commaList(choiceOf(FUEL_CODES), "With a device of any of these fuels"),
  offTaker: commaList(choiceOf(OFF_TAKERS), "With a device of any of these off-takers"),
  sdgBenefits: commaList(choiceOf(SDG_BENEFITS), `With a device providing any of these SDG benefits. ${SDG_DESCRIPTION}`),
  status: z.enum(["all", "active"], { error: "must be all or active" }).default("all"),
  from: instant.optional().openapi({ description: "Reservations whose period ends after this instant" }),
  to: instant.optional().openapi({ description: "Reservations whose period starts before this instant" }),
  limit: LIMIT,
  cursor: CURSOR,
});

export const EligibleQuerySchema = z.object({
  countryCode: countryCodes,
  fuelCode: commaList(choiceOf(FUEL_CODES), "Any of these fuels"),
  offTaker: commaList(choiceOf(OFF_TAKERS), "Any of these off-takers"),
  deviceTypeCode: commaList(choiceOf(DEVICE_TYPE_CODES), "Any of these device types"),
  capacityMinKw: kilowatts.openapi({ description: "Capacity at least this many kW" }),
  capacityMaxKw: kilowatts.openapi({ description: "Capacity at most this many kW" }),
  sdgBenefits: commaList(choiceOf(SDG_BENEFITS), `Providing any of these SDG benefits. ${SDG_DESCRIPTION}`),
  commissionedFrom: calendarDate.openapi({ description: "Commissioned on or after this date" }),
  commissionedTo: calendarDate.openapi({ description: "Commissioned on or before this date" }),
  targetCapacityKw: z.coerce
    .number({ error: "must be a number of kW" })
    .positive("must be more than 0")
    .optional()
    .openapi({ description: "Suggest, per group, devices whose capacity together reaches this" }),
  start: instant.optional().openapi({ description: "The intended reservation's start: leaves out devices reserved until after it" }),
});

const EligibleDeviceSchema = z.object({
  id: z.string(),
  externalId: z.string(),
  organisationId: z.string(),
  organisationName: z.string(),
  capacity: z.number().openapi({ description: "kW" }),
  commissioningDate: z.string(),
  timeZone: z.string(),
});

export const EligibleResultSchema = z
  .object({
    deviceCount: z.number().int(),
    truncated: z.boolean().openapi({ description: "More devices matched than one answer holds (largest kept): narrow the filters" }),
    groups: z.array(
      z.object({
        countryCode: z.string(),
        fuelCode: z.string().nullable(),
        deviceTypeCode: z.string().nullable(),
        offTaker: z.string().nullable(),
        deviceCount: z.number().int(),
        totalCapacity: z.number().openapi({ description: "kW" }),
        organisations: z.array(z.object({ id: z.string(), name: z.string(), deviceCount: z.number().int() })),
        commissioning: z.object({ from: z.string(), to: z.string() }),
        timeZones: z.array(z.string()),
        devices: z.array(EligibleDeviceSchema),
        suggestion: z
          .object({ deviceIds: z.array(z.string()), capacity: z.number().openapi({ description: "kW" }), meetsTarget: z.boolean() })
          .optional()
          .openapi({ description: "With targetCapacityKw: devices of the group reaching it with little excess" }),
      })
    ),
  })
  .openapi("EligibleDevices");
