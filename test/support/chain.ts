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
  return connectChain(custom(network.provider));
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
