/**
 * The issuing body's rules for GC attributes: its name, printed on every bundle, and how many months a
 * bundle stays valid (EnergyTag leaves the validity to the issuing body, so it is configuration).
 */
export interface GcTerms {
  issuingBody: string;
  validityMonths: number;
}

export const DEFAULT_GC_TERMS: GcTerms = { issuingBody: "EAC Registry", validityMonths: 12 };
