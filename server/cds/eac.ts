/**
 * Retired certificates in the CDS EAC format (Carbon Data Specification, customer data: seed 002's EAC
 * fields as refactored in seed 004's meeting): one EAC per retirement, with one value for the Wh retired.
 *
 * - `source` is the organisation the certificate was issued to, `destination` the one that retired it (seed
 *   002: "the organization responsible for the retirement of the EAC").
 * - `asset_origination` is the device's grid, or its country when no grid is recorded; `asset_destination`
 *   the beneficiary's location, null when unknown.
 * - Values are in Wh (`unit` "wh"), as seed 004's review recommends: the registry counts whole Wh, and a
 *   kWh figure would need a fraction. A value's `eac_number` is the certificate number, followed by the
 *   certificate ids retired when the certificate has Wh-granular ids.
 * - `technology_type` is the registry's technology code; emission factors are gCO2e/kWh, null when unknown.
 */
import { z } from "@hono/zod-openapi";
import { formatIdRange } from "../gc/bundleIds";
import { directEmissionsFactor, isoDate, isoInstant, retiredWh, type RetiredCertificateRecord } from "./retiredCertificate";

const instant = z.iso.datetime();
const date = z.iso.date();
const text = z.string().min(1);
const emissionsFactor = z.number().nonnegative().nullable().openapi({ description: "gCO2e/kWh; null when unknown" });

export const CdsEacValueSchema = z
  .object({
    eac_number: text,
    issued: date,
    retired: date,
    start: instant.nullable(),
    end: instant.nullable(),
    unit: z.literal("wh"),
    value: z.number().int().positive(),
  })
  .strict()
  .openapi("CdsEacValue");

export const CdsEacSchema = z
  .object({
    cds_eac_id: text,
    cds_created: instant,
    cds_modified: instant,
    eac_number: text,
    source_id: text,
    source_name: text,
    destination_id: text,
    destination_name: text,
    beneficiary_type: text,
    beneficiaries: z.array(text).min(1),
    asset_id: text,
    asset_commissioned: date,
    asset_origination: text,
    asset_destination: text.nullable(),
    technology_type: text,
    emissions_factor_direct: emissionsFactor,
    emissions_factor_lca: emissionsFactor,
    period_start: instant,
    period_end: instant,
    values: z.array(CdsEacValueSchema).min(1),
  })
  .strict()
  .openapi("CdsEac");
export type CdsEac = z.infer<typeof CdsEacSchema>;

export const CdsEacListSchema = z
  .object({
    eacs: z.array(CdsEacSchema),
    next: z.url().nullable().openapi({ description: "The next page, null on the last" }),
    previous: z.url().nullable().openapi({ description: "The previous page, null on the first" }),
  })
  .strict()
  .openapi("CdsEacList");

export function cdsEac(record: RetiredCertificateRecord): CdsEac {
  const { certificate, device, retirement, beneficiary, source, destination } = record;
  return {
    cds_eac_id: retirement.id,
    cds_created: isoInstant(retirement.retiredAt),
    cds_modified: isoInstant(retirement.modifiedAt),
    eac_number: certificate.number,
    source_id: source.id,
    source_name: source.name,
    destination_id: destination.id,
    destination_name: destination.name,
    beneficiary_type: beneficiary.type,
    beneficiaries: beneficiary.ids,
    asset_id: device.id,
    asset_commissioned: device.commissioningDate,
    asset_origination: device.grid ?? device.countryCode,
    asset_destination: beneficiary.location,
    technology_type: device.technologyType,
    emissions_factor_direct: directEmissionsFactor(device),
    emissions_factor_lca: device.emissionsFactorLca,
    period_start: isoInstant(certificate.periodStart),
    period_end: isoInstant(certificate.periodEnd),
    values: [
      {
        eac_number: retirement.certificateIds ? `${certificate.number}:${formatIdRange(retirement.certificateIds)}` : certificate.number,
        issued: isoDate(certificate.issuedAt),
        retired: isoDate(retirement.retiredAt),
        start: isoInstant(certificate.periodStart),
        end: isoInstant(certificate.periodEnd),
        unit: "wh",
        value: retiredWh(record),
      },
    ],
  };
}
