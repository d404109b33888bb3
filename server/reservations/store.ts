/** Reading and writing reservations in the database. No HTTP, no chain: routes and the release job share it. */
import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, lte, max, sql, type SQL } from "drizzle-orm";
import type { Principal } from "../auth/permissions";
import { organisations, users } from "../auth/schema";
import type { DbOrTx } from "../db/database";
import { sdgBenefitsOf, sdgMask, type DeviceTypeCode, type FuelCode, type OffTaker, type SdgBenefit } from "../devices/catalogue";
import { devices } from "../devices/schema";
import { gcDeviceAccounts } from "../gc/issuance/schema";
import type { FieldError } from "../http/problem";
import { issuedWhOf } from "../issuance/progress";
import { enqueueEmail } from "../notifications/outbox";
import { devicesReservedEmail } from "./emails";
import type { EligibleDevice } from "./grouping";
import { formatMWh, RELEASE_HOLD_MS, unavailability } from "./rules";
import { reservationDevices, reservations, type ReleaseReason } from "./schema";

export type ReservationRow = typeof reservations.$inferSelect;

export function findReservation(db: DbOrTx, id: string): ReservationRow | undefined {
  return db.select().from(reservations).where(eq(reservations.id, id)).get();
}

/**
 * Whose reservations a caller sees: administrators and auditors all; a buyer its own; a developer those
 * that hold or held its devices (and of those, only its own devices).
 */
export type Viewer = { kind: "all" } | { kind: "buyer"; organisationId: string } | { kind: "developer"; organisationId: string };

export function viewerOf(principal: Principal): Viewer {
  if (principal.organisationType === "admin" || principal.organisationType === "auditor") return { kind: "all" };
  return { kind: principal.organisationType, organisationId: principal.organisationId };
}

/** A developer's stake in a reservation: one of its devices is or was in it. */
const holdsDeviceOf = (organisationId: string, reservationId: SQL | string) =>
  sql`exists (select 1 from ${reservationDevices} inner join ${devices} on ${devices.id} = ${reservationDevices.deviceId}
      where ${reservationDevices.reservationId} = ${reservationId} and ${devices.organisationId} = ${organisationId})`;

function visibleTo(viewer: Viewer): SQL | undefined {
  if (viewer.kind === "all") return undefined;
  if (viewer.kind === "buyer") return eq(reservations.buyerOrganisationId, viewer.organisationId);
  return holdsDeviceOf(viewer.organisationId, sql`${reservations.id}`);
}

/** The reservation if the viewer may see it; otherwise undefined, as if it did not exist. */
export function visibleReservation(db: DbOrTx, viewer: Viewer, id: string): ReservationRow | undefined {
  return db
    .select()
    .from(reservations)
    .where(and(eq(reservations.id, id), visibleTo(viewer)))
    .get();
}

/** The devices of `reservationId` that the viewer may see listed. */
const deviceScope = (viewer: Viewer) => (viewer.kind === "developer" ? eq(devices.organisationId, viewer.organisationId) : undefined);

// ---------------------------------------------------------------------------------------------------------
// Device availability

/**
 * Each requested device's fault, as field errors: `missing` (no such device: the request is wrong, 400) and
 * `unavailable` (the device exists but cannot join now: a conflict with its state, 409).
 */
export function deviceFaults(
  db: DbOrTx,
  deviceIds: readonly string[],
  field: string,
  windowStart: number,
  now: number
): { missing: FieldError[]; unavailable: FieldError[] } {
  const ids = [...deviceIds];
  const flagged = new Map(
    db
      .select({ id: devices.id, validationErrors: devices.validationErrors })
      .from(devices)
      .where(inArray(devices.id, ids))
      .all()
      .map((row) => [row.id, row.validationErrors.length > 0])
  );
  const holding = new Map(
    db
      .select({ deviceId: reservationDevices.deviceId, reservationId: reservationDevices.reservationId })
      .from(reservationDevices)
      .where(and(inArray(reservationDevices.deviceId, ids), isNull(reservationDevices.releasedAt)))
      .all()
      .map((row) => [row.deviceId, row.reservationId])
  );
  const released = new Map(
    db
      .select({ deviceId: reservationDevices.deviceId, at: max(reservationDevices.releasedAt) })
      .from(reservationDevices)
      .where(inArray(reservationDevices.deviceId, ids))
      .groupBy(reservationDevices.deviceId)
      .all()
      .map((row) => [row.deviceId, row.at])
  );
  const gcAccounts = new Map(
    db
      .select({ deviceId: gcDeviceAccounts.deviceId, accountId: gcDeviceAccounts.accountId })
      .from(gcDeviceAccounts)
      .where(inArray(gcDeviceAccounts.deviceId, ids))
      .all()
      .map((row) => [row.deviceId, row.accountId])
  );
  const missing: FieldError[] = [];
  const unavailable: FieldError[] = [];
  deviceIds.forEach((id, index) => {
    const hasValidationErrors = flagged.get(id);
    if (hasValidationErrors === undefined) {
      missing.push({ field: `${field}.${index}`, message: "no such device" });
      return;
    }
    const reason = unavailability(
      { hasValidationErrors, activeReservationId: holding.get(id) ?? null, lastReleasedAt: released.get(id) ?? null, gcAccountId: gcAccounts.get(id) ?? null },
      windowStart,
      now
    );
    if (reason) unavailable.push({ field: `${field}.${index}`, message: reason });
  });
  return { missing, unavailable };
}

// ---------------------------------------------------------------------------------------------------------
// Writes

export type NewReservation = Omit<ReservationRow, "status" | "endReason" | "endedAt" | "releaseError" | "endTxHash">;

export function insertReservation(tx: DbOrTx, row: NewReservation): void {
  tx.insert(reservations)
    .values({ ...row, status: "active", endReason: null, endedAt: null, releaseError: null, endTxHash: null })
    .run();
}

export function addReservationDevices(tx: DbOrTx, reservationId: string, deviceIds: readonly string[], addedAt: number, addTxHash: string): void {
  if (deviceIds.length === 0) return;
  tx.insert(reservationDevices)
    .values(deviceIds.map((deviceId) => ({ reservationId, deviceId, addedAt, addTxHash })))
    .run();
}

/** Releases the given devices of a reservation, each at its own time (the chain's). */
export function releaseReservationDevices(
  tx: DbOrTx,
  reservationId: string,
  releases: readonly { deviceId: string; releasedAt: number }[],
  releaseTxHash: string | null,
  releaseReason: ReleaseReason
): void {
  for (const { deviceId, releasedAt } of releases) {
    tx.update(reservationDevices)
      .set({ releasedAt, releaseTxHash, releaseReason })
      .where(and(eq(reservationDevices.reservationId, reservationId), eq(reservationDevices.deviceId, deviceId), isNull(reservationDevices.releasedAt)))
      .run();
  }
}

/** The reservation's devices not yet released, optionally only one organisation's. */
export function unreleasedDevices(db: DbOrTx, reservationId: string, organisationId?: string): { id: string; organisationId: string }[] {
  return db
    .select({ id: devices.id, organisationId: devices.organisationId })
    .from(reservationDevices)
    .innerJoin(devices, eq(devices.id, reservationDevices.deviceId))
    .where(
      and(
        eq(reservationDevices.reservationId, reservationId),
        isNull(reservationDevices.releasedAt),
        organisationId === undefined ? undefined : eq(devices.organisationId, organisationId)
      )
    )
    .all();
}

/**
 * Writes one email per developer organisation whose devices were just reserved, to each of its
 * organisation admins, inside the transaction that reserved them.
 */
export function notifyDevelopers(tx: DbOrTx, reservation: ReservationRow, deviceIds: readonly string[], now: Date): void {
  if (deviceIds.length === 0) return;
  const buyer = tx.select({ name: organisations.name }).from(organisations).where(eq(organisations.id, reservation.buyerOrganisationId)).get()!;
  const reserved = tx
    .select({ id: devices.id, externalId: devices.externalId, organisationId: devices.organisationId, organisationName: organisations.name })
    .from(devices)
    .innerJoin(organisations, eq(organisations.id, devices.organisationId))
    .where(inArray(devices.id, [...deviceIds]))
    .orderBy(asc(devices.externalId))
    .all();
  const byOrganisation = new Map<string, typeof reserved>();
  for (const device of reserved) byOrganisation.set(device.organisationId, [...(byOrganisation.get(device.organisationId) ?? []), device]);
  for (const [organisationId, owned] of byOrganisation) {
    const admins = tx
      .select({ email: users.email })
      .from(users)
      .where(and(eq(users.organisationId, organisationId), eq(users.isOrganisationAdmin, true)))
      .all();
    for (const admin of admins) {
      enqueueEmail(
        tx,
        devicesReservedEmail({
          to: admin.email,
          developerOrganisationName: owned[0].organisationName,
          buyerOrganisationName: buyer.name,
          reservation,
          devices: owned,
        }),
        now
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Views

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function baseView(row: ReservationRow, buyerOrganisationName: string) {
  return {
    id: row.id,
    chainRef: row.chainRef,
    name: row.name,
    buyerOrganisationId: row.buyerOrganisationId,
    buyerOrganisationName,
    standard: row.standard,
    frequency: row.frequency,
    start: iso(row.startAt)!,
    end: iso(row.endAt)!,
    targetMWh: formatMWh(BigInt(row.targetWh)),
    targetWh: String(row.targetWh),
    authorityToExceed: row.canExceedTarget,
    walletAddress: row.walletAddress,
    status: row.status,
    endReason: row.endReason,
    endedAt: iso(row.endedAt),
    releaseError: row.releaseError,
    createdAt: iso(row.createdAt)!,
    createdBy: row.createdBy,
    createTxHash: row.createTxHash,
    endTxHash: row.endTxHash,
  };
}

const organisationName = (db: DbOrTx, id: string) => db.select({ name: organisations.name }).from(organisations).where(eq(organisations.id, id)).get()!.name;

/** A reservation with every device the viewer may see, each with its on-chain add and release. */
export function reservationDetail(db: DbOrTx, row: ReservationRow, viewer: Viewer) {
  const members = db
    .select({ member: reservationDevices, device: devices })
    .from(reservationDevices)
    .innerJoin(devices, eq(devices.id, reservationDevices.deviceId))
    .where(and(eq(reservationDevices.reservationId, row.id), deviceScope(viewer)))
    .orderBy(asc(reservationDevices.id))
    .all();
  const issuedWh = issuedWhOf(db, row.id);
  return {
    ...baseView(row, organisationName(db, row.buyerOrganisationId)),
    issuedWh: issuedWh.toString(),
    issuedMWh: formatMWh(issuedWh),
    deviceCount: members.filter(({ member }) => member.releasedAt === null).length,
    devices: members.map(({ member, device }) => ({
      deviceId: device.id,
      organisationId: device.organisationId,
      externalId: device.externalId,
      projectName: device.projectName,
      countryCode: device.countryCode,
      capacity: device.capacityW / 1000,
      fuelCode: device.fuelCode,
      deviceTypeCode: device.deviceTypeCode,
      offTaker: device.offTaker,
      sdgBenefits: sdgBenefitsOf(device.sdgBenefits),
      commissioningDate: device.commissioningDate,
      onboardedAt: device.onboardedAt,
      timeZone: device.timeZone,
      addedAt: iso(member.addedAt)!,
      addTxHash: member.addTxHash,
      releasedAt: iso(member.releasedAt),
      releaseTxHash: member.releaseTxHash,
      releaseReason: member.releaseReason,
    })),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Listing

export interface ReservationListQuery {
  organisationId?: string;
  countryCode?: string[];
  fuelCode?: FuelCode[];
  offTaker?: OffTaker[];
  sdgBenefits?: SdgBenefit[];
  status: "all" | "active";
  /** Reservations whose window overlaps [from, to). */
  from?: number;
  to?: number;
  limit: number;
  after?: { createdAt: number; id: string };
}

/** Reservations with a device matching `condition` (any device they hold or held). */
const withDevice = (condition: SQL) =>
  sql`exists (select 1 from ${reservationDevices} inner join ${devices} on ${devices.id} = ${reservationDevices.deviceId}
      where ${reservationDevices.reservationId} = ${reservations.id} and ${condition})`;

/** One page, newest first, continuing strictly after the cursor's (createdAt, id). */
export function listReservations(db: DbOrTx, viewer: Viewer, query: ReservationListQuery): { rows: ReservationRow[]; hasMore: boolean } {
  const conditions: (SQL | undefined)[] = [
    visibleTo(viewer),
    query.organisationId === undefined ? undefined : eq(reservations.buyerOrganisationId, query.organisationId),
    query.status === "active" ? eq(reservations.status, "active") : undefined,
    query.from === undefined ? undefined : gt(sql`coalesce(${reservations.endedAt}, ${reservations.endAt})`, query.from),
    query.to === undefined ? undefined : lt(reservations.startAt, query.to),
    query.countryCode && withDevice(inArray(devices.countryCode, query.countryCode)),
    query.fuelCode && withDevice(inArray(devices.fuelCode, query.fuelCode)),
    query.offTaker && withDevice(inArray(devices.offTaker, query.offTaker)),
    query.sdgBenefits && withDevice(sql`(${devices.sdgBenefits} & ${sdgMask(query.sdgBenefits)}) != 0`),
    query.after && sql`(${reservations.createdAt}, ${reservations.id}) < (${query.after.createdAt}, ${query.after.id})`,
  ];
  const rows = db
    .select()
    .from(reservations)
    .where(and(...conditions))
    .orderBy(desc(reservations.createdAt), desc(reservations.id))
    .limit(query.limit + 1)
    .all();
  return { rows: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
}

/**
 * The list's columns (seed 001 "My reservation"): each reservation with the number of devices it holds, and
 * the countries, off-takers and SDG benefits of its devices, over the devices the viewer may see.
 */
export function reservationSummaries(db: DbOrTx, rows: readonly ReservationRow[], viewer: Viewer) {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const aggregates = db
    .select({
      reservationId: reservationDevices.reservationId,
      deviceCount: sql<number>`sum(case when ${reservationDevices.releasedAt} is null then 1 else 0 end)`,
      countries: sql<string | null>`group_concat(distinct ${devices.countryCode})`,
      offTakers: sql<string | null>`group_concat(distinct ${devices.offTaker})`,
      sdgMasks: sql<string | null>`group_concat(distinct ${devices.sdgBenefits})`,
    })
    .from(reservationDevices)
    .innerJoin(devices, eq(devices.id, reservationDevices.deviceId))
    .where(and(inArray(reservationDevices.reservationId, ids), deviceScope(viewer)))
    .groupBy(reservationDevices.reservationId)
    .all();
  const byId = new Map(aggregates.map((a) => [a.reservationId, a]));
  const buyers = new Map(
    db
      .select({ id: organisations.id, name: organisations.name })
      .from(organisations)
      .where(inArray(organisations.id, [...new Set(rows.map((row) => row.buyerOrganisationId))]))
      .all()
      .map((o) => [o.id, o.name])
  );
  const split = (list: string | null | undefined) => (list ? list.split(",").sort() : []);
  return rows.map((row) => {
    const a = byId.get(row.id);
    const mask = split(a?.sdgMasks).reduce((all, m) => all | Number(m), 0);
    return {
      ...baseView(row, buyers.get(row.buyerOrganisationId)!),
      deviceCount: a?.deviceCount ?? 0,
      countries: split(a?.countries),
      offTakers: split(a?.offTakers) as OffTaker[],
      sdgBenefits: sdgBenefitsOf(mask),
    };
  });
}

export interface EligibleQuery {
  countryCode?: string[];
  fuelCode?: FuelCode[];
  offTaker?: OffTaker[];
  deviceTypeCode?: DeviceTypeCode[];
  capacityMinW?: number;
  capacityMaxW?: number;
  sdgBenefits?: SdgBenefit[];
  commissionedFrom?: string;
  commissionedTo?: string;
  /** The intended reservation's start: devices reserved past it could not join (the chain refuses overlaps). */
  windowStart?: number;
}

/**
 * Devices a buyer could reserve now, across every developer organisation: matching the filters, without
 * validation errors, in no active reservation and not on hold. At most `limit`, largest first.
 */
export function eligibleDevices(db: DbOrTx, query: EligibleQuery, now: number, limit: number): EligibleDevice[] {
  const notReleased = (condition: SQL) =>
    sql`not exists (select 1 from ${reservationDevices} where ${reservationDevices.deviceId} = ${devices.id} and ${condition})`;
  const conditions: (SQL | undefined)[] = [
    eq(organisations.type, "developer"),
    sql`json_array_length(${devices.validationErrors}) = 0`,
    notReleased(isNull(reservationDevices.releasedAt)),
    sql`not exists (select 1 from ${gcDeviceAccounts} where ${gcDeviceAccounts.deviceId} = ${devices.id})`,
    // Released too recently: still on hold, or (given a start) after the intended window begins.
    notReleased(gt(reservationDevices.releasedAt, Math.min(now - RELEASE_HOLD_MS, query.windowStart ?? Infinity))!),
    query.countryCode && inArray(devices.countryCode, query.countryCode),
    query.fuelCode && inArray(devices.fuelCode, query.fuelCode),
    query.offTaker && inArray(devices.offTaker, query.offTaker),
    query.deviceTypeCode && inArray(devices.deviceTypeCode, query.deviceTypeCode),
    query.capacityMinW === undefined ? undefined : gte(devices.capacityW, query.capacityMinW),
    query.capacityMaxW === undefined ? undefined : lte(devices.capacityW, query.capacityMaxW),
    query.sdgBenefits && sql`(${devices.sdgBenefits} & ${sdgMask(query.sdgBenefits)}) != 0`,
    query.commissionedFrom === undefined ? undefined : gte(devices.commissioningDate, query.commissionedFrom),
    query.commissionedTo === undefined ? undefined : lte(devices.commissioningDate, query.commissionedTo),
  ];
  return db
    .select({
      id: devices.id,
      externalId: devices.externalId,
      organisationId: devices.organisationId,
      organisationName: organisations.name,
      countryCode: devices.countryCode,
      fuelCode: devices.fuelCode,
      deviceTypeCode: devices.deviceTypeCode,
      offTaker: devices.offTaker,
      capacityW: devices.capacityW,
      commissioningDate: devices.commissioningDate,
      timeZone: devices.timeZone,
    })
    .from(devices)
    .innerJoin(organisations, eq(organisations.id, devices.organisationId))
    .where(and(...conditions))
    .orderBy(desc(devices.capacityW), asc(devices.id))
    .limit(limit)
    .all();
}
