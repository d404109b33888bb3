/** Rows as the API shows them: instants in ISO 8601 UTC, Wh and certificate ids as decimal strings. */
import type { Principal } from "../../auth/permissions";
import type { DbOrTx } from "../../db/database";
import type { GcRole } from "../schema";
import type { ActionRow } from "./actions";
import type { BundleRow, Lineage } from "./bundles";
import { operationsOf } from "./roles";
import { membersOf, whitelistOf, type AccountRow, type WhitelistEntry } from "./store";

const iso = (ms: number) => new Date(ms).toISOString();

export function accountView(account: AccountRow, principal: Principal, roles: GcRole[]) {
  return {
    id: account.id,
    organisationId: account.organisationId,
    name: account.name,
    address: account.address,
    custody: account.custody,
    allowlist: { enabled: account.allowlistTxHash !== null, txHash: account.allowlistTxHash },
    createdAt: iso(account.createdAt),
    createdBy: account.createdBy,
    yourRoles: roles,
    yourOperations: operationsOf(principal, account.organisationId, roles),
  };
}

export function whitelistEntryView(entry: WhitelistEntry) {
  const { senderAccountId, createdAt, ...rest } = entry;
  return { accountId: senderAccountId, ...rest, addedAt: iso(createdAt) };
}

export function accountDetailView(db: DbOrTx, account: AccountRow, principal: Principal, roles: GcRole[]) {
  return { ...accountView(account, principal, roles), users: membersOf(db, account.id), whitelist: whitelistOf(db, account.id).map(whitelistEntryView) };
}

export function bundleView(bundle: BundleRow) {
  return {
    id: bundle.id,
    tokenId: bundle.tokenId,
    accountId: bundle.accountId,
    deviceId: bundle.deviceId,
    origin: bundle.origin,
    status: bundle.status,
    periodStart: iso(bundle.startAt),
    periodEnd: iso(bundle.endAt),
    energyWh: String(bundle.energyWh),
    certificateIds: { from: String(bundle.rangeStart), to: String(bundle.rangeEnd) },
    attributes: bundle.attributes as unknown as Record<string, unknown>,
    parentId: bundle.parentId,
    sourceRegistry: bundle.sourceRegistry,
    sourceId: bundle.sourceId,
    txHash: bundle.txHash,
    createdAt: iso(bundle.createdAt),
    updatedAt: iso(bundle.updatedAt),
  };
}

export const bundleDetailView = (bundle: BundleRow, lineage: Lineage) => ({ ...bundleView(bundle), ...lineage });

export function actionView({ seq: _seq, ...action }: ActionRow & { seq?: number }) {
  return { ...action, at: iso(action.at), error: action.error ?? null, txHash: action.txHash ?? null };
}
