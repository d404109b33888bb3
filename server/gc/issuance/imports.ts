/**
 * Import of GC bundles from another registry (seed 000, step 5): the CSV's bundles are minted into the
 * account as imported GCs (their own kind on chain), each remembering its source registry, its id there and
 * its certificate range there. Refused, with nothing written, when a row is malformed, names a device the
 * account's organisation does not have, contradicts the device's attributes, claims more energy than the
 * device's capacity gives in the period, or is energy already here: the same source bundle, a certificate
 * range meeting one imported earlier (or another row's) for the same source registry and device, or a
 * production period overlapping another row's, an earlier import's or one issued here for the same device.
 * Periods are compared with the original bundles only: split children share their parent's period.
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
import { nameplateMaxWh, overlapsInFile, parseBundleCsv, periodText, type BundleCsvColumn, type BundleCsvRow } from "./bundleCsv";
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

/**
 * Each row's device: its id or its external id, among the importing organisation's devices only; and the row
 * checked against it (attributes, and energy within what its capacity gives in the period).
 */
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
    const most = nameplateMaxWh(device.capacityW, row.startAt, row.endAt);
    if (row.energyWh > most) {
      fault("energy_wh", `is more than the device can produce in the period: at most ${most} Wh (its ${device.capacityW / 1000} kW × ${(row.endAt - row.startAt) / 1000} s ÷ 3600 s/h × 1000 Wh/kWh, rounded down)`);
    }
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
  // The original bundles only: split children share their parent's period, and the parent is compared already.
  const certified = tx
    .select({ id: gcBundles.id, origin: gcBundles.origin, startAt: gcBundles.startAt, endAt: gcBundles.endAt })
    .from(gcBundles)
    .where(and(eq(gcBundles.deviceId, device.id), inArray(gcBundles.origin, ["production", "imported"]), isNull(gcBundles.parentId), lt(gcBundles.startAt, row.endAt), gt(gcBundles.endAt, row.startAt)))
    .get();
  if (certified?.origin === "production") fault("production_start", `falls in a period this registry issued GCs for the device (bundle ${certified.id})`);
  else if (certified) fault("production_start", `overlaps the production period of bundle ${certified.id} (${periodText(certified)}), imported before for the device`);
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

/** The CSV column each field of a bundle to mint comes from. */
const COLUMN_OF: Partial<Record<keyof NewBundle, BundleCsvColumn>> = {
  deviceId: "device_id",
  startAt: "production_start",
  endAt: "production_end",
  energyWh: "energy_wh",
  sourceRegistry: "source_registry",
  sourceId: "source_id",
};

/** A mint fault (`bundles[i].field`) as the row fault of the line and column it came from. */
function asRowFault(fault: { field: string; message: string }, rows: readonly BundleCsvRow[]): RowFault {
  const match = /^bundles\[(\d+)\]\.?(.*)$/.exec(fault.field);
  const row = match ? rows[Number(match[1])] : undefined;
  if (!row) return { row: null, line: null, field: fault.field, message: fault.message };
  const field = match![2] as keyof NewBundle | "";
  return { row: row.row, line: row.line, field: field === "" ? "row" : (COLUMN_OF[field] ?? field), message: fault.message };
}
