import { and, eq } from "drizzle-orm";
import type { LocalAccount, PublicClient } from "viem";
import type { Db } from "../../db/database";
import { RegistryRevertError, sendRegistryTransaction } from "../../chain/sendTransaction";
import { REGISTRY_ABI } from "../../chain/registryAbi";
import { issuanceJobs, issuanceLeaves } from "../schema";
import type { IRecRegistry } from "./registry";

type Hex = `0x${string}`;

export interface RecordSerialsDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: Hex;
  issuer: LocalAccount;
  irec: IRecRegistry;
}

/**
 * For every minted I-REC certificate still provisional: asks the I-REC registry for its serials (the
 * request is idempotent by certificate id, and the answer is stored before anything is sent), then
 * records them on chain from the issuer, which activates the token. Returns how many became issued.
 */
export async function recordIRecSerials(deps: RecordSerialsDeps, now: number): Promise<number> {
  const provisional = deps.db
    .select()
    .from(issuanceJobs)
    .where(and(eq(issuanceJobs.state, "confirmed"), eq(issuanceJobs.standardState, "provisional")))
    .all();
  let issued = 0;
  for (const job of provisional) {
    try {
      if (await recordOne(deps, job, now)) issued += 1;
    } catch (error) {
      // The registry or the chain failing for one certificate must not hold up the others: retried next run.
      deps.db
        .update(issuanceJobs)
        .set({ lastError: `I-REC serials not recorded yet: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`, updatedAt: now })
        .where(eq(issuanceJobs.id, job.id))
        .run();
    }
  }
  return issued;
}

async function recordOne(deps: RecordSerialsDeps, job: typeof issuanceJobs.$inferSelect, now: number): Promise<boolean> {
  const tokenId = BigInt(job.certificateId!);
  let { standardFirstSerial: firstSerial, standardLastSerial: lastSerial } = job;
  if (!firstSerial || !lastSerial) {
    const deviceIds = deps.db.selectDistinct({ id: issuanceLeaves.deviceId }).from(issuanceLeaves).where(eq(issuanceLeaves.jobId, job.id)).all();
    ({ firstSerial, lastSerial } = await deps.irec.requestIssuance({
      certificateId: job.certificateId!,
      amountWh: BigInt(job.amountWh),
      countryCode: job.countryCode,
      periodStart: new Date(job.windowStart),
      periodEnd: new Date(job.windowEnd),
      deviceIds: deviceIds.map((d) => d.id),
    }));
    deps.db.update(issuanceJobs).set({ standardFirstSerial: firstSerial, standardLastSerial: lastSerial, updatedAt: now }).where(eq(issuanceJobs.id, job.id)).run();
  }
  try {
    const { hash } = await sendRegistryTransaction(deps, deps.issuer, "recordStandardSerials", [tokenId, firstSerial, lastSerial]);
    deps.db.update(issuanceJobs).set({ standardState: "issued", standardTxHash: hash, lastError: null, updatedAt: now }).where(eq(issuanceJobs.id, job.id)).run();
    return true;
  } catch (error) {
    if (!(error instanceof RegistryRevertError && error.errorName === "CertificateNotProvisional")) throw error;
  }
  // Not provisional any more: revoked by an administrator, or recorded by another run (which writes its own hash).
  const revoked = await deps.publicClient.readContract({ address: deps.registryAddress, abi: REGISTRY_ABI, functionName: "isRevoked", args: [tokenId] });
  const state = revoked ? "revoked" : "issued";
  deps.db
    .update(issuanceJobs)
    .set({ standardState: state, lastError: revoked ? "revoked on chain before its I-REC serials were recorded" : null, updatedAt: now })
    .where(and(eq(issuanceJobs.id, job.id), eq(issuanceJobs.standardState, "provisional")))
    .run();
  return !revoked;
}
