import { network } from "hardhat";
import { custom, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { connectChain, type ChainClients } from "../../server/chain/clients";
import { deployRegistry, type DeployedRegistry } from "../../scripts/deploy/deployRegistry";

export interface DeployedOnHardhat extends DeployedRegistry {
  clients: ChainClients;
  keys: { admin: Hex; issuer: Hex; recorder: Hex };
}

/** viem clients on the in-process Hardhat network that `hardhat test` runs. */
export function inProcessChain(): Promise<ChainClients> {
  // No retries: nothing in process is transient, and viem would retry every revert (it sees an unknown error) with backoff.
  return connectChain(custom({ request: (args) => network.provider.request(args).catch(asNodeError) }, { retryCount: 0 }));
}

/**
 * Hardhat's in-process provider throws a revert with its data but without the JSON-RPC code a node answers
 * over HTTP (3, execution reverted), and viem decodes custom errors only with the code: add it, so reverts
 * reach the server (RegistryRevertError) as they would from a real node.
 */
function asNodeError(error: unknown): never {
  if (typeof error === "object" && error !== null && "data" in error && !("code" in error)) Object.assign(error, { code: 3 });
  throw error;
}

export async function fundedKey(): Promise<Hex> {
  const key = generatePrivateKey();
  await network.provider.request({ method: "hardhat_setBalance", params: [privateKeyToAddress(key), "0x21e19e0c9bab2400000"] });
  return key;
}

/** Deploys a registry with viem, as the main job does, from freshly generated and funded keys. */
export async function deployWithViem(): Promise<DeployedOnHardhat> {
  const clients = await inProcessChain();
  const keys = { admin: await fundedKey(), issuer: await fundedKey(), recorder: await fundedKey() };
  const admin = privateKeyToAddress(keys.admin);
  const deployed = await deployRegistry(
    clients.publicClient,
    clients.wallet(keys.admin),
    { admin, issuer: privateKeyToAddress(keys.issuer), recorder: privateKeyToAddress(keys.recorder), pauser: admin },
    "http://127.0.0.1:3000/metadata/",
  );
  return { ...deployed, clients, keys };
}
