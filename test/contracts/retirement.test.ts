import { expect } from "chai";
import { ethers } from "hardhat";
import { RetirementReason } from "../support/registry";
import { HELD, eventsOf, withHoldings } from "../support/fixtures";

const BENEFICIARY = "Acme Foods Ltd";
const DETAILS = ethers.id("claim details: Acme Foods, Nairobi plant, 2025-Q1");

describe("retirement", () => {
  describe("claim", () => {
    it("burns the amount, adds it to the holder's claimed ledger and emits Retired", async () => {
      const { registry, buyer, gc } = await withHoldings();
      const [id] = gc;

      const tx = await registry.connect(buyer).claim(buyer, id, 2_500n, BENEFICIARY, DETAILS);

      await expect(tx)
        .to.emit(registry, "Retired")
        .withArgs(buyer.address, id, RetirementReason.Claimed, 2_500n, BENEFICIARY, DETAILS);
      await expect(tx).to.emit(registry, "TransferSingle").withArgs(buyer.address, buyer.address, ethers.ZeroAddress, id, 2_500n);
      expect(await registry.balanceOf(buyer, id)).to.equal(HELD - 2_500n);
      expect(await registry.claimedBalanceOf(buyer, id)).to.equal(2_500n);

      await registry.connect(buyer).claim(buyer, id, HELD - 2_500n, BENEFICIARY, DETAILS);
      expect(await registry.balanceOf(buyer, id)).to.equal(0n);
      expect(await registry.claimedBalanceOf(buyer, id)).to.equal(HELD);
    });

    it("lets an operator approved with setApprovalForAll claim for the holder", async () => {
      const { registry, buyer, developer, gc } = await withHoldings();
      const [id] = gc;
      await registry.connect(buyer).setApprovalForAll(developer, true);

      const tx = await registry.connect(developer).claim(buyer, id, 1_000n, BENEFICIARY, DETAILS);

      await expect(tx).to.emit(registry, "TransferSingle").withArgs(developer.address, buyer.address, ethers.ZeroAddress, id, 1_000n);
      await expect(tx).to.emit(registry, "Retired").withArgs(buyer.address, id, RetirementReason.Claimed, 1_000n, BENEFICIARY, DETAILS);
      expect(await registry.claimedBalanceOf(buyer, id)).to.equal(1_000n);
      expect(await registry.claimedBalanceOf(developer, id)).to.equal(0n);
    });

    it("refuses a caller the holder did not approve (ERC1155MissingApprovalForAll), also once approval is withdrawn", async () => {
      const { registry, buyer, other, gc } = await withHoldings();
      await expect(registry.connect(other).claim(buyer, gc[0], 1n, BENEFICIARY, DETAILS))
        .to.be.revertedWithCustomError(registry, "ERC1155MissingApprovalForAll")
        .withArgs(other.address, buyer.address);
      await registry.connect(buyer).setApprovalForAll(other, true);
      await registry.connect(buyer).setApprovalForAll(other, false);
      await expect(registry.connect(other).claim(buyer, gc[0], 1n, BENEFICIARY, DETAILS))
        .to.be.revertedWithCustomError(registry, "ERC1155MissingApprovalForAll")
        .withArgs(other.address, buyer.address);
      expect(await registry.balanceOf(buyer, gc[0])).to.equal(HELD);
    });

    it("refuses more than the balance (ERC1155InsufficientBalance) and a zero amount (ZeroAmount)", async () => {
      const { registry, buyer, gc } = await withHoldings();
      const [id] = gc;
      await expect(registry.connect(buyer).claim(buyer, id, HELD + 1n, BENEFICIARY, DETAILS))
        .to.be.revertedWithCustomError(registry, "ERC1155InsufficientBalance")
        .withArgs(buyer.address, HELD, HELD + 1n, id);
      await expect(registry.connect(buyer).claim(buyer, id, 0n, BENEFICIARY, DETAILS)).to.be.revertedWithCustomError(registry, "ZeroAmount");
      expect(await registry.balanceOf(buyer, id)).to.equal(HELD);
      expect(await registry.claimedBalanceOf(buyer, id)).to.equal(0n);
    });
  });

  describe("retireBatch", () => {
    const nonClaim = [
      ["Cancelled", RetirementReason.Cancelled],
      ["CancelledForStorage", RetirementReason.CancelledForStorage],
      ["Exported", RetirementReason.Exported],
    ] as const;
    for (const [name, reason] of nonClaim) {
      it(`retires one id for ${name} with TransferSingle, leaving the claimed ledger alone`, async () => {
        const { registry, buyer, gc } = await withHoldings();
        const [id] = gc;
        const tx = await registry.connect(buyer).retireBatch(buyer, [id], [3_000n], reason, BENEFICIARY, DETAILS);

        await expect(tx).to.emit(registry, "Retired").withArgs(buyer.address, id, reason, 3_000n, BENEFICIARY, DETAILS);
        await expect(tx).to.emit(registry, "TransferSingle").withArgs(buyer.address, buyer.address, ethers.ZeroAddress, id, 3_000n);
        await expect(tx).not.to.emit(registry, "TransferBatch");
        expect(await registry.balanceOf(buyer, id)).to.equal(HELD - 3_000n);
        expect(await registry.claimedBalanceOf(buyer, id)).to.equal(0n);
      });

      it(`retires several ids for ${name} with one TransferBatch and one Retired each`, async () => {
        const { registry, buyer, gc } = await withHoldings();
        const amounts = [1n, 2_000n, HELD];
        const tx = await registry.connect(buyer).retireBatch(buyer, gc, amounts, reason, BENEFICIARY, DETAILS);

        await expect(tx).to.emit(registry, "TransferBatch").withArgs(buyer.address, buyer.address, ethers.ZeroAddress, gc, amounts);
        await expect(tx).not.to.emit(registry, "TransferSingle");
        const retired = (await eventsOf(registry, tx, "Retired")).map((e) => [...e.args]);
        expect(retired).to.deep.equal(gc.map((id, i) => [buyer.address, id, BigInt(reason), amounts[i], BENEFICIARY, DETAILS]));
        expect(await registry.balanceOfBatch(gc.map(() => buyer.address), gc)).to.deep.equal(amounts.map((a) => HELD - a));
        for (const id of gc) expect(await registry.claimedBalanceOf(buyer, id)).to.equal(0n);
      });
    }

    it("adds to the claimed ledger of each id when the reason is Claimed", async () => {
      const { registry, buyer, gc } = await withHoldings();
      const amounts = [10n, 20n, 30n];
      await registry.connect(buyer).retireBatch(buyer, gc, amounts, RetirementReason.Claimed, BENEFICIARY, DETAILS);
      for (const [i, id] of gc.entries()) expect(await registry.claimedBalanceOf(buyer, id)).to.equal(amounts[i]);
    });

    it("refuses the Split reason (InvalidRetirementReason)", async () => {
      const { registry, buyer, gc } = await withHoldings();
      await expect(registry.connect(buyer).retireBatch(buyer, [gc[0]], [1n], RetirementReason.Split, BENEFICIARY, DETAILS))
        .to.be.revertedWithCustomError(registry, "InvalidRetirementReason")
        .withArgs(RetirementReason.Split);
    });

    it("refuses ids and amounts of different lengths (ArrayLengthMismatch)", async () => {
      const { registry, buyer, gc } = await withHoldings();
      await expect(registry.connect(buyer).retireBatch(buyer, gc.slice(0, 2), [1n], RetirementReason.Cancelled, BENEFICIARY, DETAILS))
        .to.be.revertedWithCustomError(registry, "ArrayLengthMismatch")
        .withArgs(2, 1);
    });

    it("refuses an empty batch (ZeroAmount)", async () => {
      const { registry, buyer } = await withHoldings();
      await expect(registry.connect(buyer).retireBatch(buyer, [], [], RetirementReason.Cancelled, BENEFICIARY, DETAILS)).to.be.revertedWithCustomError(
        registry,
        "ZeroAmount",
      );
    });

    it("lets an approved operator retire and refuses an unapproved one", async () => {
      const { registry, buyer, developer, other, gc } = await withHoldings();
      await registry.connect(buyer).setApprovalForAll(developer, true);
      await expect(registry.connect(developer).retireBatch(buyer, [gc[0]], [5n], RetirementReason.Exported, BENEFICIARY, DETAILS))
        .to.emit(registry, "Retired")
        .withArgs(buyer.address, gc[0], RetirementReason.Exported, 5n, BENEFICIARY, DETAILS);
      expect(await registry.balanceOf(buyer, gc[0])).to.equal(HELD - 5n);
      await expect(registry.connect(other).retireBatch(buyer, [gc[0]], [5n], RetirementReason.Exported, BENEFICIARY, DETAILS))
        .to.be.revertedWithCustomError(registry, "ERC1155MissingApprovalForAll")
        .withArgs(other.address, buyer.address);
    });

    it("retires nothing when one amount exceeds the balance or is zero", async () => {
      const { registry, buyer, gc } = await withHoldings();
      await expect(registry.connect(buyer).retireBatch(buyer, gc, [1n, HELD + 1n, 1n], RetirementReason.Cancelled, BENEFICIARY, DETAILS))
        .to.be.revertedWithCustomError(registry, "ERC1155InsufficientBalance")
        .withArgs(buyer.address, HELD, HELD + 1n, gc[1]);
      await expect(
        registry.connect(buyer).retireBatch(buyer, gc, [1n, 0n, 1n], RetirementReason.Claimed, BENEFICIARY, DETAILS),
      ).to.be.revertedWithCustomError(registry, "ZeroAmount");
      expect(await registry.balanceOfBatch(gc.map(() => buyer.address), gc)).to.deep.equal(gc.map(() => HELD));
      for (const id of gc) expect(await registry.claimedBalanceOf(buyer, id)).to.equal(0n);
    });
  });
});
