import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { CertificateKind, DAY, EndReason, Frequency, HOUR, Standard, now, signVoucher } from "../support/registry";
import {
  blockTimeOf,
  certificate,
  createReservation,
  deployed,
  eventsOf,
  freshRef,
  reservationParams,
  reserve,
  submit,
  voucher,
  type Deployment,
  type Hex,
  type ReservationParams,
} from "../support/fixtures";

const DREC = CertificateKind.DRec;
/** The hold the issue specifies between a device's release and its next reservation. */
const HOLD = 12n * HOUR;

/** A D-REC voucher of one certificate per period for `r`, to its buyer unless told otherwise. */
function dRecVoucher(r: ReservationParams, periods: [bigint, bigint, bigint][], recipient: Hex = r.buyer) {
  return voucher(recipient, DREC, periods.map(([start, end, amount]) => certificate(r.id, start, end, amount)));
}

async function signed(d: Deployment, r: ReservationParams, periods: [bigint, bigint, bigint][], recipient?: Hex) {
  const v = dRecVoucher(r, periods, recipient);
  return [v, await signVoucher(d.registry, d.issuer, v)] as const;
}

describe("reservations", () => {
  describe("createReservation / getReservation", () => {
    it("records the reservation and adds each device", async () => {
      const d = await deployed();
      const { registry, buyer } = d;
      const devices = [freshRef("device"), freshRef("device"), freshRef("device")];
      const p = await reservationParams({
        buyer,
        frequency: Frequency.Hourly,
        standard: Standard.IRec,
        targetWh: 5_000n,
        canExceedTarget: true,
        devices,
      });

      const tx = await createReservation(d, p);

      await expect(tx)
        .to.emit(registry, "ReservationCreated")
        .withArgs(p.id, p.buyer, p.start, p.end, p.frequency, p.standard, p.targetWh, p.canExceedTarget);
      const added = (await eventsOf(registry, tx, "DeviceAdded")).map((e) => [...e.args]);
      expect(added).to.deep.equal(devices.map((device) => [p.id, device]));
      const r = await registry.getReservation(p.id);
      expect([r.buyer, r.start, r.end, r.frequency, r.standard, r.targetWh, r.issuedWh, r.endedAt, r.canExceedTarget]).to.deep.equal([
        p.buyer,
        p.start,
        p.end,
        BigInt(p.frequency),
        BigInt(p.standard),
        p.targetWh,
        0n,
        0n,
        true,
      ]);
      for (const device of devices) expect(await registry.deviceStatus(device)).to.deep.equal([p.id, p.end + HOLD]);
    });

    it("reports an unknown reservation with a zero buyer and a never-reserved device as (0, 0)", async () => {
      const { registry } = await deployed();
      expect((await registry.getReservation(freshRef("reservation"))).buyer).to.equal(ethers.ZeroAddress);
      expect(await registry.deviceStatus(freshRef("device"))).to.deep.equal([ethers.ZeroHash, 0n]);
    });

    const invalid: [string, (p: ReservationParams) => ReservationParams][] = [
      ["a zero id", (p) => ({ ...p, id: ethers.ZeroHash as Hex })],
      ["a zero buyer", (p) => ({ ...p, buyer: ethers.ZeroAddress as Hex })],
      ["an end equal to its start", (p) => ({ ...p, end: p.start })],
      ["an end before its start", (p) => ({ ...p, end: p.start - 1n })],
      ["a zero target", (p) => ({ ...p, targetWh: 0n })],
    ];
    for (const [what, breakIt] of invalid) {
      it(`refuses a reservation with ${what} (InvalidReservation)`, async () => {
        const d = await deployed();
        const p = breakIt(await reservationParams({ buyer: d.buyer }));
        await expect(createReservation(d, p)).to.be.revertedWithCustomError(d.registry, "InvalidReservation").withArgs(p.id);
      });
    }

    it("refuses a second reservation with the same id (ReservationExists)", async () => {
      const d = await deployed();
      const p = await reserve(d, { buyer: d.buyer });
      const again = await reservationParams({ buyer: d.other, id: p.id });
      await expect(createReservation(d, again)).to.be.revertedWithCustomError(d.registry, "ReservationExists").withArgs(p.id);
      expect((await d.registry.getReservation(p.id)).buyer).to.equal(p.buyer);
    });
  });

  describe("device exclusivity", () => {
    it("refuses a device while another reservation's window is running (DeviceAlreadyReserved)", async () => {
      const d = await deployed();
      const { registry, recorder, buyer, other } = d;
      const device = freshRef("device");
      const free = freshRef("device");
      const a = await reserve(d, { buyer, devices: [device] });

      const p = await reservationParams({ buyer: other, devices: [free, device] });
      await expect(createReservation(d, p)).to.be.revertedWithCustomError(registry, "DeviceAlreadyReserved").withArgs(device, a.id);
      const b = await reserve(d, { buyer: other });
      await expect(registry.connect(recorder).addDevices(b.id, [free, device]))
        .to.be.revertedWithCustomError(registry, "DeviceAlreadyReserved")
        .withArgs(device, a.id);
      // Nothing was taken by the failed calls.
      expect(await registry.deviceStatus(free)).to.deep.equal([ethers.ZeroHash, 0n]);
      expect(await registry.deviceStatus(device)).to.deep.equal([a.id, a.end + HOLD]);
      // A reservation cannot list the same device twice either.
      await expect(registry.connect(recorder).addDevices(a.id, [device]))
        .to.be.revertedWithCustomError(registry, "DeviceAlreadyReserved")
        .withArgs(device, a.id);
    });

    it("holds a removed device for 12 hours, then lets another reservation take it (boundary at availableAt)", async () => {
      const d = await deployed();
      const { registry, recorder, buyer, other } = d;
      const device = freshRef("device");
      const a = await reserve(d, { buyer, devices: [device] });

      const removal = await registry.connect(recorder).removeDevices(a.id, [device]);
      const releasedAt = await blockTimeOf(removal);
      await expect(removal).to.emit(registry, "DeviceRemoved").withArgs(a.id, device, releasedAt);
      expect(await registry.releaseHoldPeriod()).to.equal(HOLD);
      expect(await registry.deviceStatus(device)).to.deep.equal([ethers.ZeroHash, releasedAt + HOLD]);

      const b = await reserve(d, { buyer: other, start: releasedAt, end: releasedAt + 10n * DAY });
      await time.setNextBlockTimestamp(releasedAt + HOLD - 1n);
      await expect(registry.connect(recorder).addDevices(b.id, [device]))
        .to.be.revertedWithCustomError(registry, "DeviceOnHold")
        .withArgs(device, releasedAt + HOLD);
      await time.setNextBlockTimestamp(releasedAt + HOLD);
      await expect(registry.connect(recorder).addDevices(b.id, [device])).to.emit(registry, "DeviceAdded").withArgs(b.id, device);
      expect(await registry.deviceStatus(device)).to.deep.equal([b.id, b.end + HOLD]);
    });

    it("holds the devices of an ended reservation for 12 hours (boundary at availableAt)", async () => {
      const d = await deployed();
      const { registry, recorder, buyer, other } = d;
      const device = freshRef("device");
      const a = await reserve(d, { buyer, devices: [device] });
      const endedAt = await blockTimeOf(await registry.connect(recorder).endReservation(a.id));
      expect(await registry.deviceStatus(device)).to.deep.equal([a.id, endedAt + HOLD]);

      const p = await reservationParams({ buyer: other, start: endedAt, end: endedAt + 10n * DAY, devices: [device] });
      await time.setNextBlockTimestamp(endedAt + HOLD - 1n);
      await expect(createReservation(d, p)).to.be.revertedWithCustomError(registry, "DeviceOnHold").withArgs(device, endedAt + HOLD);
      await time.setNextBlockTimestamp(endedAt + HOLD);
      await expect(createReservation(d, p)).to.emit(registry, "DeviceAdded").withArgs(p.id, device);
    });

    it("releases a device when its reservation's window ends on its own", async () => {
      const d = await deployed();
      const { registry, buyer, other } = d;
      const device = freshRef("device");
      const t = await now();
      const a = await reserve(d, { buyer, start: t - DAY, end: t + HOUR, devices: [device] });
      const early = await reservationParams({ buyer: other, start: a.end, end: a.end + DAY, devices: [device] });
      await expect(createReservation(d, early)).to.be.revertedWithCustomError(registry, "DeviceAlreadyReserved").withArgs(device, a.id);

      await time.setNextBlockTimestamp(a.end + HOLD - 1n);
      const onHold = await reservationParams({ buyer: other, start: a.end, end: a.end + DAY, devices: [device] });
      await expect(createReservation(d, onHold)).to.be.revertedWithCustomError(registry, "DeviceOnHold").withArgs(device, a.end + HOLD);
      await time.setNextBlockTimestamp(a.end + HOLD);
      await expect(createReservation(d, onHold)).to.emit(registry, "DeviceAdded").withArgs(onHold.id, device);
    });

    it("refuses a reservation starting before the device's release (DeviceWindowOverlap), accepts one starting at it", async () => {
      const d = await deployed();
      const { registry, recorder, buyer, other } = d;
      const device = freshRef("device");
      const a = await reserve(d, { buyer, devices: [device] });
      const releasedAt = await blockTimeOf(await registry.connect(recorder).removeDevices(a.id, [device]));
      await time.increase(HOLD);

      const overlapping = await reservationParams({ buyer: other, start: releasedAt - 1n, devices: [device] });
      await expect(createReservation(d, overlapping))
        .to.be.revertedWithCustomError(registry, "DeviceWindowOverlap")
        .withArgs(device, releasedAt);
      const b = await reserve(d, { buyer: other, start: releasedAt - DAY });
      await expect(registry.connect(recorder).addDevices(b.id, [device]))
        .to.be.revertedWithCustomError(registry, "DeviceWindowOverlap")
        .withArgs(device, releasedAt);
      const adjacent = await reservationParams({ buyer: other, start: releasedAt, devices: [device] });
      await expect(createReservation(d, adjacent)).to.emit(registry, "DeviceAdded").withArgs(adjacent.id, device);
    });
  });

  describe("addDevices / removeDevices", () => {
    it("adds each device with its own DeviceAdded event", async () => {
      const d = await deployed();
      const { registry, recorder, buyer } = d;
      const a = await reserve(d, { buyer });
      const devices = [freshRef("device"), freshRef("device")];
      const tx = await registry.connect(recorder).addDevices(a.id, devices);
      expect((await eventsOf(registry, tx, "DeviceAdded")).map((e) => [...e.args])).to.deep.equal(devices.map((x) => [a.id, x]));
      for (const device of devices) expect(await registry.deviceStatus(device)).to.deep.equal([a.id, a.end + HOLD]);
    });

    it("removes each device with its own DeviceRemoved event, leaving the others reserved", async () => {
      const d = await deployed();
      const { registry, recorder, buyer } = d;
      const devices = [freshRef("device"), freshRef("device"), freshRef("device")];
      const a = await reserve(d, { buyer, devices });
      const tx = await registry.connect(recorder).removeDevices(a.id, devices.slice(0, 2));
      const releasedAt = await blockTimeOf(tx);
      expect((await eventsOf(registry, tx, "DeviceRemoved")).map((e) => [...e.args])).to.deep.equal(
        devices.slice(0, 2).map((x) => [a.id, x, releasedAt]),
      );
      for (const device of devices.slice(0, 2)) expect(await registry.deviceStatus(device)).to.deep.equal([ethers.ZeroHash, releasedAt + HOLD]);
      expect(await registry.deviceStatus(devices[2])).to.deep.equal([a.id, a.end + HOLD]);
    });

    it("releases a device removed after the window closed at the window's end", async () => {
      const d = await deployed();
      const t = await now();
      const device = freshRef("device");
      const a = await reserve(d, { buyer: d.buyer, start: t - 10n * DAY, end: t - 5n * DAY, devices: [device] });
      await expect(d.registry.connect(d.recorder).removeDevices(a.id, [device]))
        .to.emit(d.registry, "DeviceRemoved")
        .withArgs(a.id, device, a.end);
      expect(await d.registry.deviceStatus(device)).to.deep.equal([ethers.ZeroHash, a.end + HOLD]);
    });

    it("refuses to remove a device the reservation does not hold (DeviceNotInReservation)", async () => {
      const d = await deployed();
      const { registry, recorder, buyer, other } = d;
      const mine = freshRef("device");
      const theirs = freshRef("device");
      const a = await reserve(d, { buyer, devices: [mine] });
      const b = await reserve(d, { buyer: other, devices: [theirs] });
      for (const device of [theirs, freshRef("device")]) {
        await expect(registry.connect(recorder).removeDevices(a.id, [mine, device]))
          .to.be.revertedWithCustomError(registry, "DeviceNotInReservation")
          .withArgs(device, a.id);
      }
      expect(await registry.deviceStatus(mine)).to.deep.equal([a.id, a.end + HOLD]);
      expect(await registry.deviceStatus(theirs)).to.deep.equal([b.id, b.end + HOLD]);
    });

    it("refuses an unknown reservation (UnknownReservation)", async () => {
      const { registry, recorder } = await deployed();
      const unknown = freshRef("reservation");
      const device = freshRef("device");
      await expect(registry.connect(recorder).addDevices(unknown, [device])).to.be.revertedWithCustomError(registry, "UnknownReservation").withArgs(unknown);
      await expect(registry.connect(recorder).removeDevices(unknown, [device])).to.be.revertedWithCustomError(registry, "UnknownReservation").withArgs(unknown);
      await expect(registry.connect(recorder).endReservation(unknown)).to.be.revertedWithCustomError(registry, "UnknownReservation").withArgs(unknown);
    });
  });

  describe("endReservation", () => {
    it("ends the reservation now, releases its devices, and refuses further changes (ReservationNotActive)", async () => {
      const d = await deployed();
      const { registry, recorder, buyer } = d;
      const devices = [freshRef("device"), freshRef("device")];
      const a = await reserve(d, { buyer, devices });

      const tx = await registry.connect(recorder).endReservation(a.id);
      const endedAt = await blockTimeOf(tx);
      await expect(tx).to.emit(registry, "ReservationEnded").withArgs(a.id, EndReason.Ended, endedAt);
      expect((await registry.getReservation(a.id)).endedAt).to.equal(endedAt);
      for (const device of devices) expect(await registry.deviceStatus(device)).to.deep.equal([a.id, endedAt + HOLD]);

      for (const call of [
        () => registry.connect(recorder).endReservation(a.id),
        () => registry.connect(recorder).addDevices(a.id, [freshRef("device")]),
        () => registry.connect(recorder).removeDevices(a.id, [devices[0]]),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(registry, "ReservationNotActive").withArgs(a.id);
      }
    });

    it("ends a reservation whose window already closed at the window's end", async () => {
      const d = await deployed();
      const t = await now();
      const a = await reserve(d, { buyer: d.buyer, start: t - 10n * DAY, end: t - 5n * DAY });
      await expect(d.registry.connect(d.recorder).endReservation(a.id))
        .to.emit(d.registry, "ReservationEnded")
        .withArgs(a.id, EndReason.Ended, a.end);
    });
  });

  describe("setReleaseHoldPeriod", () => {
    it("changes the hold applied to released devices", async () => {
      const d = await deployed();
      const { registry, admin, recorder, buyer, other } = d;
      const device = freshRef("device");
      const a = await reserve(d, { buyer, devices: [device] });
      const releasedAt = await blockTimeOf(await registry.connect(recorder).removeDevices(a.id, [device]));

      const period = HOUR;
      await expect(registry.connect(admin).setReleaseHoldPeriod(period)).to.emit(registry, "ReleaseHoldPeriodChanged").withArgs(period);
      expect(await registry.releaseHoldPeriod()).to.equal(period);
      expect(await registry.deviceStatus(device)).to.deep.equal([ethers.ZeroHash, releasedAt + period]);

      const p = await reservationParams({ buyer: other, start: releasedAt, devices: [device] });
      await time.setNextBlockTimestamp(releasedAt + period - 1n);
      await expect(createReservation(d, p)).to.be.revertedWithCustomError(registry, "DeviceOnHold").withArgs(device, releasedAt + period);
      await time.setNextBlockTimestamp(releasedAt + period);
      await expect(createReservation(d, p)).to.emit(registry, "DeviceAdded");
    });
  });

  describe("D-REC issuance against the reservation", () => {
    /** A reservation whose window lies wholly in the past, so certificates may cover all of it. */
    async function pastReservation(d: Deployment, input: Partial<ReservationParams> = {}) {
      const t = await now();
      return reserve(d, { buyer: d.buyer, start: t - 10n * DAY, end: t - DAY, targetWh: 10_000n, devices: [freshRef("device")], ...input });
    }

    it("mints to the buyer and counts the amount towards the reservation", async () => {
      const d = await deployed();
      const r = await pastReservation(d);
      const v = dRecVoucher(r, [
        [r.start, r.start + DAY, 3_000n],
        [r.start + DAY, r.start + 2n * DAY, 1_500n],
      ]);
      const { tx, ids } = await submit(d, v, d.developer);
      await expect(tx).to.emit(d.registry, "CertificateIssued").withArgs(ids[0], r.id, 3_000n, r.start, r.start + DAY, v.certificates[0].evidence);
      expect(await d.registry.balanceOfBatch([d.buyer, d.buyer], ids)).to.deep.equal([3_000n, 1_500n]);
      for (const id of ids) expect(await d.registry.kindOf(id)).to.equal(DREC);
      expect((await d.registry.getReservation(r.id)).issuedWh).to.equal(4_500n);
    });

    it("refuses a D-REC certificate whose ref is no reservation (UnknownReservation)", async () => {
      const d = await deployed();
      const r = await pastReservation(d);
      const unknown = { ...r, id: freshRef("reservation") };
      const [v, signature] = await signed(d, unknown, [[r.start, r.start + DAY, 1n]]);
      await expect(d.registry.issue(v, signature)).to.be.revertedWithCustomError(d.registry, "UnknownReservation").withArgs(unknown.id);
    });

    it("refuses a D-REC voucher to a wallet other than the buyer (RecipientNotBuyer)", async () => {
      const d = await deployed();
      const r = await pastReservation(d);
      const [v, signature] = await signed(d, r, [[r.start, r.start + DAY, 1n]], d.other.address as Hex);
      await expect(d.registry.issue(v, signature))
        .to.be.revertedWithCustomError(d.registry, "RecipientNotBuyer")
        .withArgs(r.id, d.other.address, d.buyer.address);
    });

    it("accepts periods touching both edges of the window and refuses periods one second outside (PeriodOutsideReservation)", async () => {
      const d = await deployed();
      const r = await pastReservation(d);
      for (const [start, end] of [
        [r.start - 1n, r.start + DAY],
        [r.end - DAY, r.end + 1n],
      ]) {
        const [v, signature] = await signed(d, r, [[start, end, 1n]]);
        await expect(d.registry.issue(v, signature))
          .to.be.revertedWithCustomError(d.registry, "PeriodOutsideReservation")
          .withArgs(r.id, start, end);
      }
      const { ids } = await submit(d, dRecVoucher(r, [[r.start, r.end, 7n]]));
      expect(await d.registry.balanceOf(d.buyer, ids[0])).to.equal(7n);
    });

    it("shortens the window to the early end of the reservation", async () => {
      const d = await deployed();
      const r = await reserve(d, { buyer: d.buyer, targetWh: 10_000n });
      const endedAt = await blockTimeOf(await d.registry.connect(d.recorder).endReservation(r.id));
      await time.increase(DAY);

      const [late, signature] = await signed(d, r, [[endedAt - HOUR, endedAt + 1n, 1n]]);
      await expect(d.registry.issue(late, signature))
        .to.be.revertedWithCustomError(d.registry, "PeriodOutsideReservation")
        .withArgs(r.id, endedAt - HOUR, endedAt + 1n);
      await expect(d.registry.issue(...(await signed(d, r, [[endedAt - HOUR, endedAt, 1n]])))).to.emit(d.registry, "VoucherRedeemed");
    });

    it("refuses to pass a target without authority to exceed (TargetExceeded), counting every certificate", async () => {
      const d = await deployed();
      const r = await pastReservation(d, { targetWh: 1_000n });
      await submit(d, dRecVoucher(r, [[r.start, r.start + DAY, 600n]]));

      const [single, s1] = await signed(d, r, [[r.start + DAY, r.start + 2n * DAY, 401n]]);
      await expect(d.registry.issue(single, s1)).to.be.revertedWithCustomError(d.registry, "TargetExceeded").withArgs(r.id, 1_000n, 1_001n);
      const [several, s2] = await signed(d, r, [
        [r.start + DAY, r.start + 2n * DAY, 200n],
        [r.start + 2n * DAY, r.start + 3n * DAY, 300n],
      ]);
      await expect(d.registry.issue(several, s2)).to.be.revertedWithCustomError(d.registry, "TargetExceeded").withArgs(r.id, 1_000n, 1_100n);
      const after = await d.registry.getReservation(r.id);
      expect([after.issuedWh, after.endedAt]).to.deep.equal([600n, 0n]);
    });

    it("ends the reservation when the target is reached exactly and releases its devices", async () => {
      const d = await deployed();
      const { registry, recorder, other } = d;
      const device = freshRef("device");
      const r = await reserve(d, { buyer: d.buyer, targetWh: 1_000n, devices: [device] });
      await submit(d, dRecVoucher(r, [[r.start, r.start + DAY, 600n]]));

      const { tx } = await submit(d, dRecVoucher(r, [[r.start + DAY, r.start + 2n * DAY, 400n]]));
      const endedAt = await blockTimeOf(tx);
      await expect(tx).to.emit(registry, "ReservationEnded").withArgs(r.id, EndReason.TargetReached, endedAt);
      const after = await registry.getReservation(r.id);
      expect([after.issuedWh, after.endedAt]).to.deep.equal([1_000n, endedAt]);
      expect(await registry.deviceStatus(device)).to.deep.equal([r.id, endedAt + HOLD]);
      await expect(registry.connect(recorder).addDevices(r.id, [freshRef("device")]))
        .to.be.revertedWithCustomError(registry, "ReservationNotActive")
        .withArgs(r.id);
      await expect(d.registry.issue(...(await signed(d, r, [[r.start + 2n * DAY, r.start + 3n * DAY, 1n]]))))
        .to.be.revertedWithCustomError(registry, "TargetExceeded")
        .withArgs(r.id, 1_000n, 1_001n);

      await time.increase(HOLD);
      const next = await reservationParams({ buyer: other, start: endedAt, devices: [device] });
      await expect(createReservation(d, next)).to.emit(registry, "DeviceAdded").withArgs(next.id, device);
    });

    it("keeps an early end when the target is reached afterwards", async () => {
      const d = await deployed();
      const { registry, recorder, other } = d;
      const device = freshRef("device");
      const r = await reserve(d, { buyer: d.buyer, targetWh: 1_000n, devices: [device] });
      const endedAt = await blockTimeOf(await registry.connect(recorder).endReservation(r.id));
      await time.increase(HOLD + HOUR);

      // Generation before the end may still be certified; reaching the target must not move the end.
      const { tx } = await submit(d, dRecVoucher(r, [[endedAt - DAY, endedAt, 1_000n]]));
      await expect(tx).not.to.emit(registry, "ReservationEnded");
      const after = await registry.getReservation(r.id);
      expect([after.issuedWh, after.endedAt]).to.deep.equal([1_000n, endedAt]);
      expect(await registry.deviceStatus(device)).to.deep.equal([r.id, endedAt + HOLD]);
      const next = await reservationParams({ buyer: other, start: endedAt, devices: [device] });
      await expect(createReservation(d, next)).to.emit(registry, "DeviceAdded").withArgs(next.id, device);
    });

    it("issues past the target when the reservation may exceed it, without ending it", async () => {
      const d = await deployed();
      const r = await pastReservation(d, { targetWh: 1_000n, canExceedTarget: true });
      await submit(d, dRecVoucher(r, [[r.start, r.start + DAY, 1_000n]]));
      const { tx, ids } = await submit(d, dRecVoucher(r, [[r.start + DAY, r.start + 2n * DAY, 500n]]));
      await expect(tx).not.to.emit(d.registry, "ReservationEnded");
      expect(await d.registry.balanceOf(d.buyer, ids[0])).to.equal(500n);
      const after = await d.registry.getReservation(r.id);
      expect([after.issuedWh, after.endedAt]).to.deep.equal([1_500n, 0n]);
    });
  });
});
