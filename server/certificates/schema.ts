import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { organisations, users } from "../auth/schema";
import type { RedemptionStandard } from "./claimDetails";

export const CLAIM_STATES = ["pending", "redemption-pending", "confirmed", "prepared"] as const;
export type ClaimState = (typeof CLAIM_STATES)[number];

export const CLAIM_CUSTODIES = ["managed", "self"] as const;
export type ClaimCustody = (typeof CLAIM_CUSTODIES)[number];

/**
 * Claim details the platform published: the chain's `Retired` event carries only their hash, so the text
 * behind it must outlive every crash. A managed-wallet claim is written `pending` before its transaction
 * is sent (and deleted if the chain refuses it), then `confirmed`. An I-REC claim is redeemed at the I-REC
 * registry only once the chain burned its Wh, so a refused burn never leaves a redemption behind; until the
 * registry answered it is `redemption-pending` (the burn is final, the redemption is retried by claim id).
 * A self-custody buyer's details are `prepared`: the buyer sends the claim from its own wallet, and the
 * mirror's retirement with the same hash shows it happened.
 */
export const certificateClaims = sqliteTable(
  "certificate_claims",
  {
    id: text("id").primaryKey(),
    /** Token id, decimal. */
    certificateId: text("certificate_id").notNull(),
    organisationId: text("organisation_id")
      .notNull()
      .references(() => organisations.id),
    /** Lower-case address the Wh are burned from. */
    holder: text("holder").notNull(),
    amountWh: integer("amount_wh").notNull(),
    redeemAs: text("redeem_as").$type<RedemptionStandard>().notNull(),
    custody: text("custody").$type<ClaimCustody>().notNull(),
    /** The canonical JSON the hash was computed over, byte for byte. */
    details: text("details").notNull(),
    detailsHash: text("details_hash").notNull(),
    state: text("state").$type<ClaimState>().notNull(),
    txHash: text("tx_hash"),
    /** What the I-REC registry redeemed, once it did (I-REC claims only; not part of the hashed details). */
    irecRedemptionId: text("irec_redemption_id"),
    irecFirstSerial: text("irec_first_serial"),
    irecLastSerial: text("irec_last_serial"),
    /** Why the I-REC registry has not redeemed a `redemption-pending` claim yet. */
    error: text("error"),
    createdBy: text("created_by")
      .notNull()
      .references(() => users.id),
    /** Unix ms. */
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("certificate_claims_details_hash").on(t.detailsHash),
    index("certificate_claims_certificate").on(t.certificateId, t.createdAt),
    index("certificate_claims_organisation").on(t.organisationId, t.createdAt),
  ],
);
