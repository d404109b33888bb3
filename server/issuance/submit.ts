import { and, eq, inArray, isNull, lt, ne, or, sql } from "drizzle-orm";
import { parseEventLogs, type LocalAccount, type PublicClient, type TransactionReceipt } from "viem";
import type { Db } from "../db/database";
import type { KeyVault } from "../wallets/vault";
import { managedWalletAccount } from "../wallets/managed";
import { REGISTRY_ABI } from "../chain/registryAbi";
import { RegistryRevertError, sendRegistryTransaction } from "../chain/sendTransaction";
import { uuidOfChainRef } from "../chain/refs";
import { readDeployment } from "../../indexer/store/deployment";
import { reservations } from "../reservations/schema";
import { recordReservationEnded } from "../reservations/release";
import { deviceReadState } from "../reads/schema";
import { CertificateKind, type Voucher } from "./voucherTypedData";
import { allocateNonce } from "./nonces";
import { signVoucher, toUnixSeconds, VOUCHER_LIFETIME_SECONDS } from "./vouchers";
import { issuanceJobs, issuanceLeaves } from "./schema";
import { shareOfTransaction } from "../chain/gasShares";

type Hex = `0x${string}`;
type Job = typeof issuanceJobs.$inferSelect;

/** Vouchers per issueBatch transaction: enough to amortise the base cost, few enough to stay far below a block. */
export const VOUCHERS_PER_TRANSACTION = 20;
/** How long a run owns the jobs it is submitting; a run that died releases them when this passes. */
const LEASE_MS = 5 * 60_000;

/**
 * Reverts that no retry can fix: the job is marked failed with the reason, and its read parts stay taken
 * (re-planning them unattended would only fail again) until an administrator, having fixed the cause,
 * releases them for re-planning (replan.ts). Anything else, including a period the chain's clock has not
 * reached yet, leaves the job blocked and retried.
 */
const FINAL_REVERTS = new Set(["TargetExceeded", "PeriodOutsideReservation", "RecipientNotBuyer", "UnknownReservation", "EmptyVoucher", "InvalidVoucherSigner"]);

/**
 * The two clocks of a run: the server's (leases, bookkeeping) and the chain's latest block time, which is
 * what the contract judges deadlines by.
 */
export interface RunTimes {
  now: number;
  chainNow: number;
}

export interface SubmitDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: Hex;
  vault: KeyVault;
  issuer: LocalAccount;
  /** Fault injection for crash tests: thrown errors abort the run at that point, as a crash would. */
  hooks?: EngineHooks;
}

/** A hook stopped the run on purpose, as a crash would: it is never caught and recorded like other errors. */
export class EngineAborted extends Error {
  constructor(readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "EngineAborted";
  }
}

async function runHook(hook: ((jobIds: readonly string[]) => void | Promise<void>) | undefined, jobIds: readonly string[]): Promise<void> {
  try {
    await hook?.(jobIds);
  } catch (error) {
    throw new EngineAborted(error);
  }
}

export interface EngineHooks {
  /** After vouchers were signed and stored, before anything is sent. */
  afterSigned?(jobIds: readonly string[]): void | Promise<void>;
  /** After a transaction was mined, before its outcome is written. */
  afterSent?(jobIds: readonly string[]): void | Promise<void>;
}

export interface SubmitSummary {
  signed: number;
  confirmed: number;
  blocked: number;
  failed: number;
}

/**
 * Signs every planned job's voucher and stores it before anything is sent: nonce first (in the job's own
 * transaction), then the signature. A crash in between leaves the nonce on the job, and the next run
 * signs the same voucher again.
 */
export async function signPlannedJobs(deps: SubmitDeps, { now, chainNow }: RunTimes): Promise<string[]> {
  const planned = deps.db.select({ id: issuanceJobs.id }).from(issuanceJobs).where(eq(issuanceJobs.state, "planned")).all();
  const signed: string[] = [];
  for (const { id } of planned) {
    const prepared = deps.db.transaction(
      (tx) => {
        const job = tx.select().from(issuanceJobs).where(and(eq(issuanceJobs.id, id), eq(issuanceJobs.state, "planned"))).get();
        if (!job) return undefined;
        // A nonce keeps the deadline it was given: a second run signing the same job signs the same voucher.
        if (job.nonce !== null && job.deadline !== null) return job;
        const nonce = Number(allocateNonce(tx, "d-rec", now));
        const deadline = Number(toUnixSeconds(chainNow)) + VOUCHER_LIFETIME_SECONDS;
        tx.update(issuanceJobs).set({ nonce, deadline, updatedAt: now }).where(eq(issuanceJobs.id, id)).run();
        return { ...job, nonce, deadline };
      },
      { behavior: "immediate" },
    );
    if (!prepared) continue;
    const signature = await signVoucher(deps.issuer, deps, voucherOf(deps.db, prepared));
    const stored = deps.db
      .update(issuanceJobs)
      .set({ state: "signed", signature, updatedAt: now })
      .where(and(eq(issuanceJobs.id, id), eq(issuanceJobs.state, "planned"), eq(issuanceJobs.nonce, prepared.nonce!), eq(issuanceJobs.deadline, prepared.deadline!)))
      .run();
    if (stored.changes === 1) signed.push(id);
  }
  await runHook(deps.hooks?.afterSigned, signed);
  return signed;
}

/**
 * Sends every signed (or blocked) job from its developer organisation's managed wallet, batched. Before
 * sending, a job whose voucher the chain already used (a run that died after sending) is settled from
 * the chain's record instead, and an expired one is invalidated on chain and planned again.
 */
export async function submitSignedJobs(deps: SubmitDeps, times: RunTimes): Promise<SubmitSummary> {
  const { now } = times;
  const summary: SubmitSummary = { signed: 0, confirmed: 0, blocked: 0, failed: 0 };
  const leased = leaseJobs(deps.db, now);
  const byOrganisation = new Map<string, Job[]>();
  for (const job of leased) byOrganisation.set(job.organisationId, [...(byOrganisation.get(job.organisationId) ?? []), job]);

  for (const [organisationId, jobs] of byOrganisation) {
    try {
      const outcome = await submitForOrganisation(deps, organisationId, jobs, times);
      summary.confirmed += outcome.confirmed;
      summary.blocked += outcome.blocked;
      summary.failed += outcome.failed;
    } catch (error) {
      if (error instanceof EngineAborted) throw error;
      // One organisation's trouble (an RPC error, say) must not stop everyone else's issuance.
      summary.blocked += block(deps.db, jobs, `issuance stopped on an error, retried next run: ${firstLine(error)}`, now);
    }
  }
  return summary;
}

async function submitForOrganisation(deps: SubmitDeps, organisationId: string, jobs: readonly Job[], { now, chainNow }: RunTimes): Promise<Outcome> {
  const outcome: Outcome = { confirmed: 0, blocked: 0, failed: 0 };
  const sendable: Job[] = [];
  for (const job of jobs) {
    const fate = await settleIfUsed(deps, job, now);
    if (fate === "confirmed") outcome.confirmed += 1;
    else if (fate === "replanned") continue;
    else if (BigInt(job.deadline!) <= toUnixSeconds(chainNow) + 60n) await abandonExpired(deps, job, now);
    else sendable.push(job);
  }
  if (sendable.length === 0) return outcome;
  const account = managedWalletAccount(deps, organisationId);
  if (!account) {
    outcome.blocked += block(deps.db, sendable, `The developer organisation has no managed wallet to pay the gas: create one with POST /organisation/managed-wallet and fund it.`, now);
    return outcome;
  }
  for (let i = 0; i < sendable.length; i += VOUCHERS_PER_TRANSACTION) {
    const sent = await sendJobs(deps, account, sendable.slice(i, i + VOUCHERS_PER_TRANSACTION), now);
    outcome.confirmed += sent.confirmed;
    outcome.blocked += sent.blocked;
    outcome.failed += sent.failed;
  }
  return outcome;
}

function leaseJobs(db: Db, now: number): Job[] {
  const candidates = db
    .select()
    .from(issuanceJobs)
    .where(and(inArray(issuanceJobs.state, ["signed", "blocked"]), or(isNull(issuanceJobs.leaseUntil), lt(issuanceJobs.leaseUntil, now))))
    .orderBy(issuanceJobs.nonce)
    .all();
  return candidates.filter(
    (job) =>
      db
        .update(issuanceJobs)
        .set({ leaseUntil: now + LEASE_MS })
        .where(and(eq(issuanceJobs.id, job.id), inArray(issuanceJobs.state, ["signed", "blocked"]), or(isNull(issuanceJobs.leaseUntil), lt(issuanceJobs.leaseUntil, now))))
        .run().changes === 1,
  );
}

type Outcome = { confirmed: number; blocked: number; failed: number };

async function sendJobs(deps: SubmitDeps, account: LocalAccount, jobs: Job[], now: number): Promise<Outcome> {
  const vouchers = jobs.map((job) => voucherOf(deps.db, job));
  let receipt: TransactionReceipt;
  try {
    ({ receipt } = await sendRegistryTransaction(deps, account, "issueBatch", [vouchers, jobs.map((job) => job.signature as Hex)]));
  } catch (error) {
    if (jobs.length > 1 && error instanceof RegistryRevertError) {
      // One bad voucher reverts the whole batch: send them one by one to isolate it.
      const outcomes = [];
      for (const job of jobs) outcomes.push(await sendJobs(deps, account, [job], now));
      return outcomes.reduce((a, b) => ({ confirmed: a.confirmed + b.confirmed, blocked: a.blocked + b.blocked, failed: a.failed + b.failed }));
    }
    if (error instanceof RegistryRevertError && error.errorName === "VoucherAlreadyUsed") {
      const fate = await settleIfUsed(deps, jobs[0], now);
      return { confirmed: fate === "confirmed" ? 1 : 0, blocked: 0, failed: 0 };
    }
    if (error instanceof RegistryRevertError && FINAL_REVERTS.has(error.errorName)) {
      const failed = finish(deps.db, jobs[0].id, { state: "failed", lastError: error.message }, now);
      return { confirmed: 0, blocked: 0, failed };
    }
    // Anything else (no gas, node unreachable, paused, a period the chain's clock has not reached) may pass:
    // keep the signed voucher for a later run.
    return { confirmed: 0, blocked: block(deps.db, jobs, firstLine(error), now), failed: 0 };
  }
  await runHook(deps.hooks?.afterSent, jobs.map((job) => job.id));
  confirmFromReceipt(deps.db, jobs, receipt, now);
  return { confirmed: jobs.length, blocked: 0, failed: 0 };
}

/**
 * Whether the job's nonce is used on chain; if so, records what the chain says happened to it: minted
 * (confirmed), or invalidated without minting by a run that died before re-planning the job (re-planned now).
 */
async function settleIfUsed(deps: SubmitDeps, job: Job, now: number): Promise<"confirmed" | "replanned" | "unused"> {
  const used = await deps.publicClient.readContract({ address: deps.registryAddress, abi: REGISTRY_ABI, functionName: "isVoucherUsed", args: [BigInt(job.nonce!)] });
  if (!used) return "unused";
  const redemption = await redemptionTransaction(deps, job.nonce!);
  if (!redemption) {
    replan(deps.db, job, `voucher nonce ${job.nonce} was invalidated on chain without minting; re-planned`, now);
    return "replanned";
  }
  const receipt = await deps.publicClient.getTransactionReceipt({ hash: redemption });
  confirmFromReceipt(deps.db, [job], receipt, now);
  return "confirmed";
}

/** The transaction that minted with voucher `nonce`, or undefined when the chain never did (unused, or invalidated). */
export async function redemptionTransaction(deps: Pick<SubmitDeps, "db" | "publicClient" | "registryAddress">, nonce: number): Promise<Hex | undefined> {
  const logs = await deps.publicClient.getContractEvents({
    address: deps.registryAddress,
    abi: REGISTRY_ABI,
    eventName: "VoucherRedeemed",
    args: { nonce: BigInt(nonce) },
    fromBlock: readDeployment(deps.db)?.deployBlock ?? 0n,
    strict: true,
  });
  return logs[0]?.transactionHash;
}

/**
 * Voids voucher `nonce` on chain from the issuer, so its signature can never mint; "used" when the chain
 * had used the nonce already (minted with it, or voided it before).
 */
export async function invalidateVoucher(deps: Pick<SubmitDeps, "publicClient" | "registryAddress" | "issuer">, nonce: number): Promise<"invalidated" | "used"> {
  try {
    await sendRegistryTransaction(deps, deps.issuer, "invalidateVoucher", [BigInt(nonce)]);
    return "invalidated";
  } catch (error) {
    if (error instanceof RegistryRevertError && error.errorName === "VoucherAlreadyUsed") return "used";
    throw error;
  }
}

/**
 * An expired voucher is voided on chain before its job is planned again with a new nonce: the old
 * signature could otherwise still be mined (say, from a stuck transaction) and mint a second time.
 */
async function abandonExpired(deps: SubmitDeps, job: Job, now: number): Promise<void> {
  if ((await invalidateVoucher(deps, job.nonce!)) === "used") {
    await settleIfUsed(deps, job, now);
    return;
  }
  replan(deps.db, job, `voucher nonce ${job.nonce} expired unsent; re-planned`, now);
}

/** Back to planned with a fresh nonce to come; only for a job whose old nonce can no longer mint. */
function replan(db: Db, job: Job, reason: string, now: number): void {
  finish(db, job.id, { state: "planned", nonce: null, signature: null, deadline: null, lastError: reason }, now);
}

/** Writes the minted ids, the gas share and any reservation the chain ended at its target, in one transaction. */
function confirmFromReceipt(db: Db, jobs: readonly Job[], receipt: TransactionReceipt, now: number): void {
  const redeemed = parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "VoucherRedeemed" });
  const ended = parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "ReservationEnded" });
  const positionOfNonce = new Map(redeemed.map((log, position) => [log.args.nonce, position]));
  const paidWei = receipt.gasUsed * receipt.effectiveGasPrice;
  db.transaction((tx) => {
    for (const job of jobs) {
      const position = positionOfNonce.get(BigInt(job.nonce!));
      if (position === undefined) throw new Error(`transaction ${receipt.transactionHash} did not redeem voucher nonce ${job.nonce}`);
      const certificateId = redeemed[position].args.firstId;
      const gasShare = shareOfTransaction(paidWei, redeemed.length, position);
      tx.update(issuanceJobs)
        .set({ state: "confirmed", certificateId: certificateId.toString(), txHash: receipt.transactionHash, gasPaidWei: gasShare.toString(), lastError: null, leaseUntil: null, updatedAt: now })
        .where(eq(issuanceJobs.id, job.id))
        .run();
      advanceCertifiedThrough(tx as unknown as Db, job);
    }
    for (const log of ended) {
      const reservationId = uuidOfChainRef(log.args.reservationId);
      if (!reservationId || !tx.select({ id: reservations.id }).from(reservations).where(eq(reservations.id, reservationId)).get()) continue;
      recordReservationEnded(tx, { reservationId, reason: "target-reached", endedAt: Number(log.args.endedAt) * 1000, txHash: receipt.transactionHash });
    }
  });
}

/** Marks how far each of the job's devices is certified, so reads arriving for earlier periods are flagged late. */
function advanceCertifiedThrough(db: Db, job: Job): void {
  const deviceIds = db.selectDistinct({ deviceId: issuanceLeaves.deviceId }).from(issuanceLeaves).where(eq(issuanceLeaves.jobId, job.id)).all();
  for (const { deviceId } of deviceIds) {
    db.insert(deviceReadState)
      .values({ deviceId, certifiedThrough: job.windowEnd })
      .onConflictDoUpdate({ target: deviceReadState.deviceId, set: { certifiedThrough: sql`max(coalesce(${deviceReadState.certifiedThrough}, 0), ${job.windowEnd})` } })
      .run();
  }
}

/** Marks jobs blocked; returns how many were (a job another run confirmed meanwhile is left alone). */
function block(db: Db, jobs: readonly Job[], reason: string, now: number): number {
  return jobs.reduce((n, job) => n + finish(db, job.id, { state: "blocked", lastError: reason }, now), 0);
}

/** Moves a job on unless it is already confirmed: a slow run must never undo another run's confirmation. */
function finish(db: Db, jobId: string, set: Partial<Job>, now: number): number {
  return db
    .update(issuanceJobs)
    .set({ ...set, leaseUntil: null, updatedAt: now })
    .where(and(eq(issuanceJobs.id, jobId), ne(issuanceJobs.state, "confirmed")))
    .run().changes;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/** The voucher a job stands for; rebuilt from the row, so the stored signature always matches it. */
export function voucherOf(db: Db, job: Pick<Job, "reservationId" | "amountWh" | "windowStart" | "windowEnd" | "evidenceRoot" | "nonce" | "deadline">): Voucher {
  const reservation = db.select({ chainRef: reservations.chainRef, walletAddress: reservations.walletAddress }).from(reservations).where(eq(reservations.id, job.reservationId)).get()!;
  return {
    recipient: reservation.walletAddress as Hex,
    kind: CertificateKind.DRec,
    nonce: BigInt(job.nonce!),
    deadline: BigInt(job.deadline!),
    certificates: [
      {
        ref: reservation.chainRef as Hex,
        amount: BigInt(job.amountWh),
        start: toUnixSeconds(job.windowStart),
        end: toUnixSeconds(job.windowEnd),
        evidence: job.evidenceRoot as Hex,
      },
    ],
  };
}
