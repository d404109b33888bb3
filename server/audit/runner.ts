import type { Address, PublicClient } from "viem";
import type { EvidenceLeaf } from "../issuance/evidence";
import { checkDoubleCertification, dischargeKey, dischargePeriods, type PublishedDischarges } from "./checks/doubleCertification";
import { checkEvidence } from "./checks/evidence";
import { chainCertificateFacts, checkMirror, type MirrorSnapshot } from "./checks/mirror";
import { checkReservations } from "./checks/reservations";
import { checkSupply, type HoldingState } from "./checks/supply";
import type { EvidenceSource } from "./evidenceSource";
import { applyEvent, emptyLedger, type Ledger, type LoggedHolding } from "./ledger";
import { AUDITED_EVENTS, AUDITED_VIEWS } from "./registryAbi";
import { checkResults, type AuditReport } from "./report";
import { DEFAULT_RANGE_POLICY, sizeAfterFailure, sizeAfterSuccess } from "../../indexer/sync/rangeSize";

export interface AuditSources {
  client: PublicClient;
  registryAddress: Address;
  /** Nothing before this block is fetched. */
  deployBlock: bigint;
  /** Reads the mirror as of its checkpoint (see `readMirror`). */
  mirror: () => MirrorSnapshot;
  evidence: EvidenceSource;
  /** Largest block range asked of `eth_getLogs` at once. */
  maxRange?: bigint;
  clock?: () => Date;
}

/** Positions per `balanceOfBatch` call. */
const BALANCE_BATCH = 500;
/** Calls (claimed balances, provisional statuses, evidence look-ups) in flight at once. */
const CONCURRENCY = 16;

/**
 * Audits the registry from its logs and views, then compares the mirror with them. Everything is read at
 * one block, the mirror's checkpoint, so the mirror and the chain describe the same state; the mirror is
 * read first, and only for check 1.
 */
export async function runAudit(sources: AuditSources): Promise<AuditReport> {
  const { client } = sources;
  const mirror = sources.mirror();
  const head = await client.getBlockNumber({ cacheTime: 0 });
  const blockNumber = mirror.checkpoint && mirror.checkpoint.blockNumber <= head ? mirror.checkpoint.blockNumber : head;
  const [block, chainId] = await Promise.all([client.getBlock({ blockNumber }), client.getChainId()]);

  const ledger = await foldLogs(sources, blockNumber);
  const holdings = await readHoldings(sources, [...ledger.holdings.values()], blockNumber);
  const provisional = await readProvisional(sources, [...ledger.flows.keys()], blockNumber);
  const published = await readEvidence(sources.evidence, [...ledger.certificates.keys()]);

  const certificates = [...ledger.certificates.values()];
  const evidence = checkEvidence(certificates, published);
  const checks = checkResults({
    mirror: checkMirror(holdings, chainCertificateFacts(ledger, holdings, provisional), mirror, { blockNumber, blockHash: block.hash }),
    supply: checkSupply(ledger.flows.values(), holdings),
    evidence: evidence.findings,
    doubleCertification: checkDoubleCertification(certificates, evidence.verified, ledger.revoked, await readDischarges(sources.evidence, dischargePeriods(certificates, ledger.revoked))),
    reservations: checkReservations(certificates, ledger.reservations, evidence.verified),
  });
  return {
    passed: checks.every((check) => check.passed),
    generatedAt: (sources.clock ?? (() => new Date()))().toISOString(),
    chainId,
    registryAddress: sources.registryAddress,
    block: { number: blockNumber.toString(), hash: block.hash },
    totals: {
      certificates: ledger.certificates.size,
      splitChildren: ledger.splitParents.size,
      holdings: holdings.length,
      reservations: ledger.reservations.size,
      revoked: ledger.revoked.size,
      evidenceLeaves: [...published.values()].reduce((sum, leaves) => sum + (leaves?.length ?? 0), 0),
    },
    checks,
  };
}

/**
 * Fetches the registry's logs range by range and folds each range into the ledger before the next. Ranges
 * adapt as the indexer's do: halved when the provider refuses one, grown again while they bring few logs,
 * never longer than `maxRange`.
 */
async function foldLogs(sources: AuditSources, toBlock: bigint): Promise<Ledger> {
  const ledger = emptyLedger();
  const policy = { ...DEFAULT_RANGE_POLICY, initial: Number(sources.maxRange ?? 2_000n), max: Number(sources.maxRange ?? 2_000n) };
  let size = policy.initial;
  for (let from = sources.deployBlock; from <= toBlock; ) {
    const to = from + BigInt(size) - 1n < toBlock ? from + BigInt(size) - 1n : toBlock;
    let logs;
    try {
      logs = await sources.client.getLogs({ address: sources.registryAddress, events: AUDITED_EVENTS, fromBlock: from, toBlock: to, strict: true });
    } catch (error) {
      const smaller = sizeAfterFailure(Number(to - from) + 1, policy);
      if (smaller === undefined) throw error;
      size = smaller;
      continue;
    }
    for (const log of logs) applyEvent(ledger, log);
    size = sizeAfterSuccess(Number(to - from) + 1, logs.length, policy);
    from = to + 1n;
  }
  return ledger;
}

/** Reads `balanceOf` and `claimedBalanceOf` at `blockNumber` for every position the logs name. */
async function readHoldings(sources: AuditSources, logged: LoggedHolding[], blockNumber: bigint): Promise<HoldingState[]> {
  const read = { address: sources.registryAddress, abi: AUDITED_VIEWS, blockNumber } as const;
  const balances: bigint[] = [];
  for (let i = 0; i < logged.length; i += BALANCE_BATCH) {
    const chunk = logged.slice(i, i + BALANCE_BATCH);
    const args = [chunk.map((h) => h.holder), chunk.map((h) => h.id)] as const;
    balances.push(...(await sources.client.readContract({ ...read, functionName: "balanceOfBatch", args })));
  }
  const claimed = await mapConcurrently(logged, (h) => sources.client.readContract({ ...read, functionName: "claimedBalanceOf", args: [h.holder, h.id] }));
  return logged.map((h, i) => ({ holder: h.holder, id: h.id, balance: balances[i], claimed: claimed[i], loggedBalance: h.balance, loggedClaimed: h.claimed }));
}

/** The ids among `ids` that `isProvisional` names at `blockNumber`. */
async function readProvisional(sources: AuditSources, ids: bigint[], blockNumber: bigint): Promise<Set<bigint>> {
  const read = { address: sources.registryAddress, abi: AUDITED_VIEWS, blockNumber, functionName: "isProvisional" } as const;
  const answers = await mapConcurrently(ids, (id) => sources.client.readContract({ ...read, args: [id] }));
  return new Set(ids.filter((_, i) => answers[i]));
}

async function readEvidence(source: EvidenceSource, ids: bigint[]): Promise<Map<bigint, readonly EvidenceLeaf[] | undefined>> {
  const leaves = await mapConcurrently(ids, (id) => source.leavesFor(id));
  return new Map(ids.map((id, i) => [id, leaves[i]]));
}

async function readDischarges(source: EvidenceSource, periods: { device: `0x${string}`; start: bigint; end: bigint }[]): Promise<PublishedDischarges> {
  const wh = await mapConcurrently(periods, (p) => source.dischargedWh(p.device, p.start, p.end));
  return new Map(periods.map((p, i) => [dischargeKey(p.device, p.start, p.end), wh[i]]));
}

async function mapConcurrently<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += CONCURRENCY) {
    results.push(...(await Promise.all(items.slice(i, i + CONCURRENCY).map(fn))));
  }
  return results;
}
