import { eq } from "drizzle-orm";
import type { Db } from "../db/database";
import { chainBalances, chainCertificates, chainCheckpoint } from "../../indexer/store/schema";
import type { MirrorSnapshot } from "./checks/mirror";

/**
 * Reads the indexer's balances, certificate rows and checkpoint in one read transaction: the indexer commits rows and
 * checkpoint together, so the snapshot is the mirror exactly as of its checkpoint block even while the
 * indexer keeps writing.
 */
export function readMirror(db: Db): MirrorSnapshot {
  return db.transaction((tx) => {
    const checkpoint = tx.select().from(chainCheckpoint).where(eq(chainCheckpoint.id, 1)).get();
    const rows = tx.select({ holder: chainBalances.holder, id: chainBalances.certificateId, amount: chainBalances.amount, claimed: chainBalances.claimed }).from(chainBalances).all();
    const certificates = tx.select().from(chainCertificates).all();
    return {
      checkpoint: checkpoint && { blockNumber: BigInt(checkpoint.blockNumber), blockHash: checkpoint.blockHash as `0x${string}` },
      balances: rows.map((r) => ({ holder: r.holder, id: BigInt(r.id), amount: BigInt(r.amount) })),
      claimed: rows.map((r) => ({ holder: r.holder, id: BigInt(r.id), amount: BigInt(r.claimed) })),
      certificates: certificates.map((c) => ({
        id: BigInt(c.id),
        ref: c.ref,
        start: BigInt(c.periodStart),
        end: BigInt(c.periodEnd),
        evidence: c.evidence,
        parentId: c.parentId === null ? null : BigInt(c.parentId),
        issued: BigInt(c.issuedAmount),
        supply: BigInt(c.supply),
        claimed: BigInt(c.claimedAmount),
        retired: BigInt(c.retiredAmount),
        splitAway: BigInt(c.splitAmount),
        revoked: c.status === "revoked",
        provisional: c.status === "provisional",
      })),
    };
  });
}
