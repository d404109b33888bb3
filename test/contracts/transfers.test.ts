import { expect } from "chai";
import { ethers } from "hardhat";
import { HELD, withHoldings } from "../support/fixtures";

describe("ERC-1155 transfers", () => {
  it("safeTransferFrom moves an amount with TransferSingle", async () => {
    const { registry, buyer, other, gc } = await withHoldings();
    const tx = registry.connect(buyer).safeTransferFrom(buyer, other, gc[0], 1_234n, "0x");
    await expect(tx).to.emit(registry, "TransferSingle").withArgs(buyer.address, buyer.address, other.address, gc[0], 1_234n);
    expect(await registry.balanceOfBatch([buyer, other], [gc[0], gc[0]])).to.deep.equal([HELD - 1_234n, 1_234n]);
  });

  it("safeBatchTransferFrom of one id emits TransferSingle, of several ids one TransferBatch", async () => {
    const { registry, buyer, other, gc } = await withHoldings();
    const one = await registry.connect(buyer).safeBatchTransferFrom(buyer, other, [gc[0]], [5n], "0x");
    await expect(one).to.emit(registry, "TransferSingle").withArgs(buyer.address, buyer.address, other.address, gc[0], 5n);
    await expect(one).not.to.emit(registry, "TransferBatch");

    const amounts = [1n, 2n, 3n];
    const many = await registry.connect(buyer).safeBatchTransferFrom(buyer, other, gc, amounts, "0x");
    await expect(many).to.emit(registry, "TransferBatch").withArgs(buyer.address, buyer.address, other.address, gc, amounts);
    await expect(many).not.to.emit(registry, "TransferSingle");
    expect(await registry.balanceOfBatch(gc.map(() => other.address), gc)).to.deep.equal([6n, 2n, 3n]);
  });

  it("lets an approved operator transfer and refuses anyone else (ERC1155MissingApprovalForAll)", async () => {
    const { registry, buyer, developer, other, gc } = await withHoldings();
    await expect(registry.connect(developer).safeTransferFrom(buyer, developer, gc[0], 1n, "0x"))
      .to.be.revertedWithCustomError(registry, "ERC1155MissingApprovalForAll")
      .withArgs(developer.address, buyer.address);
    await expect(registry.connect(buyer).setApprovalForAll(developer, true))
      .to.emit(registry, "ApprovalForAll")
      .withArgs(buyer.address, developer.address, true);
    await expect(registry.connect(developer).safeBatchTransferFrom(buyer, other, gc, [1n, 1n, 1n], "0x"))
      .to.emit(registry, "TransferBatch")
      .withArgs(developer.address, buyer.address, other.address, gc, [1n, 1n, 1n]);
  });

  it("refuses more than the balance (ERC1155InsufficientBalance), moving nothing", async () => {
    const { registry, buyer, other, gc } = await withHoldings();
    await expect(registry.connect(buyer).safeBatchTransferFrom(buyer, other, gc, [1n, HELD + 1n, 1n], "0x"))
      .to.be.revertedWithCustomError(registry, "ERC1155InsufficientBalance")
      .withArgs(buyer.address, HELD, HELD + 1n, gc[1]);
    expect(await registry.balanceOfBatch(gc.map(() => other.address), gc)).to.deep.equal([0n, 0n, 0n]);
  });

  it("refuses the zero address and contracts that do not accept ERC-1155 tokens (ERC1155InvalidReceiver)", async () => {
    const { registry, buyer, gc } = await withHoldings();
    const notAReceiver = await registry.getAddress();
    for (const to of [ethers.ZeroAddress, notAReceiver]) {
      await expect(registry.connect(buyer).safeTransferFrom(buyer, to, gc[0], 1n, "0x"))
        .to.be.revertedWithCustomError(registry, "ERC1155InvalidReceiver")
        .withArgs(to);
    }
  });
});
