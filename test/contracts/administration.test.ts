import { expect } from "chai";
import { ethers } from "hardhat";
import { BASE_URI, CertificateKind, freshNonce, signVoucher } from "../support/registry";
import {
  HELD,
  deployed,
  freshRef,
  movements,
  recentCertificates,
  voucher,
  withHoldings,
  type Account,
  type Holdings,
} from "../support/fixtures";

const REASON = ethers.id("meter found tampered; see case 42");

type RoleName = "DEFAULT_ADMIN_ROLE" | "ISSUER_ROLE" | "RESERVATION_RECORDER_ROLE" | "PAUSER_ROLE";

describe("administration", () => {
  describe("role checks", () => {
    const gated: [string, RoleName, (h: Holdings, caller: Account) => Promise<unknown>][] = [
      ["invalidateVoucher", "ISSUER_ROLE", (h, c) => h.registry.connect(c).invalidateVoucher(freshNonce())],
      ["recordStandardSerials", "ISSUER_ROLE", (h, c) => h.registry.connect(c).recordStandardSerials(h.gc[0], "IREC-1", "IREC-2")],
      ["revoke", "DEFAULT_ADMIN_ROLE", (h, c) => h.registry.connect(c).revoke(h.gc[0], REASON)],
      ["setBaseURI", "DEFAULT_ADMIN_ROLE", (h, c) => h.registry.connect(c).setBaseURI("ipfs://x/")],
      ["setReleaseHoldPeriod", "DEFAULT_ADMIN_ROLE", (h, c) => h.registry.connect(c).setReleaseHoldPeriod(0n)],
      ["pause", "PAUSER_ROLE", (h, c) => h.registry.connect(c).pause()],
      ["unpause", "PAUSER_ROLE", (h, c) => h.registry.connect(c).unpause()],
      [
        "createReservation",
        "RESERVATION_RECORDER_ROLE",
        (h, c) => h.registry.connect(c).createReservation(freshRef("reservation"), h.buyer, 1n, 2n, 0, 0, 1n, false, []),
      ],
      ["addDevices", "RESERVATION_RECORDER_ROLE", (h, c) => h.registry.connect(c).addDevices(freshRef("reservation"), [freshRef("device")])],
      ["removeDevices", "RESERVATION_RECORDER_ROLE", (h, c) => h.registry.connect(c).removeDevices(freshRef("reservation"), [freshRef("device")])],
      ["endReservation", "RESERVATION_RECORDER_ROLE", (h, c) => h.registry.connect(c).endReservation(freshRef("reservation"))],
    ];
    for (const [fn, roleName, call] of gated) {
      it(`${fn} requires ${roleName} (AccessControlUnauthorizedAccount)`, async () => {
        const h = await withHoldings();
        const role = await h.registry[roleName]();
        // Outsiders and the holders of every other role are refused.
        const holders: Record<RoleName, Account> = {
          DEFAULT_ADMIN_ROLE: h.admin,
          ISSUER_ROLE: h.issuer,
          RESERVATION_RECORDER_ROLE: h.recorder,
          PAUSER_ROLE: h.pauser,
        };
        const refused = [h.other, ...Object.entries(holders).filter(([name]) => name !== roleName).map(([, a]) => a)];
        for (const caller of refused) {
          expect(await h.registry.hasRole(role, caller)).to.equal(false);
          await expect(call(h, caller))
            .to.be.revertedWithCustomError(h.registry, "AccessControlUnauthorizedAccount")
            .withArgs(caller.address, role);
        }
        expect(await h.registry.hasRole(role, holders[roleName])).to.equal(true);
      });
    }
  });

  describe("revoke / isRevoked", () => {
    it("lets the admin revoke a certificate, which stays held but frozen", async () => {
      const { registry, admin, buyer, gc } = await withHoldings();
      await expect(registry.connect(admin).revoke(gc[0], REASON)).to.emit(registry, "CertificateRevoked").withArgs(gc[0], REASON);
      expect(await registry.isRevoked(gc[0])).to.equal(true);
      expect(await registry.isRevoked(gc[1])).to.equal(false);
      expect(await registry.balanceOf(buyer, gc[0])).to.equal(HELD);
    });

    it("refuses to revoke twice (CertificateAlreadyRevoked)", async () => {
      const { registry, admin, gc } = await withHoldings();
      await registry.connect(admin).revoke(gc[0], REASON);
      await expect(registry.connect(admin).revoke(gc[0], REASON))
        .to.be.revertedWithCustomError(registry, "CertificateAlreadyRevoked")
        .withArgs(gc[0]);
    });

    it("blocks every movement of a revoked id (CertificateIsRevoked) while other ids still move", async () => {
      const h = await withHoldings();
      const { registry, admin, buyer, other, gc } = h;
      await registry.connect(admin).revoke(gc[0], REASON);
      await registry.connect(buyer).setApprovalForAll(other, true);
      for (const [name, move] of movements(h, gc[0], gc[1])) {
        await expect(move(), name).to.be.revertedWithCustomError(registry, "CertificateIsRevoked").withArgs(gc[0]);
      }
      await expect(registry.connect(other).safeTransferFrom(buyer, other, gc[0], 1n, "0x"))
        .to.be.revertedWithCustomError(registry, "CertificateIsRevoked")
        .withArgs(gc[0]);
      expect(await registry.balanceOf(buyer, gc[0])).to.equal(HELD);
      expect(await registry.claimedBalanceOf(buyer, gc[0])).to.equal(0n);
      for (const [name, move] of movements(h, gc[1], gc[2])) await expect(move(), name).not.to.be.reverted;
    });
  });

  describe("pause / unpause", () => {
    it("stops issuance, transfers, claims, retirements and splits (EnforcedPause) until unpaused", async () => {
      const h = await withHoldings();
      const { registry, pauser, issuer, buyer } = h;
      const v = voucher(buyer, CertificateKind.GranularCertificate, await recentCertificates(1));
      const signature = await signVoucher(registry, issuer, v);

      await expect(registry.connect(pauser).pause()).to.emit(registry, "Paused").withArgs(pauser.address);
      expect(await registry.paused()).to.equal(true);
      const blocked: [string, () => Promise<unknown>][] = [
        ["issue", () => registry.issue(v, signature)],
        ["issueBatch", () => registry.issueBatch([v], [signature])],
        ...movements(h, h.gc[0], h.gc[1]),
      ];
      for (const [name, call] of blocked) await expect(call(), name).to.be.revertedWithCustomError(registry, "EnforcedPause");
      expect(await registry.isVoucherUsed(v.nonce)).to.equal(false);

      await expect(registry.connect(pauser).unpause()).to.emit(registry, "Unpaused").withArgs(pauser.address);
      expect(await registry.paused()).to.equal(false);
      await expect(registry.issue(v, signature)).to.emit(registry, "VoucherRedeemed");
      for (const [name, move] of movements(h, h.gc[0], h.gc[1])) await expect(move(), name).not.to.be.reverted;
    });

    it("refuses to pause twice (EnforcedPause) or unpause when running (ExpectedPause)", async () => {
      const { registry, pauser } = await deployed();
      await expect(registry.connect(pauser).unpause()).to.be.revertedWithCustomError(registry, "ExpectedPause");
      await registry.connect(pauser).pause();
      await expect(registry.connect(pauser).pause()).to.be.revertedWithCustomError(registry, "EnforcedPause");
    });
  });

  describe("setBaseURI / uri", () => {
    it("serves the base URI followed by the decimal id, before and after a change", async () => {
      const { registry, admin, byKind } = await withHoldings();
      for (const id of byKind) expect(await registry.uri(id)).to.equal(`${BASE_URI}${id.toString(10)}`);

      const next = "ipfs://bafy-registry-metadata/";
      await expect(registry.connect(admin).setBaseURI(next)).to.emit(registry, "BaseURIChanged").withArgs(next);
      for (const id of byKind) expect(await registry.uri(id)).to.equal(`${next}${id.toString(10)}`);
    });
  });

  describe("supportsInterface", () => {
    const supported: [string, string][] = [
      ["ERC-1155", "0xd9b67a26"],
      ["ERC-1155 metadata URI", "0x0e89341c"],
      ["AccessControl", "0x7965db0b"],
      ["ERC-165", "0x01ffc9a7"],
    ];
    for (const [name, interfaceId] of supported) {
      it(`reports ${name} (${interfaceId})`, async () => {
        const { registry } = await deployed();
        expect(await registry.supportsInterface(interfaceId)).to.equal(true);
      });
    }

    it("denies an unknown interface and the ERC-165 invalid id 0xffffffff", async () => {
      const { registry } = await deployed();
      expect(await registry.supportsInterface("0x12345678")).to.equal(false);
      expect(await registry.supportsInterface("0xffffffff")).to.equal(false);
    });
  });
});
