/** Request and response shapes of the GC accounts and bundles API. Wh amounts and token ids are decimal strings. */
import { z } from "@hono/zod-openapi";
import { choiceOf, commaList } from "../../devices/listing";
import { ENERGY_SOURCES } from "../../devices/catalogue";
import { CURSOR, LIMIT } from "../../chain/pagination";
import { WalletAddressSchema } from "../../wallets/routes";
import { bundleIdError } from "../bundleIds";
import { GC_BUNDLE_STATUSES, GC_CUSTODY, GC_ORIGINS, GC_ROLES } from "../schema";
import { ACCOUNT_OPERATIONS } from "./roles";
import { MAX_BUNDLES_PER_OPERATION, MAX_SPLIT_CHILDREN } from "./operations";

const instant = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with an offset (Z for UTC)" });
const text = (max: number) => z.string({ error: "must be text" }).trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);
const accountId = (what: string) => z.uuid({ error: `must be ${what} UUID` });
const roles = z.array(choiceOf(GC_ROLES)).openapi({ description: `Roles on the account: ${GC_ROLES.join(", ")}` });
export const amountWh = z
  .string({ error: "must be a whole number of Wh in decimal digits (a string)" })
  .regex(/^[1-9]\d{0,15}$/, "must be a positive whole number of Wh in decimal digits, at most 16 of them")
  .transform((value) => BigInt(value))
  .openapi({ type: "string", example: "500000" });
export const BundleIdSchema = z
  .string()
  .superRefine((value, ctx) => {
    const error = bundleIdError(value);
    if (error) ctx.addIssue({ code: "custom", message: error });
  })
  .openapi({ example: "GC101-20240928-20003-0001-0750000" });
const bundleIds = z
  .array(BundleIdSchema)
  .min(1, "must name at least one bundle")
  .max(MAX_BUNDLES_PER_OPERATION, `must name at most ${MAX_BUNDLES_PER_OPERATION} bundles`);

export const AccountParams = z.object({ id: accountId("an account").openapi({ param: { name: "id", in: "path" } }) });
export const MemberParams = AccountParams.extend({ userId: z.uuid({ error: "must be a user UUID" }).openapi({ param: { name: "userId", in: "path" } }) });
export const BundleParams = z.object({ id: BundleIdSchema.openapi({ param: { name: "id", in: "path" } }) });

const PendingCallSchema = z
  .object({ function: z.string(), args: z.record(z.string(), z.unknown()) })
  .openapi("GcPendingCall", { description: "A registry call the self-custody holder must send from the account's address" });

const MemberSchema = z.object({ userId: z.string(), email: z.string(), firstName: z.string(), lastName: z.string(), roles }).openapi("GcAccountUser");

const WhitelistEntrySchema = z
  .object({
    accountId: z.string().openapi({ description: "The sender this account accepts" }),
    name: z.string(),
    organisationId: z.string(),
    organisationName: z.string(),
    address: z.string(),
    addedAt: z.string(),
    txHash: z.string().nullable().openapi({ description: "Where the account listed the sender on chain; null while a self-custody holder has not sent it" }),
    removalPending: z.boolean().openapi({ description: "A removal was asked for that the chain does not show yet: until it does, the sender is still accepted" }),
  })
  .openapi("GcWhitelistEntry");

export const AccountSchema = z
  .object({
    id: z.string(),
    organisationId: z.string(),
    name: z.string(),
    address: z.string().openapi({ description: "EIP-55; where the account's GCs are held on chain" }),
    custody: z.enum(GC_CUSTODY).openapi({ description: "`managed`: the platform holds the sealed key and sends; `self`: the organisation's own wallet" }),
    allowlist: z.object({ enabled: z.boolean(), txHash: z.string().nullable() }).openapi({ description: "The on-chain GC transfer allowlist mirroring the whitelist" }),
    createdAt: z.string(),
    createdBy: z.string(),
    yourRoles: roles,
    yourOperations: z.array(z.enum(ACCOUNT_OPERATIONS)).openapi({ description: "What the caller may do with the account" }),
  })
  .openapi("GcAccount");

export const AccountDetailSchema = AccountSchema.extend({ users: z.array(MemberSchema), whitelist: z.array(WhitelistEntrySchema) }).openapi("GcAccountDetail");

export const AccountListQuerySchema = z.object({
  organisationId: z.uuid({ error: "must be a UUID" }).optional().openapi({ description: "Platform administrators and auditors: one organisation's accounts only" }),
});

export const CreateAccountSchema = z
  .strictObject({
    name: text(100),
    custody: choiceOf(GC_CUSTODY).default("managed"),
    address: WalletAddressSchema.optional().openapi({ description: "Self-custody only: a wallet your organisation has bound" }),
    organisationId: z.uuid({ error: "must be a UUID" }).optional().openapi({ description: "Platform administrators: the developer or buyer organisation the account belongs to" }),
    users: z
      .array(z.strictObject({ userId: z.uuid({ error: "must be a user UUID" }), roles: roles.min(1, "must hold at least one role") }))
      .max(100, "must list at most 100 users")
      .default([])
      .openapi({ description: "Users of the organisation and their roles; an organisation admin who creates the account administers it" }),
  })
  .openapi("GcAccountInput");

export const CreatedAccountSchema = z
  .object({
    account: AccountDetailSchema,
    pendingCalls: z.array(PendingCallSchema),
    chainError: z.string().nullable().openapi({ description: "Why the allowlist is not enabled on chain yet (retry with POST /gc/accounts/{id}/chain-sync)" }),
  })
  .openapi("GcCreatedAccount");

export const SyncedAccountSchema = z.object({ account: AccountDetailSchema, pendingCalls: z.array(PendingCallSchema) }).openapi("GcSyncedAccount");

export const MemberRolesSchema = z.strictObject({ roles: roles.openapi({ description: "The user's roles from now on; an empty list unlinks the user" }) }).openapi("GcAccountUserRoles");

export const WhitelistChangeSchema = z
  .strictObject({
    add: z.array(accountId("an account")).max(100, "must list at most 100 accounts").default([]).openapi({ description: "Accounts to accept transfers from" }),
    remove: z.array(accountId("an account")).max(100, "must list at most 100 accounts").default([]).openapi({ description: "Accounts to stop accepting transfers from" }),
  })
  .openapi("GcWhitelistChange");

export const WhitelistSchema = z
  .object({ accountId: z.string(), entries: z.array(WhitelistEntrySchema), pendingCalls: z.array(PendingCallSchema) })
  .openapi("GcWhitelist");

export const ActionSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    userId: z.string().nullable(),
    accountId: z.string().nullable(),
    action: z.string().openapi({ description: "account.create, account.users, whitelist.change, whitelist.removed (a removal seen on chain), split, transfer, transfer.received, cancel, claim, withdraw, …" }),
    bundleIds: z.array(z.string()),
    details: z.record(z.string(), z.unknown()),
    outcome: z.enum(["succeeded", "failed"]),
    error: z.string().nullable(),
    txHash: z.string().nullable(),
  })
  .openapi("GcAction");

export const ActionListQuerySchema = z.object({ action: z.string().max(50).optional(), limit: LIMIT, cursor: CURSOR });
export const ActionPageSchema = z.object({ items: z.array(ActionSchema), nextCursor: z.string().nullable() }).openapi("GcActionPage");

export const BundleSchema = z
  .object({
    id: z.string().openapi({ description: "[ProjectID]-[DateCode]-[EAC_ID]-[SequentialNumber]-[Energy_ID] (seed 003)" }),
    tokenId: z.string().nullable().openapi({ description: "ERC-1155 id, decimal; null while pending" }),
    accountId: z.string(),
    deviceId: z.string(),
    origin: z.enum(GC_ORIGINS),
    status: z.enum(GC_BUNDLE_STATUSES),
    periodStart: z.string().openapi({ description: "UTC" }),
    periodEnd: z.string().openapi({ description: "UTC, exclusive" }),
    energyWh: z.string(),
    certificateIds: z.object({ from: z.string(), to: z.string() }).openapi({ description: "Inclusive; one certificate per Wh, contiguous per device" }),
    attributes: z.record(z.string(), z.unknown()).openapi({ description: "EnergyTag attributes, fixed at issuance" }),
    parentId: z.string().nullable(),
    sourceRegistry: z.string().nullable(),
    sourceId: z.string().nullable(),
    txHash: z.string().nullable().openapi({ description: "The mint or split transaction" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("GcBundle");

export const BundleDetailSchema = BundleSchema.extend({
  ancestors: z.array(z.string()).openapi({ description: "Bundles it was split from, the root first and its parent last" }),
  children: z.array(z.string()).openapi({ description: "Bundles it was split into, in certificate id order" }),
}).openapi("GcBundleDetail");

export const BundleQuerySchema = z.object({
  accountId: accountId("an account"),
  deviceId: z.uuid({ error: "must be a device UUID" }).optional(),
  status: commaList(choiceOf(GC_BUNDLE_STATUSES), "Any of these statuses"),
  origin: commaList(choiceOf(GC_ORIGINS), "Any of these origins"),
  energySource: commaList(choiceOf(ENERGY_SOURCES), "Any of these energy sources"),
  periodFrom: instant.optional().openapi({ description: "Production periods starting at or after this time" }),
  periodTo: instant.optional().openapi({ description: "Production periods ending at or before this time" }),
  limit: LIMIT,
  cursor: CURSOR,
});

export const BundlePageSchema = z.object({ items: z.array(BundleSchema), nextCursor: z.string().nullable() }).openapi("GcBundlePage");

export const SplitSchema = z
  .strictObject({
    amounts: z
      .array(amountWh)
      .min(2, "a split makes at least two children")
      .max(MAX_SPLIT_CHILDREN, `a split makes at most ${MAX_SPLIT_CHILDREN} children`)
      .openapi({ description: "Each child's Wh, in order; they must add up to the parent's energy exactly" }),
  })
  .openapi("GcSplit");

export const SplitResultSchema = z.object({ parent: BundleSchema, children: z.array(BundleSchema), txHash: z.string() }).openapi("GcSplitResult");

export const TransferSchema = z
  .strictObject({
    sourceAccountId: accountId("an account"),
    targetAccountId: accountId("an account"),
    bundleIds,
    amountWh: amountWh.optional().openapi({ description: "Transfer only this many Wh of the one bundle named: it is split first, and the rest stays" }),
  })
  .openapi("GcTransfer");

export const RetireSchema = z
  .strictObject({
    accountId: accountId("an account"),
    bundleIds,
    amountWh: amountWh.optional().openapi({ description: "Retire only this many Wh of the one bundle named: it is split first, and the rest stays" }),
    beneficiary: text(200).openapi({ description: "Who the energy is retired for (on chain, in the Retired event); e.g. a customer id" }),
    beneficiaryType: text(50).default("customer").openapi({ description: "What the beneficiary id names (CDS beneficiary_type)" }),
    beneficiaryLocation: text(100).optional().openapi({ description: "Where the beneficiary takes the energy (region or grid), for CDS asset_destination" }),
    purpose: text(1000).optional().openapi({ description: "What the retirement is for; part of the hashed details" }),
  })
  .openapi("GcRetirement");

export const OperationResultSchema = z.object({ bundles: z.array(BundleSchema), txHash: z.string() }).openapi("GcOperationResult");

export const RetireResultSchema = OperationResultSchema.extend({
  details: z.string().openapi({ description: "The exact text hashed: keccak256 of its UTF-8 bytes is `detailsHash`" }),
  detailsHash: z.string(),
}).openapi("GcRetirementResult");

export const WithdrawSchema = z.strictObject({ reason: text(1000).openapi({ description: "Why the bundle is invalid; its keccak256 goes on chain" }) }).openapi("GcWithdrawal");

export const WithdrawResultSchema = z.object({ bundle: BundleSchema, txHash: z.string() }).openapi("GcWithdrawalResult");
