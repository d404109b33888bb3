import { expect } from "chai";
import { DateTime } from "luxon";
import { localIso, parseReadTime } from "../../server/reads/readTime";

const HOUR = 3_600_000;

describe("read timestamps", () => {
  it("reads instants with an offset exactly, whatever the device's zone", () => {
    for (const [text, iso] of [
      ["2026-05-01T10:00:00Z", "2026-05-01T10:00:00.000Z"],
      ["2026-05-01T13:00:00+03:00", "2026-05-01T10:00:00.000Z"],
      ["2026-05-01T10:00:00.123-05:30", "2026-05-01T15:30:00.123Z"],
      ["2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00.000Z"],
      ["2026-05-01T10:00Z", "2026-05-01T10:00:00.000Z"],
      ["2026-05-01T10:00:00.123456Z", "2026-05-01T10:00:00.123Z"],
    ]) {
      const parsed = parseReadTime(text, "America/Lima");
      expect(parsed.ok && parsed.at.toISOString(), text).to.equal(iso);
    }
  });

  it("reads a time without offset as local time in the device's zone", () => {
    const parsed = parseReadTime("2026-05-01T13:00:00", "Africa/Nairobi");
    expect(parsed.ok && parsed.at.toISOString()).to.equal("2026-05-01T10:00:00.000Z");
  });

  it("refuses impossible dates and local times a daylight-saving jump skips", () => {
    for (const text of ["2026-02-30T10:00:00Z", "2026-13-01T00:00:00Z", "2026-05-01T24:30:00Z", "yesterday", ""]) {
      expect(parseReadTime(text, "UTC").ok, text).to.equal(false);
    }
    const skipped = parseReadTime("2027-03-28T02:30:00", "Europe/Berlin");
    expect(skipped.ok).to.equal(false);
    expect(!skipped.ok && skipped.message).to.match(/does not exist in Europe\/Berlin/);
    expect(parseReadTime("2027-03-28T03:30:00", "Europe/Berlin").ok).to.equal(true);
  });

  it("formats local times with the offset in force at each instant, across daylight-saving changes", () => {
    const zones = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Africa/Nairobi", "UTC"];
    const start = Date.parse("2026-03-01T00:00:00Z");
    for (const zone of zones) {
      for (let ms = start; ms < start + 250 * 24 * HOUR; ms += 7 * HOUR + 13 * 60_000) {
        const expected = DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZ");
        expect(localIso(ms, zone), `${zone} ${new Date(ms).toISOString()}`).to.equal(expected);
      }
    }
  });
});
