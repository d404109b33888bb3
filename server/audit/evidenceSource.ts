import type { EvidenceLeaf } from "../issuance/evidence";

/**
 * Where the audit reads the evidence published for each certificate. The issuance engine publishes the
 * leaves through the API; the audit only needs them by certificate id.
 */
export interface EvidenceSource {
  /** The published leaves of the certificate minted as `certificateId`, or undefined when none are published. */
  leavesFor(certificateId: bigint): Promise<readonly EvidenceLeaf[] | undefined>;
}

/** Until evidence is published, every certificate's commitment is unbacked, and the audit says so. */
export const NO_PUBLISHED_EVIDENCE: EvidenceSource = { leavesFor: async () => undefined };
