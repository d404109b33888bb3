/**
 * Cancellation statements: what was retired for one beneficiary in a requested period, with the fields the
 * review in seed 002 lists for EAC/GC cancellation statements (seed 004's working group): production period,
 * registry id, beneficiary, asset id and name, technology, production country, commissioning date,
 * quantity, unit, certificate id range (from, to) and the direct emissions factor.
 *
 * A retirement belongs to the statement when the beneficiary is among its beneficiaries and its production
 * period lies within the requested one ("production period start fits within requested period"). Quantities
 * are whole Wh, with the unit in lower case as CDS writes them ("wh", like its "kwh"). The emissions factor
 * is in kgCO2e/kWh, as the review asks, null when unknown. The commissioning date is the device's calendar
 * date: turning it into an instant would invent a time of day.
 */
import { z } from "@hono/zod-openapi";
import { directEmissionsFactor, isoInstant, retiredWh, type RetiredCertificateRecord } from "./retiredCertificate";

const instant = z.iso.datetime();
const text = z.string().min(1);

export const StatementLineSchema = z
  .object({
    period_start: instant,
    period_end: instant,
    registry_id: text,
    beneficiary_id: text,
    asset_id: text,
    asset_name: text,
    technology_type: text,
    production_country: z.string().length(2),
    production_site_commissioning_date: z.iso.date(),
    quantity: z.number().int().positive(),
    unit: z.literal("wh"),
    certificate_ids: z.object({ from: text, to: text }).strict().nullable(),
    emissions_factor_direct: z.number().nonnegative().nullable().openapi({ description: "kgCO2e/kWh; null when unknown" }),
  })
  .strict()
  .openapi("CancellationStatementLine");

export const CancellationStatementSchema = z
  .object({
    period_start: instant,
    period_end: instant,
    registry_id: text,
    beneficiary_id: text,
    quantity: z.number().int().nonnegative(),
    unit: z.literal("wh"),
    cancellations: z.array(StatementLineSchema),
  })
  .strict()
  .openapi("CancellationStatement");
export type CancellationStatement = z.infer<typeof CancellationStatementSchema>;

export interface StatementRequest {
  registryId: string;
  beneficiaryId: string;
  /** UTC milliseconds, [periodStart, periodEnd). */
  periodStart: number;
  periodEnd: number;
}

/** The statement, with cancellations in production order. */
export function cancellationStatement(request: StatementRequest, retirements: readonly RetiredCertificateRecord[]): CancellationStatement {
  const cancellations = retirements
    .filter(({ beneficiary, certificate }) => beneficiary.ids.includes(request.beneficiaryId) && certificate.periodStart >= request.periodStart && certificate.periodEnd <= request.periodEnd)
    .sort((a, b) => a.certificate.periodStart - b.certificate.periodStart || a.retirement.retiredAt - b.retirement.retiredAt)
    .map((record) => {
      const { certificate, device, retirement } = record;
      const direct = directEmissionsFactor(device);
      return {
        period_start: isoInstant(certificate.periodStart),
        period_end: isoInstant(certificate.periodEnd),
        registry_id: request.registryId,
        beneficiary_id: request.beneficiaryId,
        asset_id: device.id,
        asset_name: device.name,
        technology_type: device.technologyType,
        production_country: device.countryCode,
        production_site_commissioning_date: device.commissioningDate,
        quantity: retiredWh(record),
        unit: "wh" as const,
        certificate_ids: retirement.certificateIds ? { from: `${retirement.certificateIds.start}`, to: `${retirement.certificateIds.end}` } : null,
        // g to kg; toPrecision drops the binary noise of the division (490.7 / 1000 is 0.49069999999999997).
        emissions_factor_direct: direct === null ? null : Number((direct / 1000).toPrecision(15)),
      };
    });
  const quantity = cancellations.reduce((sum, line) => sum + line.quantity, 0);
  if (!Number.isSafeInteger(quantity)) throw new RangeError(`a statement of ${quantity} Wh cannot be published as a JSON number`);
  return {
    period_start: isoInstant(request.periodStart),
    period_end: isoInstant(request.periodEnd),
    registry_id: request.registryId,
    beneficiary_id: request.beneficiaryId,
    quantity,
    unit: "wh",
    cancellations,
  };
}
