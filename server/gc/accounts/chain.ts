/**
 * An account's side of the chain: the signer of a managed account, and the GC transfer allowlist that mirrors
 * its whitelist on chain (contracts/gc/TransferAllowlist.sol), so a transfer straight from a wallet cannot
 * bypass it. The allowlist is set by the account's own address: the platform sends for managed accounts, and
 * tells self-custody holders what to send, then reads the chain to see that they did.
 */
import { and, eq, isNull } from "drizzle-orm";
import type { PublicClient } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Db } from "../../db/database";
import type { KeyVault } from "../../wallets/vault";
import { REGISTRY_ABI } from "../../chain/registryAbi";
import { sendRegistryTransaction } from "../../chain/sendTransaction";
import { readDeployment } from "../../../indexer/store/deployment";
import { gcAccounts, gcWhitelist } from "../schema";
import type { AccountRow } from "./store";

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

/**
 * Brings the chain in line with the account's recorded allowlist and whitelist, and records what the chain
 * confirms. A managed account sends what is missing (enabling the allowlist, listing senders whose entry has
 * no transaction yet); for a self-custody account the chain is only read, and what is still missing comes
 * back as the calls its holder must send.
 */
export async function syncAccountChain(deps: AccountChainDeps, account: AccountRow): Promise<{ account: AccountRow; pendingCalls: PendingCall[] }> {
  const signer = accountSigner(deps, account);
  const pendingSenders = deps.db
    .select({ senderAccountId: gcWhitelist.senderAccountId, address: gcAccounts.address })
    .from(gcWhitelist)
    .innerJoin(gcAccounts, eq(gcAccounts.id, gcWhitelist.senderAccountId))
    .where(and(eq(gcWhitelist.accountId, account.id), isNull(gcWhitelist.txHash)))
    .all();
  const pendingCalls: PendingCall[] = [];

  if (account.allowlistTxHash === null) {
    const hash = signer ? (await sendRegistryTransaction(deps, signer, "setTransferAllowlistEnabled", [true])).hash : await allowlistEnabledBy(deps, account.address as Hex);
    if (hash) deps.db.update(gcAccounts).set({ allowlistTxHash: hash }).where(eq(gcAccounts.id, account.id)).run();
    else pendingCalls.push(enableAllowlistCall());
  }

  if (pendingSenders.length > 0 && signer) {
    const { hash } = await sendRegistryTransaction(deps, signer, "setAllowedSenders", [pendingSenders.map((s) => s.address as Hex), true]);
    markListed(deps.db, account.id, pendingSenders.map((s) => s.senderAccountId), hash);
  } else if (pendingSenders.length > 0) {
    const missing: string[] = [];
    for (const sender of pendingSenders) {
      const hash = await senderAllowedBy(deps, account.address as Hex, sender.address as Hex);
      if (hash) markListed(deps.db, account.id, [sender.senderAccountId], hash);
      else missing.push(sender.address);
    }
    if (missing.length > 0) pendingCalls.push(allowedSendersCall(missing, true));
  }
  return { account: deps.db.select().from(gcAccounts).where(eq(gcAccounts.id, account.id)).get()!, pendingCalls };
}

function markListed(db: Db, accountId: string, senderAccountIds: readonly string[], txHash: string): void {
  db.transaction((tx) => {
    for (const senderAccountId of senderAccountIds) {
      tx.update(gcWhitelist)
        .set({ txHash })
        .where(and(eq(gcWhitelist.accountId, accountId), eq(gcWhitelist.senderAccountId, senderAccountId)))
        .run();
    }
  });
}

/** The transaction in which `address` last enabled its allowlist, if it is enabled now. */
async function allowlistEnabledBy(deps: AccountChainDeps, address: Hex): Promise<Hex | undefined> {
  const registry = { address: deps.registryAddress, abi: REGISTRY_ABI } as const;
  if (!(await deps.publicClient.readContract({ ...registry, functionName: "isTransferAllowlistEnabled", args: [address] }))) return undefined;
  const logs = await deps.publicClient.getContractEvents({ ...registry, eventName: "TransferAllowlistEnabled", args: { account: address }, fromBlock: fromBlock(deps), strict: true });
  return logs.filter((log) => log.args.enabled).at(-1)?.transactionHash;
}

/** The transaction in which `account` last listed `sender`, if it lists it now. */
async function senderAllowedBy(deps: AccountChainDeps, account: Hex, sender: Hex): Promise<Hex | undefined> {
  const registry = { address: deps.registryAddress, abi: REGISTRY_ABI } as const;
  if (!(await deps.publicClient.readContract({ ...registry, functionName: "isAllowedSender", args: [account, sender] }))) return undefined;
  const logs = await deps.publicClient.getContractEvents({ ...registry, eventName: "AllowedSenderSet", args: { account, sender }, fromBlock: fromBlock(deps), strict: true });
  return logs.filter((log) => log.args.allowed).at(-1)?.transactionHash;
}

const fromBlock = (deps: AccountChainDeps) => readDeployment(deps.db)?.deployBlock ?? 0n;
