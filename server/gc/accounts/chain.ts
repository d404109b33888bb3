/**
 * An account's side of the chain: the signer of a managed account, and the GC transfer allowlist that mirrors
 * its whitelist on chain (contracts/gc/TransferAllowlist.sol), so a transfer straight from a wallet cannot
 * bypass it. The allowlist is set by the account's own address: the platform sends for managed accounts, and
 * tells self-custody holders what to send, then reads the chain to see that they did.
 */
import { and, eq } from "drizzle-orm";
import type { PublicClient } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Db } from "../../db/database";
import type { KeyVault } from "../../wallets/vault";
import { REGISTRY_ABI } from "../../chain/registryAbi";
import { sendRegistryTransaction } from "../../chain/sendTransaction";
import { readDeployment } from "../../../indexer/store/deployment";
import { gcAccounts, gcWhitelist } from "../schema";
import { recordAction } from "./actions";
import { whitelistOf, type AccountRow } from "./store";

type Hex = `0x${string}`;

export interface AccountChainDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: Hex;
  vault: KeyVault;
}

/** A registry call a self-custody holder must send from the account's address. */
export interface PendingCall {
  function: string;
  args: Record<string, unknown>;
}

/** The managed account's signer (its key is opened for as long as the object lives); undefined for self-custody. */
export function accountSigner(deps: Pick<AccountChainDeps, "vault">, account: Pick<AccountRow, "id" | "custody" | "sealedKey">): PrivateKeyAccount | undefined {
  if (account.custody !== "managed" || !account.sealedKey) return undefined;
  return privateKeyToAccount(deps.vault.open(account.id, account.sealedKey));
}

export const enableAllowlistCall = (): PendingCall => ({ function: "setTransferAllowlistEnabled(bool enabled)", args: { enabled: true } });

export const allowedSendersCall = (senders: readonly string[], allowed: boolean): PendingCall => ({
  function: "setAllowedSenders(address[] senders, bool allowed)",
  args: { senders: [...senders], allowed },
});

/** What an account's on-chain allowlist says about one sender. */
export interface AllowlistState {
  /** The allowlist is on: the registry refuses GCs from senders the account did not list. */
  enabled: boolean;
  /** The account listed the sender. */
  allowed: boolean;
}

/** `account`'s allowlist as the chain has it now, for transfers from `sender`. */
export async function allowlistState(deps: Pick<AccountChainDeps, "publicClient" | "registryAddress">, account: Hex, sender: Hex): Promise<AllowlistState> {
  const [enabled, allowed] = await Promise.all([allowlistEnabled(deps, account), senderAllowed(deps, account, sender)]);
  return { enabled, allowed };
}

/**
 * Brings the account's recorded allowlist and whitelist in line with the chain. A managed account sends what
 * is missing (enabling the allowlist, listing senders the chain does not list); for a self-custody account the
 * chain is only read, what the holder has sent is recorded (a listing's transaction, a removal applied, which
 * deletes the entry and is logged; an allowlist the holder turned off, which is recorded as off), and what is
 * still missing comes back as the calls its holder must send.
 */
export async function syncAccountChain(deps: AccountChainDeps & { clock: () => Date }, account: AccountRow, actor: { userId: string }): Promise<{ account: AccountRow; pendingCalls: PendingCall[] }> {
  const { db } = deps;
  const signer = accountSigner(deps, account);
  const address = account.address as Hex;
  const pendingCalls: PendingCall[] = [];
  const recordAllowlist = (txHash: string | null) => db.update(gcAccounts).set({ allowlistTxHash: txHash }).where(eq(gcAccounts.id, account.id)).run();

  if (!(await allowlistEnabled(deps, address))) {
    if (signer) recordAllowlist((await sendRegistryTransaction(deps, signer, "setTransferAllowlistEnabled", [true])).hash);
    else {
      recordAllowlist(null);
      pendingCalls.push(enableAllowlistCall());
    }
  } else if (account.allowlistTxHash === null) {
    recordAllowlist((await lastEvent(deps, "TransferAllowlistEnabled", { account: address }, true)) ?? null);
  }

  const entries = whitelistOf(db, account.id);
  const listedOnChain = await Promise.all(entries.map((entry) => senderAllowed(deps, address, entry.address as Hex)));
  const staying = entries.filter((entry, i) => !entry.removalPending && !listedOnChain[i]);
  const going = entries.filter((entry, i) => entry.removalPending && listedOnChain[i]);
  const gone = entries.filter((entry, i) => entry.removalPending && !listedOnChain[i]);
  for (const entry of entries.filter((entry, i) => !entry.removalPending && listedOnChain[i] && entry.txHash === null)) {
    markListed(db, account.id, [entry.senderAccountId], (await lastEvent(deps, "AllowedSenderSet", { account: address, sender: entry.address as Hex }, true)) ?? null);
  }

  if (staying.length > 0 && signer) {
    const { hash } = await sendRegistryTransaction(deps, signer, "setAllowedSenders", [staying.map((entry) => entry.address as Hex), true]);
    markListed(db, account.id, staying.map((entry) => entry.senderAccountId), hash);
  } else if (staying.length > 0) {
    markListed(db, account.id, staying.map((entry) => entry.senderAccountId), null);
    pendingCalls.push(allowedSendersCall(staying.map((entry) => entry.address), true));
  }

  // By removal transaction; null when no event removed the sender (its listing never reached the chain).
  const removals = new Map<string | null, string[]>();
  const removed = (txHash: string | null, senderAccountId: string) => removals.set(txHash, [...(removals.get(txHash) ?? []), senderAccountId]);
  if (going.length > 0 && signer) {
    const { hash } = await sendRegistryTransaction(deps, signer, "setAllowedSenders", [going.map((entry) => entry.address as Hex), false]);
    for (const entry of going) removed(hash, entry.senderAccountId);
  } else if (going.length > 0) {
    pendingCalls.push(allowedSendersCall(going.map((entry) => entry.address), false));
  }
  for (const entry of gone) removed((await lastEvent(deps, "AllowedSenderSet", { account: address, sender: entry.address as Hex }, false)) ?? null, entry.senderAccountId);
  if (removals.size > 0) recordRemovals(deps, account.id, actor, removals);

  return { account: db.select().from(gcAccounts).where(eq(gcAccounts.id, account.id)).get()!, pendingCalls };
}

function markListed(db: Db, accountId: string, senderAccountIds: readonly string[], txHash: string | null): void {
  db.transaction((tx) => {
    for (const senderAccountId of senderAccountIds) {
      tx.update(gcWhitelist)
        .set({ txHash })
        .where(and(eq(gcWhitelist.accountId, accountId), eq(gcWhitelist.senderAccountId, senderAccountId)))
        .run();
    }
  });
}

/** Deletes the entries whose removal is on chain, logging one action per removal transaction. */
function recordRemovals(deps: AccountChainDeps & { clock: () => Date }, accountId: string, actor: { userId: string }, removals: ReadonlyMap<string | null, readonly string[]>): void {
  deps.db.transaction((tx) => {
    for (const [txHash, senderAccountIds] of removals) {
      for (const senderAccountId of senderAccountIds) {
        tx.delete(gcWhitelist)
          .where(and(eq(gcWhitelist.accountId, accountId), eq(gcWhitelist.senderAccountId, senderAccountId)))
          .run();
      }
      recordAction(tx, {
        at: deps.clock().getTime(),
        userId: actor.userId,
        accountId,
        action: "whitelist.removed",
        bundleIds: [],
        details: { removed: senderAccountIds },
        outcome: "succeeded",
        txHash,
      });
    }
  });
}

const registryOf = (deps: Pick<AccountChainDeps, "registryAddress">) => ({ address: deps.registryAddress, abi: REGISTRY_ABI }) as const;

function allowlistEnabled(deps: Pick<AccountChainDeps, "publicClient" | "registryAddress">, account: Hex): Promise<boolean> {
  return deps.publicClient.readContract({ ...registryOf(deps), functionName: "isTransferAllowlistEnabled", args: [account] });
}

function senderAllowed(deps: Pick<AccountChainDeps, "publicClient" | "registryAddress">, account: Hex, sender: Hex): Promise<boolean> {
  return deps.publicClient.readContract({ ...registryOf(deps), functionName: "isAllowedSender", args: [account, sender] });
}

/**
 * The transaction of the latest allowlist event that turned `enabled` (or listed a sender, `allowed`) to
 * `value`: where the chain's current state was set, once a read shows it.
 */
async function lastEvent(
  deps: AccountChainDeps,
  eventName: "TransferAllowlistEnabled" | "AllowedSenderSet",
  args: { account: Hex; sender?: Hex },
  value: boolean,
): Promise<Hex | undefined> {
  const logs = await deps.publicClient.getContractEvents({ ...registryOf(deps), eventName, args, fromBlock: readDeployment(deps.db)?.deployBlock ?? 0n, strict: true });
  return logs.filter((log) => ("enabled" in log.args ? log.args.enabled : log.args.allowed) === value).at(-1)?.transactionHash;
}
