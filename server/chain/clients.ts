import {
  createPublicClient,
  createWalletClient,
  defineChain,
  type Account,
  type Chain,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Hex } from "../config";

export type Wallet = WalletClient<Transport, Chain, Account>;

export interface ChainClients {
  chain: Chain;
  transport: Transport;
  publicClient: PublicClient<Transport, Chain>;
  wallet(privateKey: Hex): Wallet;
}

/** Connects to any EVM chain through `transport` (HTTP to a node, or an in-process provider in tests). */
export async function connectChain(transport: Transport): Promise<ChainClients> {
  const id = await createPublicClient({ transport }).getChainId();
  const chain = defineChain({
    id,
    name: `chain-${id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [] } },
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 250 });
  return {
    chain,
    transport,
    publicClient,
    wallet: (privateKey) => createWalletClient({ chain, transport, account: privateKeyToAccount(privateKey) }),
  };
}
