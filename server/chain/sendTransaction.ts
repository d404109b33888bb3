import { BaseError, ContractFunctionRevertedError, type Account, type ContractFunctionArgs, type ContractFunctionName, type Hash, type PublicClient, type TransactionReceipt } from "viem";
import { createWalletClient, custom } from "viem";
import { REGISTRY_ABI } from "./registryAbi";
import { serialised } from "../concurrency/serialised";

type RegistryAbi = typeof REGISTRY_ABI;
export type RegistryWrite = ContractFunctionName<RegistryAbi, "nonpayable">;

export interface RegistryConnection {
  publicClient: PublicClient;
  registryAddress: `0x${string}`;
}

/** The registry refused the call: `errorName` is the contract's custom error, `args` its arguments. */
export class RegistryRevertError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorName: string,
    readonly args: readonly unknown[],
  ) {
    super(`${functionName} reverted with ${errorName}(${args.map(String).join(", ")})`);
    this.name = "RegistryRevertError";
  }
}

export interface SentTransaction {
  hash: Hash;
  receipt: TransactionReceipt;
}

/**
 * Simulates, sends and waits for one registry call from `account`, which pays the gas. A revert comes back
 * as {@link RegistryRevertError} before anything is sent, so callers can map contract errors to answers.
 * Sends from one account are serialised within this process (viem reads the pending nonce per call).
 */
export function sendRegistryTransaction<F extends RegistryWrite>(
  chain: RegistryConnection,
  account: Account,
  functionName: F,
  args: ContractFunctionArgs<RegistryAbi, "nonpayable", F>,
): Promise<SentTransaction> {
  return serialised(`sender:${account.address.toLowerCase()}`, () => send(chain, account, functionName, args));
}

async function send<F extends RegistryWrite>(
  chain: RegistryConnection,
  account: Account,
  functionName: F,
  args: ContractFunctionArgs<RegistryAbi, "nonpayable", F>,
): Promise<SentTransaction> {
  const { publicClient, registryAddress } = chain;
  let request;
  try {
    ({ request } = await publicClient.simulateContract({ account, address: registryAddress, abi: REGISTRY_ABI, functionName, args } as never));
  } catch (error) {
    throw asRevert(functionName, error) ?? error;
  }
  const wallet = createWalletClient({ account, chain: publicClient.chain, transport: custom(publicClient) });
  const hash = await wallet.writeContract(request as never);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${functionName} transaction ${hash} was mined but reverted`);
  return { hash, receipt };
}

function asRevert(functionName: string, error: unknown): RegistryRevertError | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError) || !reverted.data) return undefined;
  return new RegistryRevertError(functionName, reverted.data.errorName, reverted.data.args ?? []);
}
