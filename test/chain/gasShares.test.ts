import { expect } from "chai";
import { shareOfTransaction } from "../../server/chain/gasShares";

describe("a voucher's share of its transaction's gas (pure)", () => {
  const shares = (total: bigint, count: number) => Array.from({ length: count }, (_, position) => shareOfTransaction(total, count, position));

  it("adds up to exactly the transaction's total, whatever the remainder", () => {
    for (const [total, count] of [[1_525_643n, 30], [2_404_483_549_642_730_000n, 20], [7n, 3], [0n, 4], [5n, 5], [3n, 7]] as const) {
      const parts = shares(total, count);
      expect(parts.reduce((sum, part) => sum + part, 0n), `${total} over ${count}`).to.equal(total);
      expect(parts.every((part) => part === total / BigInt(count) || part === total / BigInt(count) + 1n)).to.equal(true);
    }
  });

  it("gives the remainder one unit each to the first vouchers", () => {
    expect(shares(7n, 3)).to.deep.equal([3n, 2n, 2n]);
    expect(shares(3n, 7)).to.deep.equal([1n, 1n, 1n, 0n, 0n, 0n, 0n]);
    expect(shares(100n, 1)).to.deep.equal([100n]);
  });

  it("refuses a count or position outside the transaction", () => {
    expect(() => shareOfTransaction(10n, 0, 0)).to.throw(RangeError, "count");
    expect(() => shareOfTransaction(10n, 2, 2)).to.throw(RangeError, "position");
    expect(() => shareOfTransaction(10n, 2, -1)).to.throw(RangeError, "position");
  });
});
