import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "../../auth/schema";
import { gcAccounts, gcActions, gcBundles } from "../schema";

export const GC_RETIREMENT_REASONS = ["cancelled", "claimed"] as const;
export type GcRetirementReason = (typeof GC_RETIREMENT_REASONS)[number];

/**
 * A bundle retired for a beneficiary (cancelled or claimed), as the CDS EAC list and cancellation
 * statements publish it (seeds 002 and 004). One row per bundle: a bundle is retired whole (a part is
 * split off first). `details` is the exact canonical JSON whose keccak256 is the `detailsHash` the chain's
 * `Retired` event carries, so anyone can match the published details to the event.
 */
export const gcRetirements = sqliteTable(
  "gc_retirements",
  {
    id: text("id").primaryKey(),
    bundleId: text("bundle_id")
      .notNull()
      .unique()
      .references(() => gcBundles.id),
    accountId: text("account_id")
      .notNull()
      .references(() => gcAccounts.id),
    actionId: text("action_id")
      .notNull()
      .references(() => gcActions.id),
    reason: text("reason").$type<GcRetirementReason>().notNull(),
    /** The beneficiary's id, as written on chain. */
    beneficiary: text("beneficiary").notNull(),
    /** What the id names (CDS `beneficiary_type`), e.g. `customer`. */
    beneficiaryType: text("beneficiary_type").notNull(),
    /** Where the beneficiary takes the energy (region or grid), when known. */
    beneficiaryLocation: text("beneficiary_location"),
    details: text("details").notNull(),
    detailsHash: text("details_hash").notNull(),
    txHash: text("tx_hash").notNull(),
    retiredAt: integer("retired_at").notNull(),
    retiredBy: text("retired_by")
      .notNull()
      .references(() => users.id),
  },
  (t) => [index("gc_retirements_beneficiary").on(t.beneficiary, t.retiredAt, t.id), index("gc_retirements_retired").on(t.retiredAt, t.id)],
);
