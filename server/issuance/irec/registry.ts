/**
 * The platform's side of an external standard's registry (I-REC). Certificates of an I-REC reservation
 * are minted provisional; the engine asks the registry to issue them, and records the serial range it
 * returns in the certificate's metadata and on chain, which makes the certificate movable. Redemption as
 * I-REC (rather than as D-REC) goes through the registry too, and so does a redemption as D-REC of such a
 * certificate: its serials are cancelled there, or the same Wh would stay live in both registries.
 */
export interface IRecIssuanceRequest {
  /** The token id; requests are idempotent by it, so a retried run gets the same serials back. */
  certificateId: string;
  amountWh: bigint;
  countryCode: string;
  periodStart: Date;
  periodEnd: Date;
  deviceIds: readonly string[];
}

export interface SerialRange {
  firstSerial: string;
  lastSerial: string;
}

export interface IRecRedemptionRequest {
  /** Idempotency key (the platform's claim id): a retried request with the same key redeems nothing more and gets the same serials back. */
  redemptionKey: string;
  certificateId: string;
  amountWh: bigint;
  beneficiary: string;
}

export interface IRecRegistry {
  requestIssuance(request: IRecIssuanceRequest): Promise<SerialRange>;
  /** Redeems part of an issued range for a beneficiary; returns the redeemed serials. */
  redeem(request: IRecRedemptionRequest): Promise<SerialRange & { redemptionId: string }>;
  /**
   * Retires part of an issued range as cancelled, "redeemed elsewhere (D-REC)" for the beneficiary, because the
   * chain burned those Wh as a D-REC claim; idempotent by key like `redeem`. Returns the cancelled serials.
   */
  cancelRedeemedElsewhere(request: IRecRedemptionRequest): Promise<SerialRange & { redemptionId: string }>;
}

export class IRecRegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IRecRegistryError";
  }
}
