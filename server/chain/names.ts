/** The contract's enums as the API names them, indexed by their on-chain value (see indexer/store/schema.ts). */
export const KIND_NAMES = ["D-REC", "GC", "SD-GC", "IMPORTED-GC"] as const;
export type KindName = (typeof KIND_NAMES)[number];

export const RETIREMENT_REASONS = ["claimed", "cancelled", "cancelledForStorage", "exported"] as const;
export type RetirementReasonName = (typeof RETIREMENT_REASONS)[number];

export const FREQUENCIES = ["hourly", "daily", "weekly", "monthly", "quarterly"] as const;
export const STANDARDS = ["D-REC", "I-REC"] as const;
export const END_REASONS = ["ended", "targetReached"] as const;

/** `provisional`: an I-REC certificate waiting for its serials, which cannot move until they are recorded. */
export const CERTIFICATE_STATUSES = ["active", "retired", "revoked", "provisional"] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];
export const TRANSFER_ACTIONS = ["issuance", "split", "retirement", "transfer"] as const;

/** A name by its on-chain value; a value the API does not know yet is shown as a number rather than hidden. */
export function nameOf<T extends readonly string[]>(names: T, value: number): T[number] | `${number}` {
  return names[value] ?? (String(value) as `${number}`);
}

/** Unix seconds as an ISO 8601 UTC timestamp. */
export const isoSeconds = (seconds: number): string => new Date(seconds * 1000).toISOString();
