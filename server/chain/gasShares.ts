/**
 * One voucher's share of the transaction that redeemed it, `position` being its place among the
 * `count` vouchers in that transaction (the order of their `VoucherRedeemed` events). Shares are
 * equal but for the remainder, which goes one unit each to the first vouchers, so the shares of a
 * transaction add up to exactly what its sender paid.
 */
export function shareOfTransaction(total: bigint, count: number, position: number): bigint {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, not ${count}`);
  if (!Number.isInteger(position) || position < 0 || position >= count) throw new RangeError(`position must lie in [0, ${count}), not ${position}`);
  const n = BigInt(count);
  return total / n + (BigInt(position) < total % n ? 1n : 0n);
}
