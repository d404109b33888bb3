import { eq } from "drizzle-orm";
import type { Db } from "../db/database";
import { gcBundles } from "./schema";

type BundleRow = typeof gcBundles.$inferSelect;

const KIND_NAMES: Record<BundleRow["origin"], string> = { production: "Granular Certificate", storage: "Storage-discharge Granular Certificate", imported: "Imported Granular Certificate" };

/**
 * ERC-1155 metadata of a GC bundle's token, so wallets show GCs as they show D-RECs: the bundle's seed 003
 * id, its hour and Wh, its certificate id range and its EnergyTag attributes. Pure: the caller loads the row.
 */
export function gcBundleMetadata(bundle: BundleRow) {
  const start = new Date(bundle.startAt).toISOString();
  const end = new Date(bundle.endAt).toISOString();
  return {
    name: `${bundle.origin === "storage" ? "SD-GC" : "GC"} ${bundle.id}`,
    description:
      `${KIND_NAMES[bundle.origin]}: ${bundle.energyWh} Wh of ${bundle.attributes.energySource} from ${bundle.attributes.deviceName} (${bundle.attributes.country}) ` +
      `between ${start} and ${end} (UTC), certificate ids ${bundle.rangeStart} to ${bundle.rangeEnd}. One token unit is one Wh.`,
    decimals: 0,
    properties: {
      unit: "Wh",
      bundleId: bundle.id,
      tokenId: bundle.tokenId,
      origin: bundle.origin,
      volumeWh: String(bundle.energyWh),
      productionStart: start,
      productionEnd: end,
      certificateRange: { start: String(bundle.rangeStart), end: String(bundle.rangeEnd) },
      parentBundleId: bundle.parentId,
      source: bundle.sourceRegistry === null ? null : { registry: bundle.sourceRegistry, id: bundle.sourceId },
      transactionHash: bundle.txHash,
      attributes: bundle.attributes,
    },
  };
}

/** The metadata of the GC bundle minted (or split off through the API) as `tokenId`, or undefined. */
export function gcTokenMetadata(db: Db, tokenId: string) {
  const bundle = db.select().from(gcBundles).where(eq(gcBundles.tokenId, tokenId)).get();
  return bundle && gcBundleMetadata(bundle);
}
