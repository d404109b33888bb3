import { expect } from "chai";
import { eq } from "drizzle-orm";
import { isPlanCurrent, planDigest } from "../../server/issuance/planWatermark";
import { closedWindows } from "../../server/issuance/windows";
import type { PlanDevice, PlanReservation } from "../../server/issuance/plan";
import { reservations } from "../../server/reservations/schema";
import { issuanceJobs } from "../../server/issuance/schema";
import { DAY_MS, HOUR_MS } from "../../server/time/durations";
import { issuanceWorld } from "../support/issuance";

describe("the planning watermark: what makes a reservation worth planning again", () => {
  const start = Date.UTC(2026, 10, 1);
  const input: PlanReservation = { standard: "D-REC", frequency: "daily", startAt: start, endAt: start + 10 * DAY_MS, remainingWh: 5_000n };
  const device: PlanDevice = { id: "00000000-0000-4000-8000-000000000001", chainRef: "0x01", organisationId: "o", countryCode: "KE", releasedAt: undefined };
  const digest = (changes: Partial<PlanReservation> = {}, members = [device], now = start + 2 * DAY_MS + HOUR_MS) => {
    const reservation = { ...input, ...changes };
    return planDigest(reservation, members, closedWindows({ start: reservation.startAt, end: reservation.endAt }, reservation.frequency, now).length);
  };

  it("digests the same inputs the same, whenever within one open window", () => {
    expect(digest()).to.equal(digest({}, [device], start + 2 * DAY_MS + 5 * HOUR_MS));
  });

  it("changes when a window closes, the reservation ends early, the target left moves, or a device joins or leaves", () => {
    const changed = [
      digest({}, [device], start + 3 * DAY_MS),
      digest({ endAt: start + 5 * DAY_MS }),
      digest({ remainingWh: 4_000n }),
      digest({}, [device, { ...device, id: "00000000-0000-4000-8000-000000000002" }]),
      digest({}, [{ ...device, releasedAt: start + DAY_MS }]),
    ];
    expect(new Set([digest(), ...changed]).size).to.equal(1 + changed.length);
  });

  it("is stale once an accepted read of a reserved device arrives, and the next run certifies it", async function () {
    this.timeout(120_000);
    const world = await issuanceWorld({ days: 1, devicesPerDeveloper: 1, withoutReads: true });
    try {
      const [deviceId] = world.devices.map((d) => d.id);
      await world.postHourlyReads(deviceId, world.start, 12, 1_000);
      expect(await world.run()).to.include({ plannedCertificates: 1 });
      const stored = () => world.api.database.db.select().from(reservations).where(eq(reservations.id, world.reservationId)).get()!;
      const current = () => isPlanCurrent(world.api.database.sqlite, world.reservationId, stored(), stored().planDigest!);
      expect(current()).to.equal(true);
      expect(await world.run()).to.include({ plannedCertificates: 0 });

      // The afternoon's reads arrive late: the plan is stale, and the next run certifies them once.
      await world.postHourlyReads(deviceId, world.start + 12 * HOUR_MS, 12, 1_000);
      expect(current()).to.equal(false);
      expect(await world.run()).to.include({ plannedCertificates: 1 });
      expect(current()).to.equal(true);
      const jobs = world.api.database.db.select().from(issuanceJobs).where(eq(issuanceJobs.reservationId, world.reservationId)).all();
      expect(jobs.map((j) => [j.batch, j.amountWh]).sort()).to.deep.equal([
        [0, 12_000],
        [1, 12_000],
      ]);
    } finally {
      world.api.close();
    }
  });
});
