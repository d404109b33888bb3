import { keccak256, stringToHex, type Hex } from "viem";

export const REDEMPTION_STANDARDS = ["D-REC", "I-REC"] as const;
export type RedemptionStandard = (typeof REDEMPTION_STANDARDS)[number];

/**
 * What a claim is for, published off chain; the chain's `Retired` event carries only its hash. Anyone
 * holding the details can recompute the hash and match it to the event.
 */
export interface ClaimDetails {
  /**
   * The platform's id of the claim. It makes every claim's hash distinct, and is the idempotency key of an
   * I-REC redemption, which happens only after the chain burned the Wh: the details cannot carry the serials
   * the I-REC registry will assign, so the claim publishes those next to them.
   */
  claimId: string;
  /** Token id, decimal. */
  certificateId: string;
  /** The wallet the Wh are burned from (lower-case). */
  holder: string;
  amountWh: string;
  beneficiary: string;
  purpose: string;
  redeemAs: RedemptionStandard;
  /** When the details were written (UTC ISO). */
  preparedAt: string;
}

/**
 * The one text a JSON value is hashed as: object keys sorted, no whitespace, bigints as decimal strings,
 * undefined members left out. Every implementation that sorts keys the same way gets the same bytes.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonical JSON has no representation for a non-finite number");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(",")}]`;
  if (typeof value === "object") {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`);
    return `{${members.join(",")}}`;
  }
  throw new TypeError(`canonical JSON has no representation for a ${typeof value}`);
}

/** The `detailsHash` of a claim: keccak256 of the UTF-8 bytes of the details' canonical JSON. */
export function claimDetailsHash(details: ClaimDetails): Hex {
  return keccak256(stringToHex(canonicalJson(details)));
}
