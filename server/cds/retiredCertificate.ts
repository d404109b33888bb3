/**
 * A certificate retired for a customer, as the CDS publications (seeds 002 and 004) need it: the
 * certificate, the device it came from, the retirement, the beneficiary, and the organisations on each
 * side. Routes assemble it from the registry's tables; ./eac and ./statement only map it.
 *
 * Emission factors are in gCO2e/kWh. Where none is given, the direct factor of generation that burns
 * nothing (solar, wind, hydro, nuclear) is 0, by definition of direct emissions; any other stays unknown.
 */
import type { EnergySource, TechnologyType } from "../devices/catalogue";
import { rangeSize, type IdRange } from "../gc/bundleIds";

export interface RetiredCertificateRecord {
  certificate: {
    /** The registry's number for the certificate: a GC bundle id, or the token id. */
    number: string;
    /** UTC milliseconds of the generation period. */
    periodStart: number;
    periodEnd: number;
    issuedAt: number;
  };
  device: {
    id: string;
    name: string;
    countryCode: string;
    grid: string | null;
    /** YYYY-MM-DD. */
    commissioningDate: string;
    technologyType: TechnologyType;
    energySource: EnergySource;
    emissionsFactorDirect: number | null;
    emissionsFactorLca: number | null;
  };
  retirement: {
    /** The registry's id of this retirement, unique across retirements. */
    id: string;
    retiredAt: number;
    /** When its published record last changed; its retirement time when it never did. */
    modifiedAt: number;
    amountWh: bigint;
    /** The Wh-granular certificate ids retired, when the family has them (GCs). */
    certificateIds: IdRange | null;
  };
  beneficiary: {
    /** What the ids name, e.g. `customer` or `account`. */
    type: string;
    ids: string[];
    /** Where the beneficiary takes the energy (region or grid), when known. */
    location: string | null;
  };
  /** The organisation the certificate was issued to. */
  source: { id: string; name: string };
  /** The organisation that retired it. */
  destination: { id: string; name: string };
}

const NO_COMBUSTION: ReadonlySet<EnergySource> = new Set(["solar_pv", "wind", "hydro", "nuclear"]);

export function directEmissionsFactor(device: RetiredCertificateRecord["device"]): number | null {
  return device.emissionsFactorDirect ?? (NO_COMBUSTION.has(device.energySource) ? 0 : null);
}

/** The retired Wh as a JSON number, after checking it agrees with the certificate ids retired. */
export function retiredWh(record: RetiredCertificateRecord): number {
  const { amountWh, certificateIds } = record.retirement;
  if (certificateIds && rangeSize(certificateIds) !== amountWh) throw new RangeError(`retirement ${record.retirement.id} covers ${rangeSize(certificateIds)} certificate ids for ${amountWh} Wh`);
  if (amountWh < 1n || amountWh > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`retirement ${record.retirement.id} of ${amountWh} Wh cannot be published as a JSON number`);
  return Number(amountWh);
}

export const isoInstant = (ms: number): string => new Date(ms).toISOString();
export const isoDate = (ms: number): string => isoInstant(ms).slice(0, 10);
