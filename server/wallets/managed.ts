import { and, eq } from "drizzle-orm";
import { createWalletClient, custom, type Chain, type PublicClient, type Transport, type WalletClient } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Db } from "../db/database";
import type { KeyVault } from "./vault";
import { wallets } from "./schema";

export interface ManagedWalletDeps {
  db: Db;
  vault: KeyVault;
}

/**
 * The signer of an organisation's managed wallet (it pays issuance gas), or undefined when the
 * organisation has none. The key is opened in memory only for as long as the account lives.
 */
export function managedWalletAccount(deps: ManagedWalletDeps, organisationId: string): PrivateKeyAccount | undefined {
  const row = deps.db
    .select({ sealedKey: wallets.sealedKey })
    .from(wallets)
    .where(and(eq(wallets.organisationId, organisationId), eq(wallets.kind, "managed")))
    .get();
  return row?.sealedKey ? privateKeyToAccount(deps.vault.open(organisationId, row.sealedKey)) : undefined;
}

/** A wallet client that signs locally with the managed key and sends through the API's own chain connection. */
export function managedWalletClient(
  deps: ManagedWalletDeps & { publicClient: PublicClient },
  organisationId: string,
): WalletClient<Transport, Chain | undefined, PrivateKeyAccount> | undefined {
  const account = managedWalletAccount(deps, organisationId);
  return account && createWalletClient({ account, chain: deps.publicClient.chain, transport: custom(deps.publicClient) });
}
