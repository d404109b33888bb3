import type { Db } from "../db/database";
import { gcTokenMetadata } from "../gc/metadata";
import { certificateMetadata } from "./metadata";
import { metadataInputOf } from "./store";

type Metadata = { name: string; description: string; decimals: number; properties: Record<string, unknown> };

/** The metadata of a token the registry itself knows: a D-REC certificate, or a GC bundle. */
function issuedMetadata(db: Db, tokenId: string): Metadata | undefined {
  const input = metadataInputOf(db, tokenId);
  return input ? certificateMetadata(input) : gcTokenMetadata(db, tokenId);
}

/**
 * ERC-1155 metadata for any token id the registry's `uri(id)` names. A token split off on chain by its holder
 * (the platform never saw the split) is found through the indexer's lineage: it is shown as the part of its
 * nearest known ancestor it is, with that ancestor's certificate fields.
 */
export function tokenMetadata(db: Db, tokenId: string): Metadata | undefined {
  const own = issuedMetadata(db, tokenId);
  if (own) return own;
  const lineage = db.$client.prepare("SELECT parent_id AS parentId, issued_amount AS amount FROM chain_certificates WHERE id = ?");
  const child = lineage.get(tokenId) as { parentId: string | null; amount: string } | undefined;
  if (!child?.parentId) return undefined;
  for (let ancestor: string | null = child.parentId; ancestor !== null; ) {
    const known = issuedMetadata(db, ancestor);
    if (known) {
      return {
        ...known,
        name: `${known.name}: ${child.amount} Wh split off`,
        description: `${child.amount} Wh split off on chain from token ${ancestor}. ${known.description}`,
        properties: { ...known.properties, tokenId, volumeWh: child.amount, splitFrom: child.parentId, certifiedAs: ancestor },
      };
    }
    ancestor = (lineage.get(ancestor) as { parentId: string | null } | undefined)?.parentId ?? null;
  }
  return undefined;
}
