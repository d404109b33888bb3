import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "../auth/schema";
import { devices } from "../devices/schema";
import { gcAccounts, gcBundles } from "../gc/schema";
import type { Flow } from "./records";

/**
 * An asset position table as the storage validator submitted it (seed 000, step 9), kept verbatim for
 * audit: the records it gave are derived from it and never change.
 */
export const storageRecordUploads = sqliteTable(
  "storage_record_uploads",
  {
    id: text("id").primaryKey(),
    deviceId: text("device_id")
      .notNull()
      .references(() => devices.id),
    /** The table as received (CSV text, or the JSON rows serialised). */
    content: text("content").notNull(),
    contentType: text("content_type").notNull(),
    sha256: text("sha256").notNull(),
    submittedBy: text("submitted_by")
      .notNull()
      .references(() => users.id),
    submittedAt: integer("submitted_at").notNull(),
  },
  (t) => [index("storage_record_uploads_device").on(t.deviceId, t.submittedAt)],
);

/**
 * A storage charge or discharge record (SCR, SDR; seed 000 step 10): what a storage device charged or
 * discharged in one UTC hour. Immutable: nothing updates or deletes them, and an hour is recorded once.
 */
export const storageRecords = sqliteTable(
  "storage_records",
  {
    id: text("id").primaryKey(),
    deviceId: text("device_id")
      .notNull()
      .references(() => devices.id),
    uploadId: text("upload_id")
      .notNull()
      .references(() => storageRecordUploads.id),
    flow: text("flow").$type<Flow>().notNull(),
    /** UTC ms; the record covers [hourStart, hourStart + 1 h). */
    hourStart: integer("hour_start").notNull(),
    energyWh: integer("energy_wh").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("storage_records_device_flow_hour").on(t.deviceId, t.flow, t.hourStart), index("storage_records_upload").on(t.uploadId)],
);

/**
 * Whether an allocation request cancels the GCs it names itself (`cancel`: active ones are cancelled for
 * storage as part of the request) or requires them cancelled for storage beforehand (`require-cancelled`).
 */
export const GC_CANCELLATION_MODES = ["cancel", "require-cancelled"] as const;
export type GcCancellationMode = (typeof GC_CANCELLATION_MODES)[number];

/**
 * `cancelling`: stored, GCs still to cancel on chain; `issuing`: GCs cancelled, SD-GCs still to mint;
 * `issued`: done; `failed`: the chain refused a step before anything was cancelled, so the allocation
 * holds nothing. A request that stopped at `cancelling` or `issuing` (the chain did not answer) is resumed.
 */
export const ALLOCATION_STATUSES = ["cancelling", "issuing", "issued", "failed"] as const;
export type AllocationStatus = (typeof ALLOCATION_STATUSES)[number];

/** One submission of allocation records (seed 000, steps 11 to 13), with the volumes and factors it gave. */
export const storageAllocations = sqliteTable(
  "storage_allocations",
  {
    id: text("id").primaryKey(),
    deviceId: text("device_id")
      .notNull()
      .references(() => devices.id),
    /** The account whose GCs are cancelled and which receives the SD-GCs. */
    accountId: text("account_id")
      .notNull()
      .references(() => gcAccounts.id),
    cancellation: text("cancellation").$type<GcCancellationMode>().notNull(),
    status: text("status").$type<AllocationStatus>().notNull(),
    /** The allocation records as received. */
    content: text("content").notNull(),
    contentType: text("content_type").notNull(),
    sdrVolumeWh: integer("sdr_volume_wh").notNull(),
    gcsCancelledWh: integer("gcs_cancelled_wh").notNull(),
    sdgcVolumeWh: integer("sdgc_volume_wh").notNull(),
    /** Exact ratios `numerator/denominator`; null when the volume they divide by is zero. */
    sdrProportion: text("sdr_proportion"),
    efficiencyFactor: text("efficiency_factor"),
    /** Why the allocation failed, or why its last attempt stopped. */
    error: text("error"),
    submittedBy: text("submitted_by")
      .notNull()
      .references(() => users.id),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    issuedAt: integer("issued_at"),
  },
  (t) => [index("storage_allocations_device").on(t.deviceId, t.createdAt), index("storage_allocations_status").on(t.status)],
);

/**
 * An allocated storage record (seed 000 step 12): one allocation row matched to its SCR and SDR, naming the
 * GC bundle whose Wh it cancels. Mutable as the allocation proceeds: `gcBundleId` moves to the split-off
 * part a partial cancellation actually cancels, and `sdgcBundleId` is set once the SD-GC is minted.
 */
export const allocatedStorageRecords = sqliteTable(
  "allocated_storage_records",
  {
    id: text("id").primaryKey(),
    allocationId: text("allocation_id")
      .notNull()
      .references(() => storageAllocations.id),
    /** Data row of the submission (1 = first after the header) and the file line it started on. */
    row: integer("row").notNull(),
    line: integer("line"),
    scrId: text("scr_id")
      .notNull()
      .references(() => storageRecords.id),
    sdrId: text("sdr_id")
      .notNull()
      .references(() => storageRecords.id),
    /** The GC bundle id as submitted. */
    submittedGcId: text("submitted_gc_id").notNull(),
    /** The bundle whose Wh this record cancels: the submitted one, or the part split off it. */
    gcBundleId: text("gc_bundle_id")
      .notNull()
      .references(() => gcBundles.id),
    chargeWh: integer("charge_wh").notNull(),
    dischargeWh: integer("discharge_wh").notNull(),
    sdgcBundleId: text("sdgc_bundle_id").references(() => gcBundles.id),
  },
  (t) => [
    index("allocated_storage_records_allocation").on(t.allocationId, t.row),
    index("allocated_storage_records_gc").on(t.gcBundleId),
    index("allocated_storage_records_sdr").on(t.sdrId),
    index("allocated_storage_records_scr").on(t.scrId),
  ],
);

/** `cancelling`: stored, not yet done on chain (resumable); `cancelled`: done; `failed`: the chain refused it. */
export const CANCELLATION_STATUSES = ["cancelling", "cancelled", "failed"] as const;
export type CancellationStatus = (typeof CANCELLATION_STATUSES)[number];

/**
 * GCs cancelled for storage (retired on chain with reason CancelledForStorage): ahead of an allocation (the
 * three-operation workflow of seed 000 step 11), or by an allocation that cancels the GCs it names. Stored
 * before anything is sent, so a request cut short is finished from here; the chain's `Retired` events carry
 * this row's id as their details hash, which tells whether the retirement was already mined.
 */
export const storageCancellations = sqliteTable(
  "storage_cancellations",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => gcAccounts.id),
    /** The allocation that asked for it, if any. */
    allocationId: text("allocation_id").references(() => storageAllocations.id),
    status: text("status").$type<CancellationStatus>().notNull(),
    txHash: text("tx_hash"),
    error: text("error"),
    createdBy: text("created_by")
      .notNull()
      .references(() => users.id),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("storage_cancellations_account").on(t.accountId, t.createdAt), index("storage_cancellations_status").on(t.status)],
);

/** One bundle of a cancellation: `wh` of `submittedBundleId`; a part is split off first and `bundleId` names it. */
export const storageCancellationItems = sqliteTable(
  "storage_cancellation_items",
  {
    cancellationId: text("cancellation_id")
      .notNull()
      .references(() => storageCancellations.id),
    position: integer("position").notNull(),
    submittedBundleId: text("submitted_bundle_id")
      .notNull()
      .references(() => gcBundles.id),
    wh: integer("wh").notNull(),
    /** The bundle retired: the submitted one when cancelled whole, else the part split off it; null until known. */
    bundleId: text("bundle_id").references(() => gcBundles.id),
  },
  (t) => [primaryKey({ columns: [t.cancellationId, t.position] }), index("storage_cancellation_items_submitted").on(t.submittedBundleId)],
);
