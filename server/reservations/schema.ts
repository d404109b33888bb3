import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { organisations, users } from "../auth/schema";
import { devices } from "../devices/schema";
import type { Frequency } from "../issuance/windows";

/** Indexed like the contract's `Standard` enum. */
export const STANDARDS = ["D-REC", "I-REC"] as const;
export type Standard = (typeof STANDARDS)[number];

export const RESERVATION_STATUSES = ["active", "ended"] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export const END_REASONS = ["deleted", "expired", "target-reached"] as const;
export type EndReason = (typeof END_REASONS)[number];

export const RELEASE_REASONS = ["removed", "ended", "manual"] as const;
export type ReleaseReason = (typeof RELEASE_REASONS)[number];

/**
 * A buyer's reservation (seed 001 "Buyer Reservation"). Its window, frequency, standard, target and wallet
 * are written on chain at creation and never change; times are UTC milliseconds, whole seconds because
 * the chain keeps seconds.
 */
export const reservations = sqliteTable(
  "reservations",
  {
    id: text("id").primaryKey(),
    /** chainRef(id): the reservation's id in the on-chain log. */
    chainRef: text("chain_ref").notNull().unique(),
    buyerOrganisationId: text("buyer_organisation_id")
      .notNull()
      .references(() => organisations.id),
    name: text("name").notNull(),
    standard: text("standard").$type<Standard>().notNull(),
    frequency: text("frequency").$type<Frequency>().notNull(),
    startAt: integer("start_at").notNull(),
    /** Exclusive. */
    endAt: integer("end_at").notNull(),
    /** Exact Wh of the target volume given in MWh. */
    targetWh: integer("target_wh").notNull(),
    canExceedTarget: integer("can_exceed_target", { mode: "boolean" }).notNull(),
    /** EIP-55 checksummed; one of the buyer organisation's wallets when the reservation was made. */
    walletAddress: text("wallet_address").notNull(),
    status: text("status").$type<ReservationStatus>().notNull(),
    endReason: text("end_reason").$type<EndReason>(),
    /** When generation stopped counting: the chain's end time (block time, capped at endAt). */
    endedAt: integer("ended_at"),
    /** Why the last automatic release failed; cleared when the reservation ends. */
    releaseError: text("release_error"),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by")
      .notNull()
      .references(() => users.id),
    createTxHash: text("create_tx_hash").notNull(),
    /** Null when the chain ended it in a transaction the platform did not send (see recordReservationEnded). */
    endTxHash: text("end_tx_hash"),
    /**
     * What the issuance engine last planned it from (see server/issuance/planWatermark.ts): a digest of its
     * inputs and the newest meter read then. Null until planned, and whenever a failed job's reads are released.
     */
    planDigest: text("plan_digest"),
    plannedReadId: integer("planned_read_id"),
  },
  // Buyers list their own newest first; the release job walks active ones by end time.
  (t) => [index("reservations_buyer_created").on(t.buyerOrganisationId, t.createdAt, t.id), index("reservations_status_end").on(t.status, t.endAt)]
);

/** Each device's stay in a reservation: added, then released (removed, at the end, or by hand). */
export const reservationDevices = sqliteTable(
  "reservation_devices",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    reservationId: text("reservation_id")
      .notNull()
      .references(() => reservations.id),
    deviceId: text("device_id")
      .notNull()
      .references(() => devices.id),
    addedAt: integer("added_at").notNull(),
    addTxHash: text("add_tx_hash").notNull(),
    releasedAt: integer("released_at"),
    releaseTxHash: text("release_tx_hash"),
    releaseReason: text("release_reason").$type<ReleaseReason>(),
  },
  (t) => [
    // The database half of "a device is in at most one active reservation" (the contract is the other).
    uniqueIndex("reservation_devices_one_active")
      .on(t.deviceId)
      .where(sql`${t.releasedAt} IS NULL`),
    index("reservation_devices_reservation").on(t.reservationId),
    index("reservation_devices_device_released").on(t.deviceId, t.releasedAt),
  ]
);
