/**
 * Releasing a failed job's Wh for planning again. A job fails on a revert that no resend of its voucher can
 * fix, and keeps its read parts so that no run plans them into the same failure unattended; once an
 * administrator has fixed the cause, this gives them back, and the next run plans those Wh into a new job.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/database";
import { issuanceJobs, issuanceLeaves, issuanceReadParts } from "./schema";
import { invalidateVoucher, redemptionTransaction, type SubmitDeps } from "./submit";
import { forgetPlan } from "./planWatermark";

type Job = typeof issuanceJobs.$inferSelect;

export interface ReplanRefusal {
  status: 404 | 409;
  title: string;
  detail: string;
}

/**
 * Deletes failed job `jobId`'s read parts and evidence leaves, keeping the job, now `released`, with a
 * note saying so. Its voucher is voided on chain first: the signature must never mint beside the new job's.
 */
export async function releaseFailedJob(
  deps: Pick<SubmitDeps, "publicClient" | "registryAddress" | "issuer"> & { db: Db },
  jobId: string,
  now: number,
): Promise<{ job: Job } | ReplanRefusal> {
  const { db } = deps;
  const job = db.select().from(issuanceJobs).where(eq(issuanceJobs.id, jobId)).get();
  if (!job) return { status: 404, title: "Not found", detail: "No such issuance job." };
  if (job.state === "released") return { status: 409, title: "Already released", detail: `The job's Wh were released for re-planning already: ${job.lastError}` };
  if (job.state !== "failed") {
    return { status: 409, title: "Job not failed", detail: `The job is ${job.state}: only a failed job's Wh can be released for re-planning.` };
  }
  // A failed voucher was never sent, so its nonce is normally unused; "used" means an earlier release voided it, or it minted.
  if (job.nonce !== null && (await invalidateVoucher(deps, job.nonce)) === "used") {
    const minted = await redemptionTransaction(deps, job.nonce);
    if (minted) return { status: 409, title: "Voucher minted", detail: `The chain minted this job's voucher in transaction ${minted}: its Wh are certified and stay with it.` };
  }
  const note = `released for re-planning at ${new Date(now).toISOString()}; the next run plans its Wh again (it failed with: ${job.lastError})`;
  db.transaction((tx) => {
    tx.update(issuanceJobs).set({ state: "released", lastError: note, updatedAt: now }).where(eq(issuanceJobs.id, jobId)).run();
    tx.delete(issuanceReadParts).where(eq(issuanceReadParts.jobId, jobId)).run();
    tx.delete(issuanceLeaves).where(eq(issuanceLeaves.jobId, jobId)).run();
    forgetPlan(tx, job.reservationId);
  });
  return { job: db.select().from(issuanceJobs).where(eq(issuanceJobs.id, jobId)).get()! };
}
