import type { LocalAccount, PublicClient } from "viem";
import { voucherDomain, voucherTypes, type Voucher } from "./voucherTypedData";

type Hex = `0x${string}`;

/** Voucher lifetime: long enough for a developer's wallet to be funded, short enough that a lost one dies soon. */
export const VOUCHER_LIFETIME_SECONDS = 24 * 3600;

/** The issuer's EIP-712 signature over `voucher` for the registry at `registryAddress` on this chain. */
export function signVoucher(issuer: LocalAccount, chain: { publicClient: PublicClient; registryAddress: Hex }, voucher: Voucher): Promise<Hex> {
  const chainId = chain.publicClient.chain?.id;
  if (chainId === undefined) throw new Error("signVoucher needs a public client bound to a chain (its id is in the EIP-712 domain)");
  return issuer.signTypedData({
    domain: voucherDomain(chainId, chain.registryAddress),
    types: voucherTypes,
    primaryType: "Voucher",
    message: voucher,
  });
}

/** Unix seconds of a UTC millisecond instant, floored (certificate periods and deadlines are whole seconds). */
export function toUnixSeconds(ms: number): bigint {
  return BigInt(Math.floor(ms / 1000));
}
