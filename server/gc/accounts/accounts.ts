/**
 * Creating GC registry accounts and setting who acts for them (seed 000, steps 1 to 3).
 *
 * An account belongs to a developer or buyer organisation, is created by that organisation's admin or by a
 * platform administrator, and links users of the organisation in roles. Its address is either managed (the
 * platform generates the key and keeps it sealed under the account's id; the account pays its own gas) or
 * self-custody (a wallet the organisation has bound by signing a challenge). The GC transfer allowlist is
 * enabled on chain from the account's address at creation, so only senders it whitelists can ever pay it.
 */
import { randomUUID } from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import { getAddress } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import type { Principal } from "../../auth/permissions";
import { organisations, users } from "../../auth/schema";
import type { Db } from "../../db/database";
import type { FieldError } from "../../http/problem";
import { wallets } from "../../wallets/schema";
import { gcAccounts, gcAccountUsers, type GcCustody, type GcRole } from "../schema";
import { recordAction } from "./actions";
import { syncAccountChain, type AccountChainDeps, type PendingCall } from "./chain";
import { conflict, invalid, type Refusal } from "./refusal";
import { normaliseRoles } from "./roles";
import { findAccount, type AccountRow } from "./store";

export interface AccountDeps extends AccountChainDeps {
  clock: () => Date;
  fundManagedWallet?: (address: `0x${string}`) => Promise<void>;
}

export interface MemberRequest {
  userId: string;
  roles: GcRole[];
}

export interface AccountRequest {
  name: string;
  custody: GcCustody;
  address?: string;
  organisationId?: string;
  users: MemberRequest[];
}

export interface CreatedAccount {
  account: AccountRow;
  pendingCalls: PendingCall[];
  /** Why the allowlist could not be enabled yet (a managed account without gas, say); retried by POST …/chain-sync. */
  chainError: string | null;
}

const HOLDING_ORGANISATION_TYPES = new Set(["developer", "buyer"]);

/** The organisation a new account goes to, or why the caller cannot create one. */
function owningOrganisation(db: Db, principal: Principal, requested: string | undefined): { organisationId: string } | Refusal {
  const unknown = { status: 404 as const, title: "Not found", detail: "No such organisation.", errors: [{ field: "body.organisationId", message: "no such organisation" }] };
  if (principal.organisationType === "admin") {
    if (requested === undefined) return invalid([{ field: "body.organisationId", message: "is required for platform administrators" }], "Name the organisation the account belongs to.");
    const organisation = db.select({ type: organisations.type }).from(organisations).where(eq(organisations.id, requested)).get();
    if (!organisation) return unknown;
    if (!HOLDING_ORGANISATION_TYPES.has(organisation.type)) {
      return invalid([{ field: "body.organisationId", message: `is a ${organisation.type} organisation; accounts belong to developer and buyer organisations` }]);
    }
    return { organisationId: requested };
  }
  if (!HOLDING_ORGANISATION_TYPES.has(principal.organisationType) || !principal.isOrganisationAdmin) {
    return { status: 403, title: "Forbidden", detail: "Accounts are created by the admin of a developer or buyer organisation, or by a platform administrator." };
  }
  if (requested !== undefined && requested !== principal.organisationId) return unknown;
  return { organisationId: principal.organisationId };
}

/** Faults in the users named for an account of `organisationId`, under `body.<field>`. */
function memberFaults(db: Db, organisationId: string, members: readonly MemberRequest[], field: string): FieldError[] {
  const faults: FieldError[] = [];
  const ids = members.map((member) => member.userId);
  const inOrganisation = new Set(
    ids.length === 0
      ? []
      : db
          .select({ id: users.id })
          .from(users)
          .where(and(inArray(users.id, ids), eq(users.organisationId, organisationId)))
          .all()
          .map((row) => row.id),
  );
  members.forEach((member, i) => {
    if (ids.indexOf(member.userId) !== i) faults.push({ field: `body.${field}[${i}].userId`, message: "is listed twice" });
    else if (!inOrganisation.has(member.userId)) faults.push({ field: `body.${field}[${i}].userId`, message: "is not a user of the account's organisation" });
  });
  return faults;
}

export async function createAccount(deps: AccountDeps, principal: Principal, request: AccountRequest): Promise<CreatedAccount | Refusal> {
  const { db } = deps;
  const owner = owningOrganisation(db, principal, request.organisationId);
  if ("status" in owner) return owner;
  const { organisationId } = owner;

  const faults = memberFaults(db, organisationId, request.users, "users");
  let address: string;
  let privateKey: `0x${string}` | undefined;
  if (request.custody === "self") {
    if (request.address === undefined) faults.push({ field: "body.address", message: "is required for a self-custody account" });
    const bound = request.address && db.select().from(wallets).where(and(eq(wallets.address, getAddress(request.address)), eq(wallets.organisationId, organisationId))).get();
    if (request.address !== undefined && (!bound || bound.kind !== "bound")) {
      faults.push({ field: "body.address", message: "is not a wallet the organisation has bound (POST /organisation/wallets/challenges)" });
    }
    address = request.address === undefined ? "" : getAddress(request.address);
  } else {
    if (request.address !== undefined) faults.push({ field: "body.address", message: "is only for self-custody accounts; a managed account's address is generated" });
    privateKey = generatePrivateKey();
    address = privateKeyToAddress(privateKey);
  }
  if (faults.length > 0) return invalid(faults);
  if (db.select({ id: gcAccounts.id }).from(gcAccounts).where(and(eq(gcAccounts.organisationId, organisationId), eq(gcAccounts.name, request.name))).get()) {
    return conflict("Account name taken", `The organisation already has an account named "${request.name}".`, [{ field: "body.name", message: "is taken in the organisation" }]);
  }
  if (db.select({ id: gcAccounts.id }).from(gcAccounts).where(eq(gcAccounts.address, address)).get()) {
    return conflict("Address in use", `${address} is already the address of an account.`, [{ field: "body.address", message: "is another account's address" }]);
  }

  const id = randomUUID();
  const now = deps.clock().getTime();
  const members = [...request.users];
  // An organisation admin who creates an account administers it, unless it named itself with other roles.
  if (principal.organisationId === organisationId && !members.some((member) => member.userId === principal.userId)) {
    members.push({ userId: principal.userId, roles: ["administrator"] });
  }
  db.transaction((tx) => {
    tx.insert(gcAccounts)
      .values({
        id,
        organisationId,
        name: request.name,
        address,
        custody: request.custody,
        sealedKey: privateKey ? deps.vault.seal(id, privateKey) : null,
        allowlistTxHash: null,
        createdAt: now,
        createdBy: principal.userId,
      })
      .run();
    insertRoles(tx as unknown as Db, id, members, now);
    recordAction(tx, {
      at: now,
      userId: principal.userId,
      accountId: id,
      action: "account.create",
      bundleIds: [],
      details: { name: request.name, custody: request.custody, address, users: members },
      outcome: "succeeded",
    });
  });
  if (privateKey) await deps.fundManagedWallet?.(address as `0x${string}`);

  const created = findAccount(db, id)!;
  try {
    const synced = await syncAccountChain(deps, created, principal);
    return { ...synced, chainError: null };
  } catch (error) {
    // The account exists either way; its allowlist stays pending until POST …/chain-sync succeeds.
    return { account: created, pendingCalls: [], chainError: error instanceof Error ? error.message.split("\n")[0] : String(error) };
  }
}

function insertRoles(db: Db, accountId: string, members: readonly MemberRequest[], now: number): void {
  for (const member of members) {
    for (const role of normaliseRoles(member.roles)) {
      db.insert(gcAccountUsers).values({ accountId, userId: member.userId, role, createdAt: now }).run();
    }
  }
}

/** Replaces one user's roles on an account; no roles unlinks the user. */
export function setMemberRoles(db: Db, actor: { userId: string; at: number }, account: AccountRow, member: MemberRequest): Refusal | GcRole[] {
  const faults = memberFaults(db, account.organisationId, [member], "member").map((fault) => ({ ...fault, field: "path.userId" }));
  if (faults.length > 0) return { status: 404, title: "Not found", detail: "No such user in the account's organisation.", errors: faults };
  const roles = normaliseRoles(member.roles);
  db.transaction((tx) => {
    tx.delete(gcAccountUsers)
      .where(and(eq(gcAccountUsers.accountId, account.id), eq(gcAccountUsers.userId, member.userId)))
      .run();
    insertRoles(tx as unknown as Db, account.id, [{ userId: member.userId, roles }], actor.at);
    recordAction(tx, {
      at: actor.at,
      userId: actor.userId,
      accountId: account.id,
      action: "account.users",
      bundleIds: [],
      details: { userId: member.userId, roles },
      outcome: "succeeded",
    });
  });
  return roles;
}
