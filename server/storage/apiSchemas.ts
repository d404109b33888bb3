/** Request and response shapes of the storage API (seed 000's SCR/SDR, allocation and SD-GC steps). */
import { z } from "@hono/zod-openapi";
import { BundleIdSchema, BundleSchema, amountWh } from "../gc/accounts/apiSchemas";
import { ALLOCATION_STATUSES, CANCELLATION_STATUSES, GC_CANCELLATION_MODES } from "./schema";

/** A year of hours (a leap year has 8,784) fits in one submission. */
export const MAX_STORAGE_ROWS = 10_000;
/** Bundles one cancellation retires: one batch call, kept well inside a block. */
export const MAX_CANCELLATION_BUNDLES = 200;

const uuid = (what: string) => z.uuid({ error: `must be ${what} UUID` });
const instant = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with an offset (Z for UTC)" });
const hour = z.string({ error: "must be an ISO 8601 date-time" }).max(40).openapi({ example: "2024-07-02T00:00:00Z", description: "Start of a UTC hour; without an offset, read as UTC" });
const wh = z.union([z.number(), z.string().max(20)], { error: "must be a whole number of Wh" }).openapi({ example: 1_320_000 });

export const DeviceParams = z.object({ deviceId: uuid("a device").openapi({ param: { name: "deviceId", in: "path" } }) });
export const IdParams = z.object({ id: uuid("an id").openapi({ param: { name: "id", in: "path" } }) });

export const PositionRowSchema = z.strictObject({ hour, charge_wh: wh, discharge_wh: wh }).openapi("StoragePositionRow");
export const PositionTableSchema = z.strictObject({ rows: z.array(PositionRowSchema).min(1, "must hold at least one row").max(MAX_STORAGE_ROWS) }).openapi("StoragePositionTable");

export const AllocationRowSchema = z
  .strictObject({ hour, charge_hour: hour, gc_id: z.string().max(80), charge_wh: wh, discharge_wh: wh })
  .openapi("StorageAllocationRow", { description: "`charge_wh` of the GC bundle `gc_id`, produced and charged in `charge_hour`, came back as `discharge_wh` in the discharge hour `hour`" });
export const AllocationTableSchema = z.strictObject({ rows: z.array(AllocationRowSchema).min(1, "must hold at least one row").max(MAX_STORAGE_ROWS) }).openapi("StorageAllocationTable");

export const AllocationQuerySchema = z.object({
  cancellation: z.enum(GC_CANCELLATION_MODES, { error: `must be one of ${GC_CANCELLATION_MODES.join(", ")}` }).openapi({
    param: { name: "cancellation", in: "query" },
    description:
      "`cancel`: the active GCs the records name are cancelled for storage by this request (a part split off first); `require-cancelled`: they must already be cancelled for storage (POST /storage/cancellations)",
  }),
});

export const RecordQuerySchema = z.object({
  from: instant.optional().openapi({ description: "Records of hours starting at or after this instant" }),
  to: instant.optional().openapi({ description: "Records of hours starting before this instant" }),
  flow: z.enum(["charge", "discharge"]).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_STORAGE_ROWS).default(1_000),
  cursor: z
    .string()
    .regex(/^\d+:(charge|discharge)$/, "must be the nextCursor of the previous page")
    .optional(),
});

export const CancellationBodySchema = z
  .strictObject({
    accountId: uuid("an account"),
    bundles: z
      .array(z.strictObject({ id: BundleIdSchema, wh: amountWh.optional().openapi({ description: "Wh to cancel; all of the bundle when absent (a part is split off first)" }) }))
      .min(1, "must name at least one bundle")
      .max(MAX_CANCELLATION_BUNDLES, `must name at most ${MAX_CANCELLATION_BUNDLES} bundles`),
  })
  .openapi("StorageCancellationRequest");

const RatioSchema = z
  .object({ value: z.string().openapi({ example: "0.95188585", description: "8 decimals, rounded half to even" }), exact: z.string().openapi({ example: "1668100/1752416" }) })
  .nullable()
  .openapi("StorageRatio", { description: "Null when the volume it divides by is zero" });

export const StorageRecordSchema = z
  .object({
    id: z.string(),
    kind: z.enum(["SCR", "SDR"]),
    flow: z.enum(["charge", "discharge"]),
    hourStart: z.string(),
    hourEnd: z.string(),
    energyWh: z.string(),
    allocatedWh: z.string().openapi({ description: "Wh that allocations (all but failed ones) took from the record" }),
    uploadId: z.string(),
  })
  .openapi("StorageRecord");

export const RecordUploadSchema = z
  .object({
    uploadId: z.string(),
    deviceId: z.string(),
    sha256: z.string().openapi({ description: "Of the table as received, which is kept" }),
    chargeWh: z.string(),
    dischargeWh: z.string(),
    records: z.array(StorageRecordSchema),
  })
  .openapi("StorageRecordUpload");

export const RecordPageSchema = z.object({ items: z.array(StorageRecordSchema), nextCursor: z.string().nullable() }).openapi("StorageRecordPage");

export const CancellationSchema = z
  .object({
    id: z.string(),
    accountId: z.string(),
    allocationId: z.string().nullable(),
    status: z.enum(CANCELLATION_STATUSES),
    txHash: z.string().nullable().openapi({ description: "The retireBatch transaction (reason CancelledForStorage)" }),
    error: z.string().nullable(),
    items: z.array(z.object({ bundleId: z.string(), wh: z.string(), cancelledBundleId: z.string().nullable().openapi({ description: "The bundle retired: the one named, or the part split off it" }) })),
    createdAt: z.string(),
  })
  .openapi("StorageCancellation");

export const AllocationSchema = z
  .object({
    id: z.string(),
    deviceId: z.string(),
    accountId: z.string().openapi({ description: "The storage device's GC account: its GCs are cancelled, the SD-GCs issued into it" }),
    cancellation: z.enum(GC_CANCELLATION_MODES),
    status: z.enum(ALLOCATION_STATUSES),
    error: z.string().nullable().openapi({ description: "Why it failed, or why its last attempt stopped (resume it then)" }),
    volumes: z.object({ sdrVolumeWh: z.string(), gcsCancelledWh: z.string(), sdgcVolumeWh: z.string() }),
    factors: z.object({ sdrProportion: RatioSchema, efficiencyFactor: RatioSchema }),
    records: z.array(
      z.object({
        id: z.string(),
        row: z.number().int(),
        line: z.number().int().nullable(),
        hour: z.string(),
        chargeHour: z.string(),
        scrId: z.string(),
        sdrId: z.string(),
        gcId: z.string().openapi({ description: "As submitted" }),
        cancelledBundleId: z.string().openapi({ description: "The bundle whose Wh the record cancels: the one submitted, or the part split off it" }),
        chargeWh: z.string(),
        dischargeWh: z.string(),
        sdgcBundleId: z.string().nullable(),
      }),
    ),
    gcCancellation: z.object({ id: z.string(), status: z.enum(CANCELLATION_STATUSES), txHash: z.string().nullable() }).nullable(),
    sdgcs: z.array(BundleSchema),
    submittedBy: z.string(),
    createdAt: z.string(),
    issuedAt: z.string().nullable(),
  })
  .openapi("StorageAllocation");

export const AllocationListSchema = z.object({ items: z.array(AllocationSchema) }).openapi("StorageAllocationList");
