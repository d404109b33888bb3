import { createHash } from "node:crypto";
import type { Statement } from "better-sqlite3";
import type { Db } from "../db/database";
import { and, eq } from "drizzle-orm";
import { devices } from "../devices/schema";
import { reservationDevices } from "../reservations/schema";
import { sdgBenefitsOf } from "../devices/catalogue";
import { yieldFor } from "../reads/yields";
import type { MetadataDevice } from "../certificates/metadata";

export type DeviceRow = typeof devices.$inferSelect;

/** The certificate's view of a device: every field its metadata, contributions and filters show. */
export function certifiedFactsOf(device: DeviceRow, yieldOverrides: ReadonlyMap<string, number>): MetadataDevice {
  return {
    id: device.id,
    externalId: device.externalId,
    projectName: device.projectName,
    countryCode: device.countryCode,
    fuelCode: device.fuelCode,
    deviceTypeCode: device.deviceTypeCode,
    offTaker: device.offTaker,
    deviceDescription: device.deviceDescription,
    capacityW: device.capacityW,
    commissioningDate: device.commissioningDate,
    gridInterconnection: device.gridInterconnection,
    qualityLabels: device.qualityLabels,
    sdgBenefits: sdgBenefitsOf(device.sdgBenefits),
    timeZone: device.timeZone,
    yieldKwhPerKwYear: yieldFor(device, yieldOverrides),
  };
}

interface SnapshotStatements {
  version: Statement<unknown[]>;
  versionId: Statement<unknown[]>;
  member: Statement<unknown[]>;
}

const prepared = new WeakMap<Db["$client"], SnapshotStatements>();

function statements(client: Db["$client"]): SnapshotStatements {
  let s = prepared.get(client);
  if (!s) {
    s = {
      version: client.prepare(
        "INSERT INTO certified_devices (device_id, digest, country_code, off_taker, sdg_benefits, facts) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
      ),
      versionId: client.prepare("SELECT id FROM certified_devices WHERE digest = ?").pluck(),
      member: client.prepare("INSERT INTO issuance_job_devices (job_id, device_id, certified_device_id) VALUES (?, ?, ?)"),
    };
    prepared.set(client, s);
  }
  return s;
}

/**
 * Records, for jobs planned in one transaction, their groups' devices as they are now. Each distinct
 * version of a device is stored once (keyed by the digest of its facts), and looked up once per recorder.
 */
export function deviceSnapshotRecorder(client: Db["$client"], yieldOverrides: ReadonlyMap<string, number>) {
  const s = statements(client);
  const versionOf = new Map<string, number>();
  function version(device: DeviceRow): number {
    let id = versionOf.get(device.id);
    if (id === undefined) {
      const facts = JSON.stringify(certifiedFactsOf(device, yieldOverrides));
      const digest = createHash("sha256").update(facts).digest("hex");
      s.version.run(device.id, digest, device.countryCode, device.offTaker, device.sdgBenefits, facts);
      id = s.versionId.get(digest) as number;
      versionOf.set(device.id, id);
    }
    return id;
  }
  return (jobId: string, group: readonly DeviceRow[]): void => {
    for (const device of group) s.member.run(jobId, device.id, version(device));
  };
}

/**
 * Jobs planned before device snapshots existed get one now, from the devices as they are: the nearest there
 * is to what they were, and without it their certificates would show no contributions. The group is what
 * planning records: the developer's devices in the reservation, in the job's country when it has one.
 * Returns how many jobs it recorded; a database whose jobs all have snapshots costs one query.
 */
export function recordMissingDeviceSnapshots(db: Db, yieldOverrides: ReadonlyMap<string, number>): number {
  const client = db.$client;
  const jobs = client
    .prepare(
      `SELECT j.id, j.reservation_id AS reservationId, j.organisation_id AS organisationId, j.country_code AS countryCode FROM issuance_jobs j
        WHERE NOT EXISTS (SELECT 1 FROM issuance_job_devices jd WHERE jd.job_id = j.id)`,
    )
    .all() as { id: string; reservationId: string; organisationId: string; countryCode: string }[];
  if (jobs.length === 0) return 0;
  const groupOf = (job: (typeof jobs)[number]) =>
    db
      .select({ device: devices })
      .from(reservationDevices)
      .innerJoin(devices, eq(devices.id, reservationDevices.deviceId))
      .where(and(eq(reservationDevices.reservationId, job.reservationId), eq(devices.organisationId, job.organisationId), job.countryCode === "*" ? undefined : eq(devices.countryCode, job.countryCode)))
      .all()
      .map((row) => row.device);
  db.transaction(() => {
    const record = deviceSnapshotRecorder(client, yieldOverrides);
    for (const job of jobs) record(job.id, groupOf(job));
  });
  return jobs.length;
}
