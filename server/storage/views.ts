/** What the storage endpoints answer: instants in ISO 8601 UTC, Wh as decimal strings (as the GC API does). */
import { eq } from "drizzle-orm";
import type { DbOrTx } from "../db/database";
import { bundleView } from "../gc/accounts/views";
import { formatRatio, parseRatioText } from "./maths";
import type { CancellationItemRow, CancellationRow } from "./cancellation";
import { storageCancellations } from "./schema";
import { allocatedRecordsOf, recordsByIds, sdgcBundlesIssued, type StorageAllocationRow, type StorageRecordRow } from "./store";
import { HOUR_MS } from "../time/durations";

const iso = (ms: number) => new Date(ms).toISOString();

/** A stored ratio as the seed shows it (8 decimals, half to even) and exactly. */
export function ratioView(text: string | null): { value: string; exact: string } | null {
  return text === null ? null : { value: formatRatio(parseRatioText(text)), exact: text };
}

export function recordView(record: StorageRecordRow, allocatedWh: bigint) {
  return {
    id: record.id,
    kind: record.flow === "charge" ? ("SCR" as const) : ("SDR" as const),
    flow: record.flow,
    hourStart: iso(record.hourStart),
    hourEnd: iso(record.hourStart + HOUR_MS),
    energyWh: String(record.energyWh),
    allocatedWh: String(allocatedWh),
    uploadId: record.uploadId,
  };
}

export function cancellationView(cancellation: CancellationRow, items: readonly CancellationItemRow[]) {
  return {
    id: cancellation.id,
    accountId: cancellation.accountId,
    allocationId: cancellation.allocationId,
    status: cancellation.status,
    txHash: cancellation.txHash,
    error: cancellation.error,
    items: items.map((item) => ({ bundleId: item.submittedBundleId, wh: String(item.wh), cancelledBundleId: item.bundleId })),
    createdAt: iso(cancellation.createdAt),
  };
}

export function allocationView(db: DbOrTx, allocation: StorageAllocationRow) {
  const records = allocatedRecordsOf(db, allocation.id);
  const storage = recordsByIds(db, [...new Set(records.flatMap((record) => [record.scrId, record.sdrId]))]);
  const cancellation = db.select().from(storageCancellations).where(eq(storageCancellations.allocationId, allocation.id)).get();
  return {
    id: allocation.id,
    deviceId: allocation.deviceId,
    accountId: allocation.accountId,
    cancellation: allocation.cancellation,
    status: allocation.status,
    error: allocation.error,
    volumes: { sdrVolumeWh: String(allocation.sdrVolumeWh), gcsCancelledWh: String(allocation.gcsCancelledWh), sdgcVolumeWh: String(allocation.sdgcVolumeWh) },
    factors: { sdrProportion: ratioView(allocation.sdrProportion), efficiencyFactor: ratioView(allocation.efficiencyFactor) },
    records: records.map((record) => ({
      id: record.id,
      row: record.row,
      line: record.line,
      hour: iso(storage.get(record.sdrId)!.hourStart),
      chargeHour: iso(storage.get(record.scrId)!.hourStart),
      scrId: record.scrId,
      sdrId: record.sdrId,
      gcId: record.submittedGcId,
      cancelledBundleId: record.gcBundleId,
      chargeWh: String(record.chargeWh),
      dischargeWh: String(record.dischargeWh),
      sdgcBundleId: record.sdgcBundleId,
    })),
    gcCancellation: cancellation ? { id: cancellation.id, status: cancellation.status, txHash: cancellation.txHash } : null,
    sdgcs: sdgcBundlesIssued(db, allocation.id).map(bundleView),
    submittedBy: allocation.submittedBy,
    createdAt: iso(allocation.createdAt),
    issuedAt: allocation.issuedAt === null ? null : iso(allocation.issuedAt),
  };
}
