import { CertificateKind } from "../../issuance/voucherTypedData";
import { describeId, describePeriod, describeTime, periodOf, type Finding } from "../findings";
import type { IssuedCertificate, ReservationRecord } from "../ledger";
import type { VerifiedEvidence } from "./evidence";

/**
 * Check 5: every D-REC (whose ref is its reservation id) lies inside its reservation's window as the
 * reservation log records it, from its start to its end or the moment it ended, and was minted to the
 * reservation's buyer. Its verified evidence may only name devices of that reservation, each for
 * generation before any release.
 */
export function checkReservations(
  certificates: Iterable<IssuedCertificate>,
  reservations: ReadonlyMap<string, ReservationRecord>,
  verified: VerifiedEvidence,
): Finding[] {
  const findings: Finding[] = [];
  for (const certificate of certificates) {
    if (certificate.kind !== CertificateKind.DRec) continue;
    const certificateIds = [certificate.id.toString()];
    const reservation = reservations.get(certificate.ref.toLowerCase());
    if (!reservation) {
      findings.push({ code: "reservation-unknown", message: `${describeId(certificate.id)} names reservation ${certificate.ref}, which the reservation log never created.`, certificateIds });
      continue;
    }
    const window = { start: reservation.start, end: reservation.endedAt ?? reservation.end };
    if (certificate.start < window.start || certificate.end > window.end) {
      findings.push({
        code: "drec-outside-reservation",
        message: `${describeId(certificate.id)} covers ${describePeriod(certificate)}, outside reservation ${reservation.id}'s window ${describePeriod(window)}.`,
        certificateIds,
        period: periodOf(certificate),
      });
    }
    if (certificate.recipient?.toLowerCase() !== reservation.buyer.toLowerCase()) {
      findings.push({
        code: "drec-not-to-buyer",
        message: `${describeId(certificate.id)} was minted to ${certificate.recipient ?? "nobody"}, not to reservation ${reservation.id}'s buyer ${reservation.buyer}.`,
        certificateIds,
        holder: certificate.recipient,
      });
    }
    for (const leaf of verified.get(certificate.id) ?? []) {
      const membership = reservation.devices.get(leaf.deviceId.toLowerCase());
      const subject = { certificateIds, device: leaf.deviceId, period: periodOf(leaf) };
      if (!membership) {
        findings.push({ code: "device-not-in-reservation", message: `${describeId(certificate.id)}'s evidence names device ${leaf.deviceId}, which reservation ${reservation.id} never held.`, ...subject });
      } else if (membership.releasedAt !== undefined && leaf.end > membership.releasedAt) {
        findings.push({
          code: "device-released",
          message: `${describeId(certificate.id)}'s evidence certifies device ${leaf.deviceId} over ${describePeriod(leaf)}, but reservation ${reservation.id} released it at ${describeTime(membership.releasedAt)}.`,
          ...subject,
        });
      }
    }
  }
  return findings;
}
