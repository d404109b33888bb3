import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The simulated local I-REC registry's own books (development and tests only; a real adapter talks to
 * the I-REC registry instead). Serials number each Wh: `SIM-<country>-<12-digit sequence>`.
 */
export const irecSimulatedIssuances = sqliteTable("irec_simulated_issuances", {
  certificateId: text("certificate_id").primaryKey(),
  countryCode: text("country_code").notNull(),
  firstSequence: integer("first_sequence").notNull(),
  amountWh: integer("amount_wh").notNull(),
  redeemedWh: integer("redeemed_wh").notNull(),
  issuedAt: integer("issued_at").notNull(),
});

export const irecSimulatedRedemptions = sqliteTable("irec_simulated_redemptions", {
  id: text("id").primaryKey(),
  certificateId: text("certificate_id")
    .notNull()
    .references(() => irecSimulatedIssuances.certificateId),
  firstSequence: integer("first_sequence").notNull(),
  amountWh: integer("amount_wh").notNull(),
  beneficiary: text("beneficiary").notNull(),
  redeemedAt: integer("redeemed_at").notNull(),
});
