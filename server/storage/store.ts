/** Reading and writing storage records and allocations. */
import { createHash, randomUUID } from "node:crypto";
import { and, asc, eq, gt, gte, inArray, lt, ne, or, sql } from "drizzle-orm";
import type { DbOrTx } from "../db/database";
import { bundlesByIds, type BundleRow } from "../gc/accounts/bundles";
import { allocatedStorageRecords, storageAllocations, storageRecords, storageRecordUploads } from "./schema";
import type { Flow, StorageRecord } from "./records";

export type StorageRecordRow = typeof storageRecords.$inferSelect;
export type StorageAllocationRow = typeof storageAllocations.$inferSelect;
export type AllocatedRecordRow = typeof allocatedStorageRecords.$inferSelect;

/** A stored record with its id, in the form the pure allocation works on. */
export interface StoredRecord extends StorageRecord {
  id: string;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Hours the device already has records for, of either flow. */
export function recordedHours(db: DbOrTx, deviceId: string): Set<number> {
  const rows = db.selectDistinct({ hourStart: storageRecords.hourStart }).from(storageRecords).where(eq(storageRecords.deviceId, deviceId)).all();
  return new Set(rows.map((row) => row.hourStart));
}

export interface NewUpload {
  deviceId: string;
  content: string;
  contentType: string;
  submittedBy: string;
  now: number;
}

/** Stores the table and its records; call inside the transaction that checked the hours were free. */
export function insertRecords(tx: DbOrTx, upload: NewUpload, records: readonly StorageRecord[]): { uploadId: string; rows: StorageRecordRow[] } {
  const uploadId = randomUUID();
  tx.insert(storageRecordUploads)
    .values({ id: uploadId, deviceId: upload.deviceId, content: upload.content, contentType: upload.contentType, sha256: sha256(upload.content), submittedBy: upload.submittedBy, submittedAt: upload.now })
    .run();
  const rows = records.map((record) => ({
    id: randomUUID(),
    deviceId: upload.deviceId,
    uploadId,
    flow: record.flow,
    hourStart: record.hourStart,
    energyWh: Number(record.energyWh),
    createdAt: upload.now,
  }));
  for (const row of rows) tx.insert(storageRecords).values(row).run();
  return { uploadId, rows };
}

export interface RecordFilter {
  from?: number;
  to?: number;
  flow?: Flow;
  /** Keyset position: records after this one. */
  after?: { hourStart: number; flow: Flow };
  limit: number;
}

/** The device's records in hour order (charge before discharge within an hour), each with the Wh allocations took from it. */
export function listRecords(db: DbOrTx, deviceId: string, filter: RecordFilter): { record: StorageRecordRow; allocatedWh: bigint }[] {
  const { after } = filter;
  const rows = db
    .select()
    .from(storageRecords)
    .where(
      and(
        eq(storageRecords.deviceId, deviceId),
        filter.from === undefined ? undefined : gte(storageRecords.hourStart, filter.from),
        filter.to === undefined ? undefined : lt(storageRecords.hourStart, filter.to),
        filter.flow === undefined ? undefined : eq(storageRecords.flow, filter.flow),
        after === undefined ? undefined : or(gt(storageRecords.hourStart, after.hourStart), and(eq(storageRecords.hourStart, after.hourStart), gt(storageRecords.flow, after.flow))),
      ),
    )
    .orderBy(asc(storageRecords.hourStart), asc(storageRecords.flow))
    .limit(filter.limit)
    .all();
  const allocated = allocatedWhOf(db, deviceId);
  return rows.map((record) => ({ record, allocatedWh: allocated.get(record.id) ?? 0n }));
}

/** Wh each of the device's records has given to allocations that still stand (every one but the failed). */
export function allocatedWhOf(db: DbOrTx, deviceId: string): Map<string, bigint> {
  const standing = and(eq(storageAllocations.deviceId, deviceId), ne(storageAllocations.status, "failed"));
  const charged = db
    .select({ id: allocatedStorageRecords.scrId, wh: sql<number>`sum(${allocatedStorageRecords.chargeWh})` })
    .from(allocatedStorageRecords)
    .innerJoin(storageAllocations, eq(storageAllocations.id, allocatedStorageRecords.allocationId))
    .where(standing)
    .groupBy(allocatedStorageRecords.scrId)
    .all();
  const discharged = db
    .select({ id: allocatedStorageRecords.sdrId, wh: sql<number>`sum(${allocatedStorageRecords.dischargeWh})` })
    .from(allocatedStorageRecords)
    .innerJoin(storageAllocations, eq(storageAllocations.id, allocatedStorageRecords.allocationId))
    .where(standing)
    .groupBy(allocatedStorageRecords.sdrId)
    .all();
  return new Map([...charged, ...discharged].map(({ id, wh }) => [id, BigInt(wh)]));
}

/** Every record of the device, as the pure allocation takes them, with what earlier allocations took from each. */
export function recordsForAllocation(db: DbOrTx, deviceId: string): { records: StoredRecord[]; earlier: Map<StoredRecord, bigint> } {
  const allocated = allocatedWhOf(db, deviceId);
  const records = db
    .select()
    .from(storageRecords)
    .where(eq(storageRecords.deviceId, deviceId))
    .all()
    .map((row) => ({ id: row.id, flow: row.flow, hourStart: row.hourStart, energyWh: BigInt(row.energyWh) }));
  const earlier = new Map<StoredRecord, bigint>();
  for (const record of records) {
    const wh = allocated.get(record.id);
    if (wh !== undefined) earlier.set(record, wh);
  }
  return { records, earlier };
}

/** Wh of each bundle that allocations still standing take. */
export function allocatedGcWh(db: DbOrTx, bundleIds: readonly string[]): Map<string, bigint> {
  if (bundleIds.length === 0) return new Map();
  const rows = db
    .select({ id: allocatedStorageRecords.gcBundleId, wh: sql<number>`sum(${allocatedStorageRecords.chargeWh})` })
    .from(allocatedStorageRecords)
    .innerJoin(storageAllocations, eq(storageAllocations.id, allocatedStorageRecords.allocationId))
    .where(and(inArray(allocatedStorageRecords.gcBundleId, [...bundleIds]), ne(storageAllocations.status, "failed")))
    .groupBy(allocatedStorageRecords.gcBundleId)
    .all();
  return new Map(rows.map(({ id, wh }) => [id, BigInt(wh)]));
}

export function findAllocation(db: DbOrTx, id: string): StorageAllocationRow | undefined {
  return db.select().from(storageAllocations).where(eq(storageAllocations.id, id)).get();
}

export function allocatedRecordsOf(db: DbOrTx, allocationId: string): AllocatedRecordRow[] {
  return db.select().from(allocatedStorageRecords).where(eq(allocatedStorageRecords.allocationId, allocationId)).orderBy(asc(allocatedStorageRecords.row)).all();
}

export function recordsByIds(db: DbOrTx, ids: readonly string[]): Map<string, StorageRecordRow> {
  if (ids.length === 0) return new Map();
  return new Map(
    db
      .select()
      .from(storageRecords)
      .where(inArray(storageRecords.id, [...ids]))
      .all()
      .map((row) => [row.id, row]),
  );
}

/** The SD-GC bundles an allocation's records are linked to, in discharge order. */
export function sdgcBundlesIssued(db: DbOrTx, allocationId: string): BundleRow[] {
  const ids = [...new Set(allocatedRecordsOf(db, allocationId).flatMap((record) => (record.sdgcBundleId ? [record.sdgcBundleId] : [])))];
  return [...bundlesByIds(db, ids).values()].sort((a, b) => a.startAt - b.startAt);
}
