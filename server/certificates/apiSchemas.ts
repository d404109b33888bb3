/** Request and response shapes of the certificates API. Wh amounts and token ids are decimal strings. */
import { z } from "@hono/zod-openapi";
import { AddressSchema } from "../chain/apiSchemas";
import { CERTIFICATE_STATUSES as CHAIN_STATUSES } from "../chain/names";
import { CURSOR, LIMIT } from "../chain/pagination";
import { DeviceListQuerySchema } from "../devices/listing";
import { REDEMPTION_STANDARDS } from "./claimDetails";
import { CERTIFICATE_STATUSES } from "./views";
import { CLAIM_CUSTODIES, CLAIM_STATES } from "./schema";

const isoDateTime = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with an offset (Z for UTC)" });
const device = DeviceListQuerySchema.shape;

export const CertificateListQuerySchema = z.object({
  countryCode: device.countryCode.openapi({ type: "string", description: "A contributing device is in any of these countries (comma-separated)" }),
  offTaker: device.offTaker.openapi({ type: "string", description: "A contributing device serves any of these off-takers (comma-separated)" }),
  sdgBenefits: device.sdgBenefits.openapi({ type: "string", description: "A contributing device provides every one of these SDG benefits (comma-separated)" }),
  from: isoDateTime.optional().openapi({ description: "Generation period starting at or after this time" }),
  to: isoDateTime.optional().openapi({ description: "Generation period ending at or before this time" }),
  reservationId: z.uuid({ error: "must be a reservation UUID" }).optional(),
  wallet: AddressSchema.optional().openapi({ type: "string", description: "Certificates minted to or held by this wallet; owned and claimed Wh are then this wallet's" }),
  limit: LIMIT,
  cursor: CURSOR,
});

const ContributionSchema = z.object({
  deviceId: z.string(),
  externalId: z.string(),
  projectName: z.string().nullable(),
  countryCode: z.string(),
  timeZone: z.string().openapi({ description: "The device's IANA time zone" }),
  start: z.string().openapi({ description: "Start of the verified generation period, UTC" }),
  end: z.string().openapi({ description: "End of the verified generation period (exclusive), UTC" }),
  startLocal: z.string().openapi({ description: "`start` in the device's time zone, with its offset" }),
  endLocal: z.string().openapi({ description: "`end` in the device's time zone, with its offset" }),
  wh: z.string().openapi({ description: "Certified Wh" }),
});

export const CertificateSchema = z
  .object({
    id: z.string().openapi({ description: "ERC-1155 token id, decimal" }),
    reservation: z.object({ id: z.string(), name: z.string(), standard: z.enum(["D-REC", "I-REC"]), frequency: z.string() }),
    generationStart: z.string().openapi({ description: "UTC" }),
    generationEnd: z.string().openapi({ description: "UTC, exclusive" }),
    volumeWh: z.string(),
    wallet: z.string().nullable().openapi({ description: "The wallet `ownedWh` and `claimedWh` are about: `?wallet=`, else the reservation's buyer wallet" }),
    ownedWh: z.string().nullable().openapi({ description: "Held by `wallet`, from the indexer's mirror (null until it indexed the mint)" }),
    claimedWh: z.string().nullable().openapi({ description: "Claimed by `wallet`, from the indexer's mirror" }),
    chainStatus: z.enum(CHAIN_STATUSES).nullable().openapi({ description: "The certificate's status in the indexer's mirror" }),
    status: z.enum(CERTIFICATE_STATUSES).openapi({ description: "`minted`, `provisional` (I-REC, waiting for serials; cannot move or be claimed) or `irec-issued`" }),
    irec: z.object({ firstSerial: z.string().nullable(), lastSerial: z.string().nullable(), serialsTxHash: z.string().nullable() }).nullable(),
    txHash: z.string().nullable().openapi({ description: "The issuance transaction" }),
    gasPaidWei: z.string().nullable().openapi({ description: "The developer wallet's share of the issuance transaction's gas" }),
    contributions: z.array(ContributionSchema),
  })
  .openapi("Certificate");

export const CertificatePageSchema = z.object({ items: z.array(CertificateSchema), nextCursor: z.string().nullable() }).openapi("CertificatePage");

export const ClaimSchema = z
  .object({
    id: z.string(),
    certificateId: z.string(),
    holder: z.string(),
    amountWh: z.string(),
    redeemAs: z.enum(REDEMPTION_STANDARDS),
    custody: z.enum(CLAIM_CUSTODIES),
    state: z.enum(CLAIM_STATES).openapi({
      description:
        "`confirmed` once the chain burned the Wh (and, for a certificate with I-REC serials, the I-REC registry redeemed them for an " +
        "I-REC claim or cancelled them as redeemed elsewhere for a D-REC one); `redemption-pending` when the chain burned them but the " +
        "I-REC registry has not answered yet (retried until it does); `pending` while the outcome of the chain " +
        "transaction is unknown; `prepared` for a self-custody claim's published details",
    }),
    details: z.record(z.string(), z.unknown()),
    canonicalDetails: z.string().openapi({ description: "The exact text hashed: keccak256 of its UTF-8 bytes is `detailsHash`" }),
    detailsHash: z.string(),
    txHash: z.string().nullable(),
    irec: z
      .object({ redemptionId: z.string(), firstSerial: z.string(), lastSerial: z.string() })
      .nullable()
      .openapi({ description: "The serials the I-REC registry retired for this claim, once it did: redeemed for an I-REC claim, cancelled as redeemed elsewhere for a D-REC claim of an I-REC-issued certificate; null before, and for certificates without I-REC serials" }),
    error: z.string().nullable().openapi({ description: "Why the I-REC registry has not redeemed a `redemption-pending` claim yet" }),
    createdAt: z.string(),
  })
  .openapi("CertificateClaim");

export const CertificateDetailSchema = CertificateSchema.extend({
  evidenceRoot: z.string(),
  organisation: z.object({ id: z.string(), name: z.string() }).openapi({ description: "The developer organisation whose devices generated it" }),
  buyerOrganisationId: z.string(),
  buyerWallet: z.string().openapi({ description: "The reservation's wallet, which the certificate was minted into" }),
  claims: z.array(ClaimSchema).openapi({ description: "Claims the platform published for it (your organisation's, or all for administrators and auditors)" }),
}).openapi("CertificateDetail");

const hex = z.string();
export const EvidenceSchema = z
  .object({
    certificateId: z.string(),
    root: hex.openapi({ description: "The Merkle root; equals the `evidence` of the certificate's CertificateIssued event" }),
    leafEncoding: z.array(z.string()),
    leaves: z.array(
      z.object({
        deviceId: hex.openapi({ description: "The device's on-chain reference (bytes32: its UUID, zero-padded)" }),
        device: z.string().nullable().openapi({ description: "The device's UUID" }),
        start: z.number().int().openapi({ description: "Unix seconds" }),
        end: z.number().int().openapi({ description: "Unix seconds, exclusive" }),
        wh: z.string(),
        proof: z.array(hex),
      }),
    ),
  })
  .openapi("CertificateEvidence");

const amountWh = z
  .string()
  .regex(/^[1-9]\d{0,76}$/, "must be a positive whole number of Wh, in decimal digits")
  .openapi({ example: "1000" });
const text = (max: number) => z.string().trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);

export const ClaimBodySchema = z
  .strictObject({
    amountWh,
    beneficiary: text(200).openapi({ description: "Who the energy is claimed for (recorded on chain in the Retired event)" }),
    purpose: text(1000).openapi({ description: "What the claim is for (e.g. the consumption it covers); part of the hashed details" }),
    redeemAs: z.enum(REDEMPTION_STANDARDS, { error: `must be one of: ${REDEMPTION_STANDARDS.join(", ")}` }),
  })
  .openapi("CertificateClaimRequest");

export const ClaimDetailsBodySchema = z
  .strictObject({
    holder: AddressSchema.openapi({ type: "string", description: "Your wallet (bound to your organisation) that will send the claim" }),
    amountWh,
    beneficiary: ClaimBodySchema.shape.beneficiary,
    purpose: ClaimBodySchema.shape.purpose,
  })
  .openapi("CertificateClaimDetailsRequest");

export const ClaimDetailsResultSchema = z
  .object({
    claim: ClaimSchema,
    call: z.object({
      function: z.string(),
      args: z.object({ holder: z.string(), id: z.string(), amount: z.string(), beneficiary: z.string(), detailsHash: z.string() }),
    }),
  })
  .openapi("CertificateClaimDetails");
