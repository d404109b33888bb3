/**
 * Whitelists (seed 000, step 3): an account accepts transfers only from the accounts it lists, so two
 * accounts that trade list each other, each by its own administrator. The list lives in the database, where
 * the API checks it before any transfer, and on chain in the account's GC transfer allowlist, where the
 * registry checks it on every movement. A managed account's allowlist is written before the database (a chain
 * failure writes nothing); a self-custody holder is told the call to send, and POST …/chain-sync records it once
 * the chain shows it.
 */
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/database";
import type { FieldError } from "../../http/problem";
import { sendRegistryTransaction } from "../../chain/sendTransaction";
import { gcWhitelist } from "../schema";
import { recordAction } from "./actions";
import { accountSigner, allowedSendersCall, type AccountChainDeps, type PendingCall } from "./chain";
import { chainRefusal, invalid, type Refusal } from "./refusal";
import { accountsByIds, whitelistOf, type AccountRow } from "./store";

type Hex = `0x${string}`;

export interface WhitelistChange {
  add: string[];
  remove: string[];
}

/** Faults of a change to `account`'s whitelist, given the accounts named and the senders listed now. Pure. */
export function whitelistFaults(account: Pick<AccountRow, "id">, change: WhitelistChange, known: ReadonlySet<string>, listed: ReadonlySet<string>): FieldError[] {
  const faults: FieldError[] = [];
  const seen = new Set<string>();
  const check = (part: "add" | "remove") =>
    change[part].forEach((id, i) => {
      const field = `body.${part}[${i}]`;
      if (seen.has(id)) faults.push({ field, message: "is named twice in the change" });
      else if (id === account.id) faults.push({ field, message: "is the account itself" });
      else if (!known.has(id)) faults.push({ field, message: "no such account" });
      else if (part === "add" && listed.has(id)) faults.push({ field, message: "is on the whitelist already" });
      else if (part === "remove" && !listed.has(id)) faults.push({ field, message: "is not on the whitelist" });
      seen.add(id);
    });
  check("add");
  check("remove");
  if (change.add.length + change.remove.length === 0) faults.push({ field: "body", message: "names no account to add or remove" });
  return faults;
}

export interface WhitelistOutcome {
  pendingCalls: PendingCall[];
}

export async function changeWhitelist(deps: AccountChainDeps & { clock: () => Date }, actor: { userId: string }, account: AccountRow, change: WhitelistChange): Promise<WhitelistOutcome | Refusal> {
  const { db } = deps;
  const named = accountsByIds(db, [...change.add, ...change.remove]);
  const listed = new Set(whitelistOf(db, account.id).map((entry) => entry.senderAccountId));
  const faults = whitelistFaults(account, change, new Set(named.keys()), listed);
  if (faults.length > 0) return invalid(faults);

  const addresses = (ids: readonly string[]) => ids.map((id) => named.get(id)!.address as Hex);
  const log = (outcome: "succeeded" | "failed", extra: { error?: string; txHash?: string | null }) =>
    recordAction(db, {
      at: deps.clock().getTime(),
      userId: actor.userId,
      accountId: account.id,
      action: "whitelist.change",
      bundleIds: [],
      details: { added: change.add, removed: change.remove },
      outcome,
      ...extra,
    });

  const signer = accountSigner(deps, account);
  if (!signer) {
    apply(db, account.id, actor.userId, change, null, deps.clock().getTime());
    log("succeeded", {});
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
      log("failed", { error: refusal.detail, txHash: hashes[0] ?? null });
      return refusal;
    }
    hashes.push(hash);
    apply(db, account.id, actor.userId, { add: part === "add" ? change.add : [], remove: part === "remove" ? change.remove : [] }, hash, deps.clock().getTime());
  }
  log("succeeded", { txHash: hashes.at(-1) ?? null });
  return { pendingCalls: [] };
}

function apply(db: Db, accountId: string, userId: string, change: WhitelistChange, txHash: string | null, now: number): void {
  db.transaction((tx) => {
    for (const senderAccountId of change.remove) {
      tx.delete(gcWhitelist)
        .where(and(eq(gcWhitelist.accountId, accountId), eq(gcWhitelist.senderAccountId, senderAccountId)))
        .run();
    }
    for (const senderAccountId of change.add) {
      tx.insert(gcWhitelist).values({ accountId, senderAccountId, createdAt: now, createdBy: userId, txHash }).run();
    }
  });
}
