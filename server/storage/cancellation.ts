/**
 * Cancelling GCs for storage (seed 000 steps 11-12): the GCs whose energy charged a storage device are
 * retired on chain with reason CancelledForStorage, from the holding account's managed key, and marked
 * `cancelled-for-storage`. A bundle is cancelled whole; to cancel part of one, that part is split off first
 * (seed 003) and the split-off bundle is cancelled.
 *
 * The request is stored before anything is sent (a `storage_cancellations` row with its items) and carried
 * out step by step from there, so a request cut short (a crash, the node gone) is finished by running it
 * again: a split already made is found through the parent's children, and a retirement already mined is
 * found through the `Retired` events, whose details hash is the cancellation's id (as a chain reference).
 */
import { randomUUID } from "node:crypto";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { PublicClient } from "viem";
import type { Db, DbOrTx } from "../db/database";
import type { KeyVault } from "../wallets/vault";
import { REGISTRY_ABI, RetirementReason } from "../chain/registryAbi";
import { RegistryRevertError, sendRegistryTransaction } from "../chain/sendTransaction";
import { chainRef } from "../chain/refs";
import { readDeployment } from "../../indexer/store/deployment";
import { gcBundles } from "../gc/schema";
import { recordAction } from "../gc/accounts/actions";
import { accountSigner } from "../gc/accounts/chain";
import { findAccount, type AccountRow } from "../gc/accounts/store";
import { splitBundleOf } from "../gc/accounts/operations";
import { bundlesByIds, type BundleRow } from "../gc/accounts/bundles";
import type { RowFault } from "./records";
import { storageCancellationItems, storageCancellations } from "./schema";
import { serialised } from "../concurrency/serialised";

type Hex = `0x${string}`;

export type CancellationRow = typeof storageCancellations.$inferSelect;
export type CancellationItemRow = typeof storageCancellationItems.$inferSelect;

export interface CancellationDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: Hex;
  vault: KeyVault;
  clock: () => Date;
}

export interface CancellationItem {
  bundle: BundleRow;
  wh: bigint;
}

/**
 * Bundles of any cancellation still under way: they are spoken for, and no other request may cancel or
 * allocate them until it ends.
 */
export function bundlesBeingCancelled(db: DbOrTx, bundleIds: readonly string[]): Set<string> {
  if (bundleIds.length === 0) return new Set();
  const rows = db
    .select({ submitted: storageCancellationItems.submittedBundleId, bundleId: storageCancellationItems.bundleId })
    .from(storageCancellationItems)
    .innerJoin(storageCancellations, eq(storageCancellations.id, storageCancellationItems.cancellationId))
    .where(and(eq(storageCancellations.status, "cancelling"), inArray(storageCancellationItems.submittedBundleId, [...bundleIds])))
    .all();
  return new Set(rows.map((row) => row.submitted));
}

/**
 * Why `bundle` cannot be cancelled for storage from `account` now, or null when it can. Unknown bundles and
 * those of other accounts are refused alike, so the answer tells nothing about other accounts' holdings.
 */
export function cancellableProblem(bundle: BundleRow | undefined, account: AccountRow, busy: ReadonlySet<string>): string | null {
  if (!bundle || bundle.accountId !== account.id) return "is not a GC bundle held by this account";
  if (bundle.status === "pending") return "is still being minted; it can be cancelled once it is active";
  if (bundle.status !== "active") return `is ${bundle.status}; only active GCs can be cancelled for storage`;
  if (busy.has(bundle.id)) return "is being cancelled for storage by another request";
  return null;
}

/** Checks a request to cancel `wh` (all when absent) of each named bundle; faults name `bundles[i].id` or `.wh`. */
export function checkCancellation(db: DbOrTx, account: AccountRow, requested: readonly { id: string; wh?: bigint }[]): { ok: true; items: CancellationItem[] } | { ok: false; faults: RowFault[] } {
  const bundles = bundlesByIds(db, requested.map((item) => item.id));
  const busy = bundlesBeingCancelled(db, [...bundles.keys()]);
  const faults: RowFault[] = [];
  const items: CancellationItem[] = [];
  const seen = new Map<string, number>();
  requested.forEach((item, i) => {
    const fault = (field: string, message: string) => faults.push({ row: null, line: null, field: `bundles[${i}].${field}`, message });
    const earlier = seen.get(item.id);
    if (earlier !== undefined) return fault("id", `repeats bundles[${earlier}]`);
    seen.set(item.id, i);
    const bundle = bundles.get(item.id);
    const problem = cancellableProblem(bundle, account, busy);
    if (problem) return fault("id", problem);
    const wh = item.wh ?? BigInt(bundle!.energyWh);
    if (wh > BigInt(bundle!.energyWh)) return fault("wh", `is more than the ${bundle!.energyWh} Wh the bundle holds`);
    items.push({ bundle: bundle!, wh });
  });
  return faults.length > 0 ? { ok: false, faults } : { ok: true, items };
}

/** Stores a cancellation to carry out; call inside the transaction that checked its items. */
export function storeCancellation(
  tx: DbOrTx,
  input: { accountId: string; allocationId: string | null; items: readonly CancellationItem[]; userId: string; now: number },
): string {
  const id = randomUUID();
  tx.insert(storageCancellations)
    .values({ id, accountId: input.accountId, allocationId: input.allocationId, status: "cancelling", createdBy: input.userId, createdAt: input.now, updatedAt: input.now })
    .run();
  input.items.forEach((item, position) => {
    const whole = item.wh === BigInt(item.bundle.energyWh);
    tx.insert(storageCancellationItems)
      .values({ cancellationId: id, position, submittedBundleId: item.bundle.id, wh: Number(item.wh), bundleId: whole ? item.bundle.id : null })
      .run();
  });
  return id;
}

export function findCancellation(db: DbOrTx, id: string): CancellationRow | undefined {
  return db.select().from(storageCancellations).where(eq(storageCancellations.id, id)).get();
}

export function cancellationItems(db: DbOrTx, id: string): CancellationItemRow[] {
  return db.select().from(storageCancellationItems).where(eq(storageCancellationItems.cancellationId, id)).orderBy(asc(storageCancellationItems.position)).all();
}

export type CancellationOutcome = { status: "cancelled" | "failed" | "cancelling"; error: string | null };

/**
 * Carries out (or finishes) a stored cancellation. `onSplit` runs in the transaction that records which
 * split-off bundle an item cancels, so the caller's records follow it atomically.
 * A refusal by the registry fails the cancellation (nothing more is sent; a split already made stays);
 * anything else (node unreachable, no gas) leaves it `cancelling`, to run again.
 */
export function runCancellation(deps: CancellationDeps, id: string, userId: string, onSplit?: OnSplit): Promise<CancellationOutcome> {
  return serialised(`storage-cancellation:${id}`, () => carryOut(deps, id, userId, onSplit));
}

type OnSplit = (tx: DbOrTx, parentId: string, childId: string) => void;

async function carryOut(deps: CancellationDeps, id: string, userId: string, onSplit?: OnSplit): Promise<CancellationOutcome> {
  const { db } = deps;
  const cancellation = findCancellation(db, id)!;
  if (cancellation.status !== "cancelling") return { status: cancellation.status, error: cancellation.error };
  const account = findAccount(db, cancellation.accountId)!;
  const signer = accountSigner(deps, account);
  if (!signer) return fail(deps, cancellation, userId, "the account is self-custody: the platform holds no key to cancel its GCs with");
  try {
    const retiredIn = await retirementTransaction(deps, account, cancellation.id);
    if (retiredIn) return succeed(deps, cancellation, userId, retiredIn);

    for (const item of cancellationItems(db, id)) {
      if (item.bundleId !== null) continue;
      const parent = db.select().from(gcBundles).where(eq(gcBundles.id, item.submittedBundleId)).get()!;
      // Split in an earlier run that stopped before recording which part to cancel: the part is the first child.
      let childId = parent.status === "split" ? firstChildOf(db, parent)?.id : undefined;
      if (childId === undefined) {
        if (parent.status !== "active") return fail(deps, cancellation, userId, `${parent.id} is ${parent.status}; only active GCs can be cancelled for storage`);
        const children = await splitBundleOf(deps, { userId }, account, parent.id, [BigInt(item.wh), BigInt(parent.energyWh) - BigInt(item.wh)]);
        if ("status" in children) {
          // A conflict (the bundle moved, another operation holds it) will not pass by retrying; the chain being away may.
          if (children.status === 502 || children.status === 503) throw new Error(children.detail);
          return fail(deps, cancellation, userId, `splitting ${parent.id} was refused: ${children.detail}`);
        }
        childId = children[0].id;
      }
      db.transaction((tx) => {
        tx.update(storageCancellationItems)
          .set({ bundleId: childId })
          .where(and(eq(storageCancellationItems.cancellationId, id), eq(storageCancellationItems.position, item.position)))
          .run();
        onSplit?.(tx, parent.id, childId!);
      });
    }

    const targets = [...bundlesByIds(db, cancellationItems(db, id).map((item) => item.bundleId!)).values()];
    const inactive = targets.find((bundle) => bundle.status !== "active" || bundle.tokenId === null);
    if (inactive) return fail(deps, cancellation, userId, `${inactive.id} is ${inactive.status}; only active GCs can be cancelled for storage`);
    const { hash } = await sendRegistryTransaction(deps, signer, "retireBatch", [
      account.address as Hex,
      targets.map((bundle) => BigInt(bundle.tokenId!)),
      targets.map((bundle) => BigInt(bundle.energyWh)),
      RetirementReason.CancelledForStorage,
      "",
      chainRef(cancellation.id),
    ]);
    return succeed(deps, cancellation, userId, hash);
  } catch (error) {
    // A pause passes; any other revert follows from the certificates' state, which retrying will not change.
    if (error instanceof RegistryRevertError && error.errorName !== "EnforcedPause") return fail(deps, cancellation, userId, `the registry refused: ${error.message}`);
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    db.update(storageCancellations).set({ error: message, updatedAt: deps.clock().getTime() }).where(eq(storageCancellations.id, id)).run();
    return { status: "cancelling", error: message };
  }
}

/** The split-off part a cancellation takes: the child that starts where its parent's certificate range starts. */
function firstChildOf(db: DbOrTx, parent: BundleRow): BundleRow | undefined {
  return db
    .select()
    .from(gcBundles)
    .where(and(eq(gcBundles.parentId, parent.id), eq(gcBundles.rangeStart, parent.rangeStart)))
    .get();
}

/** The transaction that already retired this cancellation's bundles, if one was mined (found by its details hash). */
async function retirementTransaction(deps: CancellationDeps, account: AccountRow, cancellationId: string): Promise<Hex | undefined> {
  const logs = await deps.publicClient.getContractEvents({
    address: deps.registryAddress,
    abi: REGISTRY_ABI,
    eventName: "Retired",
    args: { holder: account.address as Hex, reason: RetirementReason.CancelledForStorage },
    fromBlock: readDeployment(deps.db)?.deployBlock ?? 0n,
    strict: true,
  });
  const ref = chainRef(cancellationId);
  return logs.find((log) => log.args.detailsHash.toLowerCase() === ref)?.transactionHash;
}

function succeed(deps: CancellationDeps, cancellation: CancellationRow, userId: string, txHash: Hex): CancellationOutcome {
  const now = deps.clock().getTime();
  const items = cancellationItems(deps.db, cancellation.id);
  const bundleIds = items.map((item) => item.bundleId!);
  deps.db.transaction((tx) => {
    tx.update(gcBundles).set({ status: "cancelled-for-storage", updatedAt: now }).where(inArray(gcBundles.id, bundleIds)).run();
    tx.update(storageCancellations).set({ status: "cancelled", txHash, error: null, updatedAt: now }).where(eq(storageCancellations.id, cancellation.id)).run();
    recordAction(tx, {
      at: now,
      userId,
      accountId: cancellation.accountId,
      action: "cancel-for-storage",
      bundleIds,
      details: { cancellationId: cancellation.id, allocationId: cancellation.allocationId, items: items.map((item) => ({ submittedBundleId: item.submittedBundleId, wh: item.wh, bundleId: item.bundleId })) },
      outcome: "succeeded",
      txHash,
    });
  });
  return { status: "cancelled", error: null };
}

function fail(deps: CancellationDeps, cancellation: CancellationRow, userId: string, error: string): CancellationOutcome {
  const now = deps.clock().getTime();
  const items = cancellationItems(deps.db, cancellation.id);
  deps.db.transaction((tx) => {
    tx.update(storageCancellations).set({ status: "failed", error, updatedAt: now }).where(eq(storageCancellations.id, cancellation.id)).run();
    recordAction(tx, {
      at: now,
      userId,
      accountId: cancellation.accountId,
      action: "cancel-for-storage",
      bundleIds: items.map((item) => item.submittedBundleId),
      details: { cancellationId: cancellation.id, allocationId: cancellation.allocationId, items: items.map((item) => ({ submittedBundleId: item.submittedBundleId, wh: item.wh })) },
      outcome: "failed",
      error,
    });
  });
  return { status: "failed", error };
}
