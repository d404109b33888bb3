import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { organisations, users } from "../auth/schema";
import { devices } from "../devices/schema";
import type { GcAttributes } from "./attributes";

/** Seed 000's registry roles, held per account by its linked users. */
export const GC_ROLES = ["administrator", "production", "trading", "audit", "storage-validator"] as const;
export type GcRole = (typeof GC_ROLES)[number];

export const GC_CUSTODY = ["managed", "self"] as const;
export type GcCustody = (typeof GC_CUSTODY)[number];

/**
 * A registry account (seed 000): belongs to an organisation, links several users, and has its own
 * on-chain address, either managed (the platform holds its sealed key and sends its transactions) or
 * self-custody (the user signs; the API tells them what to send). Its whitelist is mirrored on chain by
 * the registry's GC transfer allowlist, which is enabled for every account at creation.
 */
export const gcAccounts = sqliteTable(
  "gc_accounts",
  {
    id: text("id").primaryKey(),
    organisationId: text("organisation_id")
      .notNull()
      .references(() => organisations.id),
    name: text("name").notNull(),
    /** EIP-55 checksummed. */
    address: text("address").notNull().unique(),
    custody: text("custody").$type<GcCustody>().notNull(),
    /** Managed accounts only: the key sealed by the vault with the account id as associated data. */
    sealedKey: text("sealed_key"),
    /** The transaction that enabled the allowlist on chain (managed accounts), or null until a self-custody user did. */
    allowlistTxHash: text("allowlist_tx_hash"),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by")
      .notNull()
      .references(() => users.id),
  },
  (t) => [index("gc_accounts_organisation").on(t.organisationId), uniqueIndex("gc_accounts_organisation_name").on(t.organisationId, t.name)],
);

/** Which users act for an account, and in which roles. */
export const gcAccountUsers = sqliteTable(
  "gc_account_users",
  {
    accountId: text("account_id")
      .notNull()
      .references(() => gcAccounts.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    role: text("role").$type<GcRole>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("gc_account_users_role").on(t.accountId, t.userId, t.role), index("gc_account_users_user").on(t.userId)],
);

/** `accountId` accepts transfers from `senderAccountId` (seed 000's two-way whitelist: each side lists the other). */
export const gcWhitelist = sqliteTable(
  "gc_whitelist",
  {
    accountId: text("account_id")
      .notNull()
      .references(() => gcAccounts.id),
    senderAccountId: text("sender_account_id")
      .notNull()
      .references(() => gcAccounts.id),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by")
      .notNull()
      .references(() => users.id),
    txHash: text("tx_hash"),
    /**
     * When the removal of a self-custody account's entry was asked for: the holder sends it, and the chain
     * accepts the sender until then, so the entry stays until chain-sync sees the removal on chain.
     */
    removalRequestedAt: integer("removal_requested_at"),
  },
  (t) => [uniqueIndex("gc_whitelist_pair").on(t.accountId, t.senderAccountId)],
);

/** `pending`: reserved by the mint outbox (server/gc/minting.ts), not yet confirmed on chain; no operation may touch it. */
export const GC_BUNDLE_STATUSES = ["pending", "active", "cancelled", "claimed", "split", "exported", "withdrawn", "cancelled-for-storage"] as const;
export type GcBundleStatus = (typeof GC_BUNDLE_STATUSES)[number];

export const GC_ORIGINS = ["production", "storage", "imported"] as const;
export type GcBundleOrigin = (typeof GC_ORIGINS)[number];

/**
 * A GC bundle: one ERC-1155 token id, held whole by one account (a part is split off first). Its
 * certificate ids `rangeStart`..`rangeEnd` (inclusive, one per Wh) are contiguous per device and never
 * overlap; a (device, hour) is issued once, whatever state its bundle is in later (the partial unique index).
 */
export const gcBundles = sqliteTable(
  "gc_bundles",
  {
    /** `[ProjectID]-[DateCode]-[EAC_ID]-[SequentialNumber]-[Energy_ID]` (seed 003; see bundleIds.ts). */
    id: text("id").primaryKey(),
    /** The ERC-1155 id (decimal), once minted. */
    tokenId: text("token_id").unique(),
    accountId: text("account_id")
      .notNull()
      .references(() => gcAccounts.id),
    deviceId: text("device_id")
      .notNull()
      .references(() => devices.id),
    origin: text("origin").$type<GcBundleOrigin>().notNull(),
    status: text("status").$type<GcBundleStatus>().notNull(),
    /** Production period, UTC ms, at most an hour. */
    startAt: integer("start_at").notNull(),
    endAt: integer("end_at").notNull(),
    energyWh: integer("energy_wh").notNull(),
    rangeStart: integer("range_start").notNull(),
    rangeEnd: integer("range_end").notNull(),
    attributes: text("attributes", { mode: "json" }).$type<GcAttributes>().notNull(),
    /** Split children name their parent; the parent's status is `split`. */
    parentId: text("parent_id"),
    /** Imported bundles: the registry they came from and their id there. */
    sourceRegistry: text("source_registry"),
    sourceId: text("source_id"),
    /** The mint (or split) transaction. */
    txHash: text("tx_hash"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("gc_bundles_device_hour").on(t.deviceId, t.startAt).where(sql`${t.origin} = 'production' AND ${t.parentId} IS NULL`),
    uniqueIndex("gc_bundles_source").on(t.sourceRegistry, t.sourceId).where(sql`${t.sourceId} IS NOT NULL`),
    index("gc_bundles_account_status").on(t.accountId, t.status),
    index("gc_bundles_device_range").on(t.deviceId, t.rangeEnd),
    index("gc_bundles_parent").on(t.parentId),
  ],
);

/** Every bundle operation, who did it and when, failed attempts included (seed 000's action log). */
export const gcActions = sqliteTable(
  "gc_actions",
  {
    id: text("id").primaryKey(),
    at: integer("at").notNull(),
    userId: text("user_id").references(() => users.id),
    accountId: text("account_id").references(() => gcAccounts.id),
    action: text("action").notNull(),
    bundleIds: text("bundle_ids", { mode: "json" }).$type<string[]>().notNull(),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    outcome: text("outcome").$type<"succeeded" | "failed">().notNull(),
    error: text("error"),
    txHash: text("tx_hash"),
  },
  (t) => [index("gc_actions_account_at").on(t.accountId, t.at)],
);
