import { eq } from "drizzle-orm";
import type { Db } from "../../server/db/database";
import { chainCheckpoint, chainRawLogs } from "./schema";

export interface Checkpoint {
  blockNumber: bigint;
  blockHash: `0x${string}`;
}

export interface RawLog {
  blockNumber: bigint;
  logIndex: number;
  blockHash: `0x${string}`;
  transactionHash: `0x${string}`;
  topics: readonly `0x${string}`[];
  data: `0x${string}`;
}

const SINGLETON = 1;

export function readCheckpoint(db: Db): Checkpoint | undefined {
  const row = db.select().from(chainCheckpoint).where(eq(chainCheckpoint.id, SINGLETON)).get();
  return row && { blockNumber: BigInt(row.blockNumber), blockHash: row.blockHash as `0x${string}` };
}

/**
 * Stores a block range's logs and moves the checkpoint to its last block in one transaction, so a
 * crash leaves either both or neither: a restart resumes exactly after the last committed range.
 */
export function commitRange(db: Db, logs: readonly RawLog[], to: Checkpoint): void {
  db.transaction((tx) => {
    for (const log of logs) {
      tx.insert(chainRawLogs)
        .values({
          blockNumber: Number(log.blockNumber),
          logIndex: log.logIndex,
          blockHash: log.blockHash,
          transactionHash: log.transactionHash,
          topics: [...log.topics],
          data: log.data,
        })
        .onConflictDoNothing()
        .run();
    }
    const row = { id: SINGLETON, blockNumber: Number(to.blockNumber), blockHash: to.blockHash, updatedAt: new Date().toISOString() };
    tx.insert(chainCheckpoint)
      .values(row)
      .onConflictDoUpdate({ target: chainCheckpoint.id, set: row })
      .run();
  });
}
