import { expect } from "chai";
import { sizeAfterFailure, sizeAfterSuccess, type RangePolicy } from "../../indexer/sync/rangeSize";

describe("indexer adaptive range size", () => {
  const policy: RangePolicy = { initial: 10, min: 1, max: 100, targetLogs: 1_000 };

  it("doubles while ranges come back with few logs, up to the maximum", () => {
    const sizes = [10];
    for (let i = 0; i < 5; i++) sizes.push(sizeAfterSuccess(sizes[sizes.length - 1], 10, policy));
    expect(sizes).to.deep.equal([10, 20, 40, 80, 100, 100]);
  });

  it("keeps a size that brings about the targeted number of logs, and halves one that brings too many", () => {
    expect(sizeAfterSuccess(40, 1_000, policy)).to.equal(40);
    expect(sizeAfterSuccess(40, 1_999, policy)).to.equal(40);
    expect(sizeAfterSuccess(40, 2_001, policy)).to.equal(20);
    expect(sizeAfterSuccess(1, 50_000, policy)).to.equal(1);
  });

  it("halves after a refusal, and has nothing smaller to offer once at the minimum", () => {
    expect(sizeAfterFailure(40, policy)).to.equal(20);
    expect(sizeAfterFailure(3, policy)).to.equal(1);
    expect(sizeAfterFailure(1, policy)).to.equal(undefined);
  });
});
