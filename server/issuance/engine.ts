import type { AppDeps } from "../app";
import { completePendingRedemptions } from "../certificates/claims";
import { releaseExpiredReservations } from "../reservations/release";
import { planIssuance } from "./planStore";
import { signPlannedJobs, submitSignedJobs, type EngineHooks } from "./submit";
import { recordIRecSerials } from "./irec/recordSerials";
import { simulatedIRecRegistry } from "./irec/simulated";
import type { IRecRegistry } from "./irec/registry";

export type IssuanceDeps = Pick<AppDeps, "db" | "publicClient" | "registryAddress" | "vault" | "clock" | "chainSigners" | "mail"> & {
  irec?: IRecRegistry;
  issuanceHooks?: EngineHooks;
};

export interface IssuanceRunSummary {
  startedAt: string;
  releasedReservations: number;
  plannedCertificates: number;
  plannedWh: string;
  signed: number;
  confirmed: number;
  blocked: number;
  failed: number;
  irecSerialsRecorded: number;
  /** Wall time of each step, in milliseconds. */
  durationsMs: { release: number; plan: number; sign: number; submit: number; irec: number };
}

export class IssuanceUnavailableError extends Error {
  constructor() {
    super("Issuance needs the platform's issuer and recorder keys (ISSUER_PRIVATE_KEY, RECORDER_PRIVATE_KEY).");
    this.name = "IssuanceUnavailableError";
  }
}

/**
 * One issuance run: release reservations that are over, plan every closed window's uncertified reads,
 * sign, submit from the developers' wallets, then finish owed I-REC redemptions and record I-REC serials.
 * Every step keeps its state in the database and can be cut at any point; the next run (or one running at
 * the same time) picks up where it stands without minting anything twice.
 */
export async function runIssuance(deps: IssuanceDeps): Promise<IssuanceRunSummary> {
  if (!deps.chainSigners) throw new IssuanceUnavailableError();
  const startedAt = deps.clock();
  const now = startedAt.getTime();
  // The contract judges deadlines and periods by block time. Deadlines count from the chain's time; windows
  // close by the server's clock (an idle local chain mines no blocks), and a certificate the chain finds
  // still in its future is refused in simulation, left blocked and sent again by a later run.
  const chainNow = Number((await deps.publicClient.getBlock({ blockTag: "latest" })).timestamp) * 1000;
  const times = { now, chainNow };
  const chain = { db: deps.db, publicClient: deps.publicClient, registryAddress: deps.registryAddress, vault: deps.vault, issuer: deps.chainSigners.issuer, hooks: deps.issuanceHooks };
  const durationsMs = { release: 0, plan: 0, sign: 0, submit: 0, irec: 0 };
  const timed = async <T>(step: keyof typeof durationsMs, work: () => T | Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      durationsMs[step] = Math.round(performance.now() - started);
    }
  };
  const released = await timed("release", () => releaseExpiredReservations(deps, now));
  const planned = await timed("plan", () => planIssuance(deps.db, now));
  const signed = await timed("sign", () => signPlannedJobs(chain, times));
  const submitted = await timed("submit", () => submitSignedJobs(chain, times));
  const irec = deps.irec ?? simulatedIRecRegistry(deps.db, deps.clock);
  const irecSerialsRecorded = await timed("irec", async () => {
    await completePendingRedemptions({ db: deps.db, irec, clock: deps.clock });
    return recordIRecSerials({ ...chain, irec }, now);
  });
  return {
    startedAt: startedAt.toISOString(),
    releasedReservations: released.released,
    plannedCertificates: planned.certificates,
    plannedWh: planned.wh.toString(),
    signed: signed.length,
    confirmed: submitted.confirmed,
    blocked: submitted.blocked,
    failed: submitted.failed,
    irecSerialsRecorded,
    durationsMs,
  };
}

/** Runs issuance every `intervalMs` inside the server; a run still going when the next is due is not doubled. */
export function scheduleIssuance(deps: IssuanceDeps, intervalMs: number, onError: (error: unknown) => void): { stop(): Promise<void> } {
  let current: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (current) return;
    current = runIssuance(deps)
      .catch(onError)
      .finally(() => {
        current = undefined;
      });
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
