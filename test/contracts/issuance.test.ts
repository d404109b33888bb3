import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { CertificateKind, deployRegistry, freshNonce, now, signVoucher, voucherTypedData, type Voucher, type VoucherCertificate } from "../support/registry";
import {
  ALL_KINDS,
  KIND_NAMES,
  KIND_SHIFT,
  addr,
  blockTimeOf,
  deployed,
  eventsOf,
  mintEach,
  recentCertificates,
  recoverSigner,
  submit,
  voucher,
  type Deployment,
} from "../support/fixtures";

const GC = CertificateKind.GranularCertificate;
const SERIAL_MASK = (1n << KIND_SHIFT) - 1n;

describe("issuance", () => {
  describe("issue", () => {
    it("mints a one-certificate voucher to its recipient with TransferSingle", async () => {
      const d = await deployed();
      const { registry, developer, buyer } = d;
      const v = voucher(buyer, GC, await recentCertificates(1));
      const [c] = v.certificates;
      expect(await registry.isVoucherUsed(v.nonce)).to.equal(false);

      const { tx, ids } = await submit(d, v, developer);

      expect(ids).to.have.length(1);
      const [id] = ids;
      await expect(tx).to.emit(registry, "CertificateIssued").withArgs(id, c.ref, c.amount, c.start, c.end, c.evidence);
      await expect(tx).to.emit(registry, "VoucherRedeemed").withArgs(v.nonce, buyer.address, id, 1);
      await expect(tx).to.emit(registry, "TransferSingle").withArgs(developer.address, ethers.ZeroAddress, buyer.address, id, c.amount);
      await expect(tx).not.to.emit(registry, "TransferBatch");
      expect(await registry.balanceOf(buyer, id)).to.equal(c.amount);
      expect(await registry.balanceOf(developer, id)).to.equal(0n);
      expect(await registry.kindOf(id)).to.equal(GC);
      expect(await registry.isVoucherUsed(v.nonce)).to.equal(true);
    });

    it("mints a many-certificate voucher as contiguous ids in one TransferBatch", async () => {
      const d = await deployed();
      const { registry, developer, buyer } = d;
      const v = voucher(buyer, CertificateKind.StorageDischargeCertificate, await recentCertificates(4));
      const amounts = v.certificates.map((c) => c.amount);

      const { tx, ids } = await submit(d, v, developer);

      expect(ids).to.deep.equal(ids.map((_, i) => ids[0] + BigInt(i)));
      const issued = (await eventsOf(registry, tx, "CertificateIssued")).map((e) => [...e.args]);
      expect(issued).to.deep.equal(v.certificates.map((c, i) => [ids[i], c.ref, c.amount, c.start, c.end, c.evidence]));
      await expect(tx).to.emit(registry, "VoucherRedeemed").withArgs(v.nonce, buyer.address, ids[0], v.certificates.length);
      await expect(tx).to.emit(registry, "TransferBatch").withArgs(developer.address, ethers.ZeroAddress, buyer.address, ids, amounts);
      await expect(tx).not.to.emit(registry, "TransferSingle");
      expect(await registry.balanceOfBatch(ids.map(() => buyer.address), ids)).to.deep.equal(amounts);
    });

    for (const kind of ALL_KINDS) {
      it(`puts the ${KIND_NAMES[kind]} kind in the top byte of the id (kindOf)`, async () => {
        const d = await deployed();
        const [id] = await mintEach(d, d.buyer, kind, 1);
        expect(id >> KIND_SHIFT).to.equal(BigInt(kind));
        expect(await d.registry.kindOf(id)).to.equal(kind);
      });
    }

    it("kindOf refuses an id whose top byte names no kind", async () => {
      const { registry } = await deployed();
      const id = (BigInt(ALL_KINDS.length) << KIND_SHIFT) | 1n;
      await expect(registry.kindOf(id)).to.be.revertedWithCustomError(registry, "UnknownCertificateKind").withArgs(id);
    });

    it("never reuses a serial across vouchers and kinds (one registry-wide serial)", async () => {
      const d = await deployed();
      const first = await mintEach(d, d.buyer, GC, 2);
      const second = await mintEach(d, d.buyer, CertificateKind.ImportedGranularCertificate, 2);
      const serials = [...first, ...second].map((id) => id & SERIAL_MASK);
      expect(new Set(serials).size).to.equal(serials.length);
    });

    it("lets anyone submit: the developer pays the gas and the tokens go to the buyer", async () => {
      const d = await deployed();
      const { registry, developer, buyer, issuer } = d;
      const v = voucher(buyer, GC, await recentCertificates(2));
      const balances = async () => Promise.all([developer, buyer, issuer].map((a) => ethers.provider.getBalance(a)));
      const [developerBefore, buyerBefore, issuerBefore] = await balances();

      const { tx, receipt, ids } = await submit(d, v, developer);

      expect(tx.from).to.equal(developer.address);
      const [developerAfter, buyerAfter, issuerAfter] = await balances();
      expect(receipt.fee).to.be.greaterThan(0n);
      expect(developerAfter).to.equal(developerBefore - receipt.fee);
      expect(buyerAfter).to.equal(buyerBefore);
      expect(issuerAfter).to.equal(issuerBefore);
      for (const [i, id] of ids.entries()) {
        expect(await registry.balanceOf(buyer, id)).to.equal(v.certificates[i].amount);
        expect(await registry.balanceOf(developer, id)).to.equal(0n);
      }
    });
  });

  describe("voucher validation", () => {
    it("refuses a replayed voucher and any other voucher with a used nonce", async () => {
      const d = await deployed();
      const { registry, issuer, other, buyer } = d;
      const v = voucher(buyer, GC, await recentCertificates(1));
      const { signature } = await submit(d, v);

      await expect(registry.connect(other).issue(v, signature))
        .to.be.revertedWithCustomError(registry, "VoucherAlreadyUsed")
        .withArgs(v.nonce);
      const sameNonce = voucher(other, GC, await recentCertificates(1), { nonce: v.nonce });
      await expect(registry.issue(sameNonce, await signVoucher(registry, issuer, sameNonce)))
        .to.be.revertedWithCustomError(registry, "VoucherAlreadyUsed")
        .withArgs(v.nonce);
    });

    it("accepts a voucher in the block whose time equals its deadline", async () => {
      const d = await deployed();
      const deadline = (await now()) + 100n;
      const v = voucher(d.buyer, GC, await recentCertificates(1), { deadline });
      const signature = await signVoucher(d.registry, d.issuer, v);

      await time.setNextBlockTimestamp(deadline);
      const tx = await d.registry.connect(d.developer).issue(v, signature);

      expect(await blockTimeOf(tx)).to.equal(deadline);
      await expect(tx).to.emit(d.registry, "VoucherRedeemed");
      expect(await d.registry.isVoucherUsed(v.nonce)).to.equal(true);
    });

    it("refuses a voucher one second after its deadline (VoucherExpired), leaving its nonce unused", async () => {
      const d = await deployed();
      const deadline = (await now()) + 100n;
      const v = voucher(d.buyer, GC, await recentCertificates(1), { deadline });
      const signature = await signVoucher(d.registry, d.issuer, v);

      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(d.registry.issue(v, signature))
        .to.be.revertedWithCustomError(d.registry, "VoucherExpired")
        .withArgs(v.nonce, deadline);
      expect(await d.registry.isVoucherUsed(v.nonce)).to.equal(false);
    });

    it("refuses a voucher signed by an account without the issuer role (InvalidVoucherSigner)", async () => {
      const d = await deployed();
      const { registry, admin, other, buyer } = d;
      for (const signer of [other, admin]) {
        const v = voucher(buyer, GC, await recentCertificates(1));
        await expect(registry.issue(v, await signVoucher(registry, signer, v)))
          .to.be.revertedWithCustomError(registry, "InvalidVoucherSigner")
          .withArgs(signer.address);
      }
    });

    it("follows the issuer role: a new issuer's vouchers work, a revoked issuer's do not", async () => {
      const d = await deployed();
      const { registry, admin, issuer, other, buyer } = d;
      const role = await registry.ISSUER_ROLE();
      await registry.connect(admin).grantRole(role, other);
      await registry.connect(admin).revokeRole(role, issuer);

      const byOther = voucher(buyer, GC, await recentCertificates(1));
      await expect(registry.issue(byOther, await signVoucher(registry, other, byOther))).to.emit(registry, "VoucherRedeemed");
      const byIssuer = voucher(buyer, GC, await recentCertificates(1));
      await expect(registry.issue(byIssuer, await signVoucher(registry, issuer, byIssuer)))
        .to.be.revertedWithCustomError(registry, "InvalidVoucherSigner")
        .withArgs(issuer.address);
    });

    it("refuses a signature made for another chain id (domain separation)", async () => {
      const { registry, issuer, buyer } = await deployed();
      const v = voucher(buyer, GC, await recentCertificates(1));
      const { chainId } = await ethers.provider.getNetwork();
      const signature = await signVoucher(registry, issuer, v, chainId + 1n);
      const recovered = await recoverSigner(registry, v, signature);

      expect(recovered).to.not.equal(issuer.address);
      await expect(registry.issue(v, signature)).to.be.revertedWithCustomError(registry, "InvalidVoucherSigner").withArgs(recovered);
    });

    it("refuses a signature made for another registry address (domain separation)", async () => {
      const { registry, issuer, buyer } = await deployed();
      const { registry: otherRegistry } = await deployRegistry();
      const v = voucher(buyer, GC, await recentCertificates(1));
      const signature = await signVoucher(otherRegistry, issuer, v);
      const recovered = await recoverSigner(registry, v, signature);

      expect(recovered).to.not.equal(issuer.address);
      await expect(registry.issue(v, signature)).to.be.revertedWithCustomError(registry, "InvalidVoucherSigner").withArgs(recovered);
      await expect(otherRegistry.issue(v, signature)).to.emit(otherRegistry, "VoucherRedeemed");
    });

    const tamperings: [string, (v: Voucher, d: Deployment) => Voucher][] = [
      ["recipient", (v, d) => ({ ...v, recipient: addr(d.other) })],
      ["kind", (v) => ({ ...v, kind: CertificateKind.ImportedGranularCertificate })],
      ["nonce", (v) => ({ ...v, nonce: freshNonce() })],
      ["deadline", (v) => ({ ...v, deadline: v.deadline - 1n })],
      ["certificate amount", (v) => withFirst(v, (c) => ({ ...c, amount: c.amount + 1n }))],
      ["certificate ref", (v) => withFirst(v, (c) => ({ ...c, ref: ethers.id("forged device") as `0x${string}` }))],
      ["certificate start", (v) => withFirst(v, (c) => ({ ...c, start: c.start - 1n }))],
      ["certificate end", (v) => withFirst(v, (c) => ({ ...c, end: c.end - 1n }))],
      ["certificate evidence", (v) => withFirst(v, (c) => ({ ...c, evidence: ethers.id("forged evidence") as `0x${string}` }))],
      ["certificate list (one dropped)", (v) => ({ ...v, certificates: v.certificates.slice(1) })],
    ];
    for (const [field, tamper] of tamperings) {
      it(`refuses a voucher whose ${field} changed after signing`, async () => {
        const d = await deployed();
        const signed = voucher(d.buyer, GC, await recentCertificates(2));
        const signature = await signVoucher(d.registry, d.issuer, signed);
        const tampered = tamper(signed, d);
        const recovered = await recoverSigner(d.registry, tampered, signature);

        expect(recovered).to.not.equal(d.issuer.address);
        await expect(d.registry.issue(tampered, signature))
          .to.be.revertedWithCustomError(d.registry, "InvalidVoucherSigner")
          .withArgs(recovered);
        await expect(d.registry.issue(signed, signature)).to.emit(d.registry, "VoucherRedeemed");
      });
    }

    it("refuses a voucher without certificates (EmptyVoucher)", async () => {
      const d = await deployed();
      const v = voucher(d.buyer, GC, []);
      await expect(d.registry.issue(v, await signVoucher(d.registry, d.issuer, v)))
        .to.be.revertedWithCustomError(d.registry, "EmptyVoucher")
        .withArgs(v.nonce);
    });

    const invalid: [string, number, (c: VoucherCertificate) => VoucherCertificate][] = [
      ["a zero amount", 2, (c) => ({ ...c, amount: 0n })],
      ["start equal to end", 1, (c) => ({ ...c, start: c.end })],
      ["start after end", 1, (c) => ({ ...c, start: c.end + 1n })],
      ["a zero ref", 0, (c) => ({ ...c, ref: ethers.ZeroHash as `0x${string}` })],
    ];
    for (const [what, index, breakIt] of invalid) {
      it(`refuses a certificate with ${what} (InvalidCertificate with its index)`, async () => {
        const d = await deployed();
        const certificates = await recentCertificates(3);
        certificates[index] = breakIt(certificates[index]);
        const v = voucher(d.buyer, GC, certificates);
        await expect(d.registry.issue(v, await signVoucher(d.registry, d.issuer, v)))
          .to.be.revertedWithCustomError(d.registry, "InvalidCertificate")
          .withArgs(index);
        expect(await d.registry.isVoucherUsed(v.nonce)).to.equal(false);
      });
    }

    it("refuses a certificate ending after the block time, and accepts one ending exactly at it", async () => {
      const d = await deployed();
      const { registry, issuer, buyer } = d;
      const blockTime = (await now()) + 50n;
      const certificates = await recentCertificates(2);
      const future = voucher(buyer, GC, [certificates[0], { ...certificates[1], end: blockTime + 1n }]);
      await time.setNextBlockTimestamp(blockTime);
      await expect(registry.issue(future, await signVoucher(registry, issuer, future)))
        .to.be.revertedWithCustomError(registry, "InvalidCertificate")
        .withArgs(1);

      const boundary = (await now()) + 50n;
      const exact = voucher(buyer, GC, [certificates[0], { ...certificates[1], end: boundary }]);
      const signature = await signVoucher(registry, issuer, exact);
      await time.setNextBlockTimestamp(boundary);
      await expect(registry.issue(exact, signature)).to.emit(registry, "VoucherRedeemed");
    });
  });

  describe("voucherDigest", () => {
    for (const count of [0, 1, 3]) {
      it(`equals ethers' EIP-712 hash of the same voucher (${count} certificates)`, async () => {
        const { registry, buyer } = await deployed();
        const v = voucher(buyer, CertificateKind.DRec, await recentCertificates(count), { deadline: 1_234_567n });
        const { domain, types } = await voucherTypedData(registry);
        expect(await registry.voucherDigest(v)).to.equal(ethers.TypedDataEncoder.hash(domain, types, v));
      });
    }
  });

  describe("invalidateVoucher / isVoucherUsed", () => {
    it("lets the issuer invalidate a signed voucher so it can no longer be redeemed", async () => {
      const { registry, issuer, buyer } = await deployed();
      const v = voucher(buyer, GC, await recentCertificates(1));
      const signature = await signVoucher(registry, issuer, v);

      await expect(registry.connect(issuer).invalidateVoucher(v.nonce)).to.emit(registry, "VoucherInvalidated").withArgs(v.nonce);
      expect(await registry.isVoucherUsed(v.nonce)).to.equal(true);
      await expect(registry.issue(v, signature)).to.be.revertedWithCustomError(registry, "VoucherAlreadyUsed").withArgs(v.nonce);
    });

    it("refuses to invalidate a nonce already redeemed or invalidated", async () => {
      const d = await deployed();
      const { registry, issuer, buyer } = d;
      const redeemed = voucher(buyer, GC, await recentCertificates(1));
      await submit(d, redeemed);
      await expect(registry.connect(issuer).invalidateVoucher(redeemed.nonce))
        .to.be.revertedWithCustomError(registry, "VoucherAlreadyUsed")
        .withArgs(redeemed.nonce);
      const nonce = freshNonce();
      await registry.connect(issuer).invalidateVoucher(nonce);
      await expect(registry.connect(issuer).invalidateVoucher(nonce))
        .to.be.revertedWithCustomError(registry, "VoucherAlreadyUsed")
        .withArgs(nonce);
    });

    it("tracks each nonce on its own, including neighbours in one bitmap word and the largest nonce", async () => {
      const { registry, issuer } = await deployed();
      const base = 2n ** 200n;
      const used = [base + 5n, 2n ** 256n - 1n];
      for (const nonce of used) await registry.connect(issuer).invalidateVoucher(nonce);
      for (const nonce of used) expect(await registry.isVoucherUsed(nonce)).to.equal(true);
      for (const nonce of [base, base + 4n, base + 6n, base + 255n, base + 256n + 5n, 2n ** 256n - 2n, 0n]) {
        expect(await registry.isVoucherUsed(nonce)).to.equal(false, `nonce ${nonce}`);
      }
    });
  });

  describe("issueBatch", () => {
    it("redeems a single one-certificate voucher with TransferSingle", async () => {
      const { registry, issuer, developer, buyer } = await deployed();
      const v = voucher(buyer, GC, await recentCertificates(1));
      const tx = await registry.connect(developer).issueBatch([v], [await signVoucher(registry, issuer, v)]);
      const [issued] = await eventsOf(registry, tx, "CertificateIssued");
      const id = issued.args.id as bigint;

      await expect(tx).to.emit(registry, "VoucherRedeemed").withArgs(v.nonce, buyer.address, id, 1);
      await expect(tx)
        .to.emit(registry, "TransferSingle")
        .withArgs(developer.address, ethers.ZeroAddress, buyer.address, id, v.certificates[0].amount);
      await expect(tx).not.to.emit(registry, "TransferBatch");
      expect(await registry.balanceOf(buyer, id)).to.equal(v.certificates[0].amount);
    });

    it("redeems several vouchers with contiguous ids and one transfer event per voucher", async () => {
      const { registry, issuer, developer, buyer, other } = await deployed();
      const vouchers = [
        voucher(buyer, GC, await recentCertificates(2)),
        voucher(other, CertificateKind.StorageDischargeCertificate, await recentCertificates(1)),
        voucher(buyer, CertificateKind.ImportedGranularCertificate, await recentCertificates(3)),
      ];
      const signatures = await Promise.all(vouchers.map((v) => signVoucher(registry, issuer, v)));

      const tx = await registry.connect(developer).issueBatch(vouchers, signatures);

      const ids = (await eventsOf(registry, tx, "CertificateIssued")).map((e) => e.args.id as bigint);
      const firsts = [ids[0], ids[2], ids[3]];
      // Within a voucher: contiguous ids of the voucher's kind.
      expect(ids).to.deep.equal([firsts[0], firsts[0] + 1n, firsts[1], firsts[2], firsts[2] + 1n, firsts[2] + 2n]);
      for (const [i, v] of vouchers.entries()) expect(firsts[i] >> KIND_SHIFT).to.equal(BigInt(v.kind));
      const serials = ids.map((id) => id & SERIAL_MASK);
      expect(new Set(serials).size).to.equal(serials.length);
      const redeemed = (await eventsOf(registry, tx, "VoucherRedeemed")).map((e) => [...e.args]);
      expect(redeemed).to.deep.equal(vouchers.map((v, i) => [v.nonce, v.recipient, firsts[i], BigInt(v.certificates.length)]));
      const single = (await eventsOf(registry, tx, "TransferSingle")).map((e) => [...e.args]);
      const batch = (await eventsOf(registry, tx, "TransferBatch")).map((e) => [e.args[0], e.args[1], e.args[2], [...e.args[3]], [...e.args[4]]]);
      const amounts = vouchers.map((v) => v.certificates.map((c) => c.amount));
      expect(single).to.deep.equal([[developer.address, ethers.ZeroAddress, other.address, ids[2], amounts[1][0]]]);
      expect(batch).to.deep.equal([
        [developer.address, ethers.ZeroAddress, buyer.address, ids.slice(0, 2), amounts[0]],
        [developer.address, ethers.ZeroAddress, buyer.address, ids.slice(3), amounts[2]],
      ]);
      for (const v of vouchers) expect(await registry.isVoucherUsed(v.nonce)).to.equal(true);
    });

    const badLast: [string, string, (d: Deployment, good: Voucher) => Promise<[Voucher, string, unknown[]]>][] = [
      [
        "an expired voucher",
        "VoucherExpired",
        async (d) => {
          const deadline = (await now()) - 1n;
          const v = voucher(d.buyer, GC, await recentCertificates(1), { deadline });
          return [v, await signVoucher(d.registry, d.issuer, v), [v.nonce, deadline]];
        },
      ],
      [
        "a voucher signed by a non-issuer",
        "InvalidVoucherSigner",
        async (d) => {
          const v = voucher(d.buyer, GC, await recentCertificates(1));
          return [v, await signVoucher(d.registry, d.other, v), [d.other.address]];
        },
      ],
      [
        "a voucher repeating an earlier nonce of the batch",
        "VoucherAlreadyUsed",
        async (d, good) => {
          const v = voucher(d.other, GC, await recentCertificates(1), { nonce: good.nonce });
          return [v, await signVoucher(d.registry, d.issuer, v), [good.nonce]];
        },
      ],
      [
        "a voucher with an invalid certificate",
        "InvalidCertificate",
        async (d) => {
          const [c] = await recentCertificates(1);
          const v = voucher(d.buyer, GC, [{ ...c, amount: 0n }]);
          return [v, await signVoucher(d.registry, d.issuer, v), [0]];
        },
      ],
    ];
    for (const [what, error, makeBad] of badLast) {
      it(`mints nothing when the last voucher is ${what} (${error})`, async () => {
        const d = await deployed();
        const { registry, issuer, buyer } = d;
        const good = [voucher(buyer, GC, await recentCertificates(2)), voucher(buyer, GC, await recentCertificates(1))];
        const goodSignatures = await Promise.all(good.map((v) => signVoucher(registry, issuer, v)));
        const [bad, badSignature, args] = await makeBad(d, good[0]);

        await expect(registry.issueBatch([...good, bad], [...goodSignatures, badSignature]))
          .to.be.revertedWithCustomError(registry, error)
          .withArgs(...args);

        for (const v of good) expect(await registry.isVoucherUsed(v.nonce)).to.equal(false);
        // The good vouchers are still redeemable, and mint exactly once.
        const tx = await registry.issueBatch(good, goodSignatures);
        const ids = (await eventsOf(registry, tx, "CertificateIssued")).map((e) => e.args.id as bigint);
        const amounts = good.flatMap((v) => v.certificates.map((c) => c.amount));
        expect(await registry.balanceOfBatch(ids.map(() => buyer.address), ids)).to.deep.equal(amounts);
      });
    }

    it("refuses arrays of different lengths (ArrayLengthMismatch)", async () => {
      const { registry, issuer, buyer } = await deployed();
      const vouchers = [voucher(buyer, GC, await recentCertificates(1)), voucher(buyer, GC, await recentCertificates(1))];
      await expect(registry.issueBatch(vouchers, [await signVoucher(registry, issuer, vouchers[0])]))
        .to.be.revertedWithCustomError(registry, "ArrayLengthMismatch")
        .withArgs(2, 1);
    });
  });
});

function withFirst(v: Voucher, change: (c: VoucherCertificate) => VoucherCertificate): Voucher {
  return { ...v, certificates: [change(v.certificates[0]), ...v.certificates.slice(1)] };
}
