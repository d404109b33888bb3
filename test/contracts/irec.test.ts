import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { CertificateKind, DAY, Standard, deployRegistry, now, signVoucher } from "../support/registry";
import { GC_KINDS, HELD, KIND_NAMES, certificate, eventsOf, mintEach, movements, reserve, submit, voucher, type Account } from "../support/fixtures";

const DREC = CertificateKind.DRec;
const FIRST = "IREC-GB-0001-000000001";
const LAST = "IREC-GB-0001-000010000";

/**
 * A registry where `buyer` holds two provisional D-RECs of an I-REC reservation (`provisional`, {HELD} Wh
 * each) and one active GC (`active`) to move alongside them.
 */
async function irecFixture() {
  const d = await deployRegistry();
  const t = await now();
  const irec = await reserve(d, { buyer: d.buyer, start: t - 10n * DAY, end: t + 10n * DAY, standard: Standard.IRec, canExceedTarget: true });
  const v = voucher(d.buyer, DREC, [certificate(irec.id, t - 3n * DAY, t - 2n * DAY, HELD), certificate(irec.id, t - 2n * DAY, t - DAY, HELD)]);
  const { ids: provisional } = await submit(d, v);
  const [active] = await mintEach(d, d.buyer, CertificateKind.GranularCertificate, 1);
  return { ...d, irec, provisional, active };
}
const withProvisional = () => loadFixture(irecFixture);

describe("I-REC provisional certificates", () => {
  describe("issuance", () => {
    it("mints the D-RECs of an I-REC reservation provisional, to the buyer, counted towards the reservation", async () => {
      const { registry, buyer, irec, provisional } = await withProvisional();
      for (const id of provisional) {
        expect(await registry.isProvisional(id)).to.equal(true);
        expect(await registry.isRevoked(id)).to.equal(false);
        expect(await registry.balanceOf(buyer, id)).to.equal(HELD);
      }
      expect((await registry.getReservation(irec.id)).issuedWh).to.equal(2n * HELD);
    });

    it("mints the D-RECs of a D-REC reservation active", async () => {
      const d = await withProvisional();
      const [id] = await mintEach(d, d.buyer, DREC, 1);
      expect(await d.registry.isProvisional(id)).to.equal(false);
      await expect(d.registry.connect(d.buyer).safeTransferFrom(d.buyer, d.other, id, 1n, "0x")).to.emit(d.registry, "TransferSingle");
    });

    it("decides per certificate: one voucher over an I-REC and a D-REC reservation mints one provisional, one active", async () => {
      const d = await withProvisional();
      const t = await now();
      const dRec = await reserve(d, { buyer: d.buyer, start: t - 10n * DAY, end: t + 10n * DAY, standard: Standard.DRec, canExceedTarget: true });
      const v = voucher(d.buyer, DREC, [certificate(d.irec.id, t - DAY, t, 5n), certificate(dRec.id, t - DAY, t, 7n)]);
      const { ids } = await submit(d, v);
      expect(await Promise.all(ids.map((id) => d.registry.isProvisional(id)))).to.deep.equal([true, false]);
    });

    it("issues provisional certificates through issueBatch too, next to active ones", async () => {
      const d = await withProvisional();
      const t = await now();
      const vouchers = [voucher(d.buyer, DREC, [certificate(d.irec.id, t - DAY, t, 3n)]), voucher(d.buyer, CertificateKind.GranularCertificate, [certificate(d.irec.id, t - DAY, t, 4n)])];
      const signatures = await Promise.all(vouchers.map((v) => signVoucher(d.registry, d.issuer, v)));
      const tx = await d.registry.connect(d.developer).issueBatch(vouchers, signatures);
      const ids = (await eventsOf(d.registry, tx, "CertificateIssued")).map((e) => e.args.id as bigint);
      expect(await Promise.all(ids.map((id) => d.registry.isProvisional(id)))).to.deep.equal([true, false]);
    });

    it("keeps an id revoked before it was minted revoked: an I-REC mint does not make it provisional, then movable", async () => {
      const d = await withProvisional();
      const t = await now();
      // Serials are handed out in order across kinds: the next one follows the fixture's GC.
      const next = (d.active & ((1n << 248n) - 1n)) + 1n;
      await d.registry.connect(d.admin).revoke(next, ethers.ZeroHash);
      const { ids } = await submit(d, voucher(d.buyer, DREC, [certificate(d.irec.id, t - DAY, t, 5n)]));
      expect(ids[0]).to.equal(next);
      expect(await d.registry.isRevoked(next)).to.equal(true);
      expect(await d.registry.isProvisional(next)).to.equal(false);
      await expect(d.registry.connect(d.issuer).recordStandardSerials(next, FIRST, LAST)).to.be.revertedWithCustomError(d.registry, "CertificateNotProvisional");
    });

    for (const kind of GC_KINDS) {
      it(`never mints ${KIND_NAMES[kind]} certificates provisional, even with an I-REC reservation's id as their ref`, async () => {
        const d = await withProvisional();
        const t = await now();
        const { ids } = await submit(d, voucher(d.buyer, kind, [certificate(d.irec.id, t - DAY, t, 9n)]));
        expect(await d.registry.isProvisional(ids[0])).to.equal(false);
        await expect(d.registry.connect(d.buyer).claim(d.buyer, ids[0], 1n, "Beneficiary", ethers.ZeroHash)).to.emit(d.registry, "Retired");
      });
    }
  });

  describe("while provisional", () => {
    it("blocks every movement of the id (CertificateIsProvisional), also by an approved operator, while other ids still move", async () => {
      const d = await withProvisional();
      const { registry, buyer, other, provisional, active } = d;
      await registry.connect(buyer).setApprovalForAll(other, true);
      for (const [name, move] of movements(d, provisional[0], active)) {
        await expect(move(), name).to.be.revertedWithCustomError(registry, "CertificateIsProvisional").withArgs(provisional[0]);
      }
      await expect(registry.connect(other).safeTransferFrom(buyer, other, provisional[0], 1n, "0x"))
        .to.be.revertedWithCustomError(registry, "CertificateIsProvisional")
        .withArgs(provisional[0]);
      expect(await registry.balanceOf(buyer, provisional[0])).to.equal(HELD);
      expect(await registry.claimedBalanceOf(buyer, provisional[0])).to.equal(0n);
      await expect(registry.connect(buyer).safeTransferFrom(buyer, other, active, 1n, "0x")).to.emit(registry, "TransferSingle");
    });

    it("lets only the issuer record serials (AccessControlUnauthorizedAccount), leaving the id provisional", async () => {
      const { registry, admin, recorder, pauser, buyer, other, developer, provisional } = await withProvisional();
      const role = await registry.ISSUER_ROLE();
      for (const caller of [admin, recorder, pauser, buyer, other, developer] as Account[]) {
        await expect(registry.connect(caller).recordStandardSerials(provisional[0], FIRST, LAST))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, role);
      }
      expect(await registry.isProvisional(provisional[0])).to.equal(true);
    });

    for (const [what, first, last] of [
      ["an empty first serial", "", LAST],
      ["an empty last serial", FIRST, ""],
      ["both serials empty", "", ""],
    ] as const) {
      it(`refuses ${what} (EmptySerial), leaving the id provisional`, async () => {
        const { registry, issuer, provisional } = await withProvisional();
        await expect(registry.connect(issuer).recordStandardSerials(provisional[0], first, last)).to.be.revertedWithCustomError(registry, "EmptySerial");
        expect(await registry.isProvisional(provisional[0])).to.equal(true);
      });
    }
  });

  describe("recordStandardSerials", () => {
    it("emits StandardSerialsRecorded and activates only that id, which then moves, claims, splits and retires", async () => {
      const d = await withProvisional();
      const { registry, issuer, buyer, provisional, active } = d;
      const tx = await registry.connect(issuer).recordStandardSerials(provisional[0], FIRST, LAST);
      await expect(tx).to.emit(registry, "StandardSerialsRecorded").withArgs(provisional[0], FIRST, LAST);
      // Recording moves no tokens.
      await expect(tx).not.to.emit(registry, "TransferSingle");
      expect(await registry.isProvisional(provisional[0])).to.equal(false);
      expect(await registry.isProvisional(provisional[1])).to.equal(true);
      expect(await registry.balanceOf(buyer, provisional[0])).to.equal(HELD);

      for (const [name, move] of movements(d, provisional[0], active)) await expect(move(), name).not.to.be.reverted;
      const moved = movements(d, provisional[0], active).length;
      expect(await registry.balanceOf(buyer, provisional[0])).to.equal(HELD - BigInt(moved));
      await expect(movements(d, provisional[1], active)[0][1]())
        .to.be.revertedWithCustomError(registry, "CertificateIsProvisional")
        .withArgs(provisional[1]);
    });

    it("gives the children of a recorded certificate active status", async () => {
      const { registry, issuer, buyer, other, provisional } = await withProvisional();
      await registry.connect(issuer).recordStandardSerials(provisional[0], FIRST, LAST);
      const [event] = await eventsOf(registry, await registry.connect(buyer).split(buyer, provisional[0], [10n, 20n]), "Split");
      for (const child of event.args.childIds as bigint[]) {
        expect(await registry.isProvisional(child)).to.equal(false);
        await expect(registry.connect(buyer).safeTransferFrom(buyer, other, child, 1n, "0x")).to.emit(registry, "TransferSingle");
      }
    });

    it("records a range once: a second recording is refused (CertificateNotProvisional)", async () => {
      const { registry, issuer, provisional } = await withProvisional();
      await registry.connect(issuer).recordStandardSerials(provisional[0], FIRST, LAST);
      await expect(registry.connect(issuer).recordStandardSerials(provisional[0], "IREC-OTHER-1", "IREC-OTHER-2"))
        .to.be.revertedWithCustomError(registry, "CertificateNotProvisional")
        .withArgs(provisional[0]);
    });

    it("refuses ids that were never provisional (CertificateNotProvisional): a GC, a D-REC of a D-REC reservation, an unminted id", async () => {
      const d = await withProvisional();
      const [dRec] = await mintEach(d, d.buyer, DREC, 1);
      const unminted = d.provisional[1] + 1_000n;
      expect(await d.registry.isProvisional(unminted)).to.equal(false);
      for (const id of [d.active, dRec, unminted]) {
        await expect(d.registry.connect(d.issuer).recordStandardSerials(id, FIRST, LAST))
          .to.be.revertedWithCustomError(d.registry, "CertificateNotProvisional")
          .withArgs(id);
      }
    });

    it("records serials while the registry is paused, as it moves no tokens", async () => {
      const { registry, issuer, pauser, provisional } = await withProvisional();
      await registry.connect(pauser).pause();
      await expect(registry.connect(issuer).recordStandardSerials(provisional[0], FIRST, LAST)).to.emit(registry, "StandardSerialsRecorded");
      expect(await registry.isProvisional(provisional[0])).to.equal(false);
    });
  });

  describe("revoking a provisional certificate", () => {
    it("revokes it: no longer provisional, still frozen (CertificateIsRevoked), and its serials can no longer be recorded", async () => {
      const d = await withProvisional();
      const { registry, admin, issuer, buyer, provisional, active } = d;
      const reason = ethers.id("I-REC registry refused the issuance");
      await expect(registry.connect(admin).revoke(provisional[0], reason)).to.emit(registry, "CertificateRevoked").withArgs(provisional[0], reason);
      expect(await registry.isRevoked(provisional[0])).to.equal(true);
      expect(await registry.isProvisional(provisional[0])).to.equal(false);
      for (const [name, move] of movements(d, provisional[0], active)) {
        await expect(move(), name).to.be.revertedWithCustomError(registry, "CertificateIsRevoked").withArgs(provisional[0]);
      }
      await expect(registry.connect(issuer).recordStandardSerials(provisional[0], FIRST, LAST))
        .to.be.revertedWithCustomError(registry, "CertificateNotProvisional")
        .withArgs(provisional[0]);
      await expect(registry.connect(admin).revoke(provisional[0], reason))
        .to.be.revertedWithCustomError(registry, "CertificateAlreadyRevoked")
        .withArgs(provisional[0]);
      expect(await registry.balanceOf(buyer, provisional[0])).to.equal(HELD);
      expect(await registry.isProvisional(provisional[1])).to.equal(true);
    });

    it("revokes a certificate whose serials were recorded like any active one", async () => {
      const { registry, admin, issuer, provisional } = await withProvisional();
      await registry.connect(issuer).recordStandardSerials(provisional[0], FIRST, LAST);
      await registry.connect(admin).revoke(provisional[0], ethers.ZeroHash);
      expect([await registry.isRevoked(provisional[0]), await registry.isProvisional(provisional[0])]).to.deep.equal([true, false]);
    });
  });
});
