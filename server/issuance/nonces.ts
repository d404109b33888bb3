import { sql } from "drizzle-orm";
import type { DbOrTx } from "../db/database";
import { voucherNonces } from "./schema";

/**
 * Reserves the next voucher nonce; call it inside the transaction that stores the voucher. Nonces come
 * in sequence (the table's integer key), so 256 consecutive vouchers share one word of the contract's bitmap.
 */
export function allocateNonce(tx: DbOrTx, purpose: string, now: number): bigint {
  const row = tx
    .insert(voucherNonces)
    .values({ nonce: sql`(SELECT coalesce(max(${voucherNonces.nonce}), 0) + 1 FROM ${voucherNonces})`, purpose, createdAt: now })
    .returning({ nonce: voucherNonces.nonce })
    .get();
  return BigInt(row.nonce);
}
