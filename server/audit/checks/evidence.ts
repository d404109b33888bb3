import { CertificateKind } from "../../issuance/voucherTypedData";
import { buildEvidenceTree, evidenceLeafProblems, verifyEvidenceProof, type EvidenceLeaf, type EvidenceTree } from "../../issuance/evidence";
import { describeId, describePeriod, periodOf, type Finding } from "../findings";
import type { IssuedCertificate } from "../ledger";

/** Leaves per certificate id as published; undefined when nothing is published for it. */
export type PublishedEvidence = ReadonlyMap<bigint, readonly EvidenceLeaf[] | undefined>;

/** Leaves per certificate id that match the certificate's on-chain commitment. */
export type VerifiedEvidence = ReadonlyMap<bigint, readonly EvidenceLeaf[]>;

/**
 * Check 3: each certificate's published leaves hash to the root it carries on chain, every device's
 * proof verifies against that root, and the leaves add up to the certificate: their Wh sum to its amount,
 * their periods lie inside its period, and a GC's leaves are all of its own device.
 *
 * Also returns the leaves that match their commitment: the later checks trust only those, so a tampered
 * publication can neither invent nor hide a double certification.
 */
export function checkEvidence(certificates: Iterable<IssuedCertificate>, published: PublishedEvidence): { findings: Finding[]; verified: VerifiedEvidence } {
  const findings: Finding[] = [];
  const verified = new Map<bigint, readonly EvidenceLeaf[]>();
  for (const certificate of certificates) {
    const certificateIds = [certificate.id.toString()];
    const leaves = published.get(certificate.id);
    if (!leaves || leaves.length === 0) {
      findings.push({ code: "evidence-missing", message: `${describeId(certificate.id)} has no published evidence for its commitment ${certificate.evidence}.`, certificateIds });
      continue;
    }
    const malformed = leaves.flatMap((leaf, index) => {
      const problems = evidenceLeafProblems(leaf);
      return problems.length === 0 ? [] : [{ code: "evidence-malformed", message: `${describeId(certificate.id)}, leaf ${index}: ${problems.join("; ")}.`, certificateIds, device: leaf.deviceId }];
    });
    if (malformed.length > 0) {
      findings.push(...malformed);
      continue;
    }
    const tree = buildEvidenceTree(leaves);
    if (tree.root.toLowerCase() !== certificate.evidence.toLowerCase()) {
      findings.push({
        code: "evidence-root-mismatch",
        message: `${describeId(certificate.id)}: its ${leaves.length} published leaves hash to ${tree.root}, but the chain commits to ${certificate.evidence}.`,
        certificateIds,
      });
      continue;
    }
    verified.set(certificate.id, leaves);
    findings.push(...proofFindings(certificate, leaves, tree), ...contentFindings(certificate, leaves));
  }
  return { findings, verified };
}

/** What any single device's owner would do: fetch its proofs and verify them against the on-chain root. */
function proofFindings(certificate: IssuedCertificate, leaves: readonly EvidenceLeaf[], tree: EvidenceTree): Finding[] {
  const devices = new Set(leaves.map((leaf) => leaf.deviceId.toLowerCase() as `0x${string}`));
  return [...devices].flatMap((device) =>
    tree
      .proofsFor(device)
      .filter(({ leaf, proof }) => !verifyEvidenceProof(certificate.evidence, leaf, proof))
      .map(({ leaf }) => ({
        code: "evidence-proof-fails",
        message: `${describeId(certificate.id)}: the proof of device ${device}'s leaf over ${describePeriod(leaf)} does not verify against ${certificate.evidence}.`,
        certificateIds: [certificate.id.toString()],
        device,
        period: periodOf(leaf),
      })),
  );
}

function contentFindings(certificate: IssuedCertificate, leaves: readonly EvidenceLeaf[]): Finding[] {
  const findings: Finding[] = [];
  const certificateIds = [certificate.id.toString()];
  const total = leaves.reduce((sum, leaf) => sum + leaf.wh, 0n);
  if (total !== certificate.amount) {
    findings.push({ code: "evidence-amount-mismatch", message: `${describeId(certificate.id)} is for ${certificate.amount} Wh, but its evidence adds up to ${total} Wh.`, certificateIds });
  }
  const isGc = certificate.kind !== CertificateKind.DRec;
  for (const leaf of leaves) {
    const subject = { certificateIds, device: leaf.deviceId, period: periodOf(leaf) };
    if (leaf.start < certificate.start || leaf.end > certificate.end) {
      findings.push({
        code: "evidence-outside-period",
        message: `${describeId(certificate.id)} covers ${describePeriod(certificate)}, but device ${leaf.deviceId}'s leaf covers ${describePeriod(leaf)}.`,
        ...subject,
      });
    }
    if (isGc && leaf.deviceId.toLowerCase() !== certificate.ref.toLowerCase()) {
      findings.push({
        code: "evidence-other-device",
        message: `${describeId(certificate.id)} is for device ${certificate.ref}, but its evidence names device ${leaf.deviceId}.`,
        ...subject,
      });
    }
  }
  return findings;
}
