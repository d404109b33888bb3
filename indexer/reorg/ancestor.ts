import type { Db } from "../../server/db/database";
import { headerAt, type ChainReader } from "../sync/chainReader";

export interface StoredBlock {
  number: number;
  hash: string;
}

const PAGE = 64;

/**
 * The newest stored block at or below `atOrBelow` that is still on the chain: the common ancestor of the
 * mirror and the chain. Walks the stored headers (blocks with logs, range ends, the reorg window) from the
 * top down; the first whose hash the chain still has is where the two agree, since a block's hash commits
 * to all its ancestors. Undefined when none is (the rollback goes back to the deployment).
 */
export async function findCommonAncestor(client: ChainReader, db: Db, atOrBelow: number): Promise<StoredBlock | undefined> {
  const page = db.$client.prepare("SELECT number, hash FROM chain_blocks WHERE number <= ? ORDER BY number DESC LIMIT ?");
  let below = atOrBelow;
  for (;;) {
    const stored = page.all(below, PAGE) as StoredBlock[];
    if (stored.length === 0) return undefined;
    for (const block of stored) {
      const onChain = await headerAt(client, block.number);
      if (onChain?.hash === block.hash) return block;
    }
    below = stored[stored.length - 1].number - 1;
  }
}
