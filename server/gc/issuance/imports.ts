/**
 * Import of GC bundles from another registry (seed 000, step 5): the CSV's bundles are minted into the
 * account as imported GCs (their own kind on chain), each remembering its source registry, its id there and
 * its certificate range there. Refused, with nothing written, when a row is malformed, names a device the
 * account's organisation does not have, contradicts the device's attributes, or is energy already here:
 * the same source bundle, a certificate range meeting one imported earlier (or another row's) for the same
 * source registry and device, or a period the device was issued GCs for here.
 *
 * The pilot leaves the proof that the source cancelled or exported the bundles outside the platform.
 */
import { randomUUID } from "node:crypto";
import { and, eq, gt, gte, inArray, isNull, lt, lte, or } from "drizzle-orm";
import type { DbOrTx } from "../../db/database";
import { devices } from "../../devices/schema";
import { gcAttributes, type GcAttributes } from "../attributes";
import { gcBundles } from "../schema";
import { mintBundles, MintRejectedError, type MintDeps, type MintOutcome, type NewBundle } from "../minting";
import { recordAction } from "../accounts/actions";
import type { RowFault } from "../../storage/records";
import { overlapsInFile, parseBundleCsv, type BundleCsvRow } from "./bundleCsv";
import { gcImports } from "./schema";
import type { GcTerms } from "./terms";

export interface ImportRequest {
  account: { id: string; organisationId: string };
  actorId: string;
  csv: string;
  now: number;
}

export type ImportResult = { ok: true; importId: string; outcome: MintOutcome } | { ok: false; status: 400 | 409; faults: RowFault[] };

type DeviceRow = typeof devices.$inferSelect;

export async function importBundles(deps: MintDeps & { terms: GcTerms }, request: ImportRequest): Promise<ImportResult> {
  const parsed = parseBundleCsv(request.csv, request.now);
  if (!parsed.ok) return { ok: false, status: 400, faults: parsed.faults };
  const rows = parsed.value;

  const resolved = resolveDevices(deps.db, request.account.organisationId, rows);
  if (!resolved.ok) return { ok: false, status: 400, faults: resolved.faults };
  const deviceOf = resolved.value;
  const inFile = overlapsInFile(rows, (row) => deviceOf.get(row.row)!.id);
  if (inFile.length > 0) return { ok: false, status: 400, faults: inFile };

  const importId = randomUUID();
  try {
    const outcome = await mintBundles(
      deps,
      {
        accountId: request.account.id,
        origin: "imported",
        bundles: (tx) => {
          const faults = rows.flatMap((row) => alreadyHere(tx, row, deviceOf.get(row.row)!));
          if (faults.length > 0) throw new ImportConflict(faults);
          return rows.map((row): NewBundle => ({
            deviceId: deviceOf.get(row.row)!.id,
            startAt: row.startAt,
            endAt: row.endAt,
            energyWh: row.energyWh,
            attributes: importedAttributes(deviceOf.get(row.row)!, row, deps.terms, request.now),
            sourceRegistry: row.sourceRegistry,
            sourceId: row.sourceId,
          }));
        },
        alongside: (tx, reserved) => {
          reserved.forEach((bundle, i) => {
            const row = rows[i];
            tx.insert(gcImports)
              .values({
                bundleId: bundle.id,
                importId,
                line: row.line ?? row.row + 1,
                sourceRegistry: row.sourceRegistry,
                deviceId: bundle.deviceId,
                sourceRangeStart: Number(row.rangeStart),
                sourceRangeEnd: Number(row.rangeEnd),
                importedBy: request.actorId,
                importedAt: request.now,
              })
              .run();
          });
          recordAction(tx, {
            at: request.now,
            userId: request.actorId,
            accountId: request.account.id,
            action: "import",
            bundleIds: reserved.map((bundle) => bundle.id),
            details: { importId, sourceRegistries: [...new Set(rows.map((row) => row.sourceRegistry))], energyWh: String(reserved.reduce((sum, bundle) => sum + bundle.energyWh, 0n)) },
            outcome: "succeeded",
          });
        },
      },
      request.now,
    );
    return { ok: true, importId, outcome };
  } catch (error) {
    if (error instanceof ImportConflict) return { ok: false, status: 409, faults: error.faults };
    if (error instanceof MintRejectedError) return { ok: false, status: error.status === 409 ? 409 : 400, faults: error.faults.map((fault) => asRowFault(fault, rows)) };
    throw error;
  }
}

class ImportConflict extends Error {
  constructor(readonly faults: RowFault[]) {
    super("the import repeats energy already in the registry");
  }
}

/** Each row's device: its id or its external id, among the importing organisation's devices only. */
function resolveDevices(db: DbOrTx, organisationId: string, rows: readonly BundleCsvRow[]): { ok: true; value: Map<number, DeviceRow> } | { ok: false; faults: RowFault[] } {
  const names = [...new Set(rows.map((row) => row.device))];
  const found = db
    .select()
    .from(devices)
    .where(and(eq(devices.organisationId, organisationId), or(inArray(devices.id, names), inArray(devices.externalId, names))))
    .all();
  const byName = new Map<string, DeviceRow>();
  for (const device of found) {
    byName.set(device.externalId, device);
    byName.set(device.id, device);
  }
  const faults: RowFault[] = [];
  const value = new Map<number, DeviceRow>();
  for (const row of rows) {
    const device = byName.get(row.device);
    const fault = (field: string, message: string) => faults.push({ row: row.row, line: row.line, field, message });
    if (!device) {
      fault("device_id", "is not a device of the account's organisation (give its id or external id)");
      continue;
    }
    if (row.energySource !== null && row.energySource !== device.energySource) fault("energy_source", `is ${row.energySource}; the device's is ${device.energySource}`);
    if (row.technology !== null && row.technology !== device.technologyType) fault("technology", `is ${row.technology}; the device's is ${device.technologyType}`);
    if (row.country !== null && row.country.toUpperCase() !== device.countryCode) fault("country", `is ${row.country}; the device is in ${device.countryCode}`);
    value.set(row.row, device);
  }
  return faults.length > 0 ? { ok: false, faults } : { ok: true, value };
}

/** Why a row is energy the registry already holds, if it is. */
function alreadyHere(tx: DbOrTx, row: BundleCsvRow, device: DeviceRow): RowFault[] {
  const faults: RowFault[] = [];
  const fault = (field: string, message: string) => faults.push({ row: row.row, line: row.line, field, message });
  const sameSource = tx
    .select({ id: gcBundles.id })
    .from(gcBundles)
    .where(and(eq(gcBundles.sourceRegistry, row.sourceRegistry), eq(gcBundles.sourceId, row.sourceId)))
    .get();
  if (sameSource) fault("source_id", `was imported before, as ${sameSource.id}`);
  const meeting = tx
    .select({ bundleId: gcImports.bundleId, start: gcImports.sourceRangeStart, end: gcImports.sourceRangeEnd })
    .from(gcImports)
    .where(and(eq(gcImports.sourceRegistry, row.sourceRegistry), eq(gcImports.deviceId, device.id), lte(gcImports.sourceRangeStart, Number(row.rangeEnd)), gte(gcImports.sourceRangeEnd, Number(row.rangeStart))))
    .get();
  if (meeting) fault("certificate_range_start", `overlaps certificate ids ${meeting.start}-${meeting.end} imported before (bundle ${meeting.bundleId})`);
  const issued = tx
    .select({ id: gcBundles.id })
    .from(gcBundles)
    .where(and(eq(gcBundles.deviceId, device.id), eq(gcBundles.origin, "production"), isNull(gcBundles.parentId), lt(gcBundles.startAt, row.endAt), gt(gcBundles.endAt, row.startAt)))
    .get();
  if (issued) fault("production_start", `falls in a period this registry issued GCs for the device (bundle ${issued.id})`);
  return faults;
}

/** The device's attributes, with what the source registry stated about its own issuance. */
function importedAttributes(device: DeviceRow, row: BundleCsvRow, terms: GcTerms, now: number): GcAttributes {
  const here = gcAttributes(device, { ...terms, issuedAt: now });
  return {
    ...here,
    issuingBody: row.issuingBody ?? row.sourceRegistry,
    issuanceDate: row.issuanceDate ?? here.issuanceDate,
    expiryDate: row.expiryDate ?? here.expiryDate,
  };
}

/** A mint fault (`bundles[i].field`) as the row fault of the line it came from. */
function asRowFault(fault: { field: string; message: string }, rows: readonly BundleCsvRow[]): RowFault {
  const match = /^bundles\[(\d+)\]\.?(.*)$/.exec(fault.field);
  const row = match ? rows[Number(match[1])] : undefined;
  return row ? { row: row.row, line: row.line, field: match![2] || "row", message: fault.message } : { row: null, line: null, field: fault.field, message: fault.message };
}
