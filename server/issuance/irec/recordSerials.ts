import { and, eq } from "drizzle-orm";
import type { LocalAccount, PublicClient } from "viem";
import type { Db } from "../../db/database";
import { RegistryRevertError, sendRegistryTransaction } from "../../chain/sendTransaction";
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
    let txHash: string | null = null;
    try {
      txHash = (await sendRegistryTransaction(deps, deps.issuer, "recordStandardSerials", [BigInt(job.certificateId!), firstSerial, lastSerial])).hash;
    } catch (error) {
      // Recorded by a run that died before writing it down: the chain already holds the serials.
      if (!(error instanceof RegistryRevertError && error.errorName === "CertificateNotProvisional")) throw error;
    }
    deps.db.update(issuanceJobs).set({ standardState: "issued", standardTxHash: txHash, updatedAt: now }).where(eq(issuanceJobs.id, job.id)).run();
    issued += 1;
  }
  return issued;
}
