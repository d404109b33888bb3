import { formatEther, getAddress, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { DemoContext, Session } from "../story";

/** POST /organisation/managed-wallet: the platform keeps the key sealed; in local mode the chain's faucet funds it. */
export async function createManagedWallet(context: DemoContext, developer: Session): Promise<{ address: Address; balanceWei: bigint }> {
  const wallet = await context.api.post<{ address: Address }>("/organisation/managed-wallet", undefined, developer.as);
  const balanceWei = await context.chain.publicClient.getBalance({ address: wallet.address });
  context.print.line(`POST /organisation/managed-wallet  ${wallet.address}  balance ${formatEther(balanceWei)} ETH (local faucet); it pays the issuance gas`);
  return { address: wallet.address, balanceWei };
}

/**
 * The buyer proves control of its own key (generated here, as a wallet app would hold it) with the EIP-191
 * challenge: ask for a message, sign it with personal_sign, send the signature back.
 */
export async function bindOwnWallet(context: DemoContext, buyer: Session): Promise<PrivateKeyAccount> {
  const account = privateKeyToAccount(generatePrivateKey());
  const challenge = await context.api.post<{ challengeId: string; message: string }>("/organisation/wallets/challenges", { address: account.address }, buyer.as);
  context.print.line(`POST /organisation/wallets/challenges  message to sign: "${challenge.message.split("\n")[0]} …"`);
  const signature = await account.signMessage({ message: challenge.message });
  const bound = await context.api.post<{ address: string }>("/organisation/wallets", { challengeId: challenge.challengeId, signature }, buyer.as);
  context.print.line(`POST /organisation/wallets  ${getAddress(bound.address)} bound to the buyer with the signature: certificates will be minted into it`);
  return account;
}
