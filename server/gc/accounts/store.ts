/** Reads of GC accounts, their users and whitelists, shared by the account and bundle routes. */
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Principal } from "../../auth/permissions";
import { organisations, users } from "../../auth/schema";
import type { DbOrTx } from "../../db/database";
import { gcAccounts, gcAccountUsers, gcWhitelist, type GcRole } from "../schema";
import { accountAccess, normaliseRoles, type AccessVerdict, type AccountOperation } from "./roles";

export type AccountRow = typeof gcAccounts.$inferSelect;

export function findAccount(db: DbOrTx, id: string): AccountRow | undefined {
  return db.select().from(gcAccounts).where(eq(gcAccounts.id, id)).get();
}

export function rolesOf(db: DbOrTx, accountId: string, userId: string): GcRole[] {
  const rows = db
    .select({ role: gcAccountUsers.role })
    .from(gcAccountUsers)
    .where(and(eq(gcAccountUsers.accountId, accountId), eq(gcAccountUsers.userId, userId)))
    .all();
  return normaliseRoles(rows.map((row) => row.role));
}

export type AccountLookup = { account: AccountRow; roles: GcRole[] } | { refused: Exclude<AccessVerdict, "allowed"> };

/**
 * The account, if `principal` may perform `operation` on it. An account the caller may not know of is
 * refused as `hidden`, exactly like one that does not exist.
 */
export function accountFor(db: DbOrTx, principal: Principal, accountId: string, operation: AccountOperation): AccountLookup {
  const account = findAccount(db, accountId);
  if (!account) return { refused: "hidden" };
  const roles = rolesOf(db, account.id, principal.userId);
  const verdict = accountAccess(principal, account.organisationId, roles, operation);
  return verdict === "allowed" ? { account, roles } : { refused: verdict };
}

export interface AccountMember {
  userId: string;
  email: string;
  firstName: string;
  lastName: string;
  roles: GcRole[];
}

export function membersOf(db: DbOrTx, accountId: string): AccountMember[] {
  const rows = db
    .select({ userId: users.id, email: users.email, firstName: users.firstName, lastName: users.lastName, role: gcAccountUsers.role })
    .from(gcAccountUsers)
    .innerJoin(users, eq(users.id, gcAccountUsers.userId))
    .where(eq(gcAccountUsers.accountId, accountId))
    .orderBy(asc(users.email))
    .all();
  const members = new Map<string, AccountMember>();
  for (const { role, ...user } of rows) {
    const member = members.get(user.userId) ?? { ...user, roles: [] };
    member.roles = normaliseRoles([...member.roles, role]);
    members.set(user.userId, member);
  }
  return [...members.values()];
}

export interface WhitelistEntry {
  senderAccountId: string;
  name: string;
  organisationId: string;
  organisationName: string;
  address: string;
  createdAt: number;
  txHash: string | null;
  /** Removal asked for, not yet seen on chain: the sender is still accepted until then. */
  removalPending: boolean;
}

/** The action every change of a whitelist is logged as, with the account ids `added` and `removed`. */
export const WHITELIST_CHANGE = "whitelist.change";

/** The accounts `accountId` accepts transfers from, oldest first; or only `senderAccountId`'s entry. */
export function whitelistOf(db: DbOrTx, accountId: string, senderAccountId?: string): WhitelistEntry[] {
  return db
    .select({
      senderAccountId: gcWhitelist.senderAccountId,
      name: gcAccounts.name,
      organisationId: gcAccounts.organisationId,
      organisationName: organisations.name,
      address: gcAccounts.address,
      createdAt: gcWhitelist.createdAt,
      txHash: gcWhitelist.txHash,
      removalRequestedAt: gcWhitelist.removalRequestedAt,
    })
    .from(gcWhitelist)
    .innerJoin(gcAccounts, eq(gcAccounts.id, gcWhitelist.senderAccountId))
    .innerJoin(organisations, eq(organisations.id, gcAccounts.organisationId))
    .where(and(eq(gcWhitelist.accountId, accountId), senderAccountId === undefined ? undefined : eq(gcWhitelist.senderAccountId, senderAccountId)))
    .orderBy(asc(gcWhitelist.createdAt), asc(gcWhitelist.senderAccountId))
    .all()
    .map(({ removalRequestedAt, ...entry }) => ({ ...entry, removalPending: removalRequestedAt !== null }));
}

/** `accountId`'s whitelist entry for `senderAccountId`, if it lists it (a removal may be pending). */
export function whitelistEntry(db: DbOrTx, accountId: string, senderAccountId: string): WhitelistEntry | undefined {
  return whitelistOf(db, accountId, senderAccountId)[0];
}

export function accountsByIds(db: DbOrTx, ids: readonly string[]): Map<string, AccountRow> {
  if (ids.length === 0) return new Map();
  return new Map(db.select().from(gcAccounts).where(inArray(gcAccounts.id, [...ids])).all().map((row) => [row.id, row]));
}
