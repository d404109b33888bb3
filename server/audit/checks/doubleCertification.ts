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
  /** An SD-GC's: SD-GCs of one storage device and hour split that hour's discharge between them. */
  discharge?: true;
}

/** Published discharge Wh of storage device `device` over [start, end), keyed by {@link dischargeKey}. */
export type PublishedDischarges = ReadonlyMap<string, bigint | undefined>;

export const dischargeKey = (device: string, start: bigint, end: bigint): string => `${device.toLowerCase()}|${start}|${end}`;

/** The (storage device, hour) of each SD-GC the check counts: what the audit asks the published discharges for. */
export function dischargePeriods(certificates: Iterable<IssuedCertificate>, revoked: ReadonlySet<bigint>): { device: `0x${string}`; start: bigint; end: bigint }[] {
  const periods = new Map<string, { device: `0x${string}`; start: bigint; end: bigint }>();
  for (const c of certificates) {
    if (c.kind === CertificateKind.StorageDischargeCertificate && !revoked.has(c.id)) periods.set(dischargeKey(c.ref, c.start, c.end), { device: c.ref, start: c.start, end: c.end });
  }
  return [...periods.values()];
}

/**
 * Check 4: no device-period is certified twice. Claims come from every certificate's verified evidence
 * leaves and, for the GC families, from the certificate's own device (`ref`) and period. A certificate's
 * ref and its own leaves claim the same generation once; two of its leaves overlapping is double counting.
 * Split children carry no claims of their own (they are not issued by voucher), and revoked certificates
 * are left out: revocation is how a double certification is withdrawn.
 *
 * SD-GCs are the exception that energy allows: a discharge hour can be allocated in parts, each minted as
 * its own SD-GC, so SD-GCs of one storage device and the very same hour do not clash with each other.
 * Instead, together they must hold no more than the published discharge records of that hour.
 */
export function checkDoubleCertification(
  certificates: Iterable<IssuedCertificate>,
  verified: VerifiedEvidence,
  revoked: ReadonlySet<bigint>,
  discharges: PublishedDischarges = new Map(),
): Finding[] {
  const byDevice = new Map<string, Claim[]>();
  const add = (claim: Claim) => {
    const claims = byDevice.get(claim.device);
    if (claims) claims.push(claim);
    else byDevice.set(claim.device, [claim]);
  };
  const dischargeGroups = new Map<string, { device: string; start: bigint; end: bigint; ids: bigint[]; wh: bigint }>();
  for (const certificate of certificates) {
    if (revoked.has(certificate.id)) continue;
    const discharge = certificate.kind === CertificateKind.StorageDischargeCertificate ? (true as const) : undefined;
    verified.get(certificate.id)?.forEach((leaf, index) => add({ device: leaf.deviceId.toLowerCase(), start: leaf.start, end: leaf.end, certificateId: certificate.id, leaf: index, discharge }));
    if (certificate.kind !== CertificateKind.DRec) {
      add({ device: certificate.ref.toLowerCase(), start: certificate.start, end: certificate.end, certificateId: certificate.id, discharge });
    }
    if (discharge) {
      const key = dischargeKey(certificate.ref, certificate.start, certificate.end);
      const group = dischargeGroups.get(key) ?? { device: certificate.ref.toLowerCase(), start: certificate.start, end: certificate.end, ids: [], wh: 0n };
      group.ids.push(certificate.id);
      group.wh += certificate.amount;
      dischargeGroups.set(key, group);
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
        if (!sameCertificate && earlier.discharge && claim.discharge && earlier.start === claim.start && earlier.end === claim.end) continue;
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
  return [...findings.values(), ...dischargeFindings(dischargeGroups.values(), discharges)];
}

function dischargeFindings(groups: Iterable<{ device: string; start: bigint; end: bigint; ids: bigint[]; wh: bigint }>, discharges: PublishedDischarges): Finding[] {
  return [...groups].flatMap((group) => {
    const recorded = discharges.get(dischargeKey(group.device, group.start, group.end));
    if (recorded !== undefined && group.wh <= recorded) return [];
    const ids = group.ids.sort((a, b) => (a < b ? -1 : 1));
    const held = `${ids.map(describeId).join(", ")} of storage device ${group.device} over ${describePeriod(group)} hold ${group.wh} Wh`;
    return [
      {
        code: recorded === undefined ? "discharge-record-missing" : "discharge-certified-twice",
        message: recorded === undefined ? `${held}, but no discharge record is published for that period.` : `${held}, more than the ${recorded} Wh its published discharge records say.`,
        certificateIds: ids.map(String),
        device: group.device,
        period: periodOf(group),
      },
    ];
  });
}
