import { asc, eq } from "drizzle-orm";
import type { Db } from "../db/database";
import type { EvidenceSource } from "../audit/evidenceSource";
import { chainRef } from "../chain/refs";
import type { EvidenceLeaf } from "./evidence";
import { issuanceJobs, issuanceLeaves } from "./schema";
import { publishedGcLeaves } from "../gc/evidence";
import { publishedDischargeWh } from "../storage/evidence";

/** The leaves the engine published for the certificate minted as `certificateId`, or undefined if none. */
export function publishedLeaves(db: Db, certificateId: bigint): EvidenceLeaf[] | undefined {
  const job = db.select({ id: issuanceJobs.id }).from(issuanceJobs).where(eq(issuanceJobs.certificateId, certificateId.toString())).get();
  if (!job) return undefined;
  return db
    .select()
    .from(issuanceLeaves)
    .where(eq(issuanceLeaves.jobId, job.id))
    .orderBy(asc(issuanceLeaves.id))
    .all()
    .map((leaf) => ({ deviceId: chainRef(leaf.deviceId), start: BigInt(leaf.start), end: BigInt(leaf.end), wh: BigInt(leaf.wh) }));
}

/** The audit's view of published evidence: what the API serves, read from the same rows (D-REC jobs, then GC bundles). */
export function publishedEvidence(db: Db): EvidenceSource {
  return {
    leavesFor: async (certificateId) => publishedLeaves(db, certificateId) ?? publishedGcLeaves(db, certificateId),
    dischargedWh: async (deviceRef, start, end) => publishedDischargeWh(db, deviceRef, start, end),
  };
}
