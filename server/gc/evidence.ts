import { eq } from "drizzle-orm";
import type { Db } from "../db/database";
import { chainRef } from "../chain/refs";
import type { EvidenceLeaf } from "../issuance/evidence";
import { toUnixSeconds } from "../issuance/vouchers";
import { gcBundles } from "./schema";

/**
 * A GC bundle's evidence: one leaf naming its own device, period and Wh. Its voucher commits to the root
 * of exactly this leaf, so anyone holding the bundle's published attributes can check the commitment.
 */
export function gcEvidenceLeaf(bundle: { deviceId: string; startAt: number; endAt: number; energyWh: number | bigint }): EvidenceLeaf {
  return { deviceId: chainRef(bundle.deviceId), start: toUnixSeconds(bundle.startAt), end: toUnixSeconds(bundle.endAt), wh: BigInt(bundle.energyWh) };
}

/** The published leaf of the GC bundle (production, imported or SD-GC) minted as `tokenId`, or undefined. */
export function publishedGcLeaves(db: Db, tokenId: bigint): EvidenceLeaf[] | undefined {
  const bundle = db
    .select({ deviceId: gcBundles.deviceId, startAt: gcBundles.startAt, endAt: gcBundles.endAt, energyWh: gcBundles.energyWh })
    .from(gcBundles)
    .where(eq(gcBundles.tokenId, tokenId.toString()))
    .get();
  return bundle && [gcEvidenceLeaf(bundle)];
}
