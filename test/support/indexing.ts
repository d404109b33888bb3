import { startFollower } from "../../indexer/follower";
import type { TestApi } from "./api";

/** Brings the API's mirror (chain_* tables, same database) up to the chain's head, as the indexer would. */
export async function syncIndexer(api: TestApi): Promise<void> {
  const follower = startFollower({
    client: api.chain.clients.publicClient,
    db: api.database.db,
    registryAddress: api.chain.address,
    deployBlock: api.chain.blockNumber,
    confirmations: 0,
    pollIntervalMs: 3_600_000,
  });
  try {
    await follower.syncOnce();
  } finally {
    await follower.stop();
  }
}
