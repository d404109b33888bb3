import { expect } from "chai";
import { CertificateKind } from "../support/registry";
import { GC_KINDS, HELD, KIND_NAMES, mintEach, withHoldings, type Holdings } from "../support/fixtures";

/** `other` turns its allowlist on without listing anyone. */
async function guarded(): Promise<Holdings> {
  const h = await withHoldings();
  await h.registry.connect(h.other).setTransferAllowlistEnabled(true);
  return h;
}

describe("GC transfer allowlist", () => {
  describe("configuration", () => {
    it("turns an account's allowlist on and off", async () => {
      const { registry, other } = await withHoldings();
      expect(await registry.isTransferAllowlistEnabled(other)).to.equal(false);
      await expect(registry.connect(other).setTransferAllowlistEnabled(true))
        .to.emit(registry, "TransferAllowlistEnabled")
        .withArgs(other.address, true);
      expect(await registry.isTransferAllowlistEnabled(other)).to.equal(true);
      await expect(registry.connect(other).setTransferAllowlistEnabled(false))
        .to.emit(registry, "TransferAllowlistEnabled")
        .withArgs(other.address, false);
      expect(await registry.isTransferAllowlistEnabled(other)).to.equal(false);
    });

    it("lists and delists senders for the caller only, one AllowedSenderSet each", async () => {
      const { registry, other, buyer, developer } = await withHoldings();
      const tx = registry.connect(other).setAllowedSenders([buyer, developer], true);
      await expect(tx).to.emit(registry, "AllowedSenderSet").withArgs(other.address, buyer.address, true);
      await expect(tx).to.emit(registry, "AllowedSenderSet").withArgs(other.address, developer.address, true);
      expect(await registry.isAllowedSender(other, buyer)).to.equal(true);
      expect(await registry.isAllowedSender(other, developer)).to.equal(true);
      expect(await registry.isAllowedSender(buyer, other)).to.equal(false);

      await expect(registry.connect(other).setAllowedSenders([buyer], false))
        .to.emit(registry, "AllowedSenderSet")
        .withArgs(other.address, buyer.address, false);
      expect(await registry.isAllowedSender(other, buyer)).to.equal(false);
      expect(await registry.isAllowedSender(other, developer)).to.equal(true);
    });
  });

  describe("enforcement", () => {
    for (const kind of GC_KINDS) {
      it(`refuses ${KIND_NAMES[kind]} transfers from an unlisted sender (SenderNotAllowlisted), single and batch`, async () => {
        const { registry, buyer, other, byKind, gc } = await guarded();
        const id = byKind[kind];
        await expect(registry.connect(buyer).safeTransferFrom(buyer, other, id, 1n, "0x"))
          .to.be.revertedWithCustomError(registry, "SenderNotAllowlisted")
          .withArgs(buyer.address, other.address);
        await expect(registry.connect(buyer).safeBatchTransferFrom(buyer, other, [byKind[CertificateKind.DRec], id], [1n, 1n], "0x"))
          .to.be.revertedWithCustomError(registry, "SenderNotAllowlisted")
          .withArgs(buyer.address, other.address);
        await expect(registry.connect(buyer).safeBatchTransferFrom(buyer, other, [gc[1], id], [1n, 1n], "0x"))
          .to.be.revertedWithCustomError(registry, "SenderNotAllowlisted")
          .withArgs(buyer.address, other.address);
        expect(await registry.balanceOf(other, id)).to.equal(0n);
      });

      it(`accepts ${KIND_NAMES[kind]} transfers from a listed sender, single and batch`, async () => {
        const { registry, buyer, other, byKind } = await guarded();
        await registry.connect(other).setAllowedSenders([buyer], true);
        const id = byKind[kind];
        await expect(registry.connect(buyer).safeTransferFrom(buyer, other, id, 1n, "0x")).to.emit(registry, "TransferSingle");
        await expect(registry.connect(buyer).safeBatchTransferFrom(buyer, other, [byKind[CertificateKind.DRec], id], [1n, 2n], "0x")).to.emit(
          registry,
          "TransferBatch",
        );
        expect(await registry.balanceOf(other, id)).to.equal(3n);
      });
    }

    it("lets D-RECs through from unlisted senders", async () => {
      const { registry, buyer, other, byKind } = await guarded();
      const dRec = byKind[CertificateKind.DRec];
      await registry.connect(buyer).safeTransferFrom(buyer, other, dRec, 10n, "0x");
      await registry.connect(buyer).safeBatchTransferFrom(buyer, other, [dRec], [5n], "0x");
      expect(await registry.balanceOf(other, dRec)).to.equal(15n);
    });

    it("blocks a sender again once delisted", async () => {
      const { registry, buyer, other, gc } = await guarded();
      await registry.connect(other).setAllowedSenders([buyer], true);
      await registry.connect(buyer).safeTransferFrom(buyer, other, gc[0], 1n, "0x");
      await registry.connect(other).setAllowedSenders([buyer], false);
      await expect(registry.connect(buyer).safeTransferFrom(buyer, other, gc[0], 1n, "0x"))
        .to.be.revertedWithCustomError(registry, "SenderNotAllowlisted")
        .withArgs(buyer.address, other.address);
    });

    it("accepts everyone again once the recipient turns its allowlist off", async () => {
      const { registry, buyer, other, gc } = await guarded();
      await registry.connect(other).setTransferAllowlistEnabled(false);
      await registry.connect(buyer).safeTransferFrom(buyer, other, gc[0], 1n, "0x");
      expect(await registry.balanceOf(other, gc[0])).to.equal(1n);
    });

    it("judges the holder, not the operator moving its tokens", async () => {
      const { registry, buyer, developer, other, gc } = await guarded();
      await registry.connect(buyer).setApprovalForAll(developer, true);
      await registry.connect(other).setAllowedSenders([developer], true);
      await expect(registry.connect(developer).safeTransferFrom(buyer, other, gc[0], 1n, "0x"))
        .to.be.revertedWithCustomError(registry, "SenderNotAllowlisted")
        .withArgs(buyer.address, other.address);
      await registry.connect(other).setAllowedSenders([buyer], true);
      await registry.connect(other).setAllowedSenders([developer], false);
      await registry.connect(developer).safeTransferFrom(buyer, other, gc[0], 1n, "0x");
      expect(await registry.balanceOf(other, gc[0])).to.equal(1n);
    });

    it("restricts only incoming transfers: an allowlisted account still sends, claims and splits", async () => {
      const { registry, buyer, developer, gc } = await withHoldings();
      await registry.connect(buyer).setTransferAllowlistEnabled(true);
      await registry.connect(buyer).safeTransferFrom(buyer, developer, gc[0], 1n, "0x");
      await registry.connect(buyer).claim(buyer, gc[1], 1n, "Beneficiary", "0x" + "00".repeat(32));
      await registry.connect(buyer).split(buyer, gc[2], [1n, 2n]);
      expect(await registry.balanceOfBatch([developer, buyer, buyer], gc)).to.deep.equal([1n, HELD - 1n, HELD - 3n]);
      expect(await registry.claimedBalanceOf(buyer, gc[1])).to.equal(1n);
    });

    it("does not apply to issuance into an allowlisted account", async () => {
      const h = await guarded();
      for (const kind of GC_KINDS) {
        const [id] = await mintEach(h, h.other, kind, 1);
        expect(await h.registry.balanceOf(h.other, id)).to.equal(HELD);
      }
    });
  });
});
