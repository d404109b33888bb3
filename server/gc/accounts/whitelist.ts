/**
 * Whitelists (seed 000, step 3): an account accepts transfers only from the accounts it lists, so two
 * accounts that trade list each other, each by its own administrator. The list lives in the database and on
 * chain in the account's GC transfer allowlist, where the registry checks it on every movement; the API lets a
 * transfer through only when both list the sender and the allowlist is on, so it never accepts what the chain
 * would refuse, nor what the chain would not check. A managed account's allowlist is written before the
 * database (a chain failure writes nothing). A self-custody holder is told the calls to send: an addition is
 * recorded at once (the chain refuses the sender until the holder lists it), a removal stays pending, the
 * sender still listed, until POST …/chain-sync sees it on chain, because until then the chain accepts it.
 */
import { and, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../db/database";
import type { FieldError } from "../../http/problem";
import { sendRegistryTransaction } from "../../chain/sendTransaction";
import { gcWhitelist } from "../schema";
import { recordAction } from "./actions";
import { accountSigner, allowedSendersCall, type AccountChainDeps, type AllowlistState, type PendingCall } from "./chain";
import { chainRefusal, conflict, invalid, type Refusal } from "./refusal";
import { accountsByIds, whitelistOf, WHITELIST_CHANGE, type AccountRow, type WhitelistEntry } from "./store";

type Hex = `0x${string}`;

export interface WhitelistChange {
  add: string[];
  remove: string[];
}

/**
 * Faults of a change to `account`'s whitelist, given the accounts named, the senders listed now and those
 * whose removal is pending (adding one of those back cancels its removal). Pure.
 */
export function whitelistFaults(account: Pick<AccountRow, "id">, change: WhitelistChange, known: ReadonlySet<string>, listed: ReadonlySet<string>, removing: ReadonlySet<string>): FieldError[] {
  const faults: FieldError[] = [];
  const seen = new Set<string>();
  const check = (part: "add" | "remove") =>
    change[part].forEach((id, i) => {
      const field = `body.${part}[${i}]`;
      if (seen.has(id)) faults.push({ field, message: "is named twice in the change" });
      else if (id === account.id) faults.push({ field, message: "is the account itself" });
      else if (!known.has(id)) faults.push({ field, message: "no such account" });
      else if (part === "add" && listed.has(id) && !removing.has(id)) faults.push({ field, message: "is on the whitelist already" });
      else if (part === "remove" && !listed.has(id)) faults.push({ field, message: "is not on the whitelist" });
      else if (part === "remove" && removing.has(id)) faults.push({ field, message: "is being removed already: the holder's removal is not on chain yet (POST /gc/accounts/{id}/chain-sync once it is)" });
      seen.add(id);
    });
  check("add");
  check("remove");
  if (change.add.length + change.remove.length === 0) faults.push({ field: "body", message: "names no account to add or remove" });
  return faults;
}

/**
 * Why `target` does not accept a transfer from the sender, if it does not: its whitelist (`entry`) and its
 * on-chain allowlist (`chain`) must both list the sender, and the allowlist must be on. Pure.
 */
export function whitelistRefusal(target: Pick<AccountRow, "name">, entry: Pick<WhitelistEntry, "removalPending"> | undefined, chain: AllowlistState): Refusal | undefined {
  const refusal = (title: string, detail: string, message: string) => conflict(title, detail, [{ field: "body.targetAccountId", message }]);
  if (!entry) return refusal("Not whitelisted", `Account "${target.name}" has not whitelisted this account: its administrator must add it first.`, "does not accept transfers from the source account");
  if (!chain.allowed && entry.removalPending) return refusal("Not whitelisted", `Account "${target.name}" has removed this account from its whitelist.`, "does not accept transfers from the source account");
  if (!chain.allowed) {
    return refusal(
      "Whitelist entry not on chain",
      `Account "${target.name}" listed this account, but its on-chain allowlist does not list it (its holder has not sent the listing, or took it back); POST /gc/accounts/{id}/chain-sync gives the call to send.`,
      "has not listed the source account on chain",
    );
  }
  if (!chain.enabled) {
    return refusal(
      "Target account not ready",
      `Account "${target.name}" has its transfer allowlist off on chain, so the registry would not hold transfers into it to its whitelist; POST /gc/accounts/{id}/chain-sync gives the call that turns it on.`,
      "has its allowlist off on chain",
    );
  }
  return undefined;
}

export interface WhitelistOutcome {
  pendingCalls: PendingCall[];
}

export async function changeWhitelist(deps: AccountChainDeps & { clock: () => Date }, actor: { userId: string }, account: AccountRow, change: WhitelistChange): Promise<WhitelistOutcome | Refusal> {
  const { db } = deps;
  const named = accountsByIds(db, [...change.add, ...change.remove]);
  const entries = whitelistOf(db, account.id);
  const listed = new Set(entries.map((entry) => entry.senderAccountId));
  const removing = new Set(entries.filter((entry) => entry.removalPending).map((entry) => entry.senderAccountId));
  const faults = whitelistFaults(account, change, new Set(named.keys()), listed, removing);
  if (faults.length > 0) return invalid(faults);

  const addresses = (ids: readonly string[]) => ids.map((id) => named.get(id)!.address as Hex);
  const log = (tx: DbOrTx, outcome: "succeeded" | "failed", extra: { error?: string; txHash?: string | null }) =>
    recordAction(tx, {
      at: deps.clock().getTime(),
      userId: actor.userId,
      accountId: account.id,
      action: WHITELIST_CHANGE,
      bundleIds: [],
      details: { added: change.add, removed: change.remove },
      outcome,
      ...extra,
    });

  const signer = accountSigner(deps, account);
  if (!signer) {
    // The holder sends the calls: additions are listed now (the API refuses transfers until the chain lists
    // them too), removals stay pending until chain-sync sees them on chain. Adding back cancels a removal.
    db.transaction((tx) => {
      const now = deps.clock().getTime();
      apply(tx, account.id, actor.userId, { add: change.add.filter((id) => !removing.has(id)), remove: [] }, null, now);
      requestRemoval(tx, account.id, change.add.filter((id) => removing.has(id)), null);
      requestRemoval(tx, account.id, change.remove, now);
      log(tx, "succeeded", {});
    });
    const pendingCalls = [];
    if (change.add.length > 0) pendingCalls.push(allowedSendersCall(addresses(change.add), true));
    if (change.remove.length > 0) pendingCalls.push(allowedSendersCall(addresses(change.remove), false));
    return { pendingCalls };
  }

  const hashes: string[] = [];
  // Removals first: if the additions then fail, the account accepts less than asked, never more.
  for (const part of ["remove", "add"] as const) {
    if (change[part].length === 0) continue;
    let hash: string;
    try {
      ({ hash } = await sendRegistryTransaction(deps, signer, "setAllowedSenders", [addresses(change[part]), part === "add"]));
    } catch (error) {
      const refusal = chainRefusal(error, "Whitelist change");
      log(db, "failed", { error: refusal.detail, txHash: hashes[0] ?? null });
      return refusal;
    }
    hashes.push(hash);
    db.transaction((tx) => apply(tx, account.id, actor.userId, { add: part === "add" ? change.add : [], remove: part === "remove" ? change.remove : [] }, hash, deps.clock().getTime()));
  }
  log(db, "succeeded", { txHash: hashes.at(-1) ?? null });
  return { pendingCalls: [] };
}

/** Marks (at `requestedAt`) or clears (null) the pending removal of `senderAccountIds` from the whitelist. */
function requestRemoval(tx: DbOrTx, accountId: string, senderAccountIds: readonly string[], requestedAt: number | null): void {
  if (senderAccountIds.length === 0) return;
  tx.update(gcWhitelist)
    .set({ removalRequestedAt: requestedAt })
    .where(and(eq(gcWhitelist.accountId, accountId), inArray(gcWhitelist.senderAccountId, [...senderAccountIds])))
    .run();
}

function apply(tx: DbOrTx, accountId: string, userId: string, change: WhitelistChange, txHash: string | null, now: number): void {
  for (const senderAccountId of change.remove) {
    tx.delete(gcWhitelist)
      .where(and(eq(gcWhitelist.accountId, accountId), eq(gcWhitelist.senderAccountId, senderAccountId)))
      .run();
  }
  for (const senderAccountId of change.add) {
    tx.insert(gcWhitelist).values({ accountId, senderAccountId, createdAt: now, createdBy: userId, txHash }).run();
  }
}
