import { formatEther, type Address, type Hex } from "viem";
import { waitFor } from "../http";
import type { DemoContext, Session } from "../story";

interface RunSummary {
  releasedReservations: number;
  plannedCertificates: number;
  plannedWh: string;
  confirmed: number;
  blocked: number;
  failed: number;
  durationsMs: Record<string, number>;
}

interface Job {
  state: "planned" | "signed" | "confirmed" | "blocked" | "failed";
  windowStart: string;
  amountWh: string;
  txHash: Hex | null;
  certificateId: string | null;
  gasPaidWei: string | null;
  lastError: string | null;
}

interface Certificate {
  id: string;
  generationStart: string;
  generationEnd: string;
  volumeWh: string;
}

export interface IssuedCertificate {
  id: string;
  generationStart: string;
  generationEnd: string;
  volumeWh: bigint;
}

export interface IssuanceSummary {
  certificates: IssuedCertificate[];
  totalWh: bigint;
  /** The developer's managed wallet, which sent every issuance transaction. */
  payer: Address;
  transactions: Hex[];
  gasUsed: bigint;
  /** What the transactions cost the payer (their receipts), and the engine's own per-certificate record of it (GET /issuance/jobs). */
  paidWei: bigint;
  jobsGasPaidWei: bigint;
  balanceBeforeWei: bigint;
  balanceAfterWei: bigint;
}

/**
 * The administrator runs the engine now (it also runs on its schedule inside the server, which may have
 * started on this reservation already: the jobs, not one run's answer, say what was issued). Runs repeat
 * until every job of the reservation is confirmed on chain.
 */
export async function runIssuance(
  context: DemoContext,
  sessions: { admin: Session; developer: Session; buyer: Session },
  reservationId: string,
  payer: Address,
): Promise<IssuanceSummary> {
  const { api, print, chain } = context;
  const { admin, developer, buyer } = sessions;
  const balanceBeforeWei = await chain.publicClient.getBalance({ address: payer });
  let first = true;
  const jobs = await waitFor(
    "every issuance job to be confirmed",
    async () => {
      const run = await api.post<RunSummary>("/issuance/runs", undefined, admin.as);
      if (first) {
        print.line(
          `POST /issuance/runs  released ${run.releasedReservations} finished reservation(s), planned ${run.plannedCertificates} certificates (${run.plannedWh} Wh), ` +
            `confirmed ${run.confirmed} (plan ${run.durationsMs.plan} ms, sign ${run.durationsMs.sign} ms, submit ${run.durationsMs.submit} ms)`,
        );
        first = false;
      }
      const { jobs: current } = await api.get<{ jobs: Job[] }>(`/issuance/jobs?reservationId=${reservationId}&limit=500`, developer.as);
      const stuck = current.find((job) => job.state === "blocked" || job.state === "failed");
      if (stuck) throw new Error(`Issuance job for ${stuck.windowStart} is ${stuck.state}: ${stuck.lastError}`);
      const confirmed = current.filter((job) => job.state === "confirmed").length;
      if (current.length > 0) print.progress("issuance jobs confirmed", confirmed, current.length);
      return current.length > 0 && confirmed === current.length ? current : undefined;
    },
    { intervalMs: 500 },
  );
  const balanceAfterWei = await chain.publicClient.getBalance({ address: payer });

  const transactions = [...new Set(jobs.map((job) => job.txHash!))];
  let gasUsed = 0n;
  let paidWei = 0n;
  for (const hash of transactions) {
    const receipt = await chain.publicClient.getTransactionReceipt({ hash });
    if (receipt.from.toLowerCase() !== payer.toLowerCase()) throw new Error(`Issuance transaction ${hash} was sent by ${receipt.from}, not the developer's wallet ${payer}.`);
    gasUsed += receipt.gasUsed;
    paidWei += receipt.gasUsed * receipt.effectiveGasPrice;
  }
  const jobsGasPaidWei = jobs.reduce((sum, job) => sum + BigInt(job.gasPaidWei ?? 0), 0n);

  const listed = await api.all<Certificate>(`/certificates?reservationId=${reservationId}`, buyer.as);
  const certificates = listed
    .map((c) => ({ id: c.id, generationStart: c.generationStart, generationEnd: c.generationEnd, volumeWh: BigInt(c.volumeWh) }))
    .sort((a, b) => a.generationStart.localeCompare(b.generationStart));
  const totalWh = certificates.reduce((sum, c) => sum + c.volumeWh, 0n);
  print.line(`GET /certificates  ${certificates.length} daily D-RECs minted into the buyer's wallet, ${totalWh} Wh in all:`);
  for (const certificate of certificates) {
    print.line(`  ${certificate.generationStart.slice(0, 10)}  ${certificate.volumeWh.toString().padStart(7)} Wh  id ${certificate.id}`);
  }
  print.line(
    `gas: ${transactions.length} issueBatch transaction(s) from the developer's wallet ${payer}, ${gasUsed} gas, ${formatEther(paidWei)} ETH ` +
      `(balance ${formatEther(balanceBeforeWei)} → ${formatEther(balanceAfterWei)} ETH; GET /issuance/jobs gasPaidWei adds up to ${formatEther(jobsGasPaidWei)} ETH)`,
  );
  return { certificates, totalWh, payer, transactions, gasUsed, paidWei, jobsGasPaidWei, balanceBeforeWei, balanceAfterWei };
}
