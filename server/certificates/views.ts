/** Certificates as the API shows them, built from what the store loaded. Pure, tested directly. */
import { localIso } from "../reads/readTime";
import type { StandardState } from "../issuance/schema";
import type { CertificateStatus as ChainStatus } from "../chain/names";
import type { certificateClaims } from "./schema";

/** One evidence leaf of a certificate, with the device it belongs to. Times in unix seconds, as in the leaf. */
export interface ContributionRecord {
  deviceId: string;
  externalId: string;
  projectName: string | null;
  countryCode: string;
  timeZone: string;
  start: number;
  end: number;
  wh: bigint;
}

/** What the indexer's mirror says of the certificate and one wallet's share; null before it indexed the mint. */
export type MirrorRecord = { status: ChainStatus; wallet: string; ownedWh: string; claimedWh: string } | null;

export interface CertificateRecord {
  jobId: string;
  certificateId: string;
  reservation: { id: string; name: string; standard: "D-REC" | "I-REC"; frequency: string };
  buyerOrganisationId: string;
  buyerWallet: string;
  developer: { id: string; name: string };
  countryCode: string;
  /** Unix ms. */
  windowStart: number;
  windowEnd: number;
  volumeWh: bigint;
  evidenceRoot: string;
  txHash: string | null;
  gasPaidWei: string | null;
  standard: { state: StandardState | null; firstSerial: string | null; lastSerial: string | null; txHash: string | null };
  mirror: MirrorRecord;
  contributions: ContributionRecord[];
}

export const CERTIFICATE_STATUSES = ["minted", "provisional", "irec-issued", "revoked"] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/**
 * Where the certificate stands: `minted` (a D-REC, movable), `provisional` (an I-REC reservation's
 * certificate waiting for the I-REC registry; it cannot move or be claimed yet), `irec-issued` (serials
 * recorded, movable, redeemable as I-REC or D-REC), `revoked` (an I-REC certificate an administrator revoked
 * before its serials were recorded).
 */
export function certificateStatus(standard: CertificateRecord["standard"]): CertificateStatus {
  if (standard.state === "provisional") return "provisional";
  if (standard.state === "issued") return "irec-issued";
  if (standard.state === "revoked") return "revoked";
  return "minted";
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A contribution in UTC and in the device's own time zone (seed: certificate logs show both). */
export function contributionView(c: ContributionRecord) {
  const startMs = c.start * 1000;
  const endMs = c.end * 1000;
  return {
    deviceId: c.deviceId,
    externalId: c.externalId,
    projectName: c.projectName,
    countryCode: c.countryCode,
    timeZone: c.timeZone,
    start: iso(startMs),
    end: iso(endMs),
    startLocal: localIso(startMs, c.timeZone),
    endLocal: localIso(endMs, c.timeZone),
    wh: c.wh.toString(),
  };
}

export function certificateView(record: CertificateRecord) {
  const status = certificateStatus(record.standard);
  return {
    id: record.certificateId,
    reservation: record.reservation,
    generationStart: iso(record.windowStart),
    generationEnd: iso(record.windowEnd),
    volumeWh: record.volumeWh.toString(),
    wallet: record.mirror?.wallet ?? null,
    ownedWh: record.mirror?.ownedWh ?? null,
    claimedWh: record.mirror?.claimedWh ?? null,
    chainStatus: record.mirror?.status ?? null,
    status,
    irec:
      record.reservation.standard === "I-REC"
        ? { firstSerial: record.standard.firstSerial, lastSerial: record.standard.lastSerial, serialsTxHash: record.standard.txHash }
        : null,
    txHash: record.txHash,
    gasPaidWei: record.gasPaidWei,
    contributions: record.contributions.map(contributionView),
  };
}

export function certificateDetailView(record: CertificateRecord, claims: ClaimView[]) {
  return {
    ...certificateView(record),
    evidenceRoot: record.evidenceRoot,
    organisation: record.developer,
    buyerOrganisationId: record.buyerOrganisationId,
    buyerWallet: record.buyerWallet,
    claims,
  };
}

export type ClaimRow = typeof certificateClaims.$inferSelect;

export function claimView(row: ClaimRow) {
  return {
    id: row.id,
    certificateId: row.certificateId,
    holder: row.holder,
    amountWh: String(row.amountWh),
    redeemAs: row.redeemAs,
    custody: row.custody,
    state: row.state,
    details: JSON.parse(row.details) as Record<string, unknown>,
    canonicalDetails: row.details,
    detailsHash: row.detailsHash,
    txHash: row.txHash,
    irec: row.irecRedemptionId === null ? null : { redemptionId: row.irecRedemptionId, firstSerial: row.irecFirstSerial!, lastSerial: row.irecLastSerial! },
    error: row.error,
    createdAt: iso(row.createdAt),
  };
}
export type ClaimView = ReturnType<typeof claimView>;
