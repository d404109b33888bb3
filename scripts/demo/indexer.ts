import { waitFor, type ApiClient } from "./http";
import type { Printer } from "./print";

interface Health {
  chain: { latestBlock: string | null };
  indexer: { checkpointBlock: string | null; lagBlocks: string | null };
}

/**
 * Waits until the indexer's mirror has caught up with the chain's head (GET /health: lag 0), so what the
 * API reads from the mirror (holdings, certificate amounts, the audit's block) includes every transaction sent so far.
 */
export async function waitForIndexer(api: ApiClient, print: Printer): Promise<bigint> {
  let firstLag: bigint | undefined;
  return waitFor("the indexer to catch up with the chain", async () => {
    const health = await api.get<Health>("/health");
    if (health.indexer.lagBlocks === null || health.indexer.checkpointBlock === null) return undefined;
    const lag = BigInt(health.indexer.lagBlocks);
    firstLag ??= lag;
    // New blocks may arrive meanwhile: progress counts towards the lag first seen, never below zero.
    if (firstLag > 0n) print.progress("indexer blocks mirrored", Number(firstLag > lag ? firstLag - lag : 0n), Number(firstLag));
    return lag === 0n ? BigInt(health.indexer.checkpointBlock) : undefined;
  });
}
