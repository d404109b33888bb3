import type { Hex } from "viem";
import type { EvidenceLeaf } from "../issuance/evidence";

/**
 * Where the audit reads the evidence published for each certificate. The issuance engine publishes the
 * leaves through the API, the storage API the discharge records behind SD-GCs; the audit only needs them
 * by certificate id, and by storage device and hour.
 */
export interface EvidenceSource {
  /** The published leaves of the certificate minted as `certificateId`, or undefined when none are published. */
  leavesFor(certificateId: bigint): Promise<readonly EvidenceLeaf[] | undefined>;
  /**
   * The Wh the storage device `deviceRef` discharged over [start, end) (unix seconds), as its published
   * storage discharge records say; undefined when none is published. The SD-GCs of one hour share it.
   */
  dischargedWh(deviceRef: Hex, start: bigint, end: bigint): Promise<bigint | undefined>;
}

/** Until evidence is published, every certificate's commitment is unbacked, and the audit says so. */
export const NO_PUBLISHED_EVIDENCE: EvidenceSource = { leavesFor: async () => undefined, dischargedWh: async () => undefined };
