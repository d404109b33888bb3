import type { RetiredCertificateRecord } from "../../server/cds/retiredCertificate";

const t = (iso: string) => Date.parse(iso);

/** A GC bundle of one hour of a Texas solar farm, 250,000 Wh of it retired for a customer. */
export function retiredGc(overrides: { [K in keyof RetiredCertificateRecord]?: Partial<RetiredCertificateRecord[K]> } = {}): RetiredCertificateRecord {
  return {
    certificate: { number: "GC101-20240928-20003-0001-0750000", periodStart: t("2024-09-28T14:00:00Z"), periodEnd: t("2024-09-28T15:00:00Z"), issuedAt: t("2024-09-29T01:00:00Z"), ...overrides.certificate },
    device: {
      id: "8d0b6f1e-3c0a-4b55-9a3e-1f2d3c4b5a69",
      name: "Brazoria solar",
      countryCode: "US",
      grid: "ERCOT",
      commissioningDate: "2023-07-01",
      technologyType: "solar_pv",
      energySource: "solar_pv",
      emissionsFactorDirect: null,
      emissionsFactorLca: null,
      ...overrides.device,
    },
    retirement: {
      id: "0x5f1c0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a190817263-4",
      retiredAt: t("2024-10-02T09:30:00Z"),
      modifiedAt: t("2024-10-02T09:30:00Z"),
      amountWh: 250_000n,
      certificateIds: { start: 1_500_001n, end: 1_750_000n },
      ...overrides.retirement,
    },
    beneficiary: { type: "customer", ids: ["CUST123"], location: "ERCOT", ...overrides.beneficiary },
    source: { id: "b5b1f8a2-2f4e-4c0e-8d7e-0c3f1a2b3c4d", name: "Lone Star Solar", ...overrides.source },
    destination: { id: "e3a2c1b0-9f8e-4d7c-b6a5-948372615041", name: "LevelTen Energy", ...overrides.destination },
  };
}
