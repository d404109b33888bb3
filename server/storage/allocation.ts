/**
 * Allocation and SD-GC issuance (seed 000 steps 11 to 13). A storage validator submits allocation records
 * for a storage device, which works through the GC account it is assigned to; they are matched to the device's SCRs and
 * SDRs and to the account's GC bundles (./records `allocate`), and stored as allocated storage records with
 * the volumes and factors of the seed's maths. Then:
 *
 * 1. the GCs the records name are cancelled for storage: by this request (`cancel`: active bundles are
 *    cancelled now, a part split off first) or beforehand (`require-cancelled`: every bundle named must
 *    already be cancelled for storage, with enough of its energy not yet allocated);
 * 2. one SD-GC bundle per SDR is minted into the account (kind StorageDischargeCertificate, origin storage,
 *    the discharge hour as its period), holding the Wh the records allocate to that discharge;
 * 3. the submitter is notified by email.
 *
 * Each step's state is stored before the chain is asked, so an allocation cut short is finished by
 * {@link advanceAllocation}. A GC bundle's energy is never allocated twice: allocations that stand (all but
 * the failed) hold the Wh they take from each bundle and each record.
 */
import { randomUUID } from "node:crypto";
import { and, eq, isNotNull, isNull } from "drizzle-orm";
import type { LocalAccount } from "viem";
import type { Db, DbOrTx } from "../db/database";
import { findDevice, type DeviceRow } from "../devices/store";
import { users } from "../auth/schema";
import { gcAttributes } from "../gc/attributes";
import { recordAction } from "../gc/accounts/actions";
import { bundlesByIds, type BundleRow } from "../gc/accounts/bundles";
import type { AccountRow } from "../gc/accounts/store";
import type { GcTerms } from "../gc/issuance/terms";
import { gcMintDeps, mintBundles, resumeMints, type NewBundle } from "../gc/minting";
import { gcMintBatches, gcMintItems } from "../gc/issuance/schema";
import { dispatchOutbox, enqueueEmail } from "../notifications/outbox";
import type { MailTransport } from "../notifications/transport";
import { ratioText } from "./maths";
import { allocate, UNAVAILABLE_GC, type AllocatableGc, type AllocationRow as SubmittedRow, type Checked, type RowFault } from "./records";
import { allocatedStorageRecords, storageAllocations, storageCancellations, type GcCancellationMode } from "./schema";
import { bundlesBeingCancelled, runCancellation, storeCancellation, type CancellationDeps, type CancellationItem } from "./cancellation";
import { sdgcsIssuedEmail } from "./emails";
import { serialised } from "../concurrency/serialised";
import { allocatedGcWh, allocatedRecordsOf, findAllocation, recordsByIds, recordsForAllocation, sdgcBundlesIssued, type StorageAllocationRow } from "./store";
import { HOUR_MS } from "../time/durations";

export interface AllocationDeps extends CancellationDeps {
  mail: MailTransport;
  chainSigners?: { issuer: LocalAccount };
  /** Who issues SD-GCs and how long they stay valid (the bundles' EnergyTag attributes). */
  gcTerms: GcTerms;
}

export interface AllocationInput {
  device: DeviceRow;
  account: AccountRow;
  mode: GcCancellationMode;
  rows: readonly SubmittedRow[];
  content: string;
  contentType: string;
  userId: string;
  now: number;
}

/**
 * Why a named GC bundle cannot be allocated, or what it has available. `used` is the Wh allocations that
 * stand already take from it, `busy` the bundles a cancellation under way holds.
 */
function allocatable(bundle: BundleRow | undefined, input: Pick<AllocationInput, "account" | "mode">, used: bigint, busy: boolean): AllocatableGc | string {
  if (!bundle || bundle.accountId !== input.account.id) return "is not a GC bundle held by this account";
  const hourStart = Math.floor(bundle.startAt / HOUR_MS) * HOUR_MS;
  if (bundle.endAt > hourStart + HOUR_MS) return "spans more than one hour, so it cannot be matched to one charge hour";
  const energy = BigInt(bundle.energyWh);
  if (bundle.status === "cancelled-for-storage") {
    return used < energy ? { hourStart, availableWh: energy - used } : "was cancelled for storage, and all its energy is allocated already";
  }
  if (bundle.status === "active") {
    if (input.mode === "require-cancelled") return "is active: this request requires the GCs it allocates to be cancelled for storage already (cancel them first, or send cancellation=cancel)";
    if (busy || used > 0n) return "is being cancelled for storage by another request; allocate it once that has finished";
    return { hourStart, availableWh: energy };
  }
  if (bundle.status === "pending") return "is still being minted; allocate it once it is active";
  return `is ${bundle.status}; only active GCs or GCs cancelled for storage can be allocated`;
}

export interface PlannedAllocation {
  allocationId: string;
}

/**
 * Checks the allocation rows against the device's records and the account's GCs and, when they hold,
 * stores the allocation (and the cancellation it needs) in one transaction. Faults name rows and fields.
 */
export function planAllocation(db: Db, input: AllocationInput): Checked<PlannedAllocation> {
  return db.transaction(
    (tx) => {
      const { records, earlier } = recordsForAllocation(tx, input.device.id);
      const gcIds = [...new Set(input.rows.map((row) => row.gcId))];
      const bundles = bundlesByIds(tx, gcIds);
      const used = allocatedGcWh(tx, gcIds);
      const busy = bundlesBeingCancelled(tx, gcIds);
      const gcs = new Map<string, AllocatableGc>();
      const refused = new Map<string, string>();
      for (const id of gcIds) {
        const verdict = allocatable(bundles.get(id), input, used.get(id) ?? 0n, busy.has(id));
        if (typeof verdict === "string") refused.set(id, verdict);
        else gcs.set(id, verdict);
      }
      const result = allocate(input.rows, records, gcs, earlier);
      if (!result.ok) {
        const rowGc = new Map(input.rows.map((row) => [row.row, row.gcId]));
        const faults: RowFault[] = result.faults.map((fault) => {
          const reason = fault.row === null ? undefined : refused.get(rowGc.get(fault.row)!);
          return fault.field === "gc_id" && fault.message === UNAVAILABLE_GC && reason ? { ...fault, message: reason } : fault;
        });
        return { ok: false, faults };
      }
      const allocation = result.value;
      const toCancel: CancellationItem[] = allocation.gcsToCancel.flatMap(({ gcId, wh }) => {
        const bundle = bundles.get(gcId)!;
        return bundle.status === "active" ? [{ bundle, wh }] : [];
      });
      const allocationId = randomUUID();
      tx.insert(storageAllocations)
        .values({
          id: allocationId,
          deviceId: input.device.id,
          accountId: input.account.id,
          cancellation: input.mode,
          status: toCancel.length > 0 ? "cancelling" : "issuing",
          content: input.content,
          contentType: input.contentType,
          sdrVolumeWh: Number(allocation.volumes.sdrVolumeWh),
          gcsCancelledWh: Number(allocation.volumes.gcsCancelledWh),
          sdgcVolumeWh: Number(allocation.volumes.sdgcVolumeWh),
          sdrProportion: allocation.factors.sdrProportion && ratioText(allocation.factors.sdrProportion),
          efficiencyFactor: allocation.factors.efficiencyFactor && ratioText(allocation.factors.efficiencyFactor),
          submittedBy: input.userId,
          createdAt: input.now,
          updatedAt: input.now,
        })
        .run();
      for (const record of allocation.records) {
        tx.insert(allocatedStorageRecords)
          .values({
            id: randomUUID(),
            allocationId,
            row: record.row,
            line: record.line,
            scrId: record.scr.id,
            sdrId: record.sdr.id,
            submittedGcId: record.gcId,
            gcBundleId: record.gcId,
            chargeWh: Number(record.chargeWh),
            dischargeWh: Number(record.dischargeWh),
          })
          .run();
      }
      if (toCancel.length > 0) storeCancellation(tx, { accountId: input.account.id, allocationId, items: toCancel, userId: input.userId, now: input.now });
      return { ok: true as const, value: { allocationId } };
    },
    { behavior: "immediate" },
  );
}

/**
 * Takes a stored allocation as far as the chain lets it: cancels its GCs, mints its SD-GCs, notifies.
 * Answers the allocation as it then stands; one still `cancelling` or `issuing` has `error` saying why.
 */
export function advanceAllocation(deps: AllocationDeps, allocationId: string, userId: string): Promise<StorageAllocationRow> {
  return serialised(`storage-allocation:${allocationId}`, async () => {
    let allocation = findAllocation(deps.db, allocationId)!;
    if (allocation.status === "cancelling") allocation = await cancelStep(deps, allocation, userId);
    if (allocation.status === "issuing") allocation = await issueStep(deps, allocation, userId);
    return allocation;
  });
}

async function cancelStep(deps: AllocationDeps, allocation: StorageAllocationRow, userId: string): Promise<StorageAllocationRow> {
  const cancellation = deps.db.select().from(storageCancellations).where(eq(storageCancellations.allocationId, allocation.id)).get()!;
  const outcome = await runCancellation(deps, cancellation.id, userId, (tx, parentId, childId) => {
    tx.update(allocatedStorageRecords)
      .set({ gcBundleId: childId })
      .where(and(eq(allocatedStorageRecords.allocationId, allocation.id), eq(allocatedStorageRecords.gcBundleId, parentId)))
      .run();
  });
  if (outcome.status === "cancelled") return update(deps, allocation.id, { status: "issuing", error: null });
  if (outcome.status === "failed") return update(deps, allocation.id, { status: "failed", error: `the GCs could not be cancelled for storage: ${outcome.error}` });
  return update(deps, allocation.id, { error: `cancelling the GCs did not finish: ${outcome.error}` });
}

/** One SD-GC bundle per SDR, holding the discharge the records allocate to it, linked to them as it is reserved. */
async function issueStep(deps: AllocationDeps, allocation: StorageAllocationRow, userId: string): Promise<StorageAllocationRow> {
  const mintDeps = gcMintDeps(deps);
  const now = deps.clock().getTime();
  const unlinked = deps.db
    .select({ id: allocatedStorageRecords.id })
    .from(allocatedStorageRecords)
    .where(and(eq(allocatedStorageRecords.allocationId, allocation.id), isNull(allocatedStorageRecords.sdgcBundleId)))
    .get();
  if (unlinked) {
    let sdrIds: string[] = [];
    await mintBundles(
      mintDeps,
      {
        accountId: allocation.accountId,
        origin: "storage",
        bundles: (tx) => {
          const planned = plannedSdgcs(tx, allocation, deps.gcTerms, now);
          sdrIds = planned.map((sdgc) => sdgc.sdrId);
          return planned.map((sdgc) => sdgc.bundle);
        },
        alongside: (tx, reserved) => {
          reserved.forEach((bundle, i) =>
            tx
              .update(allocatedStorageRecords)
              .set({ sdgcBundleId: bundle.id })
              .where(and(eq(allocatedStorageRecords.allocationId, allocation.id), eq(allocatedStorageRecords.sdrId, sdrIds[i])))
              .run(),
          );
          recordAction(tx, {
            at: now,
            userId,
            accountId: allocation.accountId,
            action: "issue-sdgc",
            bundleIds: reserved.map((bundle) => bundle.id),
            details: {
              allocationId: allocation.id,
              deviceId: allocation.deviceId,
              sdrVolumeWh: String(allocation.sdrVolumeWh),
              gcsCancelledWh: String(allocation.gcsCancelledWh),
              sdgcVolumeWh: String(allocation.sdgcVolumeWh),
              sdrProportion: allocation.sdrProportion,
              efficiencyFactor: allocation.efficiencyFactor,
            },
            outcome: "succeeded",
          });
        },
      },
      now,
    );
  } else {
    // Reserved by an earlier run that stopped before they were minted: the mint outbox finishes them.
    await resumeMints(mintDeps, now);
  }
  const sdgcs = sdgcBundlesIssued(deps.db, allocation.id);
  const pending = sdgcs.filter((bundle) => bundle.status === "pending");
  if (pending.length > 0) {
    const reason = deps.db
      .select({ lastError: gcMintBatches.lastError })
      .from(gcMintItems)
      .innerJoin(gcMintBatches, eq(gcMintBatches.id, gcMintItems.batchId))
      .where(and(eq(gcMintItems.bundleId, pending[0].id), isNotNull(gcMintBatches.lastError)))
      .get();
    return update(deps, allocation.id, { error: `${pending.length} of ${sdgcs.length} SD-GC bundles are still being minted${reason ? `: ${reason.lastError}` : ""}` });
  }
  deps.db.transaction((tx) => {
    tx.update(storageAllocations).set({ status: "issued", error: null, issuedAt: now, updatedAt: now }).where(eq(storageAllocations.id, allocation.id)).run();
    const submitter = tx.select({ email: users.email }).from(users).where(eq(users.id, allocation.submittedBy)).get()!;
    const device = findDevice(tx, allocation.deviceId)!;
    enqueueEmail(tx, sdgcsIssuedEmail({ to: submitter.email, device, allocation: findAllocation(tx, allocation.id)!, sdgcs }), deps.clock());
  });
  await dispatchOutbox(deps.db, deps.mail, deps.clock);
  return findAllocation(deps.db, allocation.id)!;
}

/** The SD-GCs still to reserve, in discharge order, each with the SDR whose records it answers. */
function plannedSdgcs(tx: DbOrTx, allocation: StorageAllocationRow, terms: AllocationDeps["gcTerms"], now: number): { sdrId: string; bundle: NewBundle }[] {
  const records = allocatedRecordsOf(tx, allocation.id).filter((record) => record.sdgcBundleId === null);
  if (records.length === 0) return [];
  const sdrs = recordsByIds(tx, [...new Set(records.map((record) => record.sdrId))]);
  const device = findDevice(tx, allocation.deviceId)!;
  const attributes = gcAttributes(device, { issuedAt: now, ...terms });
  const whBySdr = new Map<string, bigint>();
  for (const record of records) whBySdr.set(record.sdrId, (whBySdr.get(record.sdrId) ?? 0n) + BigInt(record.dischargeWh));
  return [...whBySdr]
    .map(([sdrId, energyWh]) => ({ sdrId, hourStart: sdrs.get(sdrId)!.hourStart, energyWh }))
    .sort((a, b) => a.hourStart - b.hourStart)
    .map(({ sdrId, hourStart, energyWh }) => ({ sdrId, bundle: { deviceId: device.id, startAt: hourStart, endAt: hourStart + HOUR_MS, energyWh, attributes } }));
}

function update(deps: AllocationDeps, id: string, set: Partial<StorageAllocationRow>): StorageAllocationRow {
  deps.db.update(storageAllocations).set({ ...set, updatedAt: deps.clock().getTime() }).where(eq(storageAllocations.id, id)).run();
  return findAllocation(deps.db, id)!;
}
