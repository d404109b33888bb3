import type Database from "better-sqlite3";
import { eq } from "drizzle-orm";
import type { Db } from "../../server/db/database";
import { deriveChanges, type ChainLog } from "./derive";
import { createMirrorWriter, type MirrorWriter } from "./mirrorWriter";
import { chainCheckpoint } from "./schema";

export interface Checkpoint {
  blockNumber: bigint;
  blockHash: `0x${string}`;
}

export interface BlockHeader {
  number: number;
  hash: string;
  parentHash: string;
  timestamp: number;
}

/** One fetched block range, ready to apply. */
export interface RangeCommit {
  /** The checkpoint the range continues (undefined when nothing has been indexed yet). */
  after: Checkpoint | undefined;
  /** The range's last block: the new checkpoint. */
  to: Checkpoint;
  /** Every registry log of the range, in chain order. */
  logs: readonly ChainLog[];
  /** Headers to remember for reorg detection: the blocks with logs, the last block, those in the reorg window. */
  headers: readonly BlockHeader[];
  /** Headers of blocks without logs below this number are no longer needed (out of the reorg window). */
  pruneBelow: number;
}

/** Another writer moved the checkpoint since this range was fetched (a second indexer on the same file). */
export class CheckpointMovedError extends Error {
  constructor(expected: Checkpoint | undefined, found: Checkpoint | undefined) {
    super(`The checkpoint moved from ${describe(expected)} to ${describe(found)} while a range was fetched; the range is dropped and fetched again.`);
    this.name = "CheckpointMovedError";
  }
}

const describe = (checkpoint: Checkpoint | undefined) => (checkpoint ? `block ${checkpoint.blockNumber} (${checkpoint.blockHash})` : "nothing indexed");
const SINGLETON = 1;

export function readCheckpoint(db: Db): Checkpoint | undefined {
  const row = db.select().from(chainCheckpoint).where(eq(chainCheckpoint.id, SINGLETON)).get();
  return row && { blockNumber: BigInt(row.blockNumber), blockHash: row.blockHash as `0x${string}` };
}

const sameCheckpoint = (a: Checkpoint | undefined, b: Checkpoint | undefined) =>
  a === undefined || b === undefined ? a === b : a.blockNumber === b.blockNumber && a.blockHash === b.blockHash;

const writers = new WeakMap<Database.Database, { writer: MirrorWriter; header: Database.Statement; prune: Database.Statement; knownHash: Database.Statement }>();

function statementsFor(sqlite: Database.Database) {
  let entry = writers.get(sqlite);
  if (!entry) {
    entry = {
      writer: createMirrorWriter(sqlite),
      header: sqlite.prepare("INSERT OR REPLACE INTO chain_blocks (number, hash, parent_hash, timestamp, log_count) VALUES (?, ?, ?, ?, ?)"),
      prune: sqlite.prepare("DELETE FROM chain_blocks WHERE log_count = 0 AND number < ? AND number <> ?"),
      knownHash: sqlite.prepare("SELECT hash FROM chain_blocks WHERE number = ?"),
    };
    writers.set(sqlite, entry);
  }
  return entry;
}

/**
 * Applies a block range and moves the checkpoint to its last block in one transaction, so a crash leaves
 * either all of it or none: a restart resumes exactly after the last committed range. Returns false, and
 * changes nothing, for a range already applied (the checkpoint is at or past its last block, on the same
 * chain); throws {@link CheckpointMovedError} when the checkpoint is anywhere else than where the range starts.
 */
export function commitRange(db: Db, range: RangeCommit): boolean {
  const { writer, header, prune, knownHash } = statementsFor(db.$client);
  return db.$client.transaction(() => {
    const current = readCheckpoint(db);
    if (!sameCheckpoint(current, range.after)) {
      const stored = knownHash.get(Number(range.to.blockNumber)) as { hash: string } | undefined;
      if (current && current.blockNumber >= range.to.blockNumber && stored?.hash === range.to.blockHash) return false;
      throw new CheckpointMovedError(range.after, current);
    }
    writer.applyRange(range.logs, deriveChanges(range.logs));
    const logCounts = new Map<number, number>();
    for (const log of range.logs) logCounts.set(log.blockNumber, (logCounts.get(log.blockNumber) ?? 0) + 1);
    for (const h of range.headers) header.run(h.number, h.hash, h.parentHash, h.timestamp, logCounts.get(h.number) ?? 0);
    const to = Number(range.to.blockNumber);
    prune.run(range.pruneBelow, to);
    const row = { id: SINGLETON, blockNumber: to, blockHash: range.to.blockHash, updatedAt: new Date().toISOString() };
    db.insert(chainCheckpoint).values(row).onConflictDoUpdate({ target: chainCheckpoint.id, set: row }).run();
    return true;
  })();
}
