import { expect } from "chai";
import { BUNDLE_CSV_COLUMNS, bundleCsv, bundleCsvTemplate, MAX_IMPORT_ROWS, nameplateMaxWh, overlapsInFile, parseBundleCsv, type BundleCsvRow } from "../../server/gc/issuance/bundleCsv";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const HEADER = BUNDLE_CSV_COLUMNS.join(",");

function row(cells: Partial<Record<(typeof BUNDLE_CSV_COLUMNS)[number], string>>): string {
  const base = {
    source_registry: "Flexidao",
    source_id: "FX-1",
    device_id: "KE-0001",
    production_start: "2026-05-01T10:00:00Z",
    production_end: "2026-05-01T11:00:00Z",
    energy_wh: "750000",
    certificate_range_start: "1000001",
    certificate_range_end: "1750000",
    energy_source: "",
    technology: "",
    country: "",
    issuing_body: "",
    issuance_date: "",
    expiry_date: "",
    ...cells,
  };
  return BUNDLE_CSV_COLUMNS.map((column) => base[column]).join(",");
}

const file = (...rows: string[]) => [HEADER, ...rows].join("\n");
const faultsOf = (text: string) => {
  const parsed = parseBundleCsv(text, NOW);
  if (parsed.ok) throw new Error("expected faults");
  return parsed.faults.map((fault) => `${fault.line}:${fault.field}: ${fault.message}`);
};

describe("GC import/export CSV format (pure)", () => {
  it("reads a row into a bundle: instants, exact Wh, the source range and optional attributes", () => {
    const parsed = parseBundleCsv(file(row({ energy_source: "solar_pv", issuance_date: "2026-05-02", production_start: "2026-05-01T13:00:00+03:00", production_end: "2026-05-01T11:00:00Z" })), NOW);
    expect(parsed.ok).to.equal(true);
    if (!parsed.ok) return;
    expect(parsed.value).to.deep.equal([
      {
        row: 1,
        line: 2,
        sourceRegistry: "Flexidao",
        sourceId: "FX-1",
        device: "KE-0001",
        startAt: Date.parse("2026-05-01T10:00:00Z"),
        endAt: Date.parse("2026-05-01T11:00:00Z"),
        energyWh: 750_000n,
        rangeStart: 1_000_001n,
        rangeEnd: 1_750_000n,
        energySource: "solar_pv",
        technology: null,
        country: null,
        issuingBody: null,
        issuanceDate: "2026-05-02",
        expiryDate: null,
      },
    ]);
  });

  it("names every faulty cell by line and column", () => {
    expect(
      faultsOf(
        file(
          row({ source_id: "", energy_wh: "1.5" }),
          row({ production_end: "2026-05-01T12:00:01Z" }),
          row({ production_end: "2026-05-01T09:00:00Z" }),
          row({ production_start: "2026-06-01T11:30:00Z", production_end: "2026-06-01T12:30:00Z" }),
          row({ certificate_range_end: "1750001" }),
          row({ issuance_date: "1 May", certificate_range_start: "0" }),
        ),
      ),
    ).to.deep.equal([
      "2:source_id: is required",
      "2:energy_wh: must be a whole number",
      "3:production_end: is more than an hour after production_start; a GC covers at most an hour",
      "4:production_end: must be after production_start",
      "5:production_end: has not passed yet",
      "6:certificate_range_end: gives 750001 certificate ids from certificate_range_start; energy_wh is 750000 (one id per Wh)",
      "7:certificate_range_start: must be at least 1",
      "7:issuance_date: must be a date YYYY-MM-DD",
    ]);
  });

  it("refuses a file with a wrong header, no rows or too many", () => {
    expect(faultsOf("source_registry,source_id\nA,B")[0]).to.match(/^1:device_id: is missing from the header/);
    expect(faultsOf(HEADER)).to.deep.equal(["null:file: has no bundles after the header"]);
    expect(faultsOf(file(...Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => row({ source_id: `FX-${i}` }))))).to.deep.equal([`null:file: has ${MAX_IMPORT_ROWS + 1} bundles; one import takes at most ${MAX_IMPORT_ROWS}`]);
  });

  const inFile = (...rows: string[]) => {
    const parsed = parseBundleCsv(file(...rows), NOW);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.faults));
    return overlapsInFile(parsed.value, (r: BundleCsvRow) => r.device).map((fault) => `${fault.line}:${fault.field}: ${fault.message}`);
  };
  /** The hour from 2026-05-01T`h`:00Z, so rows of distinct hours never overlap in time. */
  const hour = (h: number) => ({ production_start: `2026-05-01T${String(h).padStart(2, "0")}:00:00Z`, production_end: `2026-05-01T${String(h + 1).padStart(2, "0")}:00:00Z` });

  it("finds rows of one file that are the same energy twice: a repeated source id, or meeting ranges of one registry and device", () => {
    expect(
      inFile(
        row({ ...hour(0), source_id: "A", certificate_range_start: "1", certificate_range_end: "10", energy_wh: "10" }),
        row({ ...hour(1), source_id: "B", certificate_range_start: "11", certificate_range_end: "20", energy_wh: "10" }),
        row({ ...hour(2), source_id: "C", certificate_range_start: "20", certificate_range_end: "29", energy_wh: "10" }),
        row({ ...hour(3), source_id: "A", certificate_range_start: "100", certificate_range_end: "109", energy_wh: "10" }),
        row({ ...hour(4), source_id: "D", device_id: "KE-0002", certificate_range_start: "1", certificate_range_end: "10", energy_wh: "10" }),
        row({ ...hour(5), source_id: "E", source_registry: "Other", certificate_range_start: "5", certificate_range_end: "14", energy_wh: "10" }),
        row({ ...hour(6), source_id: "F", source_registry: "Other", certificate_range_start: "100", certificate_range_end: "199", energy_wh: "100" }),
        row({ ...hour(7), source_id: "G", source_registry: "Other", certificate_range_start: "101", certificate_range_end: "101", energy_wh: "1" }),
        row({ ...hour(8), source_id: "H", source_registry: "Other", certificate_range_start: "150", certificate_range_end: "159", energy_wh: "10" }),
      ),
    ).to.deep.equal([
      "4:certificate_range_start: overlaps the certificate ids of line 3 (11-20) for the same device and registry",
      "5:source_id: repeats the bundle of line 2",
      "9:certificate_range_start: overlaps the certificate ids of line 8 (100-199) for the same device and registry",
      "10:certificate_range_start: overlaps the certificate ids of line 8 (100-199) for the same device and registry",
    ]);
  });

  it("finds rows of one device whose production periods overlap, whatever their registries, ids and ranges", () => {
    expect(
      inFile(
        row({ source_id: "A", ...hour(10), certificate_range_start: "1", certificate_range_end: "10", energy_wh: "10" }),
        // The same hour from another registry, with its own id and range: the same generation twice.
        row({ source_id: "B", source_registry: "Other", ...hour(10), certificate_range_start: "500", certificate_range_end: "509", energy_wh: "10" }),
        // Part of an hour inside another row's hour.
        row({ source_id: "C", production_start: "2026-05-01T11:15:00Z", production_end: "2026-05-01T11:45:00Z", certificate_range_start: "20", certificate_range_end: "29", energy_wh: "10" }),
        row({ source_id: "D", ...hour(11), certificate_range_start: "30", certificate_range_end: "39", energy_wh: "10" }),
        // Touching periods do not overlap: [12:00, 13:00) then [13:00, 13:30).
        row({ source_id: "E", ...hour(12), certificate_range_start: "40", certificate_range_end: "49", energy_wh: "10" }),
        row({ source_id: "F", production_start: "2026-05-01T13:00:00Z", production_end: "2026-05-01T13:30:00Z", certificate_range_start: "50", certificate_range_end: "59", energy_wh: "10" }),
        // Another device's same hour is its own generation.
        row({ source_id: "G", device_id: "KE-0002", ...hour(10), certificate_range_start: "1", certificate_range_end: "10", energy_wh: "10" }),
      ),
    ).to.deep.equal([
      "3:production_start: overlaps the production period of line 2 (2026-05-01T10:00:00.000Z to 2026-05-01T11:00:00.000Z) for the same device",
      "5:production_start: overlaps the production period of line 4 (2026-05-01T11:15:00.000Z to 2026-05-01T11:45:00.000Z) for the same device",
    ]);
  });

  it("bounds a row's energy by the device's capacity over its period, in whole Wh rounded down", () => {
    const start = Date.parse("2026-05-01T10:00:00Z");
    expect(nameplateMaxWh(12_500, start, start + 3_600_000)).to.equal(12_500n);
    // 12.5 kW for 20 minutes is 4,166.67 Wh.
    expect(nameplateMaxWh(12_500, start, start + 20 * 60_000)).to.equal(4_166n);
    // Exact far beyond floating point: 10 GW for an hour.
    expect(nameplateMaxWh(10_000_000_000, start, start + 3_600_000)).to.equal(10_000_000_000n);
    expect(nameplateMaxWh(1, start, start + 1)).to.equal(0n);
  });

  it("writes bundles in the format it reads, and the template parses", () => {
    const csv = bundleCsv([
      {
        sourceRegistry: "EAC Registry",
        sourceId: "KE0001-20260501-11000-0001-0000042",
        deviceId: "KE-0001",
        startAt: Date.parse("2026-05-01T10:00:00Z"),
        endAt: Date.parse("2026-05-01T11:00:00Z"),
        energyWh: 42n,
        rangeStart: 7n,
        rangeEnd: 48n,
        attributes: { energySource: "solar_pv", technology: "solar_pv", country: "KE", issuingBody: "EAC Registry, Kenya", issuanceDate: "2026-05-02", expiryDate: "2027-05-02" },
      },
    ]);
    expect(csv.split("\r\n")[0]).to.equal(HEADER);
    const parsed = parseBundleCsv(csv, NOW);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.faults));
    expect(parsed.value[0]).to.include({ sourceId: "KE0001-20260501-11000-0001-0000042", energyWh: 42n, rangeStart: 7n, rangeEnd: 48n, issuingBody: "EAC Registry, Kenya", expiryDate: "2027-05-02" });
    expect(parseBundleCsv(bundleCsvTemplate(), NOW).ok).to.equal(true);
  });
});
