import { zeroAddress, type Address, type Hex } from "viem";
import type { EvidenceLeaf } from "../../server/issuance/evidence";
import type { EvidenceSource } from "../../server/audit/evidenceSource";
import type { AuditedEvent, IssuedCertificate } from "../../server/audit/ledger";
import { KIND_SHIFT } from "../../server/audit/ledger";
import { dischargeKey } from "../../server/audit/checks/doubleCertification";

/** Hand-built inputs for the audit's pure parts. */

export const ALICE: Address = "0x00000000000000000000000000000000000A11CE";
export const BOB: Address = "0x0000000000000000000000000000000000000B0B";
export const OPERATOR: Address = "0x000000000000000000000000000000000000000F";

export const HOUR = 3600n;
export const T0 = 1_700_000_000n;

export function bytes32(label: string | number): Hex {
  const hex = typeof label === "number" ? label.toString(16) : Buffer.from(label).toString("hex");
  return `0x${hex.padStart(64, "0")}`;
}

export function idOf(kind: number, serial: number): bigint {
  return (BigInt(kind) << KIND_SHIFT) | BigInt(serial);
}

export function certificate(overrides: Partial<IssuedCertificate> & { id: bigint }): IssuedCertificate {
  return {
    kind: Number(overrides.id >> KIND_SHIFT),
    ref: bytes32("device-1"),
    amount: 1_000n,
    start: T0,
    end: T0 + HOUR,
    evidence: bytes32(0),
    recipient: ALICE,
    ...overrides,
  };
}

export function leaf(device: Hex, start: bigint, end: bigint, wh: bigint): EvidenceLeaf {
  return { deviceId: device, start, end, wh };
}

// ---------------------------------------------------------------- events, as viem decodes them

export const issuedEvent = (c: Pick<IssuedCertificate, "id" | "ref" | "amount" | "start" | "end" | "evidence">): AuditedEvent => ({
  eventName: "CertificateIssued",
  args: { id: c.id, ref: c.ref, amount: c.amount, start: c.start, end: c.end, evidence: c.evidence },
});

export const transferEvent = (from: Address, to: Address, id: bigint, value: bigint): AuditedEvent => ({
  eventName: "TransferSingle",
  args: { operator: OPERATOR, from, to, id, value },
});

export const batchEvent = (from: Address, to: Address, ids: bigint[], values: bigint[]): AuditedEvent => ({
  eventName: "TransferBatch",
  args: { operator: OPERATOR, from, to, ids, values },
});

export const mintEvent = (to: Address, id: bigint, value: bigint) => transferEvent(zeroAddress, to, id, value);
export const burnEvent = (from: Address, id: bigint, value: bigint) => transferEvent(from, zeroAddress, id, value);

export const retiredEvent = (holder: Address, id: bigint, reason: number, amount: bigint): AuditedEvent => ({
  eventName: "Retired",
  args: { holder, id, reason, amount, beneficiary: "", detailsHash: bytes32(0) },
});

export const splitEvent = (parentId: bigint, holder: Address, childIds: bigint[], amounts: bigint[]): AuditedEvent => ({
  eventName: "Split",
  args: { parentId, holder, childIds, amounts },
});

// ---------------------------------------------------------------- evidence

/** The test stand-in for the API's published evidence: leaves kept per certificate id. */
export class MapEvidenceSource implements EvidenceSource {
  readonly leaves = new Map<bigint, EvidenceLeaf[]>();

  publish(certificateId: bigint, leaves: EvidenceLeaf[]): void {
    this.leaves.set(certificateId, leaves);
  }

  async leavesFor(certificateId: bigint): Promise<readonly EvidenceLeaf[] | undefined> {
    return this.leaves.get(certificateId);
  }

  /** Published discharge Wh by `${deviceRef}|${start}|${end}` (see dischargeKey). */
  readonly discharges = new Map<string, bigint>();

  async dischargedWh(deviceRef: `0x${string}`, start: bigint, end: bigint): Promise<bigint | undefined> {
    return this.discharges.get(dischargeKey(deviceRef, start, end));
  }
}
