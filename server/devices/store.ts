/** Reading and writing devices. Shared by the JSON routes and the bulk-upload worker. */
import { and, asc, desc, eq, getTableColumns, gte, inArray, lte, sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { DbOrTx } from "../db/database";
import { sdgBenefitsOf, sdgMask } from "./catalogue";
import type { DeviceListQuery } from "./listing";
import { devices } from "./schema";
import type { DeviceAttributes, DeviceIssue } from "./validation";

export type DeviceRow = typeof devices.$inferSelect;

/** What the API answers for a device: kW and kWh as the client sent them, the platform's own fields beside. */
export function deviceView(row: DeviceRow) {
  const { capacityW, energyStorageCapacityWh, sdgBenefits, ...rest } = row;
  return {
    ...rest,
    capacity: capacityW / 1000,
    energyStorageCapacity: energyStorageCapacityWh === null ? null : energyStorageCapacityWh / 1000,
    sdgBenefits: sdgBenefitsOf(sdgBenefits),
  };
}
export type DeviceView = ReturnType<typeof deviceView>;

export function attributesOf(row: DeviceRow): DeviceAttributes {
  const { id: _id, organisationId: _o, onboardedAt: _on, validationErrors: _v, uploadJobId: _u, createdBy: _c, updatedAt: _up, sdgBenefits, ...attributes } = row;
  return { ...attributes, sdgBenefits: sdgBenefitsOf(sdgBenefits) };
}

/** The stored columns for a checked device. */
export function columnsOf(device: DeviceAttributes) {
  return { ...device, sdgBenefits: sdgMask(device.sdgBenefits) };
}

export interface NewDevice {
  id: string;
  organisationId: string;
  device: DeviceAttributes;
  /** Optional-field faults the device was accepted with (bulk upload). */
  validationErrors: DeviceIssue[];
  uploadJobId: string | null;
  createdBy: string;
  now: string;
}

export function insertDevices(db: DbOrTx, rows: readonly NewDevice[]): void {
  insertEach(
    db,
    devices,
    rows.map((row) => ({
      id: row.id,
      organisationId: row.organisationId,
      ...columnsOf(row.device),
      onboardedAt: row.now,
      validationErrors: row.validationErrors,
      uploadJobId: row.uploadJobId,
      createdBy: row.createdBy,
      updatedAt: row.now,
    })),
  );
}

/**
 * Inserts complete rows (every column given) through one prepared statement. For thousands of rows,
 * building multi-row inserts through drizzle costs more than SQLite's own work.
 */
export function insertEach<T extends SQLiteTable>(db: DbOrTx, table: T, rows: readonly Required<T["$inferInsert"]>[]): void {
  if (rows.length === 0) return;
  const placeholders = Object.fromEntries(Object.keys(getTableColumns(table)).map((key) => [key, sql.placeholder(key)]));
  const statement = db.insert(table).values(placeholders as T["$inferInsert"]).prepare();
  for (const row of rows) statement.run(row);
}

export function findDevice(db: DbOrTx, id: string): DeviceRow | undefined {
  return db.select().from(devices).where(eq(devices.id, id)).get();
}

export function findDeviceByExternalId(db: DbOrTx, organisationId: string, externalId: string): DeviceRow | undefined {
  return db
    .select()
    .from(devices)
    .where(and(eq(devices.organisationId, organisationId), eq(devices.externalId, externalId)))
    .get();
}

/** Which of `externalIds` the organisation already uses, and by which device. */
export function usedExternalIds(db: DbOrTx, organisationId: string, externalIds: readonly string[]): Map<string, string> {
  const used = new Map<string, string>();
  for (let start = 0; start < externalIds.length; start += 500) {
    const rows = db
      .select({ id: devices.id, externalId: devices.externalId })
      .from(devices)
      .where(and(eq(devices.organisationId, organisationId), inArray(devices.externalId, externalIds.slice(start, start + 500))))
      .all();
    for (const row of rows) used.set(row.externalId, row.id);
  }
  return used;
}

const SORT_COLUMNS = {
  onboardedAt: devices.onboardedAt,
  commissioningDate: devices.commissioningDate,
  capacity: devices.capacityW,
  externalId: devices.externalId,
} as const;

/**
 * One page in a stable order: sorted by the chosen column then by id, continuing strictly after the
 * cursor's (value, id), so rows inserted meanwhile never shift a page (no repeats, no gaps).
 */
export function listDevices(db: DbOrTx, organisationId: string | undefined, query: DeviceListQuery): { rows: DeviceRow[]; hasMore: boolean } {
  const column = SORT_COLUMNS[query.sort];
  const conditions: (SQL | undefined)[] = [
    organisationId === undefined ? undefined : eq(devices.organisationId, organisationId),
    query.countryCode && inArray(devices.countryCode, query.countryCode),
    query.deviceTypeCode && inArray(devices.deviceTypeCode, query.deviceTypeCode),
    query.offTaker && inArray(devices.offTaker, query.offTaker),
    query.capacityMinW === undefined ? undefined : gte(devices.capacityW, query.capacityMinW),
    query.capacityMaxW === undefined ? undefined : lte(devices.capacityW, query.capacityMaxW),
    query.commissionedFrom === undefined ? undefined : gte(devices.commissioningDate, query.commissionedFrom),
    query.commissionedTo === undefined ? undefined : lte(devices.commissioningDate, query.commissionedTo),
  ];
  if (query.sdgBenefits) {
    const mask = sdgMask(query.sdgBenefits);
    conditions.push(sql`(${devices.sdgBenefits} & ${mask}) = ${mask}`);
  }
  if (query.after) {
    const comparison = query.order === "asc" ? sql.raw(">") : sql.raw("<");
    conditions.push(sql`(${column}, ${devices.id}) ${comparison} (${query.after.value}, ${query.after.id})`);
  }
  const direction = query.order === "asc" ? asc : desc;
  const rows = db
    .select()
    .from(devices)
    .where(and(...conditions))
    .orderBy(direction(column), direction(devices.id))
    .limit(query.limit + 1)
    .all();
  return { rows: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
}

/** The value a row has in the sort column, for the next page's cursor. */
export function sortValueOf(row: DeviceRow, sort: DeviceListQuery["sort"]): string | number {
  return sort === "capacity" ? row.capacityW : row[sort];
}
