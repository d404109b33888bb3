import { CertificateKind } from "../../issuance/voucherTypedData";
import { describeId, describePeriod, periodOf, type Finding } from "../findings";
import type { IssuedCertificate } from "../ledger";
import type { VerifiedEvidence } from "./evidence";

/** One certificate's claim on one device's generation over [start, end). */
interface Claim {
  device: string;
  start: bigint;
  end: bigint;
  certificateId: bigint;
  /** Which of the certificate's leaves; undefined for a GC's own ref and period. */
  leaf?: number;
}

/**
 * Check 4: no device-period is certified twice. Claims come from every certificate's verified evidence
 * leaves and, for the GC families, from the certificate's own device (`ref`) and period. A certificate's
 * ref and its own leaves claim the same generation once; two of its leaves overlapping is double counting.
 * Split children carry no claims of their own (they are not issued by voucher), and revoked certificates
 * are left out: revocation is how a double certification is withdrawn.
 */
export function checkDoubleCertification(
  certificates: Iterable<IssuedCertificate>,
  verified: VerifiedEvidence,
  revoked: ReadonlySet<bigint>,
): Finding[] {
  const byDevice = new Map<string, Claim[]>();
  const add = (claim: Claim) => {
    const claims = byDevice.get(claim.device);
    if (claims) claims.push(claim);
    else byDevice.set(claim.device, [claim]);
  };
  for (const certificate of certificates) {
    if (revoked.has(certificate.id)) continue;
    verified.get(certificate.id)?.forEach((leaf, index) => add({ device: leaf.deviceId.toLowerCase(), start: leaf.start, end: leaf.end, certificateId: certificate.id, leaf: index }));
    if (certificate.kind !== CertificateKind.DRec) {
      add({ device: certificate.ref.toLowerCase(), start: certificate.start, end: certificate.end, certificateId: certificate.id });
    }
  }

  const findings = new Map<string, Finding>();
  for (const [device, claims] of byDevice) {
    claims.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let open: Claim[] = [];
    for (const claim of claims) {
      open = open.filter((earlier) => earlier.end > claim.start);
      for (const earlier of open) {
        const sameCertificate = earlier.certificateId === claim.certificateId;
        if (sameCertificate && (earlier.leaf === undefined || claim.leaf === undefined)) continue;
        const overlap = { start: claim.start, end: earlier.end < claim.end ? earlier.end : claim.end };
        const ids = [...new Set([earlier.certificateId, claim.certificateId])].sort((a, b) => (a < b ? -1 : 1));
        const key = `${device}|${ids.join(",")}|${overlap.start}|${overlap.end}`;
        if (findings.has(key)) continue;
        findings.set(key, {
          code: "device-period-certified-twice",
          message: sameCertificate
            ? `Device ${device}'s generation over ${describePeriod(overlap)} is counted twice in ${describeId(ids[0])} (two of its leaves overlap).`
            : `Device ${device}'s generation over ${describePeriod(overlap)} is certified by both ${describeId(ids[0])} and ${describeId(ids[1])}.`,
          certificateIds: ids.map(String),
          device,
          period: periodOf(overlap),
        });
      }
      open.push(claim);
    }
  }
  return [...findings.values()];
}
