import { ethers, network } from "hardhat";
import type { Signer } from "ethers";
import type { CertificateRegistry } from "../../typechain-types";
import {
  CertificateKind,
  voucherDomain,
  voucherTypes,
  type Voucher,
  type VoucherCertificate,
} from "../../server/issuance/voucherTypedData";

export { CertificateKind };
export type { Voucher, VoucherCertificate };

export const HOUR = 3600n;
export const DAY = 24n * HOUR;
export const Frequency = { Hourly: 0, Daily: 1, Weekly: 2, Monthly: 3, Quarterly: 4 } as const;
export const Standard = { DRec: 0, IRec: 1 } as const;
export const RetirementReason = { Claimed: 0, Cancelled: 1, CancelledForStorage: 2, Exported: 3, Split: 4 } as const;
export const EndReason = { Ended: 0, TargetReached: 1 } as const;

export const BASE_URI = "http://127.0.0.1:3000/metadata/";

export async function deployRegistry() {
  const [admin, issuer, recorder, pauser, developer, buyer, other, ...rest] = await ethers.getSigners();
  const registry = (await ethers.deployContract("CertificateRegistry", [
    admin.address,
    issuer.address,
    recorder.address,
    pauser.address,
    BASE_URI,
  ])) as unknown as CertificateRegistry;
  await registry.waitForDeployment();
  return { registry, admin, issuer, recorder, pauser, developer, buyer, other, rest };
}

/** EIP-712 domain and types of `registry`'s vouchers (on the current chain unless `chainId` is given). */
export async function voucherTypedData(registry: CertificateRegistry, chainId?: bigint) {
  const domain = voucherDomain(chainId ?? (await ethers.provider.getNetwork()).chainId, (await registry.getAddress()) as `0x${string}`);
  const types = { Voucher: [...voucherTypes.Voucher], Certificate: [...voucherTypes.Certificate] };
  return { domain, types };
}

export async function signVoucher(
  registry: CertificateRegistry,
  signer: Signer,
  voucher: Voucher,
  chainId?: bigint,
): Promise<string> {
  const { domain, types } = await voucherTypedData(registry, chainId);
  return signer.signTypedData(domain, types, voucher);
}

export function idOf(label: string): `0x${string}` {
  return ethers.id(label) as `0x${string}`;
}

export async function now(): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  return BigInt(block!.timestamp);
}

export async function increaseTime(seconds: bigint): Promise<void> {
  await network.provider.send("evm_increaseTime", [Number(seconds)]);
  await network.provider.send("evm_mine");
}

let nextNonce = 1n;
/** Nonces unique across a test run, so tests never collide on the bitmap by accident. */
export function freshNonce(): bigint {
  return nextNonce++;
}

/** A voucher of `count` hourly certificates for `ref`, ending before `endBefore`. */
export function hourlyCertificates(ref: `0x${string}`, count: number, endBefore: bigint, amount = 1_000n): VoucherCertificate[] {
  const first = endBefore - BigInt(count) * HOUR;
  return Array.from({ length: count }, (_, i) => ({
    ref,
    amount: amount + BigInt(i),
    start: first + BigInt(i) * HOUR,
    end: first + BigInt(i + 1) * HOUR,
    evidence: ethers.id(`evidence:${ref}:${i}`) as `0x${string}`,
  }));
}

export function mintedIds(registry: CertificateRegistry, receipt: { logs: readonly { topics: readonly string[]; data: string }[] }): bigint[] {
  const ids: bigint[] = [];
  for (const log of receipt.logs) {
    const parsed = registry.interface.parseLog(log);
    if (parsed?.name === "CertificateIssued") ids.push(parsed.args.id as bigint);
  }
  return ids;
}
