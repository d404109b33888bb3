/**
 * Reading certificates: the issuance engine's minted jobs joined with their reservations, devices and the
 * indexer's mirror (owned and claimed Wh). Who sees what is a {@link CertificateScope}; filters and the
 * keyset cursor are applied in SQL.
 */
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/database";
import { devices } from "../devices/schema";
import { sdgMask, type OffTaker, type SdgBenefit } from "../devices/catalogue";
import { certifiedDevices, issuanceJobDevices, issuanceJobs, issuanceLeaves, type StandardState } from "../issuance/schema";
import { confirmedWhOf, issuedWhOf } from "../issuance/progress";
import { reservationDevices, reservations } from "../reservations/schema";
import { wallets } from "../wallets/schema";
import { pageOf, type Page, type Position } from "../chain/pagination";
import { SqlFilter } from "../chain/sqlFilter";
import type { CertificateRow as ChainCertificateRow } from "../chain/views";
import { certificateClaims } from "./schema";
import type { MetadataDevice, MetadataInput } from "./metadata";
import type { CertificateRecord, ContributionRecord, MirrorRecord } from "./views";

/** Whose certificates a caller sees. */
export type CertificateScope =
  | { kind: "all" }
  /** Certificates its devices contributed to, showing only its own devices' contributions. */
  | { kind: "developer"; organisationId: string }
  /** Certificates of its reservations, or that any of its wallets holds or held. */
  | { kind: "buyer"; organisationId: string; wallets: string[] };

export interface CertificateListQuery {
  countryCode?: string[];
  offTaker?: OffTaker[];
  sdgBenefits?: SdgBenefit[];
  /** Unix ms: generation starting at or after / ending at or before. */
  from?: number;
  to?: number;
  reservationId?: string;
  /** Lower-case: certificates minted to or held by this wallet; owned and claimed Wh are then this wallet's. */
  wallet?: string;
  limit: number;
  after?: Position;
}

/** The columns of a certificate row, as selected by {@link SELECT}. */
interface JobRow {
  id: string;
  certificate_id: string;
  reservation_id: string;
  organisation_id: string;
  country_code: string;
  window_start: number;
  window_end: number;
  amount_wh: number;
  evidence_root: string;
  tx_hash: string | null;
  gas_paid_wei: string | null;
  standard_state: StandardState | null;
  standard_first_serial: string | null;
  standard_last_serial: string | null;
  standard_tx_hash: string | null;
  reservation_name: string;
  reservation_standard: "D-REC" | "I-REC";
  reservation_frequency: string;
  reservation_wallet: string;
  buyer_organisation_id: string;
  developer_name: string;
}

const SELECT = `SELECT j.id, j.certificate_id, j.reservation_id, j.organisation_id, j.country_code, j.window_start, j.window_end,
    j.amount_wh, j.evidence_root, j.tx_hash, j.gas_paid_wei, j.standard_state, j.standard_first_serial, j.standard_last_serial,
    j.standard_tx_hash, r.name AS reservation_name, r.standard AS reservation_standard, r.frequency AS reservation_frequency,
    r.wallet_address AS reservation_wallet, r.buyer_organisation_id, o.name AS developer_name
  FROM issuance_jobs j
  JOIN reservations r ON r.id = j.reservation_id
  JOIN organisations o ON o.id = j.organisation_id`;

/** Lower-case addresses of an organisation's wallets, as the mirror spells holders. */
export function organisationWallets(db: Db, organisationId: string): string[] {
  return db
    .select({ address: wallets.address })
    .from(wallets)
    .where(eq(wallets.organisationId, organisationId))
    .all()
    .map((w) => w.address.toLowerCase());
}

function scoped(filter: SqlFilter, scope: CertificateScope): SqlFilter {
  filter.add("j.state = 'confirmed'");
  if (scope.kind === "developer") filter.add("j.organisation_id = ?", scope.organisationId);
  if (scope.kind === "buyer") {
    const held =
      scope.wallets.length === 0
        ? ""
        : ` OR EXISTS (SELECT 1 FROM chain_balances b WHERE b.certificate_id = j.certificate_id AND b.holder IN (${scope.wallets.map(() => "?").join(", ")}))`;
    filter.add(`(r.buyer_organisation_id = ?${held})`, scope.organisationId, ...scope.wallets);
  }
  return filter;
}

/** One page of the certificates in `scope`, newest generation first. */
export function listCertificates(db: Db, scope: CertificateScope, query: CertificateListQuery): Page<CertificateRecord> {
  const filter = scoped(new SqlFilter(), scope);
  if (query.reservationId) filter.add("j.reservation_id = ?", query.reservationId);
  if (query.from !== undefined) filter.add("j.window_start >= ?", query.from);
  if (query.to !== undefined) filter.add("j.window_end <= ?", query.to);
  if (query.wallet) {
    filter.add("(lower(r.wallet_address) = ? OR EXISTS (SELECT 1 FROM chain_balances b WHERE b.certificate_id = j.certificate_id AND b.holder = ?))", query.wallet, query.wallet);
  }
  // One contributing device, as it was certified, must match every device filter (a developer's certificates hold only its devices).
  const device = new SqlFilter().add("l.job_id = j.id").anyOf("d.country_code", query.countryCode).anyOf("d.off_taker", query.offTaker);
  if (query.sdgBenefits) {
    const mask = sdgMask(query.sdgBenefits);
    device.add("(d.sdg_benefits & ?) = ?", mask, mask);
  }
  if (device.conditions.length > 1) {
    filter.add(
      `EXISTS (SELECT 1 FROM issuance_leaves l
         JOIN issuance_job_devices jd ON jd.job_id = l.job_id AND jd.device_id = l.device_id
         JOIN certified_devices d ON d.id = jd.certified_device_id ${device.where})`,
      ...device.params,
    );
  }
  filter.after(["j.window_start", "j.id"], query.after, "desc");
  const rows = db.$client
    .prepare(`${SELECT} ${filter.where} ORDER BY j.window_start DESC, j.id DESC LIMIT ?`)
    .all(...filter.params, query.limit + 1) as JobRow[];
  const page = pageOf(rows, query.limit, (row) => [row.window_start, row.id], (row) => row);
  return { items: withDetails(db, scope, page.items, query.wallet), nextCursor: page.nextCursor };
}

/** A minted certificate in `scope` by token id, or undefined. `wallet` picks whose owned and claimed Wh are shown. */
export function findCertificate(db: Db, scope: CertificateScope, certificateId: string, wallet?: string): CertificateRecord | undefined {
  const filter = scoped(new SqlFilter(), scope).add("j.certificate_id = ?", certificateId);
  const row = db.$client.prepare(`${SELECT} ${filter.where}`).get(...filter.params) as JobRow | undefined;
  return row && withDetails(db, scope, [row], wallet)[0];
}

/** Contributions and mirror figures for a page of rows, in three queries whatever the page size. */
function withDetails(db: Db, scope: CertificateScope, rows: JobRow[], wallet: string | undefined): CertificateRecord[] {
  if (rows.length === 0) return [];
  const contributions = contributionsOf(db, rows.map((r) => r.id), scope.kind === "developer" ? scope.organisationId : undefined);
  const ids = rows.map((r) => r.certificate_id);
  const marks = ids.map(() => "?").join(", ");
  const chain = new Map(
    (db.$client.prepare(`SELECT id, status FROM chain_certificates WHERE id IN (${marks})`).all(...ids) as Pick<ChainCertificateRow, "id" | "status">[]).map((c) => [c.id, c.status]),
  );
  const holderOf = (row: JobRow) => wallet ?? row.reservation_wallet.toLowerCase();
  const pairs = rows.map((row) => [holderOf(row), row.certificate_id]);
  const balances = new Map(
    (
      db.$client
        .prepare(`SELECT holder, certificate_id, amount, claimed FROM chain_balances WHERE (holder, certificate_id) IN (VALUES ${pairs.map(() => "(?, ?)").join(", ")})`)
        .all(...pairs.flat()) as { holder: string; certificate_id: string; amount: string; claimed: string }[]
    ).map((b) => [`${b.holder}|${b.certificate_id}`, b]),
  );
  return rows.map((row) => {
    const holder = holderOf(row);
    const status = chain.get(row.certificate_id);
    const balance = balances.get(`${holder}|${row.certificate_id}`);
    const mirror: MirrorRecord = status === undefined ? null : { status, wallet: holder, ownedWh: balance?.amount ?? "0", claimedWh: balance?.claimed ?? "0" };
    return {
      jobId: row.id,
      certificateId: row.certificate_id,
      reservation: { id: row.reservation_id, name: row.reservation_name, standard: row.reservation_standard, frequency: row.reservation_frequency },
      buyerOrganisationId: row.buyer_organisation_id,
      buyerWallet: row.reservation_wallet,
      developer: { id: row.organisation_id, name: row.developer_name },
      countryCode: row.country_code,
      windowStart: row.window_start,
      windowEnd: row.window_end,
      volumeWh: BigInt(row.amount_wh),
      evidenceRoot: row.evidence_root,
      txHash: row.tx_hash,
      gasPaidWei: row.gas_paid_wei,
      standard: { state: row.standard_state, firstSerial: row.standard_first_serial, lastSerial: row.standard_last_serial, txHash: row.standard_tx_hash },
      mirror,
      contributions: contributions.get(row.id) ?? [],
    };
  });
}

function contributionsOf(db: Db, jobIds: string[], onlyOrganisationId: string | undefined): Map<string, ContributionRecord[]> {
  const where = onlyOrganisationId === undefined ? inArray(issuanceLeaves.jobId, jobIds) : and(inArray(issuanceLeaves.jobId, jobIds), eq(devices.organisationId, onlyOrganisationId));
  const rows = db
    .select({
      jobId: issuanceLeaves.jobId,
      deviceId: issuanceLeaves.deviceId,
      start: issuanceLeaves.start,
      end: issuanceLeaves.end,
      wh: issuanceLeaves.wh,
      facts: certifiedDevices.facts,
    })
    .from(issuanceLeaves)
    .innerJoin(devices, eq(devices.id, issuanceLeaves.deviceId))
    .innerJoin(issuanceJobDevices, and(eq(issuanceJobDevices.jobId, issuanceLeaves.jobId), eq(issuanceJobDevices.deviceId, issuanceLeaves.deviceId)))
    .innerJoin(certifiedDevices, eq(certifiedDevices.id, issuanceJobDevices.certifiedDeviceId))
    .where(where)
    .orderBy(issuanceLeaves.jobId, sql`json_extract(${certifiedDevices.facts}, '$.externalId')`, issuanceLeaves.start)
    .all();
  const byJob = new Map<string, ContributionRecord[]>();
  for (const { jobId, facts, ...leaf } of rows) {
    const device = JSON.parse(facts) as MetadataDevice;
    const contribution = { ...leaf, externalId: device.externalId, projectName: device.projectName, countryCode: device.countryCode, timeZone: device.timeZone, wh: BigInt(leaf.wh) };
    byJob.set(jobId, [...(byJob.get(jobId) ?? []), contribution]);
  }
  return byJob;
}

/** Everything the ERC-1155 metadata of a minted certificate is built from, or undefined for an unknown id. */
export function metadataInputOf(db: Db, certificateId: string): MetadataInput | undefined {
  const record = findCertificate(db, { kind: "all" }, certificateId);
  if (!record) return undefined;
  const reservation = db.select().from(reservations).where(eq(reservations.id, record.reservation.id)).get()!;
  const developerWallet = db
    .select({ address: wallets.address })
    .from(wallets)
    .where(and(eq(wallets.organisationId, record.developer.id), eq(wallets.kind, "managed")))
    .get();
  // The group as it was when the certificate was planned: every device this developer had in the
  // reservation (in the certificate's country, for I-REC).
  const groupDevices = db
    .select({ facts: certifiedDevices.facts })
    .from(issuanceJobDevices)
    .innerJoin(certifiedDevices, eq(certifiedDevices.id, issuanceJobDevices.certifiedDeviceId))
    .where(eq(issuanceJobDevices.jobId, record.jobId))
    .all()
    .map((row) => JSON.parse(row.facts) as MetadataDevice);
  const members = db
    .select({ addedAt: reservationDevices.addedAt, releasedAt: reservationDevices.releasedAt })
    .from(reservationDevices)
    .where(and(eq(reservationDevices.reservationId, reservation.id), inArray(reservationDevices.deviceId, groupDevices.map((d) => d.id))))
    .all();
  // The group changes when a device joins or leaves, and when the reservation ends.
  const groupUpdatedAt = Math.max(reservation.createdAt, reservation.endedAt ?? 0, ...members.flatMap((m) => [m.addedAt, m.releasedAt ?? 0]));
  const failed = db
    .select({ wh: sql<number | null>`sum(${issuanceJobs.amountWh})` })
    .from(issuanceJobs)
    .where(and(eq(issuanceJobs.reservationId, reservation.id), eq(issuanceJobs.state, "failed")))
    .get();
  return {
    certificateId,
    volumeWh: record.volumeWh,
    generationStart: record.windowStart,
    generationEnd: record.windowEnd,
    evidenceRoot: record.evidenceRoot,
    txHash: record.txHash,
    countryCode: record.countryCode,
    standard: record.standard,
    reservation: {
      id: reservation.id,
      name: reservation.name,
      standard: reservation.standard,
      frequency: reservation.frequency,
      targetWh: BigInt(reservation.targetWh),
      canExceedTarget: reservation.canExceedTarget,
      startAt: reservation.startAt,
      endAt: reservation.endAt,
      createdAt: reservation.createdAt,
      buyerOrganisationId: reservation.buyerOrganisationId,
      buyerWallet: reservation.walletAddress,
      succeededWh: confirmedWhOf(db, reservation.id),
      requestedWh: issuedWhOf(db, reservation.id),
      failedWh: BigInt(failed?.wh ?? 0),
    },
    developer: { id: record.developer.id, name: record.developer.name, wallet: developerWallet?.address ?? null },
    group: { devices: groupDevices, updatedAt: groupUpdatedAt },
    contributingDeviceIds: [...new Set(record.contributions.map((c) => c.deviceId))],
  };
}

/** Claims the platform published for a certificate, newest first: one organisation's, or everyone's. */
export function claimsOf(db: Db, certificateId: string, organisationId: string | undefined) {
  const where = and(eq(certificateClaims.certificateId, certificateId), organisationId === undefined ? undefined : eq(certificateClaims.organisationId, organisationId));
  return db.select().from(certificateClaims).where(where).orderBy(desc(certificateClaims.createdAt), desc(certificateClaims.id)).all();
}
