/**
 * Minting new GC bundles into an account: the one path hourly issuance, import and SD-GC issuance share.
 *
 * 1. Reserve (one immediate SQLite transaction): each bundle gets its id (seed 003 format, see
 *    {@link bundleIdParts}) and the next certificate ids of its device, and is stored `pending` with its
 *    batch (one voucher of at most {@link MINT_CERTIFICATES_PER_VOUCHER} bundles) and the batch's nonce.
 *    A (device, hour) or source id already taken, or certificate ids past {@link MAX_CERTIFICATE_ID}, refuse
 *    the whole request, and nothing is written.
 * 2. Sign: the issuer signs each batch's voucher, which is stored before anything is sent.
 * 3. Send: each voucher goes in its own `issueBatch`, from the account's managed key (a self-custody
 *    account's mints are sent by the issuer: anyone may submit a voucher, and the account holds no key
 *    here). The receipt's `VoucherRedeemed` gives the first token id; a batch's ids are consecutive.
 *
 * Every step keeps its state in the database, so a run cut anywhere is finished by {@link resumeMints}: a
 * signed voucher whose nonce the chain already used is settled from the chain's record instead of being
 * sent again, an expired one is voided on chain and signed again with a new nonce, and a batch the chain
 * refused for now (no gas, node down) stays `blocked` with the reason and is retried.
 */
import { randomUUID } from "node:crypto";
import { and, eq, gte, inArray, isNull, lt, max, or } from "drizzle-orm";
import { BaseError, parseEventLogs, type LocalAccount, type PublicClient, type TransactionReceipt } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Db, DbOrTx } from "../db/database";
import type { KeyVault } from "../wallets/vault";
import { devices } from "../devices/schema";
import { REGISTRY_ABI } from "../chain/registryAbi";
import { RegistryRevertError, sendRegistryTransaction } from "../chain/sendTransaction";
import { readDeployment } from "../../indexer/store/deployment";
import { allocateNonce } from "../issuance/nonces";
import { signVoucher, toUnixSeconds, VOUCHER_LIFETIME_SECONDS } from "../issuance/vouchers";
import { CertificateKind, type Voucher } from "../issuance/voucherTypedData";
import { buildEvidenceTree } from "../issuance/evidence";
import type { GcAttributes } from "./attributes";
import { dateCodeOf, formatBundleId, nextRanges, parseBundleId, type Fault } from "./bundleIds";
import { gcAccounts, gcBundles, type GcBundleOrigin } from "./schema";
import { gcMintBatches, gcMintItems, type GcMintBatchState } from "./issuance/schema";
import { shareOfTransaction } from "../chain/gasShares";
import { gcEvidenceLeaf } from "./evidence";

type Hex = `0x${string}`;
type Batch = typeof gcMintBatches.$inferSelect;

/**
 * Bundles per voucher (and per transaction). Minting costs about 25k gas a bundle (a new balance slot and
 * an event); at 200 the transaction's fixed costs are a small share and it stays far below a block.
 */
export const MINT_CERTIFICATES_PER_VOUCHER = 200;
/**
 * The highest certificate id a device's bundles may reach: the database keeps ids (and Wh) as SQLite integers
 * read into JavaScript numbers, exact only up to 2^53 − 1.
 */
export const MAX_CERTIFICATE_ID = BigInt(Number.MAX_SAFE_INTEGER);
/** How long a run owns the batches it is sending; a run that died releases them when this passes. */
const LEASE_MS = 5 * 60_000;
/** Rows per INSERT, below SQLite's bound on statement variables. */
const INSERT_CHUNK = 500;

const KIND_OF_ORIGIN: Record<GcBundleOrigin, CertificateKind> = {
  production: CertificateKind.GranularCertificate,
  storage: CertificateKind.StorageDischargeCertificate,
  imported: CertificateKind.ImportedGranularCertificate,
};

export interface NewBundle {
  deviceId: string;
  /** UTC ms; [startAt, endAt) is the production (or discharge) period, and must have ended. */
  startAt: number;
  endAt: number;
  energyWh: bigint;
  attributes: GcAttributes;
  /** Imported bundles: where they come from (unique per registry). */
  sourceRegistry?: string;
  sourceId?: string;
}

/** What a caller may add to the reserving transaction: its own records, committed with the bundles or not at all. */
export type Alongside = (tx: DbOrTx, reserved: readonly ReservedBundle[]) => void;

export interface MintRequest {
  accountId: string;
  origin: GcBundleOrigin;
  /**
   * The bundles, or a function that works them out inside the reserving transaction (so that, say, the
   * hours already issued cannot change between looking and reserving). An empty list mints nothing.
   */
  bundles: readonly NewBundle[] | ((tx: DbOrTx) => readonly NewBundle[]);
  alongside?: Alongside;
}

export interface ReservedBundle {
  id: string;
  deviceId: string;
  startAt: number;
  endAt: number;
  energyWh: bigint;
  rangeStart: bigint;
  rangeEnd: bigint;
  batchId: string;
}

export interface MintDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: Hex;
  vault: KeyVault;
  issuer: LocalAccount;
  hooks?: MintHooks;
}

/** Fault injection for crash tests: a thrown error aborts the run at that point, as a crash would. */
export interface MintHooks {
  /** After vouchers were signed and stored, before anything is sent. */
  afterSigned?(batchIds: readonly string[]): void | Promise<void>;
  /** After a transaction was mined, before its outcome is written. */
  afterSent?(batchIds: readonly string[]): void | Promise<void>;
}

export interface BatchReport {
  id: string;
  state: GcMintBatchState;
  size: number;
  txHash: string | null;
  lastError: string | null;
}

export interface MintOutcome {
  /** The reserved bundles, in request order. */
  bundles: ReservedBundle[];
  batches: BatchReport[];
  /** Bundles of this request now active on chain. */
  minted: number;
  /** Bundles still pending (their batch is blocked); a later {@link resumeMints} sends them. */
  pending: number;
}

export interface ResumeSummary {
  confirmed: number;
  blocked: number;
}

/** The request names something the registry will not mint; nothing was written. `faults` name `bundles[i]`. */
export class MintRejectedError extends Error {
  constructor(
    readonly status: 404 | 409 | 400,
    readonly faults: Fault[],
  ) {
    super(faults.map((fault) => `${fault.field}: ${fault.message}`).join("; "));
    this.name = "MintRejectedError";
  }
}

export class GcMintUnavailableError extends Error {
  constructor() {
    super("Minting GCs needs the platform's issuer key (ISSUER_PRIVATE_KEY).");
    this.name = "GcMintUnavailableError";
  }
}

/** The minting deps from the API's, or {@link GcMintUnavailableError} when the issuer key is absent. */
export function gcMintDeps(deps: {
  db: Db;
  publicClient: PublicClient;
  registryAddress: Hex;
  vault: KeyVault;
  chainSigners?: { issuer: LocalAccount };
  gcMintHooks?: MintHooks;
}): MintDeps {
  if (!deps.chainSigners) throw new GcMintUnavailableError();
  return { db: deps.db, publicClient: deps.publicClient, registryAddress: deps.registryAddress, vault: deps.vault, issuer: deps.chainSigners.issuer, hooks: deps.gcMintHooks };
}

/** Reserves, signs and sends the bundles of `request`; see the module comment. */
export async function mintBundles(deps: MintDeps, request: MintRequest, now: number): Promise<MintOutcome> {
  const bundles = reserveBundles(deps.db, request, now);
  const batchIds = [...new Set(bundles.map((bundle) => bundle.batchId))];
  await signBatches(deps, batchIds, now);
  await sendBatches(deps, batchIds, now);
  const batches = deps.db.select().from(gcMintBatches).where(inArray(gcMintBatches.id, batchIds)).all();
  const stateOf = new Map(batches.map((batch) => [batch.id, batch.state]));
  const minted = bundles.filter((bundle) => stateOf.get(bundle.batchId) === "confirmed").length;
  return {
    bundles,
    batches: batchIds.map((id) => batches.find((batch) => batch.id === id)!).map(report),
    minted,
    pending: bundles.length - minted,
  };
}

/** Signs and sends every unfinished batch of every account (the crash and blocked-batch recovery). */
export async function resumeMints(deps: MintDeps, now: number): Promise<ResumeSummary> {
  const open = deps.db
    .select({ id: gcMintBatches.id })
    .from(gcMintBatches)
    .where(inArray(gcMintBatches.state, ["planned", "signed", "blocked"]))
    .orderBy(gcMintBatches.nonce)
    .all()
    .map((row) => row.id);
  if (open.length === 0) return { confirmed: 0, blocked: 0 };
  await signBatches(deps, open, now);
  return sendBatches(deps, open, now);
}

/**
 * The bundle id's project, date code and EAC id for a bundle of `device` starting at `startAt`:
 * - ProjectID: the device's external id in letters and digits (the developer's own name for it), or
 *   `D` and the first eight hex digits of its platform id when nothing of the external id is left;
 * - DateCode: the UTC date the period starts;
 * - EAC_ID: the certificate kind's digit (1 GC, 2 SD-GC, 3 imported GC) then the UTC start time HHMM,
 *   so the id alone tells an hourly bundle's hour.
 * The sequence number then makes the id unique (see {@link nextSequence}).
 */
export function bundleIdParts(device: { id: string; externalId: string }, origin: GcBundleOrigin, startAt: number) {
  const projectId = device.externalId.replace(/[^A-Za-z0-9]/g, "").slice(0, 32) || `D${device.id.replace(/-/g, "").slice(0, 8).toUpperCase()}`;
  const time = new Date(startAt).toISOString().slice(11, 16).replace(":", "");
  return { projectId, dateCode: dateCodeOf(startAt), eacId: `${KIND_OF_ORIGIN[origin]}${time}` };
}

/**
 * Reserves the bundles (status `pending`) and their batches in one immediate transaction; throws
 * {@link MintRejectedError} and writes nothing if any cannot be minted.
 */
export function reserveBundles(db: Db, request: MintRequest, now: number): ReservedBundle[] {
  return db.transaction(
    (tx) => {
      const bundles = typeof request.bundles === "function" ? request.bundles(tx) : request.bundles;
      if (bundles.length === 0) return [];
      const account = tx.select({ id: gcAccounts.id }).from(gcAccounts).where(eq(gcAccounts.id, request.accountId)).get();
      if (!account) throw new MintRejectedError(404, [{ field: "accountId", message: `no account ${request.accountId}` }]);
      checkShapes(bundles, now);
      checkUnique(tx, request.origin, bundles);

      const deviceRows = tx
        .select({ id: devices.id, externalId: devices.externalId })
        .from(devices)
        .where(inArray(devices.id, [...new Set(bundles.map((b) => b.deviceId))]))
        .all();
      const deviceOf = new Map(deviceRows.map((row) => [row.id, row]));
      const missing = bundles.flatMap((bundle, i) => (deviceOf.has(bundle.deviceId) ? [] : [{ field: `bundles[${i}].deviceId`, message: `no device ${bundle.deviceId}` }]));
      if (missing.length > 0) throw new MintRejectedError(404, missing);

      const lastEnd = new Map<string, bigint | null>();
      const ranges = bundles.map((bundle) => {
        if (!lastEnd.has(bundle.deviceId)) {
          const row = tx.select({ end: max(gcBundles.rangeEnd) }).from(gcBundles).where(eq(gcBundles.deviceId, bundle.deviceId)).get();
          lastEnd.set(bundle.deviceId, row?.end == null ? null : BigInt(row.end));
        }
        const [range] = nextRanges(lastEnd.get(bundle.deviceId)!, [bundle.energyWh]);
        lastEnd.set(bundle.deviceId, range.end);
        return range;
      });
      const beyond = ranges.flatMap((range, i) =>
        range.end > MAX_CERTIFICATE_ID
          ? [{ field: `bundles[${i}].energyWh`, message: `would take the device's certificate ids to ${range.end}, past ${MAX_CERTIFICATE_ID}, the highest the registry stores exactly` }]
          : [],
      );
      if (beyond.length > 0) throw new MintRejectedError(400, beyond);

      const kind = KIND_OF_ORIGIN[request.origin];
      const sequences = new Sequences(tx);
      const batchIds: string[] = [];
      for (let i = 0; i < bundles.length; i += MINT_CERTIFICATES_PER_VOUCHER) {
        const batchId = randomUUID();
        const size = Math.min(MINT_CERTIFICATES_PER_VOUCHER, bundles.length - i);
        const nonce = allocateNonce(tx, "gc", now);
        tx.insert(gcMintBatches).values({ id: batchId, accountId: request.accountId, kind, state: "planned", size, nonce: Number(nonce), createdAt: now, updatedAt: now }).run();
        batchIds.push(batchId);
      }
      const reserved = bundles.map((bundle, i): ReservedBundle => {
        const parts = bundleIdParts(deviceOf.get(bundle.deviceId)!, request.origin, bundle.startAt);
        const id = formatBundleId({ ...parts, sequence: sequences.next(parts, bundle.energyWh), energyWh: bundle.energyWh });
        const batchId = batchIds[Math.floor(i / MINT_CERTIFICATES_PER_VOUCHER)];
        return { id, deviceId: bundle.deviceId, startAt: bundle.startAt, endAt: bundle.endAt, energyWh: bundle.energyWh, rangeStart: ranges[i].start, rangeEnd: ranges[i].end, batchId };
      });

      for (let i = 0; i < reserved.length; i += INSERT_CHUNK) {
        const chunk = reserved.slice(i, i + INSERT_CHUNK);
        tx.insert(gcBundles)
          .values(
            chunk.map((bundle, j) => {
              const source = bundles[i + j];
              return {
                id: bundle.id,
                accountId: request.accountId,
                deviceId: bundle.deviceId,
                origin: request.origin,
                status: "pending" as const,
                startAt: bundle.startAt,
                endAt: bundle.endAt,
                // Exact: every range ends by MAX_CERTIFICATE_ID, and a bundle's energy is its range's size.
                energyWh: Number(bundle.energyWh),
                rangeStart: Number(bundle.rangeStart),
                rangeEnd: Number(bundle.rangeEnd),
                attributes: source.attributes,
                sourceRegistry: source.sourceRegistry ?? null,
                sourceId: source.sourceId ?? null,
                createdAt: now,
                updatedAt: now,
              };
            }),
          )
          .run();
        tx.insert(gcMintItems)
          .values(chunk.map((bundle, j) => ({ bundleId: bundle.id, batchId: bundle.batchId, position: (i + j) % MINT_CERTIFICATES_PER_VOUCHER })))
          .run();
      }
      request.alongside?.(tx, reserved);
      return reserved;
    },
    { behavior: "immediate" },
  );
}

function checkShapes(bundles: readonly NewBundle[], now: number): void {
  const faults: Fault[] = [];
  bundles.forEach((bundle, i) => {
    if (bundle.energyWh < 1n) faults.push({ field: `bundles[${i}].energyWh`, message: "must be at least 1 Wh" });
    if (!Number.isSafeInteger(bundle.startAt) || !Number.isSafeInteger(bundle.endAt) || bundle.startAt >= bundle.endAt) faults.push({ field: `bundles[${i}]`, message: "the period must start before it ends" });
    else if (bundle.endAt > now) faults.push({ field: `bundles[${i}].endAt`, message: "the period has not ended yet" });
  });
  if (faults.length > 0) throw new MintRejectedError(400, faults);
}

/** A production (device, hour) is issued once whatever became of its bundle; an imported source id is imported once. */
function checkUnique(tx: DbOrTx, origin: GcBundleOrigin, bundles: readonly NewBundle[]): void {
  const faults: Fault[] = [];
  const seen = new Set<string>();
  bundles.forEach((bundle, i) => {
    if (origin === "production") {
      const key = `${bundle.deviceId} ${bundle.startAt}`;
      const taken =
        seen.has(key) ||
        tx
          .select({ id: gcBundles.id })
          .from(gcBundles)
          .where(and(eq(gcBundles.deviceId, bundle.deviceId), eq(gcBundles.startAt, bundle.startAt), eq(gcBundles.origin, "production"), isNull(gcBundles.parentId)))
          .get() !== undefined;
      if (taken) faults.push({ field: `bundles[${i}]`, message: `device ${bundle.deviceId} already has GCs for the period from ${new Date(bundle.startAt).toISOString()}` });
      seen.add(key);
    }
    if (bundle.sourceId !== undefined) {
      const key = `${bundle.sourceRegistry ?? ""}\u0000${bundle.sourceId}`;
      const taken =
        seen.has(key) ||
        tx
          .select({ id: gcBundles.id })
          .from(gcBundles)
          .where(and(eq(gcBundles.sourceRegistry, bundle.sourceRegistry ?? ""), eq(gcBundles.sourceId, bundle.sourceId)))
          .get() !== undefined;
      if (taken) faults.push({ field: `bundles[${i}].sourceId`, message: `${bundle.sourceRegistry} bundle ${bundle.sourceId} is already in the registry` });
      seen.add(key);
    }
  });
  if (faults.length > 0) throw new MintRejectedError(409, faults);
}

/**
 * Sequence numbers (seed 003): the next after the highest already used by an id with the same project,
 * date code, EAC id and energy, split children included, so every id is unique.
 */
class Sequences {
  private readonly highest = new Map<string, number>();

  constructor(private readonly tx: DbOrTx) {}

  next(parts: { projectId: string; dateCode: string; eacId: string }, energyWh: bigint): number {
    const prefix = `${parts.projectId}-${parts.dateCode}-${parts.eacId}-`;
    const key = `${prefix}${energyWh}`;
    let highest = this.highest.get(key);
    if (highest === undefined) {
      // Every id starting with the prefix sorts before the prefix with its last "-" raised to ".".
      const ids = this.tx
        .select({ id: gcBundles.id })
        .from(gcBundles)
        .where(and(gte(gcBundles.id, prefix), lt(gcBundles.id, `${prefix.slice(0, -1)}.`)))
        .all();
      highest = 0;
      for (const { id } of ids) {
        const parsed = parseBundleId(id);
        if (parsed.energyWh === energyWh) highest = Math.max(highest, parsed.sequence);
      }
    }
    this.highest.set(key, highest + 1);
    return highest + 1;
  }
}

/** Signs the planned batches among `batchIds` and stores each signature before anything is sent. */
async function signBatches(deps: MintDeps, batchIds: readonly string[], now: number): Promise<void> {
  const planned = selectBatches(deps.db, batchIds).filter((batch) => batch.state === "planned");
  const signed: string[] = [];
  for (const batch of planned) {
    // A planned voucher never left this process, so its nonce can be kept with a fresh deadline.
    const deadline = Number(toUnixSeconds(now)) + VOUCHER_LIFETIME_SECONDS;
    const signature = await signVoucher(deps.issuer, deps, voucherOf(deps.db, { ...batch, deadline }));
    const stored = deps.db
      .update(gcMintBatches)
      .set({ state: "signed", signature, deadline, updatedAt: now })
      .where(and(eq(gcMintBatches.id, batch.id), eq(gcMintBatches.state, "planned"), eq(gcMintBatches.nonce, batch.nonce!)))
      .run();
    if (stored.changes === 1) signed.push(batch.id);
  }
  await deps.hooks?.afterSigned?.(signed);
}

/** Sends the signed or blocked batches among `batchIds` that no other run holds. */
async function sendBatches(deps: MintDeps, batchIds: readonly string[], now: number): Promise<ResumeSummary> {
  const summary: ResumeSummary = { confirmed: 0, blocked: 0 };
  for (let batch of leaseBatches(deps.db, batchIds, now)) {
    const fate = await settleIfUsed(deps, batch, now);
    if (fate === "unused" && BigInt(batch.deadline!) <= toUnixSeconds(now) + 60n) {
      if ((await invalidateExpired(deps, batch, now)) === "confirmed") {
        summary.confirmed += batch.size;
        continue;
      }
      batch = await signAgain(deps, batch, `voucher nonce ${batch.nonce} expired unsent; signed again with a new nonce`, now);
    } else if (fate === "voided") {
      batch = await signAgain(deps, batch, `voucher nonce ${batch.nonce} was invalidated on chain; signed again with a new nonce`, now);
    }
    const state = fate === "confirmed" ? "confirmed" : await send(deps, batch, now);
    if (state === "confirmed") summary.confirmed += batch.size;
    else summary.blocked += batch.size;
  }
  return summary;
}

function selectBatches(db: Db, batchIds: readonly string[]): Batch[] {
  const rows: Batch[] = [];
  for (let i = 0; i < batchIds.length; i += INSERT_CHUNK) {
    rows.push(...db.select().from(gcMintBatches).where(inArray(gcMintBatches.id, batchIds.slice(i, i + INSERT_CHUNK))).all());
  }
  return rows.sort((a, b) => a.nonce! - b.nonce!);
}

function leaseBatches(db: Db, batchIds: readonly string[], now: number): Batch[] {
  const free = (id: string) =>
    and(eq(gcMintBatches.id, id), inArray(gcMintBatches.state, ["signed", "blocked"]), or(isNull(gcMintBatches.leaseUntil), lt(gcMintBatches.leaseUntil, now)));
  return selectBatches(db, batchIds).filter(
    (batch) => (batch.state === "signed" || batch.state === "blocked") && db.update(gcMintBatches).set({ leaseUntil: now + LEASE_MS }).where(free(batch.id)).run().changes === 1,
  );
}

/** The key that sends an account's mints: its managed key, or the issuer's for a self-custody account. */
function senderOf(deps: MintDeps, accountId: string): LocalAccount {
  const account = deps.db.select({ custody: gcAccounts.custody, sealedKey: gcAccounts.sealedKey }).from(gcAccounts).where(eq(gcAccounts.id, accountId)).get()!;
  return account.custody === "managed" && account.sealedKey ? privateKeyToAccount(deps.vault.open(accountId, account.sealedKey)) : deps.issuer;
}

async function send(deps: MintDeps, batch: Batch, now: number): Promise<GcMintBatchState> {
  let receipt: TransactionReceipt;
  const sender = senderOf(deps, batch.accountId);
  try {
    ({ receipt } = await sendRegistryTransaction(deps, sender, "issueBatch", [[voucherOf(deps.db, batch)], [batch.signature as Hex]]));
  } catch (error) {
    if (error instanceof RegistryRevertError && error.errorName === "VoucherAlreadyUsed" && (await settleIfUsed(deps, batch, now)) === "confirmed") return "confirmed";
    // Anything else (no gas, node unreachable, paused, chain time behind the period) may pass: keep the voucher for a later run.
    finish(deps.db, batch.id, { state: "blocked", lastError: await blockedReason(deps, sender, error) }, now);
    return "blocked";
  }
  await deps.hooks?.afterSent?.([batch.id]);
  confirmFromReceipt(deps.db, batch, receipt, now);
  return "confirmed";
}

/**
 * Whether the batch's nonce was redeemed on chain (then records what the chain minted), voided without
 * minting (an expired voucher's invalidation whose run died before it signed again), or is unused.
 */
async function settleIfUsed(deps: MintDeps, batch: Batch, now: number): Promise<"confirmed" | "voided" | "unused"> {
  const used = await deps.publicClient.readContract({ address: deps.registryAddress, abi: REGISTRY_ABI, functionName: "isVoucherUsed", args: [BigInt(batch.nonce!)] });
  if (!used) return "unused";
  const logs = await deps.publicClient.getContractEvents({
    address: deps.registryAddress,
    abi: REGISTRY_ABI,
    eventName: "VoucherRedeemed",
    args: { nonce: BigInt(batch.nonce!) },
    fromBlock: readDeployment(deps.db)?.deployBlock ?? 0n,
    strict: true,
  });
  if (logs.length === 0) return "voided";
  const receipt = await deps.publicClient.getTransactionReceipt({ hash: logs[0].transactionHash });
  confirmFromReceipt(deps.db, batch, receipt, now);
  return "confirmed";
}

/**
 * An expired voucher is voided on chain before its batch gets a new nonce: the old signature could
 * otherwise still be mined (say, from a stuck transaction) and mint a second time.
 */
async function invalidateExpired(deps: MintDeps, batch: Batch, now: number): Promise<"confirmed" | "voided"> {
  try {
    await sendRegistryTransaction(deps, deps.issuer, "invalidateVoucher", [BigInt(batch.nonce!)]);
  } catch (error) {
    if (!(error instanceof RegistryRevertError && error.errorName === "VoucherAlreadyUsed")) throw error;
    // Used after all: redeemed by a transaction mined since we looked, or voided by another run.
    if ((await settleIfUsed(deps, batch, now)) === "confirmed") return "confirmed";
  }
  return "voided";
}

/** Gives the batch a new nonce and signs its voucher again; it stays leased to this run. */
async function signAgain(deps: MintDeps, batch: Batch, reason: string, now: number): Promise<Batch> {
  deps.db.transaction(
    (tx) => {
      const nonce = Number(allocateNonce(tx, "gc", now));
      tx.update(gcMintBatches).set({ state: "planned", nonce, signature: null, deadline: null, lastError: reason, updatedAt: now }).where(eq(gcMintBatches.id, batch.id)).run();
    },
    { behavior: "immediate" },
  );
  await signBatches(deps, [batch.id], now);
  return deps.db.select().from(gcMintBatches).where(eq(gcMintBatches.id, batch.id)).get()!;
}

/** Writes the minted token ids: the batch's first id from `VoucherRedeemed`, then consecutive by position. */
function confirmFromReceipt(db: Db, batch: Batch, receipt: TransactionReceipt, now: number): void {
  const redeemed = parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "VoucherRedeemed" });
  const position = redeemed.findIndex((entry) => entry.args.nonce === BigInt(batch.nonce!));
  if (position < 0) throw new Error(`transaction ${receipt.transactionHash} did not redeem voucher nonce ${batch.nonce}`);
  const firstId = redeemed[position].args.firstId;
  const gasUsed = shareOfTransaction(receipt.gasUsed, redeemed.length, position);
  db.transaction((tx) => {
    const items = tx.select().from(gcMintItems).where(eq(gcMintItems.batchId, batch.id)).all();
    for (const item of items) {
      tx.update(gcBundles)
        .set({ status: "active", tokenId: (firstId + BigInt(item.position)).toString(), txHash: receipt.transactionHash, updatedAt: now })
        .where(and(eq(gcBundles.id, item.bundleId), eq(gcBundles.status, "pending")))
        .run();
    }
    tx.update(gcMintBatches)
      .set({ state: "confirmed", txHash: receipt.transactionHash, firstTokenId: firstId.toString(), gasUsed: Number(gasUsed), lastError: null, leaseUntil: null, updatedAt: now })
      .where(eq(gcMintBatches.id, batch.id))
      .run();
  });
}

/** Why a send failed, in words the account's owner can act on. */
async function blockedReason(deps: MintDeps, sender: LocalAccount, error: unknown): Promise<string> {
  const balance = await deps.publicClient.getBalance({ address: sender.address }).catch(() => undefined);
  if (balance === 0n) return `The wallet ${sender.address} that sends this account's mints has no gas money: fund it, and the next issuance run sends the voucher.`;
  if (error instanceof BaseError) return [error.shortMessage, error.details].filter(Boolean).join(": ");
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

function finish(db: Db, batchId: string, set: Partial<Batch>, now: number): void {
  db.update(gcMintBatches).set({ ...set, leaseUntil: null, updatedAt: now }).where(eq(gcMintBatches.id, batchId)).run();
}

/** The voucher a batch stands for, rebuilt from its rows, so the stored signature always matches it. */
export function voucherOf(db: Db, batch: Pick<Batch, "id" | "accountId" | "kind" | "nonce" | "deadline">): Voucher {
  const account = db.select({ address: gcAccounts.address }).from(gcAccounts).where(eq(gcAccounts.id, batch.accountId)).get()!;
  const rows = db
    .select({ deviceId: gcBundles.deviceId, startAt: gcBundles.startAt, endAt: gcBundles.endAt, energyWh: gcBundles.energyWh })
    .from(gcMintItems)
    .innerJoin(gcBundles, eq(gcBundles.id, gcMintItems.bundleId))
    .where(eq(gcMintItems.batchId, batch.id))
    .orderBy(gcMintItems.position)
    .all();
  return {
    recipient: account.address as Hex,
    kind: batch.kind as CertificateKind,
    nonce: BigInt(batch.nonce!),
    deadline: BigInt(batch.deadline!),
    certificates: rows.map((row) => {
      const leaf = gcEvidenceLeaf(row);
      return { ref: leaf.deviceId, amount: leaf.wh, start: leaf.start, end: leaf.end, evidence: buildEvidenceTree([leaf]).root };
    }),
  };
}

function report(batch: Batch): BatchReport {
  return { id: batch.id, state: batch.state, size: batch.size, txHash: batch.txHash, lastError: batch.lastError };
}
