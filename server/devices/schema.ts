import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { organisations, users } from "../auth/schema";
import type { DeviceDescription, DeviceTypeCode, EnergySource, FuelCode, OffTaker, TechnologyType } from "./catalogue";
import type { TimeZoneSource } from "./timeZones";
import type { DeviceIssue } from "./validation";

export const devices = sqliteTable(
  "devices",
  {
    /** The platform's UUID; the external id is only the developer's own reference. */
    id: text("id").primaryKey(),
    organisationId: text("organisation_id")
      .notNull()
      .references(() => organisations.id),
    externalId: text("external_id").notNull(),
    projectName: text("project_name"),
    countryCode: text("country_code").notNull(),
    /** Device-local calendar date, YYYY-MM-DD. */
    commissioningDate: text("commissioning_date").notNull(),
    onboardedAt: text("onboarded_at").notNull(),
    capacityW: integer("capacity_w").notNull(),
    offTaker: text("off_taker").$type<OffTaker>(),
    fuelCode: text("fuel_code").$type<FuelCode>(),
    deviceTypeCode: text("device_type_code").$type<DeviceTypeCode>(),
    impactStory: text("impact_story"),
    deviceDescription: text("device_description").$type<DeviceDescription>(),
    /** Bit set over SDG_BENEFITS (see sdgMask). */
    sdgBenefits: integer("sdg_benefits").notNull(),
    address: text("address"),
    latitude: real("latitude"),
    longitude: real("longitude"),
    qualityLabels: text("quality_labels"),
    gridInterconnection: integer("grid_interconnection", { mode: "boolean" }).notNull(),
    energyStorage: integer("energy_storage", { mode: "boolean" }).notNull(),
    energyStorageCapacityWh: integer("energy_storage_capacity_wh"),
    timeZone: text("time_zone").notNull(),
    timeZoneSource: text("time_zone_source").$type<TimeZoneSource>().notNull(),
    yieldOverride: real("yield_override"),
    energySource: text("energy_source").$type<EnergySource>().notNull(),
    technologyType: text("technology_type").$type<TechnologyType>().notNull(),
    isStorage: integer("is_storage", { mode: "boolean" }).notNull(),
    grid: text("grid"),
    /** Optional fields a bulk upload could not accept; cleared field by field as they are corrected. */
    validationErrors: text("validation_errors", { mode: "json" }).$type<DeviceIssue[]>().notNull(),
    uploadJobId: text("upload_job_id"),
    createdBy: text("created_by")
      .notNull()
      .references(() => users.id),
    updatedAt: text("updated_at").notNull(),
  },
  // Lists are keyset-paginated on each sortable column then id. A developer's list walks an index that
  // starts with its organisation; platform-wide lists (administrators, auditors) walk the global ones.
  // Country, the most common filter, has its own pair in the default (newest first) order.
  (t) => [
    uniqueIndex("devices_organisation_external_id").on(t.organisationId, t.externalId),
    index("devices_organisation_onboarded").on(t.organisationId, t.onboardedAt, t.id),
    index("devices_organisation_commissioning").on(t.organisationId, t.commissioningDate, t.id),
    index("devices_organisation_capacity").on(t.organisationId, t.capacityW, t.id),
    index("devices_organisation_country").on(t.organisationId, t.countryCode, t.onboardedAt, t.id),
    index("devices_external_id").on(t.externalId, t.id),
    index("devices_onboarded").on(t.onboardedAt, t.id),
    index("devices_commissioning").on(t.commissioningDate, t.id),
    index("devices_capacity").on(t.capacityW, t.id),
    index("devices_country").on(t.countryCode, t.onboardedAt, t.id),
  ],
);

export const UPLOAD_JOB_STATUSES = ["queued", "processing", "completed", "failed"] as const;
export type UploadJobStatus = (typeof UPLOAD_JOB_STATUSES)[number];

/** A CSV bulk upload. The file itself is kept (seed: "stores the file in the database") for audit and re-runs. */
export const deviceUploadJobs = sqliteTable(
  "device_upload_jobs",
  {
    id: text("id").primaryKey(),
    organisationId: text("organisation_id")
      .notNull()
      .references(() => organisations.id),
    createdBy: text("created_by")
      .notNull()
      .references(() => users.id),
    fileName: text("file_name"),
    content: text("content").notNull(),
    status: text("status").$type<UploadJobStatus>().notNull(),
    /** Data rows consumed so far; a restarted job resumes after them. */
    processedRows: integer("processed_rows").notNull(),
    succeeded: integer("succeeded").notNull(),
    succeededWithErrors: integer("succeeded_with_errors").notNull(),
    failed: integer("failed").notNull(),
    /** Why the whole job stopped (a CSV syntax error), when it did. */
    error: text("error"),
    createdAt: text("created_at").notNull(),
    startedAt: text("started_at"),
    finishedAt: text("finished_at"),
  },
  (t) => [index("device_upload_jobs_organisation").on(t.organisationId, t.createdAt, t.id), index("device_upload_jobs_status").on(t.status)],
);

export const UPLOAD_ROW_STATUSES = ["Success", "SuccessWithValidationErrors", "Failed"] as const;
export type UploadRowStatus = (typeof UPLOAD_ROW_STATUSES)[number];

export const deviceUploadRows = sqliteTable(
  "device_upload_rows",
  {
    jobId: text("job_id")
      .notNull()
      .references(() => deviceUploadJobs.id, { onDelete: "cascade" }),
    /** 1 for the first data row after the header. */
    rowNumber: integer("row_number").notNull(),
    /** Line of the file where the row starts (quoted fields may span lines). */
    line: integer("line").notNull(),
    externalId: text("external_id"),
    /** Null when the row failed, or when its device has since been deleted. */
    deviceId: text("device_id").references(() => devices.id, { onDelete: "set null" }),
    status: text("status").$type<UploadRowStatus>().notNull(),
    errors: text("errors", { mode: "json" }).$type<DeviceIssue[]>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.rowNumber] }), index("device_upload_rows_device").on(t.deviceId)],
);
