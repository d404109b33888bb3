/**
 * GC bundles retired for a beneficiary (cancelled or claimed through the API), assembled as the CDS
 * publications need them. The certificate facts come from the bundle's EnergyTag attributes, fixed at
 * issuance, so a later edit of the device does not rewrite what was published. Devices record no emission
 * factors, so only the direct factor of combustion-free sources is known (see retiredCertificate.ts).
 */
import { and, asc, desc, eq, gt, gte, lt, lte, or, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { organisations } from "../auth/schema";
import type { DbOrTx } from "../db/database";
import { devices } from "../devices/schema";
import { gcAccounts, gcBundles } from "../gc/schema";
import { gcRetirements } from "../gc/accounts/schema";
import type { RetiredCertificateRecord } from "./retiredCertificate";
import type { PageCursor } from "./pagination";

export interface RetirementFilter {
  /** The retiring organisation; undefined for every organisation (platform administrators and auditors). */
  organisationId?: string;
  beneficiary?: string;
  /** UTC ms: production periods within [periodStart, periodEnd]. */
  periodStart?: number;
  periodEnd?: number;
}

const destination = alias(organisations, "destination_organisation");
const source = alias(organisations, "source_organisation");

function selectRecords(db: DbOrTx, filter: RetirementFilter, extra?: SQL) {
  return db
    .select({ retirement: gcRetirements, bundle: gcBundles, destination: { id: destination.id, name: destination.name }, source: { id: source.id, name: source.name } })
    .from(gcRetirements)
    .innerJoin(gcBundles, eq(gcBundles.id, gcRetirements.bundleId))
    .innerJoin(gcAccounts, eq(gcAccounts.id, gcRetirements.accountId))
    .innerJoin(destination, eq(destination.id, gcAccounts.organisationId))
    .innerJoin(devices, eq(devices.id, gcBundles.deviceId))
    .innerJoin(source, eq(source.id, devices.organisationId))
    .where(
      and(
        filter.organisationId === undefined ? undefined : eq(gcAccounts.organisationId, filter.organisationId),
        filter.beneficiary === undefined ? undefined : eq(gcRetirements.beneficiary, filter.beneficiary),
        filter.periodStart === undefined ? undefined : gte(gcBundles.startAt, filter.periodStart),
        filter.periodEnd === undefined ? undefined : lte(gcBundles.endAt, filter.periodEnd),
        extra,
      ),
    );
}

type Row = ReturnType<ReturnType<typeof selectRecords>["all"]>[number];

function recordOf(row: Row): RetiredCertificateRecord {
  const { retirement, bundle } = row;
  const attributes = bundle.attributes;
  return {
    certificate: { number: bundle.id, periodStart: bundle.startAt, periodEnd: bundle.endAt, issuedAt: Date.parse(`${attributes.issuanceDate}T00:00:00Z`) },
    device: {
      id: bundle.deviceId,
      name: attributes.deviceName,
      countryCode: attributes.country,
      grid: attributes.location.grid,
      commissioningDate: attributes.commissioningDate,
      technologyType: attributes.technology,
      energySource: attributes.energySource,
      emissionsFactorDirect: null,
      emissionsFactorLca: null,
    },
    retirement: {
      id: retirement.id,
      retiredAt: retirement.retiredAt,
      modifiedAt: retirement.retiredAt,
      amountWh: BigInt(bundle.energyWh),
      certificateIds: { start: BigInt(bundle.rangeStart), end: BigInt(bundle.rangeEnd) },
    },
    beneficiary: { type: retirement.beneficiaryType, ids: [retirement.beneficiary], location: retirement.beneficiaryLocation },
    source: row.source,
    destination: row.destination,
  };
}

/** Every matching retirement, in production order (for statements, which a period bounds). */
export function retirementsIn(db: DbOrTx, filter: RetirementFilter): RetiredCertificateRecord[] {
  return selectRecords(db, filter).orderBy(asc(gcBundles.startAt), asc(gcRetirements.retiredAt), asc(gcRetirements.id)).all().map(recordOf);
}

export interface RetirementPage {
  records: RetiredCertificateRecord[];
  hasPrevious: boolean;
  hasNext: boolean;
}

/**
 * One page of matching retirements, most recently modified first (CDS lists are in reverse chronological order
 * of modification). A cursor's position is [retiredAt, id] of the row it continues from.
 */
export function retirementPage(db: DbOrTx, filter: RetirementFilter, limit: number, cursor: PageCursor | undefined): RetirementPage {
  if (cursor === undefined) {
    const rows = selectRecords(db, filter).orderBy(desc(gcRetirements.retiredAt), desc(gcRetirements.id)).limit(limit + 1).all();
    return { records: rows.slice(0, limit).map(recordOf), hasPrevious: false, hasNext: rows.length > limit };
  }
  const [at, id] = cursor.position as [number, string];
  if (cursor.direction === "after") {
    const older = or(lt(gcRetirements.retiredAt, at), and(eq(gcRetirements.retiredAt, at), lt(gcRetirements.id, id)));
    const rows = selectRecords(db, filter, older).orderBy(desc(gcRetirements.retiredAt), desc(gcRetirements.id)).limit(limit + 1).all();
    return { records: rows.slice(0, limit).map(recordOf), hasPrevious: true, hasNext: rows.length > limit };
  }
  const newer = or(gt(gcRetirements.retiredAt, at), and(eq(gcRetirements.retiredAt, at), gt(gcRetirements.id, id)));
  const rows = selectRecords(db, filter, newer).orderBy(asc(gcRetirements.retiredAt), asc(gcRetirements.id)).limit(limit + 1).all();
  return { records: rows.slice(0, limit).reverse().map(recordOf), hasPrevious: rows.length > limit, hasNext: true };
}
