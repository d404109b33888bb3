/** Response shapes of the devices API, as documented in /openapi.json. */
import { z } from "@hono/zod-openapi";
import {
  DEVICE_DESCRIPTIONS,
  DEVICE_TYPE_CODES,
  ENERGY_SOURCES,
  FUEL_CODES,
  OFF_TAKERS,
  SDG_BENEFITS,
  SDG_DESCRIPTION,
  TECHNOLOGY_TYPES,
} from "./catalogue";
import { UPLOAD_JOB_STATUSES, UPLOAD_ROW_STATUSES } from "./schema";
import { TIME_ZONE_SOURCES } from "./timeZones";

const IssueSchema = z.object({ field: z.string(), message: z.string() });

export const DeviceSchema = z
  .object({
    id: z.string().openapi({ description: "The platform's UUID for the device" }),
    organisationId: z.string(),
    externalId: z.string(),
    projectName: z.string().nullable(),
    countryCode: z.string(),
    commissioningDate: z.string().openapi({ description: "Device-local date, YYYY-MM-DD" }),
    onboardedAt: z.string().openapi({ description: "When the device was added (UTC)" }),
    capacity: z.number().openapi({ description: "kW" }),
    offTaker: z.enum(OFF_TAKERS).nullable(),
    fuelCode: z.enum(FUEL_CODES).nullable(),
    deviceTypeCode: z.enum(DEVICE_TYPE_CODES).nullable(),
    impactStory: z.string().nullable(),
    deviceDescription: z.enum(DEVICE_DESCRIPTIONS).nullable(),
    sdgBenefits: z.array(z.enum(SDG_BENEFITS)).openapi({ description: SDG_DESCRIPTION }),
    address: z.string().nullable(),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    qualityLabels: z.string().nullable(),
    gridInterconnection: z.boolean(),
    energyStorage: z.boolean(),
    energyStorageCapacity: z.number().nullable().openapi({ description: "kWh" }),
    timeZone: z.string(),
    timeZoneSource: z.enum(TIME_ZONE_SOURCES).openapi({ description: "Whether the zone was given, or derived from the coordinates or the country" }),
    yieldOverride: z.number().nullable().openapi({ description: "kWh/kW/year" }),
    energySource: z.enum(ENERGY_SOURCES),
    technologyType: z.enum(TECHNOLOGY_TYPES),
    isStorage: z.boolean(),
    grid: z.string().nullable(),
    validationErrors: z.array(IssueSchema).openapi({
      description: "Optional fields a bulk upload could not accept (stored empty); each clears when the field is updated",
    }),
    uploadJobId: z.string().nullable().openapi({ description: "The bulk upload that created the device, if any" }),
    createdBy: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Device");

export const DevicePageSchema = z
  .object({
    items: z.array(DeviceSchema),
    nextCursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last page" }),
  })
  .openapi("DevicePage");

export const UploadJobSchema = z
  .object({
    id: z.string(),
    organisationId: z.string(),
    createdBy: z.string(),
    fileName: z.string().nullable(),
    status: z.enum(UPLOAD_JOB_STATUSES),
    processedRows: z.number().int(),
    succeeded: z.number().int(),
    succeededWithErrors: z.number().int(),
    failed: z.number().int(),
    error: z.string().nullable().openapi({ description: "Why the job stopped early (the file became unreadable), if it did" }),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi("DeviceUploadJob");

export const UploadJobPageSchema = z.object({ items: z.array(UploadJobSchema), nextCursor: z.string().nullable() }).openapi("DeviceUploadJobPage");

export const UploadRowSchema = z
  .object({
    rowNumber: z.number().int().openapi({ description: "1 for the first row after the header" }),
    line: z.number().int().openapi({ description: "Line of the file where the row starts" }),
    externalId: z.string().nullable(),
    deviceId: z.string().nullable(),
    status: z.enum(UPLOAD_ROW_STATUSES).openapi({
      description:
        "Success; SuccessWithValidationErrors (stored, the listed optional fields left empty: update them); Failed (nothing stored: fix the row and upload it again)",
    }),
    errors: z.array(IssueSchema),
  })
  .openapi("DeviceUploadRow");

export const UploadRowPageSchema = z.object({ items: z.array(UploadRowSchema), nextCursor: z.string().nullable() }).openapi("DeviceUploadRowPage");
