/**
 * Operations on GC bundles held by a managed account: split (seed 003), transfer (a part is split off
 * first), cancel or claim for a beneficiary, and withdrawal by a platform administrator. Each is one registry
 * transaction from the account's own address (an administrator's revocation for withdrawal), then one database
 * transaction that records the outcome and the action together.
 *
 * A bundle is held whole by one account, so an operation on part of one splits it first into the part and
 * the rest, both staying in the account; the split stands even if the operation that follows is refused.
 * Bundles an operation works on are held in an in-process lock from the checks until the outcome is written,
 * so two requests cannot both act on one bundle; the chain would refuse the second anyway, the lock just
 * answers it with a clear conflict.
 */
import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { keccak256, parseEventLogs, stringToHex, type ContractFunctionArgs, type LocalAccount } from "viem";
import { canonicalJson } from "../../certificates/claimDetails";
import { REGISTRY_ABI, RetirementReason } from "../../chain/registryAbi";
import { sendRegistryTransaction, type RegistryWrite } from "../../chain/sendTransaction";
import { splitBundle } from "../bundleIds";
import { gcBundles } from "../schema";
import { recordAction } from "./actions";
import { accountSigner, allowlistState, type AccountChainDeps } from "./chain";
import { chainRefusal, conflict, invalid, isRefusal, type Refusal } from "./refusal";
import { bundlesByIds, energyOf, idsSharingPrefix, rangeOf, type BundleRow } from "./bundles";
import { gcRetirements, type GcRetirementReason } from "./schema";
import { findAccount, whitelistEntry, type AccountRow } from "./store";
import { whitelistRefusal } from "./whitelist";

type Hex = `0x${string}`;

export interface OperationDeps extends AccountChainDeps {
  clock: () => Date;
  /** The registry's admin, which revokes withdrawn bundles. */
  admin?: LocalAccount;
}

export interface Actor {
  userId: string;
}

/** Children at most one split makes: the contract mints them in one loop, so gas grows with each. */
export const MAX_SPLIT_CHILDREN = 100;
/** Bundles one transfer or retirement moves: one batch call, kept well inside a block. */
export const MAX_BUNDLES_PER_OPERATION = 200;

const busy = new Set<string>();

/** Claims the bundles for this operation, or undefined when another operation holds one of them. */
function lock(ids: readonly string[]): (() => void) | undefined {
  if (ids.some((id) => busy.has(id))) return undefined;
  for (const id of ids) busy.add(id);
  return () => ids.forEach((id) => busy.delete(id));
}

interface Context {
  deps: OperationDeps;
  actor: Actor;
  account: AccountRow;
  action: string;
  details: Record<string, unknown>;
}

/** Logs the attempt as failed and hands the refusal back. */
function failed(ctx: Context, bundleIds: readonly string[], refusal: Refusal): Refusal {
  recordAction(ctx.deps.db, {
    at: ctx.deps.clock().getTime(),
    userId: ctx.actor.userId,
    accountId: ctx.account.id,
    action: ctx.action,
    bundleIds: [...bundleIds],
    details: ctx.details,
    outcome: "failed",
    error: refusal.detail,
  });
  return refusal;
}

/**
 * The named bundles if the account holds them all, active. Unknown ones (or another account's) are refused
 * with 404 and write nothing; ones in another state are a logged conflict.
 */
function heldBundles(ctx: Context, ids: readonly string[], fieldOf: (i: number) => string): BundleRow[] | Refusal {
  const rows = bundlesByIds(ctx.deps.db, ids);
  const unknown = ids.flatMap((id, i) => (rows.get(id)?.accountId === ctx.account.id ? [] : [{ field: fieldOf(i), message: "no such bundle in the account" }]));
  if (unknown.length > 0) return { status: 404, title: "Not found", detail: "The account holds no such bundle.", errors: unknown };
  const duplicates = ids.flatMap((id, i) => (ids.indexOf(id) !== i ? [{ field: fieldOf(i), message: "is named twice" }] : []));
  if (duplicates.length > 0) return invalid(duplicates);
  const inactive = ids.flatMap((id, i) => (rows.get(id)!.status === "active" ? [] : [{ field: fieldOf(i), message: `is ${rows.get(id)!.status}, not active` }]));
  if (inactive.length > 0) return failed(ctx, ids, conflict("Bundle not active", "Only active bundles can be split, moved or retired.", inactive));
  return ids.map((id) => rows.get(id)!);
}

function signerOf(ctx: Context, bundleIds: readonly string[]): LocalAccount | Refusal {
  const signer = accountSigner(ctx.deps, ctx.account);
  if (signer) return signer;
  return failed(
    ctx,
    bundleIds,
    conflict("Self-custody account", `The account's key is held by its owner, not the platform: send the registry call from ${ctx.account.address} yourself.`),
  );
}

async function send<F extends RegistryWrite>(
  ctx: Context,
  signer: LocalAccount,
  bundleIds: readonly string[],
  what: string,
  fn: F,
  args: ContractFunctionArgs<typeof REGISTRY_ABI, "nonpayable", F>,
) {
  try {
    return await sendRegistryTransaction(ctx.deps, signer, fn, args);
  } catch (error) {
    return failed(ctx, bundleIds, chainRefusal(error, what));
  }
}

const bodyBundle = (i: number) => `body.bundleIds[${i}]`;
const faultsUnder = (prefix: string, faults: { field: string; message: string }[]) => faults.map((fault) => ({ field: `${prefix}.${fault.field}`, message: fault.message }));

/**
 * Splits an active bundle into children of `amounts` Wh, in order (seed 003). The children stay in the
 * account, keep the parent's project, date code, EAC id, device, period, origin and attributes, take the next
 * free sequence numbers and partition the parent's certificate range; the parent becomes `split`.
 */
async function splitHeld(ctx: Context, signer: LocalAccount, parent: BundleRow, amounts: readonly bigint[], field: string): Promise<BundleRow[] | Refusal> {
  const { db } = ctx.deps;
  const plan = splitBundle({ id: parent.id, range: rangeOf(parent) }, amounts, idsSharingPrefix(db, parent.id));
  if (!plan.ok) return invalid(faultsUnder(field, plan.faults));
  const splitCtx = { ...ctx, action: "split", details: { parentId: parent.id, amountsWh: amounts.map(String) } };
  const sent = await send(splitCtx, signer, [parent.id], "Split", "split", [ctx.account.address as Hex, BigInt(parent.tokenId!), [...amounts]]);
  if (isRefusal(sent)) return sent;
  const [event] = parseEventLogs({ abi: REGISTRY_ABI, logs: sent.receipt.logs, eventName: "Split" });
  const now = ctx.deps.clock().getTime();
  return db.transaction((tx) => {
    // Numbered now rather than from the plan: another split of the same lineage may have taken ids meanwhile.
    const numbered = splitBundle({ id: parent.id, range: rangeOf(parent) }, amounts, idsSharingPrefix(tx, parent.id));
    if (!numbered.ok) throw new Error(`split of ${parent.id} stopped adding up after it was sent`);
    const children = numbered.children.map((child, i) => ({
      ...parent,
      id: child.id,
      tokenId: event.args.childIds[i].toString(),
      energyWh: Number(amounts[i]),
      rangeStart: Number(child.range.start),
      rangeEnd: Number(child.range.end),
      parentId: parent.id,
      // Only the root keeps the source registry's id: two bundles with it would claim the same source certificate.
      sourceId: null,
      txHash: sent.hash,
      createdAt: now,
      updatedAt: now,
    }));
    tx.update(gcBundles).set({ status: "split", updatedAt: now }).where(eq(gcBundles.id, parent.id)).run();
    for (const child of children) tx.insert(gcBundles).values(child).run();
    recordAction(tx, {
      at: now,
      userId: ctx.actor.userId,
      accountId: ctx.account.id,
      action: "split",
      bundleIds: [parent.id, ...children.map((child) => child.id)],
      details: { parentId: parent.id, children: children.map((child) => ({ id: child.id, energyWh: String(child.energyWh), certificateIds: `${child.rangeStart}-${child.rangeEnd}` })) },
      outcome: "succeeded",
      txHash: sent.hash,
    });
    return children;
  });
}

/** The bundle itself, or its first `amountWh` split off (the rest stays in the account as a second child). */
async function partOf(ctx: Context, signer: LocalAccount, bundle: BundleRow, amountWh: bigint | undefined): Promise<BundleRow | Refusal> {
  const energy = energyOf(bundle);
  if (amountWh === undefined || amountWh === energy) return bundle;
  if (amountWh > energy) return invalid([{ field: "body.amountWh", message: `must not exceed the bundle's ${energy} Wh` }]);
  const children = await splitHeld(ctx, signer, bundle, [amountWh, energy - amountWh], "body");
  return isRefusal(children) ? children : children[0];
}

const busyRefusal = () => conflict("Bundle busy", "Another operation on one of these bundles is under way; try again once it has finished.");

interface BundleWork<T> {
  bundleIds: readonly string[];
  /** Where the request named each bundle, for field errors. */
  fieldOf: (i: number) => string;
  /** Take only this part of the single bundle named: it is split off first. */
  amountWh?: bigint;
  /** Checks of the request against the state, after the bundles are known to be held and active. */
  precheck?: () => Refusal | undefined | Promise<Refusal | undefined>;
  work: (signer: LocalAccount, bundles: BundleRow[]) => Promise<T | Refusal>;
}

/**
 * Runs `work` on the named bundles, held active by the account, under the lock. Everything before the lock is
 * synchronous, so no other operation can change the bundles between the checks and taking the lock; the
 * precheck runs under it, so it may ask the chain.
 */
async function withBundles<T>(ctx: Context, { bundleIds, fieldOf, amountWh, precheck, work }: BundleWork<T>): Promise<T | Refusal> {
  if (amountWh !== undefined && bundleIds.length !== 1) return invalid([{ field: "body.amountWh", message: "takes a part of one bundle: name exactly one" }]);
  const held = heldBundles(ctx, bundleIds, fieldOf);
  if (isRefusal(held)) return held;
  const release = lock(bundleIds);
  if (!release) return failed(ctx, bundleIds, busyRefusal());
  try {
    const refusal = await precheck?.();
    if (refusal) return refusal;
    const signer = signerOf(ctx, bundleIds);
    if (isRefusal(signer)) return signer;
    const part = amountWh === undefined ? undefined : await partOf(ctx, signer, held[0], amountWh);
    if (isRefusal(part)) return part;
    return await work(signer, part ? [part] : held);
  } finally {
    release();
  }
}

export async function splitBundleOf(deps: OperationDeps, actor: Actor, account: AccountRow, bundleId: string, amounts: readonly bigint[]): Promise<BundleRow[] | Refusal> {
  const ctx: Context = { deps, actor, account, action: "split", details: { parentId: bundleId, amountsWh: amounts.map(String) } };
  return withBundles(ctx, {
    bundleIds: [bundleId],
    fieldOf: () => "path.id",
    precheck: () => (amounts.length > MAX_SPLIT_CHILDREN ? invalid([{ field: "body.amounts", message: `at most ${MAX_SPLIT_CHILDREN} children per split` }]) : undefined),
    work: (signer, [parent]) => splitHeld(ctx, signer, parent, amounts, "body"),
  });
}

export interface TransferRequest {
  targetAccountId: string;
  bundleIds: string[];
  amountWh?: bigint;
}

/**
 * Moves whole bundles (or a part of one) to another account, which must have whitelisted the source and list
 * it in its allowlist on chain, with the allowlist on: the chain is read for that (not the recorded listing),
 * so the API refuses what the registry would, whoever sent the allowlist calls and whenever.
 */
export async function transferBundles(deps: OperationDeps, actor: Actor, source: AccountRow, request: TransferRequest): Promise<{ bundles: BundleRow[]; txHash: Hex } | Refusal> {
  const target = findAccount(deps.db, request.targetAccountId);
  if (!target) return { status: 404, title: "Not found", detail: "No such target account.", errors: [{ field: "body.targetAccountId", message: "no such account" }] };
  if (target.id === source.id) return invalid([{ field: "body.targetAccountId", message: "is the source account itself" }]);
  const ctx: Context = {
    deps,
    actor,
    account: source,
    action: "transfer",
    details: { targetAccountId: target.id, ...(request.amountWh === undefined ? {} : { amountWh: String(request.amountWh) }) },
  };
  const precheck = async () => {
    const chain = await allowlistState(deps, target.address as Hex, source.address as Hex).catch((error: unknown) => chainRefusal(error, "Transfer"));
    const refusal = isRefusal(chain) ? chain : whitelistRefusal(target, whitelistEntry(deps.db, target.id, source.id), chain);
    return refusal && failed(ctx, request.bundleIds, refusal);
  };
  return withBundles(ctx, {
    bundleIds: request.bundleIds,
    fieldOf: bodyBundle,
    amountWh: request.amountWh,
    precheck,
    work: async (signer, bundles) => {
      const ids = bundles.map((bundle) => BigInt(bundle.tokenId!));
      const amounts = bundles.map(energyOf);
      const moved = bundles.map((bundle) => bundle.id);
      const sent =
        bundles.length === 1
          ? await send(ctx, signer, moved, "Transfer", "safeTransferFrom", [source.address as Hex, target.address as Hex, ids[0], amounts[0], "0x"])
          : await send(ctx, signer, moved, "Transfer", "safeBatchTransferFrom", [source.address as Hex, target.address as Hex, ids, amounts, "0x"]);
      if (isRefusal(sent)) return sent;
      const now = deps.clock().getTime();
      deps.db.transaction((tx) => {
        for (const id of moved) tx.update(gcBundles).set({ accountId: target.id, updatedAt: now }).where(and(eq(gcBundles.id, id), eq(gcBundles.accountId, source.id))).run();
        const entry = { at: now, userId: actor.userId, bundleIds: moved, outcome: "succeeded" as const, txHash: sent.hash };
        recordAction(tx, { ...entry, accountId: source.id, action: "transfer", details: ctx.details });
        recordAction(tx, { ...entry, accountId: target.id, action: "transfer.received", details: { sourceAccountId: source.id } });
      });
      return { bundles: [...bundlesByIds(deps.db, moved).values()], txHash: sent.hash };
    },
  });
}

export interface RetireRequest {
  bundleIds: string[];
  amountWh?: bigint;
  beneficiary: string;
  beneficiaryType: string;
  beneficiaryLocation?: string;
  purpose?: string;
}

const CHAIN_REASON: Record<GcRetirementReason, number> = { cancelled: RetirementReason.Cancelled, claimed: RetirementReason.Claimed };

/**
 * Cancels or claims bundles for a beneficiary: burned on chain with the beneficiary and the hash of the
 * published details, marked in the database and listed for the CDS publications.
 */
export async function retireBundles(
  deps: OperationDeps,
  actor: Actor,
  account: AccountRow,
  reason: GcRetirementReason,
  request: RetireRequest,
): Promise<{ bundles: BundleRow[]; txHash: Hex; detailsHash: Hex; details: string } | Refusal> {
  const action = reason === "cancelled" ? "cancel" : "claim";
  const beneficiary = { beneficiary: request.beneficiary, beneficiaryType: request.beneficiaryType, beneficiaryLocation: request.beneficiaryLocation ?? null };
  const ctx: Context = { deps, actor, account, action, details: { ...beneficiary, ...(request.amountWh === undefined ? {} : { amountWh: String(request.amountWh) }) } };
  return withBundles(ctx, {
    bundleIds: request.bundleIds,
    fieldOf: bodyBundle,
    amountWh: request.amountWh,
    work: async (signer, bundles) => {
      const now = deps.clock();
      const details = canonicalJson({
        action,
        registry: deps.registryAddress.toLowerCase(),
        holder: account.address.toLowerCase(),
        bundles: bundles.map((bundle) => ({ id: bundle.id, tokenId: bundle.tokenId, energyWh: String(bundle.energyWh), certificateIds: `${bundle.rangeStart}-${bundle.rangeEnd}` })),
        ...beneficiary,
        purpose: request.purpose ?? null,
        preparedAt: now.toISOString(),
      });
      const detailsHash = keccak256(stringToHex(details));
      const ids = bundles.map((bundle) => bundle.id);
      const sent = await send(ctx, signer, ids, action === "cancel" ? "Cancellation" : "Claim", "retireBatch", [
        account.address as Hex,
        bundles.map((bundle) => BigInt(bundle.tokenId!)),
        bundles.map(energyOf),
        CHAIN_REASON[reason],
        request.beneficiary,
        detailsHash,
      ]);
      if (isRefusal(sent)) return sent;
      const at = deps.clock().getTime();
      deps.db.transaction((tx) => {
        const actionId = recordAction(tx, { at, userId: actor.userId, accountId: account.id, action, bundleIds: ids, details: { ...ctx.details, detailsHash }, outcome: "succeeded", txHash: sent.hash });
        for (const bundle of bundles) {
          tx.update(gcBundles).set({ status: reason, updatedAt: at }).where(eq(gcBundles.id, bundle.id)).run();
          tx.insert(gcRetirements)
            .values({ id: randomUUID(), bundleId: bundle.id, accountId: account.id, actionId, reason, ...beneficiary, details, detailsHash, txHash: sent.hash, retiredAt: at, retiredBy: actor.userId })
            .run();
        }
      });
      return { bundles: [...bundlesByIds(deps.db, ids).values()], txHash: sent.hash, detailsHash, details };
    },
  });
}

/**
 * Withdraws a bundle found invalid (platform administrators): the registry revokes its token, which then
 * can no longer move, be split or be retired.
 */
export async function withdrawBundle(deps: OperationDeps, actor: Actor, bundle: BundleRow, reason: string): Promise<{ bundle: BundleRow; txHash: Hex } | Refusal> {
  const account = findAccount(deps.db, bundle.accountId)!;
  const ctx: Context = { deps, actor, account, action: "withdraw", details: { reason } };
  if (bundle.status !== "active") return failed(ctx, [bundle.id], conflict("Bundle not active", `The bundle is ${bundle.status}; only an active bundle can be withdrawn.`));
  if (!deps.admin) return { status: 503, title: "Withdrawal unavailable", detail: "The server has no registry admin key (ADMIN_PRIVATE_KEY) to revoke certificates with." };
  const release = lock([bundle.id]);
  if (!release) return failed(ctx, [bundle.id], busyRefusal());
  try {
    const sent = await send(ctx, deps.admin, [bundle.id], "Withdrawal", "revoke", [BigInt(bundle.tokenId!), keccak256(stringToHex(reason))]);
    if (isRefusal(sent)) return sent;
    const now = deps.clock().getTime();
    deps.db.transaction((tx) => {
      tx.update(gcBundles).set({ status: "withdrawn", updatedAt: now }).where(eq(gcBundles.id, bundle.id)).run();
      recordAction(tx, { at: now, userId: actor.userId, accountId: account.id, action: "withdraw", bundleIds: [bundle.id], details: { reason }, outcome: "succeeded", txHash: sent.hash });
    });
    return { bundle: bundlesByIds(deps.db, [bundle.id]).get(bundle.id)!, txHash: sent.hash };
  } finally {
    release();
  }
}
