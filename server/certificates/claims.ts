/**
 * Claiming (retiring) certificates for a beneficiary. Buyers with self-custody wallets call the registry's
 * `claim` themselves; the platform claims for managed wallets, and publishes the claim details whose hash
 * the chain keeps in both cases.
 */
import { randomUUID } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import type { PrivateKeyAccount, PublicClient } from "viem";
import type { Db } from "../db/database";
import type { FieldError } from "../http/problem";
import { REGISTRY_ABI } from "../chain/registryAbi";
import { RegistryRevertError, sendRegistryTransaction } from "../chain/sendTransaction";
import type { IRecRegistry } from "../issuance/irec/registry";
import { serialised } from "../concurrency/serialised";
import { canonicalJson, claimDetailsHash, type ClaimDetails, type RedemptionStandard } from "./claimDetails";
import { certificateClaims, type ClaimCustody } from "./schema";
import type { CertificateRecord, ClaimRow } from "./views";

type Hex = `0x${string}`;

export interface ClaimDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: Hex;
  clock: () => Date;
  irec: IRecRegistry;
}

export interface ClaimRequest {
  amountWh: bigint;
  beneficiary: string;
  purpose: string;
  redeemAs: RedemptionStandard;
}

export interface Refusal {
  status: 400 | 404 | 409;
  title: string;
  detail: string;
  errors?: FieldError[];
}

/** The holder's position on chain (not the mirror: a claim must not trust a lagging copy). */
export interface HolderOnChain {
  balanceWh: bigint;
  provisional: boolean;
  revoked: boolean;
}

const conflict = (title: string, detail: string, field?: string, message?: string): Refusal => ({
  status: 409,
  title,
  detail,
  ...(field ? { errors: [{ field, message: message ?? detail }] } : {}),
});

/** Why this claim cannot go ahead, or undefined when it can. Pure: the caller loaded everything it judges. */
export function claimRefusal(record: Pick<CertificateRecord, "certificateId" | "reservation" | "standard">, request: ClaimRequest, holder: HolderOnChain): Refusal | undefined {
  if (record.standard.state === "provisional" || holder.provisional) {
    return conflict(
      "Certificate is provisional",
      `Certificate ${record.certificateId} waits for its I-REC serial numbers; it can be claimed once the I-REC registry has issued it.`,
    );
  }
  if (holder.revoked) return conflict("Certificate is revoked", `Certificate ${record.certificateId} was revoked by the registry administrator and can no longer be claimed.`);
  if (request.redeemAs === "I-REC" && record.reservation.standard !== "I-REC") {
    return conflict("Not an I-REC certificate", "Its reservation's standard is D-REC, so it has no I-REC issuance to redeem; redeem it as D-REC.", "body.redeemAs", "must be D-REC for this certificate");
  }
  if (request.redeemAs === "I-REC" && record.standard.state !== "issued") {
    return conflict("No I-REC issuance", "The I-REC registry has not issued this certificate yet.", "body.redeemAs", "needs an issued I-REC certificate");
  }
  if (holder.balanceWh < request.amountWh) {
    return conflict(
      "Insufficient balance",
      `The wallet holds ${holder.balanceWh} Wh of certificate ${record.certificateId}; it cannot claim ${request.amountWh} Wh.`,
      "body.amountWh",
      `must not exceed the ${holder.balanceWh} Wh the wallet holds`,
    );
  }
  return undefined;
}

/** A contract refusal the pre-checks did not foresee (another claim or transfer got there first), as an answer. */
export function revertRefusal(error: RegistryRevertError): Refusal {
  switch (error.errorName) {
    case "ERC1155InsufficientBalance":
      return conflict("Insufficient balance", `The wallet holds ${String(error.args[1])} Wh of the certificate; it cannot claim ${String(error.args[2])} Wh.`, "body.amountWh", "exceeds the wallet's balance");
    case "CertificateIsProvisional":
      return conflict("Certificate is provisional", "The certificate waits for its I-REC serial numbers; it can be claimed once the I-REC registry has issued it.");
    case "CertificateIsRevoked":
      return conflict("Certificate is revoked", "The certificate was revoked and can no longer be claimed.");
    case "EnforcedPause":
      return conflict("Registry paused", "The registry is paused; no certificate can move or be claimed until it is unpaused.");
    default:
      return conflict("Claim refused", `The registry refused the claim: ${error.errorName}.`);
  }
}

export async function holderOnChain(deps: Pick<ClaimDeps, "publicClient" | "registryAddress">, holder: Hex, certificateId: bigint): Promise<HolderOnChain> {
  const registry = { address: deps.registryAddress, abi: REGISTRY_ABI } as const;
  const [balanceWh, provisional, revoked] = await Promise.all([
    deps.publicClient.readContract({ ...registry, functionName: "balanceOf", args: [holder, certificateId] }),
    deps.publicClient.readContract({ ...registry, functionName: "isProvisional", args: [certificateId] }),
    deps.publicClient.readContract({ ...registry, functionName: "isRevoked", args: [certificateId] }),
  ]);
  return { balanceWh, provisional, revoked };
}

type ClaimInsert = typeof certificateClaims.$inferInsert;

interface Claimant {
  organisationId: string;
  userId: string;
}

function claimRow(record: CertificateRecord, claimant: Claimant, custody: ClaimCustody, holder: string, request: ClaimRequest, now: Date): ClaimInsert {
  const id = randomUUID();
  const details: ClaimDetails = {
    claimId: id,
    certificateId: record.certificateId,
    holder: holder.toLowerCase(),
    amountWh: request.amountWh.toString(),
    beneficiary: request.beneficiary,
    purpose: request.purpose,
    redeemAs: request.redeemAs,
    preparedAt: now.toISOString(),
  };
  return {
    id,
    certificateId: record.certificateId,
    organisationId: claimant.organisationId,
    holder: details.holder,
    amountWh: Number(request.amountWh),
    redeemAs: request.redeemAs,
    custody,
    details: canonicalJson(details),
    detailsHash: claimDetailsHash(details),
    state: custody === "self" ? "prepared" : "pending",
    txHash: null,
    error: null,
    createdBy: claimant.userId,
    createdAt: now.getTime(),
    updatedAt: now.getTime(),
  };
}

const rowById = (db: Db, id: string): ClaimRow => db.select().from(certificateClaims).where(eq(certificateClaims.id, id)).get()!;

/**
 * Claims from the organisation's managed wallet. The details are written (`pending`) before anything
 * leaves the platform, so a hash that reaches the chain always has its text published, even if the
 * server dies mid-way. The chain burns first: when it refuses, the row goes and nothing was redeemed
 * anywhere. Only then, for a certificate the I-REC registry issued, are the Wh retired there too: redeemed
 * for an I-REC claim, cancelled as redeemed elsewhere for a D-REC one, so the Wh of a managed-wallet claim
 * are never both burned on chain and still live at the I-REC registry (a self-custody holder's own
 * `claim` call goes to the contract alone, and the platform does not follow it to the I-REC registry). Claims from one wallet of one certificate run one
 * at a time in this process, so two of them cannot both pass the balance check.
 */
export function claimFromManagedWallet(
  deps: ClaimDeps,
  account: PrivateKeyAccount,
  claimant: Claimant,
  record: CertificateRecord,
  request: ClaimRequest,
): Promise<{ claim: ClaimRow } | Refusal> {
  return serialised(`certificate-claim:${account.address.toLowerCase()}:${record.certificateId}`, async () => {
    const id = BigInt(record.certificateId);
    const refusal = claimRefusal(record, request, await holderOnChain(deps, account.address, id));
    if (refusal) return refusal;

    const row = claimRow(record, claimant, "managed", account.address, request, deps.clock());
    const owedAtIRec = record.standard.state === "issued";
    deps.db.insert(certificateClaims).values(row).run();
    try {
      const { hash } = await sendRegistryTransaction(deps, account, "claim", [account.address, id, request.amountWh, request.beneficiary, row.detailsHash as Hex]);
      const state = owedAtIRec ? "redemption-pending" : "confirmed";
      deps.db.update(certificateClaims).set({ state, txHash: hash, updatedAt: deps.clock().getTime() }).where(eq(certificateClaims.id, row.id)).run();
    } catch (error) {
      if (!(error instanceof RegistryRevertError)) throw error; // outcome unknown: the row stays pending, its hash findable on chain
      deps.db.delete(certificateClaims).where(eq(certificateClaims.id, row.id)).run();
      return revertRefusal(error);
    }
    if (owedAtIRec) await retireAtIRec(deps, rowById(deps.db, row.id));
    return { claim: rowById(deps.db, row.id) };
  });
}

type RedemptionDeps = Pick<ClaimDeps, "db" | "irec" | "clock">;

/**
 * Retires at the I-REC registry the Wh the chain already burned for `claim`: redeemed for the beneficiary
 * when claimed as I-REC, cancelled as redeemed elsewhere when claimed as D-REC. Keyed by the claim's id, so
 * a retry never retires twice. A registry that fails leaves the claim `redemption-pending` with the reason:
 * the burn is final, so the retirement must be retried rather than the claim undone.
 */
async function retireAtIRec(deps: RedemptionDeps, claim: ClaimRow): Promise<boolean> {
  const { beneficiary } = JSON.parse(claim.details) as ClaimDetails;
  const pending = and(eq(certificateClaims.id, claim.id), eq(certificateClaims.state, "redemption-pending"));
  const request = { redemptionKey: claim.id, certificateId: claim.certificateId, amountWh: BigInt(claim.amountWh), beneficiary };
  try {
    const redeemed = await (claim.redeemAs === "I-REC" ? deps.irec.redeem(request) : deps.irec.cancelRedeemedElsewhere(request));
    deps.db
      .update(certificateClaims)
      .set({
        state: "confirmed",
        irecRedemptionId: redeemed.redemptionId,
        irecFirstSerial: redeemed.firstSerial,
        irecLastSerial: redeemed.lastSerial,
        error: null,
        updatedAt: deps.clock().getTime(),
      })
      .where(pending)
      .run();
    return true;
  } catch (error) {
    // Whatever went wrong (a refusal, a timeout), the chain has burned: keep the claim for the next attempt.
    deps.db
      .update(certificateClaims)
      .set({
        error: `I-REC ${claim.redeemAs === "I-REC" ? "redemption" : "cancellation"} not done yet: ${error instanceof Error ? error.message : String(error)}`,
        updatedAt: deps.clock().getTime(),
      })
      .where(pending)
      .run();
    return false;
  }
}

/**
 * Retries the I-REC redemption or cancellation of every claim the chain burned but the I-REC registry has
 * not retired (`redemption-pending`); the issuance engine calls it each run. Returns how many it completed
 * and how many still wait.
 */
export async function completePendingRedemptions(deps: RedemptionDeps): Promise<{ completed: number; pending: number }> {
  const claims = deps.db.select().from(certificateClaims).where(eq(certificateClaims.state, "redemption-pending")).orderBy(asc(certificateClaims.createdAt)).all();
  let completed = 0;
  for (const claim of claims) if (await retireAtIRec(deps, claim)) completed += 1;
  return { completed, pending: claims.length - completed };
}

/**
 * Publishes the details of a claim a self-custody buyer will send from its own wallet, and returns the
 * hash to pass to `claim`. Only D-REC: redeeming at the I-REC registry for a claim the platform cannot
 * see through would leave the token claimable again as D-REC.
 */
export async function prepareSelfCustodyClaim(
  deps: ClaimDeps,
  holder: Hex,
  claimant: Claimant,
  record: CertificateRecord,
  request: Omit<ClaimRequest, "redeemAs">,
): Promise<{ claim: ClaimRow } | Refusal> {
  const full: ClaimRequest = { ...request, redeemAs: "D-REC" };
  const refusal = claimRefusal(record, full, await holderOnChain(deps, holder, BigInt(record.certificateId)));
  if (refusal) return refusal;
  const row = claimRow(record, claimant, "self", holder, full, deps.clock());
  deps.db.insert(certificateClaims).values(row).run();
  return { claim: rowById(deps.db, row.id) };
}
