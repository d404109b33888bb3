import { z } from "@hono/zod-openapi";
import { CERTIFICATE_STATUSES, END_REASONS, FREQUENCIES, KIND_NAMES, RETIREMENT_REASONS, STANDARDS, TRANSFER_ACTIONS } from "./names";
import { CURSOR, LIMIT } from "./pagination";

/** Request and response shapes of the mirror's read API. Wh amounts and ids are uint256: decimal strings. */

const UINT256_MAX = 2n ** 256n - 1n;
const uint256 = (what: string) =>
  z
    .string()
    .regex(/^\d{1,78}$/, `must be a ${what} in decimal digits`)
    // zod runs this check even after the pattern failed: only judge what is digits.
    .refine((value) => !/^\d+$/.test(value) || BigInt(value) <= UINT256_MAX, "must fit in 256 bits")
    .transform((value) => BigInt(value).toString());
export const AddressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address")
  .transform((value) => value.toLowerCase());
export const Bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex value")
  .transform((value) => value.toLowerCase());

/** `a,b,c` in a query string, each item one of `values`. */
const anyOf = <const T extends readonly [string, ...string[]]>(values: T, description: string) =>
  z
    .string()
    .transform((value) => value.split(",").map((part) => part.trim()))
    .pipe(z.array(z.enum(values, { error: `must be one of: ${values.join(", ")}` })).min(1))
    .optional()
    .openapi({ type: "string", description: `${description} (comma-separated: ${values.join(", ")})` });

const isoDateTime = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with an offset (Z for UTC)" });
const blockNumber = z.coerce.number({ error: "must be a block number" }).int("must be a block number").min(0, "must be a block number");

export const CertificateIdParams = z.object({ id: uint256("certificate id").openapi({ param: { name: "id", in: "path" }, example: "452312848583266388373324160190187140051835877600158453279131187530910662657" }) });
export const AddressParams = z.object({ address: AddressSchema.openapi({ param: { name: "address", in: "path" }, example: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" }) });
export const ReservationParams = z.object({ reservationId: Bytes32Schema.openapi({ param: { name: "reservationId", in: "path" } }) });

const certificateFilters = {
  kind: anyOf(KIND_NAMES, "Any of these kinds"),
  status: anyOf(CERTIFICATE_STATUSES, "Any of these statuses"),
  ref: Bytes32Schema.optional().openapi({ description: "Reservation id (D-REC) or device id (GC kinds)" }),
};

export const CertificateListQuery = z.object({
  ...certificateFilters,
  origin: z.enum(["issued", "split"]).optional(),
  parentId: uint256("certificate id").optional().openapi({ description: "Children of this certificate (splits)" }),
  periodFrom: isoDateTime.optional().openapi({ description: "Generation period starting at or after this time" }),
  periodTo: isoDateTime.optional().openapi({ description: "Generation period ending at or before this time" }),
  order: z.enum(["asc", "desc"]).default("desc").openapi({ description: "By creation (id serial); newest first by default" }),
  limit: LIMIT,
  cursor: CURSOR,
});

export const HoldingsQuery = z.object({
  ...certificateFilters,
  includeEmpty: z
    .enum(["true", "false"], { error: "must be true or false" })
    .default("false")
    .transform((value) => value === "true")
    .openapi({ description: "Also ids the wallet no longer holds and never claimed" }),
  limit: LIMIT,
  cursor: CURSOR,
});

export const HistoryQuery = z.object({
  action: anyOf(TRANSFER_ACTIONS, "Any of these actions"),
  certificateId: uint256("certificate id").optional(),
  fromBlock: blockNumber.optional(),
  toBlock: blockNumber.optional(),
  limit: LIMIT,
  cursor: CURSOR,
});

export const RetirementsQuery = z.object({
  reason: anyOf(RETIREMENT_REASONS, "Any of these reasons"),
  limit: LIMIT,
  cursor: CURSOR,
});

export const PageQuery = z.object({ limit: LIMIT, cursor: CURSOR });

const wh = (description: string) => z.string().openapi({ description: `${description} (Wh, decimal)` });
const page = <T extends z.ZodType>(item: T, name: string) => z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
const onChain = {
  blockNumber: z.number().int(),
  logIndex: z.number().int(),
  transactionHash: z.string(),
  timestamp: z.string().nullable().openapi({ description: "The block's time (UTC)" }),
};

export const CertificateSchema = z
  .object({
    id: z.string(),
    kind: z.enum(KIND_NAMES).or(z.string()),
    ref: z.string().openapi({ description: "Reservation id (D-REC) or device id (GC kinds)" }),
    periodStart: z.string(),
    periodEnd: z.string(),
    evidence: z.string().openapi({ description: "Commitment (Merkle root) of the reads behind the amount" }),
    origin: z.enum(["issued", "split"]),
    parentId: z.string().nullable(),
    voucherNonce: z.string().nullable(),
    issuedAmount: wh("Minted for this id"),
    supply: wh("In circulation"),
    claimedAmount: wh("Claimed"),
    retiredAmount: wh("Cancelled, cancelled for storage or exported"),
    splitAmount: wh("Burned by splits into children"),
    status: z.enum(CERTIFICATE_STATUSES),
    revokedReasonHash: z.string().nullable(),
    revokedInBlock: z.number().int().nullable(),
    standardSerials: z
      .object({ first: z.string(), last: z.string(), recordedInBlock: z.number().int() })
      .nullable()
      .openapi({ description: "The serial range the I-REC registry issued for this certificate; null for other certificates and while provisional" }),
    createdInBlock: z.number().int(),
    transactionHash: z.string(),
  })
  .openapi("ChainCertificate");

export const CertificateDetailSchema = z
  .object({
    certificate: CertificateSchema,
    parent: CertificateSchema.nullable(),
    ancestors: z.array(z.string()).openapi({ description: "Ids from the parent up to the original issuance" }),
    children: z.array(CertificateSchema).openapi({ description: `The first ${100} children, in creation order` }),
    childCount: z.number().int().openapi({ description: "All children; page through them with GET /chain/certificates?parentId=" }),
  })
  .openapi("ChainCertificateDetail");

export const HoldingSchema = z.object({ certificate: CertificateSchema, balance: wh("Held"), claimed: wh("Claimed by this wallet") }).openapi("ChainHolding");

export const TransferSchema = z
  .object({
    ...onChain,
    batchIndex: z.number().int(),
    certificateId: z.string(),
    from: z.string().nullable().openapi({ description: "Null for a mint" }),
    to: z.string().nullable().openapi({ description: "Null for a burn" }),
    operator: z.string(),
    amount: wh("Moved"),
    action: z.enum(TRANSFER_ACTIONS),
    reason: z.enum(RETIREMENT_REASONS).or(z.string()).nullable().openapi({ description: "For retirements" }),
  })
  .openapi("ChainTransfer");

export const HistoryEntrySchema = TransferSchema.extend({
  direction: z.enum(["in", "out", "self"]).openapi({ description: "Towards the wallet, away from it, or from it to itself" }),
}).openapi("ChainHistoryEntry");

export const RetirementSchema = z
  .object({
    ...onChain,
    holder: z.string(),
    certificateId: z.string(),
    reason: z.enum(RETIREMENT_REASONS).or(z.string()),
    amount: wh("Retired"),
    beneficiary: z.string(),
    detailsHash: z.string(),
  })
  .openapi("ChainRetirement");

export const HolderSchema = z.object({ holder: z.string(), balance: wh("Held"), claimed: wh("Claimed") }).openapi("ChainHolder");

export const ReservationSchema = z
  .object({
    reservationId: z.string(),
    buyer: z.string(),
    start: z.string(),
    end: z.string(),
    frequency: z.enum(FREQUENCIES).or(z.string()),
    standard: z.enum(STANDARDS).or(z.string()),
    targetWh: wh("Target"),
    canExceedTarget: z.boolean(),
    issuedWh: wh("D-RECs issued against it"),
    status: z.enum(["active", "ended"]),
    endedAt: z.string().nullable(),
    endReason: z.enum(END_REASONS).or(z.string()).nullable(),
    createdInBlock: z.number().int(),
    devices: z.array(
      z.object({
        device: z.string(),
        addedInBlock: z.number().int(),
        status: z.enum(["reserved", "removed", "released"]).openapi({ description: "released: the reservation ended with the device in it" }),
        releasedAt: z.string().nullable(),
      }),
    ),
  })
  .openapi("ChainReservation");

export const ReservationEventSchema = z
  .object({ ...onChain, eventName: z.string(), args: z.record(z.string(), z.unknown()).openapi({ description: "Decoded arguments; uint256 as decimal strings" }) })
  .openapi("ChainReservationEvent");

export const CertificatePageSchema = page(CertificateSchema, "ChainCertificatePage");
export const HoldingPageSchema = page(HoldingSchema, "ChainHoldingPage");
export const TransferPageSchema = page(TransferSchema, "ChainTransferPage");
export const HistoryPageSchema = page(HistoryEntrySchema, "ChainHistoryPage");
export const RetirementPageSchema = page(RetirementSchema, "ChainRetirementPage");
export const HolderPageSchema = page(HolderSchema, "ChainHolderPage");
export const ReservationEventPageSchema = page(ReservationEventSchema, "ChainReservationEventPage");

export type CertificateView = z.infer<typeof CertificateSchema>;
export type TransferView = z.infer<typeof TransferSchema>;
export type RetirementView = z.infer<typeof RetirementSchema>;
export type ReservationView = z.infer<typeof ReservationSchema>;
export type ReservationEventView = z.infer<typeof ReservationEventSchema>;
