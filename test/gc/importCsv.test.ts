import { expect } from "chai";
import { BUNDLE_CSV_COLUMNS, bundleCsv, bundleCsvTemplate, MAX_IMPORT_ROWS, overlapsInFile, parseBundleCsv, type BundleCsvRow } from "../../server/gc/issuance/bundleCsv";

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

  it("finds rows of one file that are the same energy twice: a repeated source id, or meeting ranges of one registry and device", () => {
    const parsed = parseBundleCsv(
      file(
        row({ source_id: "A", certificate_range_start: "1", certificate_range_end: "10", energy_wh: "10" }),
        row({ source_id: "B", certificate_range_start: "11", certificate_range_end: "20", energy_wh: "10" }),
        row({ source_id: "C", certificate_range_start: "20", certificate_range_end: "29", energy_wh: "10" }),
        row({ source_id: "A", certificate_range_start: "100", certificate_range_end: "109", energy_wh: "10" }),
        row({ source_id: "D", device_id: "KE-0002", certificate_range_start: "1", certificate_range_end: "10", energy_wh: "10" }),
        row({ source_id: "E", source_registry: "Other", certificate_range_start: "5", certificate_range_end: "14", energy_wh: "10" }),
        row({ source_id: "F", source_registry: "Other", certificate_range_start: "100", certificate_range_end: "199", energy_wh: "100" }),
        row({ source_id: "G", source_registry: "Other", certificate_range_start: "101", certificate_range_end: "101", energy_wh: "1" }),
        row({ source_id: "H", source_registry: "Other", certificate_range_start: "150", certificate_range_end: "159", energy_wh: "10" }),
      ),
      NOW,
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.faults));
    const faults = overlapsInFile(parsed.value, (r: BundleCsvRow) => r.device);
    expect(faults.map((fault) => `${fault.line}:${fault.field}: ${fault.message}`)).to.deep.equal([
      "4:certificate_range_start: overlaps the certificate ids of line 3 (11-20) for the same device and registry",
      "5:source_id: repeats the bundle of line 2",
      "9:certificate_range_start: overlaps the certificate ids of line 8 (100-199) for the same device and registry",
      "10:certificate_range_start: overlaps the certificate ids of line 8 (100-199) for the same device and registry",
    ]);
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
