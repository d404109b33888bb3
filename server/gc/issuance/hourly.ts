/**
 * Hourly GC issuance from accepted meter reads (issue #7): each device assigned to an account gets one
 * bundle per UTC hour that has ended and is not issued yet, with the EnergyTag attributes of the device as
 * it stands now. Only reads of at most an hour are issued (see hourlyBundles.ts); the run reports each
 * device's longer reads, so the user sees why their energy has no GCs. The hours are worked out inside the transaction that reserves them, so two runs at once
 * cannot both take an hour; the mint's unique (device, hour) check is the last guard.
 *
 * Hours an imported bundle of the device covers count as issued: the energy was certified elsewhere.
 * Storage devices are left out: what they discharge is certified as SD-GCs by the storage flow, from
 * allocated charge and discharge records, not from their meter.
 */
import { and, eq, gt, inArray, isNotNull, isNull } from "drizzle-orm";
import type { DbOrTx } from "../../db/database";
import { devices } from "../../devices/schema";
import { meterReads } from "../../reads/schema";
import { gcAttributes } from "../attributes";
import { hourlyBundles, NOTHING_SKIPPED, type SkippedReads } from "../hourlyBundles";
import { gcBundles } from "../schema";
import { mintBundles, resumeMints, type MintDeps, type NewBundle, type ResumeSummary } from "../minting";
import { recordAction } from "../accounts/actions";
import { gcDeviceAccounts } from "./schema";
import type { GcTerms } from "./terms";
import { HOUR_MS } from "../../time/durations";

export interface HourlyRequest {
  /** Devices to issue for; undefined for every assigned device (narrowed by `accountId`). */
  deviceIds?: readonly string[];
  accountId?: string;
  /** Only hours ending by then (UTC ms); at most `now`. */
  through: number;
  now: number;
  /** Who asked for the run; null for the server's own schedule. */
  actorId: string | null;
}

export interface DeviceIssuance {
  deviceId: string;
  accountId: string;
  bundles: number;
  energyWh: bigint;
  minted: number;
  pending: number;
  firstBundleId: string | null;
  lastBundleId: string | null;
  /** Accepted reads longer than an hour that ended by `through`: not issued as GCs. */
  skippedLongReads: SkippedReads;
}

export interface HourlySummary {
  /** Bundles of earlier runs that this run finished (crashed or blocked batches). */
  resumed: ResumeSummary;
  devices: DeviceIssuance[];
}

/** The assigned, non-storage devices a run covers, in a stable order. */
export function issuableDevices(db: DbOrTx, request: Pick<HourlyRequest, "deviceIds" | "accountId">): { deviceId: string; accountId: string }[] {
  return db
    .select({ deviceId: gcDeviceAccounts.deviceId, accountId: gcDeviceAccounts.accountId })
    .from(gcDeviceAccounts)
    .innerJoin(devices, eq(devices.id, gcDeviceAccounts.deviceId))
    .where(
      and(
        eq(devices.isStorage, false),
        request.deviceIds ? inArray(gcDeviceAccounts.deviceId, [...request.deviceIds]) : undefined,
        request.accountId ? eq(gcDeviceAccounts.accountId, request.accountId) : undefined,
      ),
    )
    .orderBy(gcDeviceAccounts.deviceId)
    .all();
}

/** The device's unissued hours that ended by `through`, as bundles ready to mint, and the reads too long to issue. */
export function hourlyPlan(tx: DbOrTx, deviceId: string, through: number, terms: GcTerms, issuedAt: number): { bundles: NewBundle[]; skipped: SkippedReads } {
  const device = tx.select().from(devices).where(eq(devices.id, deviceId)).get();
  if (!device) return { bundles: [], skipped: NOTHING_SKIPPED };
  // Hours issued here, and hours an imported bundle of the device covers: that energy is certified already.
  const issuedHours = new Set<number>();
  const certified = tx
    .select({ startAt: gcBundles.startAt, endAt: gcBundles.endAt })
    .from(gcBundles)
    .where(and(eq(gcBundles.deviceId, deviceId), inArray(gcBundles.origin, ["production", "imported"]), isNull(gcBundles.parentId)))
    .all();
  for (const { startAt, endAt } of certified) {
    for (let hour = Math.floor(startAt / HOUR_MS) * HOUR_MS; hour < endAt; hour += HOUR_MS) issuedHours.add(hour);
  }
  const reads = tx
    .select({ startAt: meterReads.startAt, endAt: meterReads.endAt, energyWh: meterReads.energyWh })
    .from(meterReads)
    .where(and(eq(meterReads.deviceId, deviceId), eq(meterReads.status, "accepted"), isNotNull(meterReads.startAt), gt(meterReads.energyWh, 0)))
    .all()
    .map((read) => ({ startAt: read.startAt!, endAt: read.endAt, energyWh: BigInt(read.energyWh) }));
  const attributes = gcAttributes(device, { ...terms, issuedAt });
  const { bundles, skipped } = hourlyBundles(reads, { issuedHours, through });
  return { bundles: bundles.map((hour) => ({ deviceId, startAt: hour.hourStart, endAt: hour.hourEnd, energyWh: hour.energyWh, attributes })), skipped };
}

/**
 * One run: finishes what earlier runs left (crashed or blocked batches), then issues each covered device's
 * new hours into its account, a device at a time so that one device's bundles share batches.
 */
export async function issueHourly(deps: MintDeps & { terms: GcTerms }, request: HourlyRequest): Promise<HourlySummary> {
  const through = Math.min(request.through, request.now);
  const resumed = await resumeMints(deps, request.now);
  const summaries: DeviceIssuance[] = [];
  for (const { deviceId, accountId } of issuableDevices(deps.db, request)) {
    let skippedLongReads: SkippedReads = NOTHING_SKIPPED;
    const outcome = await mintBundles(
      deps,
      {
        accountId,
        origin: "production",
        bundles: (tx) => {
          const plan = hourlyPlan(tx, deviceId, through, deps.terms, request.now);
          skippedLongReads = plan.skipped;
          return plan.bundles;
        },
        alongside: (tx, reserved) =>
          recordAction(tx, {
            at: request.now,
            userId: request.actorId,
            accountId,
            action: "issue",
            bundleIds: reserved.map((bundle) => bundle.id),
            details: { deviceId, through: new Date(through).toISOString(), energyWh: String(reserved.reduce((sum, bundle) => sum + bundle.energyWh, 0n)) },
            outcome: "succeeded",
          }),
      },
      request.now,
    );
    summaries.push({
      deviceId,
      accountId,
      bundles: outcome.bundles.length,
      energyWh: outcome.bundles.reduce((sum, bundle) => sum + bundle.energyWh, 0n),
      minted: outcome.minted,
      pending: outcome.pending,
      firstBundleId: outcome.bundles[0]?.id ?? null,
      lastBundleId: outcome.bundles.at(-1)?.id ?? null,
      skippedLongReads,
    });
  }
  return { resumed, devices: summaries };
}
