/**
 * EIP-712 shape of an issuance voucher, shared by every signer (viem in the server, ethers in tests)
 * so the off-chain signature and the contract's `IssuanceVouchers` hashing cannot drift apart.
 */
export const VOUCHER_DOMAIN_NAME = "CertificateRegistry";
export const VOUCHER_DOMAIN_VERSION = "1";

export const voucherTypes = {
  Voucher: [
    { name: "recipient", type: "address" },
    { name: "kind", type: "uint8" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
    { name: "certificates", type: "Certificate[]" },
  ],
  Certificate: [
    { name: "ref", type: "bytes32" },
    { name: "amount", type: "uint256" },
    { name: "start", type: "uint64" },
    { name: "end", type: "uint64" },
    { name: "evidence", type: "bytes32" },
  ],
} as const;

/** Matches `CertificateKind` in contracts/certificates/CertificateIds.sol. */
export const CertificateKind = {
  DRec: 0,
  GranularCertificate: 1,
  StorageDischargeCertificate: 2,
  ImportedGranularCertificate: 3,
} as const;
export type CertificateKind = (typeof CertificateKind)[keyof typeof CertificateKind];

export interface VoucherCertificate {
  ref: `0x${string}`;
  amount: bigint;
  start: bigint;
  end: bigint;
  evidence: `0x${string}`;
}

export interface Voucher {
  recipient: `0x${string}`;
  kind: CertificateKind;
  nonce: bigint;
  deadline: bigint;
  certificates: VoucherCertificate[];
}

export function voucherDomain(chainId: bigint | number, verifyingContract: `0x${string}`) {
  return {
    name: VOUCHER_DOMAIN_NAME,
    version: VOUCHER_DOMAIN_VERSION,
    chainId: BigInt(chainId),
    verifyingContract,
  };
}
