/**
 * The EnergyTag attributes every GC bundle carries (issue #7; seed 000's GC registry device model): energy
 * carrier, energy source, technology, device name and id, capacity, location, country, commissioning date,
 * issuance date, issuing body, production or storage origin, and expiry.
 *
 * They are copied from the device when the bundle is issued, so a later edit of the device does not change
 * certificates already issued. The device name is its project name, or its external id when it has none.
 * Expiry counts whole calendar months from the issuance date (the validity is the issuing body's rule, so it
 * is configuration); a month without the day ends on its last day.
 */
import type { DeviceRow } from "../devices/store";
import type { EnergySource, TechnologyType } from "../devices/catalogue";

export type GcOrigin = "production" | "storage";

export interface GcAttributes {
  /** Electricity is the only carrier the registry issues for. */
  energyCarrier: "electricity";
  energySource: EnergySource;
  technology: TechnologyType;
  deviceName: string;
  deviceId: string;
  capacityW: number;
  location: { latitude: number | null; longitude: number | null; address: string | null; grid: string | null };
  country: string;
  /** YYYY-MM-DD. */
  commissioningDate: string;
  /** YYYY-MM-DD, UTC. */
  issuanceDate: string;
  issuingBody: string;
  origin: GcOrigin;
  /** YYYY-MM-DD, UTC: the date on which the bundle becomes invalid unless cancelled before. */
  expiryDate: string;
}

export type AttributeSource = Pick<
  DeviceRow,
  | "id"
  | "externalId"
  | "projectName"
  | "energySource"
  | "technologyType"
  | "capacityW"
  | "latitude"
  | "longitude"
  | "address"
  | "grid"
  | "countryCode"
  | "commissioningDate"
  | "isStorage"
>;

export interface IssuanceTerms {
  issuedAt: number;
  issuingBody: string;
  validityMonths: number;
}

export function gcAttributes(device: AttributeSource, terms: IssuanceTerms): GcAttributes {
  return {
    energyCarrier: "electricity",
    energySource: device.energySource,
    technology: device.technologyType,
    deviceName: device.projectName ?? device.externalId,
    deviceId: device.id,
    capacityW: device.capacityW,
    location: { latitude: device.latitude, longitude: device.longitude, address: device.address, grid: device.grid },
    country: device.countryCode,
    commissioningDate: device.commissioningDate,
    issuanceDate: utcDate(terms.issuedAt),
    issuingBody: terms.issuingBody,
    origin: device.isStorage ? "storage" : "production",
    expiryDate: expiryDate(terms.issuedAt, terms.validityMonths),
  };
}

function utcDate(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

function expiryDate(issuedAt: number, validityMonths: number): string {
  if (!Number.isSafeInteger(validityMonths) || validityMonths < 1) throw new RangeError("the validity is a whole number of months, at least 1");
  const issued = new Date(issuedAt);
  const [year, month, day] = [issued.getUTCFullYear(), issued.getUTCMonth() + validityMonths, issued.getUTCDate()];
  const lastDayOfMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return utcDate(Date.UTC(year, month, Math.min(day, lastDayOfMonth)));
}
