import { expect } from "chai";
import { ethers } from "hardhat";
import { CertificateKind } from "../support/registry";
import { ALL_KINDS, HELD, KIND_NAMES, eventsOf, mintEach, withHoldings } from "../support/fixtures";

describe("split", () => {
  it("splits part of a parent into one child: TransferSingle for the burn and for the mint", async () => {
    const { registry, buyer, gc } = await withHoldings();
    const parent = gc[0];
    const [child] = await registry.connect(buyer).split.staticCall(buyer, parent, [4_000n]);

    const tx = await registry.connect(buyer).split(buyer, parent, [4_000n]);

    await expect(tx).to.emit(registry, "Split").withArgs(parent, buyer.address, [child], [4_000n]);
    const single = (await eventsOf(registry, tx, "TransferSingle")).map((e) => [...e.args]);
    expect(single).to.deep.equal([
      [buyer.address, buyer.address, ethers.ZeroAddress, parent, 4_000n],
      [buyer.address, ethers.ZeroAddress, buyer.address, child, 4_000n],
    ]);
    await expect(tx).not.to.emit(registry, "TransferBatch");
    expect(await registry.balanceOf(buyer, parent)).to.equal(HELD - 4_000n);
    expect(await registry.balanceOf(buyer, child)).to.equal(4_000n);
    expect(await registry.kindOf(child)).to.equal(CertificateKind.GranularCertificate);
  });

  it("splits a whole parent into several children that sum exactly to it, minted in one TransferBatch", async () => {
    const { registry, buyer, gc } = await withHoldings();
    const parent = gc[1];
    const amounts = [1n, 2_999n, 7_000n];
    expect(amounts.reduce((a, b) => a + b)).to.equal(HELD);
    const expectedChildren = await registry.connect(buyer).split.staticCall(buyer, parent, amounts);

    const tx = await registry.connect(buyer).split(buyer, parent, amounts);

    const [event] = await eventsOf(registry, tx, "Split");
    const childIds = [...event.args.childIds] as bigint[];
    expect(childIds).to.deep.equal([...expectedChildren]);
    expect([event.args.parentId, event.args.holder, [...event.args.amounts]]).to.deep.equal([parent, buyer.address, amounts]);
    expect(childIds).to.deep.equal(childIds.map((_, i) => childIds[0] + BigInt(i)));
    await expect(tx).to.emit(registry, "TransferSingle").withArgs(buyer.address, buyer.address, ethers.ZeroAddress, parent, HELD);
    await expect(tx).to.emit(registry, "TransferBatch").withArgs(buyer.address, ethers.ZeroAddress, buyer.address, childIds, amounts);
    expect(await registry.balanceOf(buyer, parent)).to.equal(0n);
    expect(await registry.balanceOfBatch(childIds.map(() => buyer.address), childIds)).to.deep.equal(amounts);
  });

  for (const kind of ALL_KINDS) {
    it(`gives the children of ${KIND_NAMES[kind]} certificates the parent's kind`, async () => {
      const { registry, buyer, byKind } = await withHoldings();
      const tx = await registry.connect(buyer).split(buyer, byKind[kind], [1n, 2n]);
      const [event] = await eventsOf(registry, tx, "Split");
      for (const child of event.args.childIds as bigint[]) expect(await registry.kindOf(child)).to.equal(kind);
    });
  }

  it("gives children fresh ids that later issuance does not reuse", async () => {
    const d = await withHoldings();
    const { registry, buyer, gc, byKind } = d;
    const children = [...(await registry.connect(buyer).split.staticCall(buyer, gc[0], [1n, 1n]))];
    await registry.connect(buyer).split(buyer, gc[0], [1n, 1n]);
    const later = await mintEach(d, buyer, CertificateKind.GranularCertificate, 2);
    const all = [...gc, ...byKind, ...children, ...later];
    expect(new Set(all).size).to.equal(all.length);
  });

  it("refuses an empty split or a zero child (ZeroAmount), burning nothing", async () => {
    const { registry, buyer, gc } = await withHoldings();
    await expect(registry.connect(buyer).split(buyer, gc[0], [])).to.be.revertedWithCustomError(registry, "ZeroAmount");
    await expect(registry.connect(buyer).split(buyer, gc[0], [5n, 0n])).to.be.revertedWithCustomError(registry, "ZeroAmount");
    expect(await registry.balanceOf(buyer, gc[0])).to.equal(HELD);
  });

  it("refuses children summing to more than the balance (ERC1155InsufficientBalance)", async () => {
    const { registry, buyer, gc } = await withHoldings();
    await expect(registry.connect(buyer).split(buyer, gc[0], [HELD, 1n]))
      .to.be.revertedWithCustomError(registry, "ERC1155InsufficientBalance")
      .withArgs(buyer.address, HELD, HELD + 1n, gc[0]);
  });

  it("lets an approved operator split for the holder (children go to the holder) and refuses an unapproved one", async () => {
    const { registry, buyer, developer, other, gc } = await withHoldings();
    await registry.connect(buyer).setApprovalForAll(developer, true);
    const tx = await registry.connect(developer).split(buyer, gc[0], [10n, 20n]);
    const [event] = await eventsOf(registry, tx, "Split");
    const childIds = [...event.args.childIds] as bigint[];
    expect(await registry.balanceOfBatch([buyer, buyer], childIds)).to.deep.equal([10n, 20n]);
    expect(await registry.balanceOfBatch([developer, developer], childIds)).to.deep.equal([0n, 0n]);

    await expect(registry.connect(other).split(buyer, gc[0], [1n]))
      .to.be.revertedWithCustomError(registry, "ERC1155MissingApprovalForAll")
      .withArgs(other.address, buyer.address);
  });
});
