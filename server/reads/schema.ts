import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "../auth/schema";
import { devices } from "../devices/schema";
import type { EnergyUnit } from "./units";
import type { OngoingType, ReadType, Rejection } from "./judgeRead";

/**
 * Every read ever submitted, accepted or rejected, with its verdict. Times are UTC milliseconds so
 * range scans compare integers. Wh values fit SQLite's integer exactly up to 2^53 (about 9 TWh per
 * value); larger values are refused at ingestion.
 */
export const meterReads = sqliteTable(
  "meter_reads",
  {
    id: integer("id").primaryKey(),
    deviceId: text("device_id")
      .notNull()
      .references(() => devices.id),
    type: text("type").$type<ReadType>().notNull(),
    status: text("status").$type<"accepted" | "rejected">().notNull(),
    /** The first aggregate/delta read (or the first after a long gap): sets the baseline, certifies nothing. */
    baseline: integer("baseline", { mode: "boolean" }).notNull(),
    /** Start of the certified period: given for history reads, the previous read's end otherwise. */
    startAt: integer("start_at"),
    endAt: integer("end_at").notNull(),
    /** The submitted value in Wh (meter value for aggregate reads, energy otherwise). */
    valueWh: integer("value_wh").notNull(),
    /** Certifiable energy; 0 for baselines and rejected reads. */
    energyWh: integer("energy_wh").notNull(),
    /** What the read would have certified had it been accepted (for the rejected-Wh totals). */
    claimedWh: integer("claimed_wh").notNull(),
    reasons: text("reasons", { mode: "json" }).$type<Rejection[]>().notNull(),
    submitted: text("submitted", { mode: "json" }).$type<SubmittedRead>().notNull(),
    receivedAt: integer("received_at").notNull(),
    /**
     * Arrived after issuance had already certified the device up to a later point: the next issuance run
     * must pick it up rather than assume everything before its last window was seen.
     */
    late: integer("late", { mode: "boolean" }).notNull().default(false),
    submittedBy: text("submitted_by")
      .notNull()
      .references(() => users.id),
    apiKeyId: text("api_key_id"),
  },
  (t) => [
    index("meter_reads_device_end").on(t.deviceId, t.endAt),
    index("meter_reads_device_status_end").on(t.deviceId, t.status, t.endAt),
  ],
);

/** The read exactly as the client sent it, kept for analysis of rejections. */
export interface SubmittedRead {
  type: string;
  start?: string;
  end: string;
  value: string;
  unit: EnergyUnit;
}

/** Where each device's aggregate/delta series stands, so a batch needs one row, not a history scan. */
export const deviceReadState = sqliteTable("device_read_state", {
  deviceId: text("device_id")
    .primaryKey()
    .references(() => devices.id),
  lockedType: text("locked_type").$type<OngoingType>(),
  lastEndAt: integer("last_end_at"),
  lastMeterWh: integer("last_meter_wh"),
  /** End of the last issuance window that certified this device (set by the issuance engine). */
  certifiedThrough: integer("certified_through"),
});

/** Administrator-edited specific yields per country; countries not listed use the built-in defaults. */
export const countryYields = sqliteTable("country_yields", {
  countryCode: text("country_code").primaryKey(),
  yieldKwhPerKwYear: real("yield_kwh_per_kw_year").notNull(),
  updatedAt: text("updated_at").notNull(),
  updatedBy: text("updated_by")
    .notNull()
    .references(() => users.id),
});
