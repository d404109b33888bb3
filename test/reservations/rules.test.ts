import { expect } from "chai";
import {
  availableAfterRelease,
  earliestReservationTime,
  formatMWh,
  RELEASE_HOLD_MS,
  targetWhOf,
  unavailability,
  windowFaults,
} from "../../server/reservations/rules";

const HOUR = 3_600_000;

describe("reservation rules", () => {
  describe("target volume: MWh to exact Wh", () => {
    it("converts decimal text and JSON numbers exactly, down to 1 Wh", () => {
      expect(targetWhOf("10")).to.deep.equal({ ok: true, value: 10_000_000n });
      expect(targetWhOf(" 12.5 ")).to.deep.equal({ ok: true, value: 12_500_000n });
      expect(targetWhOf("0.000001")).to.deep.equal({ ok: true, value: 1n });
      expect(targetWhOf(0.1)).to.deep.equal({ ok: true, value: 100_000n });
      // 0.1 + 0.2 in floating point is 0.30000000000000004 MWh: its shortest form has more than 6 decimals.
      expect(targetWhOf(0.1 + 0.2).ok).to.equal(false);
      expect(targetWhOf(1e-6)).to.deep.equal({ ok: true, value: 1n });
      expect(targetWhOf("1.2345670")).to.deep.equal({ ok: true, value: 1_234_567n });
      expect(targetWhOf("9007199254.740991")).to.deep.equal({ ok: true, value: BigInt(Number.MAX_SAFE_INTEGER) });
    });

    it("refuses values finer than 1 Wh, not positive, or not decimal, saying why", () => {
      expect(targetWhOf("1.0000001")).to.deep.equal({ ok: false, message: "must not be finer than 1 Wh (at most 6 decimals of MWh)" });
      expect(targetWhOf(1e-7)).to.deep.equal({ ok: false, message: "must not be finer than 1 Wh (at most 6 decimals of MWh)" });
      expect(targetWhOf("0")).to.deep.equal({ ok: false, message: "must be at least 0.000001 MWh (1 Wh)" });
      expect(targetWhOf("0.0000000")).to.deep.equal({ ok: false, message: "must be at least 0.000001 MWh (1 Wh)" });
      for (const bad of ["-1", "1e3", "", "12,5", "0x10", "Infinity"]) expect(targetWhOf(bad).ok, bad).to.equal(false);
      expect(targetWhOf(-2).ok).to.equal(false);
      expect(targetWhOf("9007199254.740992")).to.deep.equal({ ok: false, message: "must be at most 9007199254.740991 MWh" });
    });

    it("formats Wh back as exact MWh", () => {
      expect(formatMWh(12_500_000n)).to.equal("12.5");
      expect(formatMWh(1n)).to.equal("0.000001");
      expect(formatMWh(3_000_000n)).to.equal("3");
      for (const text of ["0.000001", "7", "123456.654321"]) {
        const parsed = targetWhOf(text);
        expect(parsed.ok && formatMWh(parsed.value)).to.equal(text);
      }
    });
  });

  describe("window", () => {
    const now = new Date("2026-11-22T10:00:00Z");

    it("allows start and end in the past down to 12 calendar months, and in the future", () => {
      expect(earliestReservationTime(now).toISOString()).to.equal("2025-11-22T10:00:00.000Z");
      expect(windowFaults(new Date("2025-11-22T10:00:00Z"), new Date("2025-11-23T00:00:00Z"), now)).to.deep.equal([]);
      expect(windowFaults(new Date("2027-01-01T00:00:00Z"), new Date("2028-01-01T00:00:00Z"), now)).to.deep.equal([]);
    });

    it("refuses a start or end more than 12 months back, an end not after the start, and split seconds", () => {
      expect(windowFaults(new Date("2025-11-22T09:59:59Z"), new Date("2026-01-01T00:00:00Z"), now)).to.deep.equal([
        { field: "start", message: "must not be more than 12 months in the past (earliest 2025-11-22T10:00:00.000Z)" },
      ]);
      expect(windowFaults(new Date("2025-01-01T00:00:00Z"), new Date("2025-02-01T00:00:00Z"), now).map((f) => f.field)).to.deep.equal(["start", "end"]);
      expect(windowFaults(new Date("2026-12-01T00:00:00Z"), new Date("2026-12-01T00:00:00Z"), now)).to.deep.equal([
        { field: "end", message: "must be after start" },
      ]);
      expect(windowFaults(new Date("2026-12-02T00:00:00Z"), new Date("2026-12-01T00:00:00Z"), now)).to.deep.equal([
        { field: "end", message: "must be after start" },
      ]);
      expect(windowFaults(new Date("2026-12-01T00:00:00.500Z"), new Date("2026-12-02T00:00:00Z"), now)).to.deep.equal([
        { field: "start", message: "must be a whole second (the chain records reservation windows in seconds)" },
      ]);
    });

    it("counts 12 months on the calendar (a leap day falls back to the 1st of March)", () => {
      expect(earliestReservationTime(new Date("2028-02-29T12:00:00Z")).toISOString()).to.equal("2027-03-01T12:00:00.000Z");
    });
  });

  describe("device availability", () => {
    const now = Date.parse("2026-11-22T10:00:00Z");
    const free = { hasValidationErrors: false, activeReservationId: null, lastReleasedAt: null, gcAccountId: null };

    it("accepts a device never reserved, or released more than 12 hours ago before the window starts", () => {
      expect(unavailability(free, now, now)).to.equal(undefined);
      expect(unavailability({ ...free, lastReleasedAt: now - RELEASE_HOLD_MS }, now - RELEASE_HOLD_MS, now)).to.equal(undefined);
    });

    it("refuses a flagged device, a reserved one, one on hold, and one whose last reservation overlaps the window", () => {
      expect(unavailability({ ...free, hasValidationErrors: true }, now, now)).to.match(/has validation errors/);
      expect(unavailability({ ...free, activeReservationId: "r-1" }, now, now)).to.equal("is in active reservation r-1");
      expect(unavailability({ ...free, gcAccountId: "a-1" }, now, now)).to.match(/issues Granular Certificates \(GC account a-1\); a device is certified as D-REC or as GC, not both/);
      const releasedAt = now - RELEASE_HOLD_MS + 1;
      expect(unavailability({ ...free, lastReleasedAt: releasedAt }, now, now)).to.equal(
        `is on hold until ${new Date(availableAfterRelease(releasedAt)).toISOString()} after its last reservation`
      );
      expect(unavailability({ ...free, lastReleasedAt: now - 13 * HOUR }, now - 14 * HOUR, now)).to.equal(
        `was reserved until ${new Date(now - 13 * HOUR).toISOString()}; a reservation taking it must start at or after then`
      );
    });
  });
});
