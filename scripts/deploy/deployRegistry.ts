import { artifacts } from "hardhat";
import type { Address, Hex, PublicClient } from "viem";
import type { Wallet } from "../../server/chain/clients";

export interface RegistryRoles {
  admin: Address;
  issuer: Address;
  recorder: Address;
  pauser: Address;
}

export interface DeployedRegistry {
  address: Address;
  blockNumber: bigint;
  transactionHash: Hex;
}

/** Deploys CertificateRegistry from `deployer` and waits for it to be mined. */
export async function deployRegistry(
  publicClient: PublicClient,
  deployer: Wallet,
  roles: RegistryRoles,
  metadataBaseUrl: string,
): Promise<DeployedRegistry> {
  const artifact = await artifacts.readArtifact("CertificateRegistry");
  const transactionHash = await deployer.deployContract({
    abi: artifact.abi,
    bytecode: artifact.bytecode as Hex,
    args: [roles.admin, roles.issuer, roles.recorder, roles.pauser, metadataBaseUrl],
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash: transactionHash });
  if (receipt.status !== "success" || !receipt.contractAddress) {
    throw new Error(`Registry deployment failed in transaction ${transactionHash}`);
  }
  return { address: receipt.contractAddress, blockNumber: receipt.blockNumber, transactionHash };
}
