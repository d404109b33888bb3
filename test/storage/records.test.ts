import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { parseBundleId } from "../../server/gc/bundleIds";
import { formatRatio } from "../../server/storage/maths";
import {
  allocate,
  ALLOCATION_COLUMNS,
  allocationRowsFrom,
  csvRows,
  POSITION_COLUMNS,
  storageRecordsFrom,
  type AllocatableGc,
  type AllocationRow,
  type CandidateRow,
  type Checked,
  type RowFault,
  type StorageRecord,
} from "../../server/storage/records";

const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name), "utf8");
const t = (iso: string) => Date.parse(iso);

function value<T>(checked: Checked<T>): T {
  if (!checked.ok) throw new Error(JSON.stringify(checked.faults));
  return checked.value;
}
function faults<T>(checked: Checked<T>): RowFault[] {
  if (checked.ok) throw new Error("expected faults");
  return checked.faults;
}
const where = (list: RowFault[]) => list.map((f) => `${f.line ?? "-"}:${f.row ?? "-"}:${f.field}`);

/** The GC bundles the rows name, each produced in its row's charge hour and held in full. */
function gcsOf(rows: readonly AllocationRow[]): Map<string, AllocatableGc> {
  return new Map(rows.map((row) => [row.gcId, { hourStart: row.chargeHour, availableWh: parseBundleId(row.gcId).energyWh }]));
}

const positionRows = (...lines: string[]) => value(csvRows([POSITION_COLUMNS.join(","), ...lines].join("\n"), POSITION_COLUMNS));
const allocationRows = (...lines: string[]) => value(csvRows([ALLOCATION_COLUMNS.join(","), ...lines].join("\n"), ALLOCATION_COLUMNS));

describe("storage records: the seed's example end to end", () => {
  const records = value(storageRecordsFrom(value(csvRows(fixture("byrd-ranch-positions.csv"), POSITION_COLUMNS)), new Set()));
  const allocations = value(allocationRowsFrom(value(csvRows(fixture("byrd-ranch-allocations.csv"), ALLOCATION_COLUMNS))));

  it("turns the asset position table into one record per non-zero flow", () => {
    const charges = records.filter((r) => r.flow === "charge");
    const discharges = records.filter((r) => r.flow === "discharge");
    expect(charges.map((r) => new Date(r.hourStart).toISOString().slice(0, 13))).to.deep.equal(["2024-07-01T14", "2024-07-01T15", "2024-07-01T16", "2024-07-01T17", "2024-07-01T18"]);
    expect(discharges.map((r) => new Date(r.hourStart).toISOString().slice(0, 13))).to.deep.equal(["2024-07-02T00", "2024-07-02T01", "2024-07-02T02", "2024-07-02T03", "2024-07-02T04"]);
    expect(records.reduce((sum, r) => sum + r.energyWh, 0n)).to.equal(5_630_000n + 5_407_248n);
  });

  it("matches the allocation records and gives the seed's volumes and factors exactly", () => {
    const allocation = value(allocate(allocations, records, gcsOf(allocations)));
    expect(allocation.volumes).to.deep.equal({ sdrVolumeWh: 5_257_248n, gcsCancelledWh: 5_210_000n, sdgcVolumeWh: 5_004_300n });
    expect(formatRatio(allocation.factors.sdrProportion!)).to.equal("0.95188585");
    expect(formatRatio(allocation.factors.efficiencyFactor!)).to.equal("0.96051823");
  });

  it("names each allocated record's SCR, SDR and GC bundle, and the Wh to cancel per bundle", () => {
    const allocation = value(allocate(allocations, records, gcsOf(allocations)));
    const second = allocation.records[1];
    expect([second.line, second.scr.hourStart, second.sdr.hourStart, second.gcId]).to.deep.equal([3, t("2024-07-01T15:00:00Z"), t("2024-07-02T00:00:00Z"), "SOL7-20240701-20015-0001-1350000"]);
    expect(records).to.include(second.scr).and.to.include(second.sdr);
    expect(allocation.gcsToCancel).to.deep.equal([
      { gcId: "SOL7-20240701-20014-0001-1300000", wh: 1_300_000n },
      { gcId: "SOL7-20240701-20015-0001-1350000", wh: 1_350_000n },
      { gcId: "SOL7-20240701-20016-0001-1330000", wh: 1_330_000n },
      { gcId: "SOL7-20240701-20017-0001-0730000", wh: 730_000n },
      { gcId: "WND3-20240701-40017-0001-0600000", wh: 500_000n },
    ]);
    expect(allocation.gcsToCancel.reduce((sum, gc) => sum + gc.wh, 0n)).to.equal(allocation.volumes.gcsCancelledWh);
  });

  it("carries the caller's record objects through, so stored ids stay attached", () => {
    const stored = records.map((record, i) => ({ ...record, id: 100 + i }));
    const allocation = value(allocate(allocations, stored, gcsOf(allocations)));
    expect(allocation.records.map((r) => [r.scr.id, r.sdr.id])).to.deep.equal([
      [100, 105],
      [101, 105],
      [101, 106],
      [102, 107],
      [103, 108],
      [103, 108],
    ]);
  });
});

describe("storage record files", () => {
  it("accept columns in any order and case, quoted cells and blank lines", () => {
    const rows = value(csvRows('Discharge_Wh,HOUR,charge_wh\n\n"1,0",2024-07-01T10:00:00Z,"0"\n', POSITION_COLUMNS));
    expect(rows).to.deep.equal([{ row: 1, line: 3, values: { discharge_wh: "1,0", hour: "2024-07-01T10:00:00Z", charge_wh: "0" } }]);
  });

  it("refuse a header with missing, unknown or repeated columns, naming each", () => {
    const refused = faults(csvRows("hour,hour,charge,discharge_wh\n", POSITION_COLUMNS));
    expect(refused.map((f) => `${f.field}: ${f.message}`)).to.deep.equal([
      "hour: appears twice in the header",
      "charge: is not a column of this file (columns: hour, charge_wh, discharge_wh)",
      "charge_wh: is missing from the header",
    ]);
    expect(refused.every((f) => f.line === 1 && f.row === null)).to.equal(true);
  });

  it("refuse rows with the wrong number of cells, by line, counting line breaks inside quotes", () => {
    const refused = faults(csvRows('hour,charge_wh,discharge_wh\n"2024-07-01\nT10:00:00Z",1,0\n2024-07-01T11:00:00Z,1\n', POSITION_COLUMNS));
    expect(refused).to.deep.equal([{ row: 2, line: 4, field: "row", message: "has 2 cells; the header has 3" }]);
  });

  it("refuse an empty file and text that is not CSV", () => {
    expect(where(faults(csvRows("", POSITION_COLUMNS)))).to.deep.equal(["-:-:file"]);
    expect(where(faults(csvRows('hour,charge_wh,discharge_wh\n"2024-07-01T10:00:00Z,1,0\n', POSITION_COLUMNS)))).to.deep.equal(["2:-:file"]);
  });
});

describe("asset position tables", () => {
  it("refuse bad hours and energies, naming row, line and field", () => {
    const rows = positionRows(
      "2024-07-01T10:30:00Z,1,0",
      "2024-07-01T11:00:00+05:30,1,0",
      "yesterday,1,0",
      "2024-02-30T10:00:00Z,1,0",
      "2024-07-01T12:00:00Z,-5,0",
      "2024-07-01T13:00:00Z,1.5,0",
      "2024-07-01T14:00:00Z,,0",
      "2024-07-01T15:00:00Z,0,99999999999999999",
    );
    const refused = faults(storageRecordsFrom(rows, new Set()));
    expect(where(refused)).to.deep.equal(["2:1:hour", "3:2:hour", "4:3:hour", "5:4:hour", "6:5:charge_wh", "7:6:charge_wh", "8:7:charge_wh", "9:8:discharge_wh"]);
    expect(refused[0].message).to.equal("2024-07-01T10:30:00Z is not the start of a UTC hour");
    expect(refused[6].message).to.equal("is required");
  });

  it("read an hour without an offset as UTC, and one with an offset at its UTC instant", () => {
    const records = value(storageRecordsFrom(positionRows("2024-07-01T10:00:00,5,0", "2024-07-01T06:00:00-05:00,0,7"), new Set()));
    expect(records).to.deep.equal([
      { flow: "charge", hourStart: t("2024-07-01T10:00:00Z"), energyWh: 5n },
      { flow: "discharge", hourStart: t("2024-07-01T11:00:00Z"), energyWh: 7n },
    ]);
  });

  it("keep both flows of an hour that charged and discharged, and record nothing for an idle hour", () => {
    const records = value(storageRecordsFrom(positionRows("2024-07-01T10:00:00Z,0,0", "2024-07-01T11:00:00Z,3,2"), new Set()));
    expect(records.map((r) => [r.flow, r.energyWh])).to.deep.equal([
      ["charge", 3n],
      ["discharge", 2n],
    ]);
  });

  it("refuse hours that have not ended by the given instant", () => {
    const rows = positionRows("2024-07-01T10:00:00Z,1,0", "2024-07-01T11:00:00Z,1,0");
    expect(faults(storageRecordsFrom(rows, new Set(), t("2024-07-01T11:59:59Z"))).map((f) => [f.row, f.field, f.message])).to.deep.equal([[2, "hour", "has not ended yet"]]);
    expect(value(storageRecordsFrom(rows, new Set(), t("2024-07-01T12:00:00Z")))).to.have.length(2);
  });

  it("refuse an hour given twice, or already recorded for the device", () => {
    const rows = positionRows("2024-07-01T10:00:00Z,1,0", "2024-07-01T11:00:00Z,1,0", "2024-07-01T10:00:00Z,0,1");
    const refused = faults(storageRecordsFrom(rows, new Set([t("2024-07-01T11:00:00Z")])));
    expect(refused.map((f) => [f.row, f.message])).to.deep.equal([
      [2, "is already recorded for this device; storage records cannot be changed"],
      [3, "repeats the hour of row 1"],
    ]);
  });

  it("take JSON rows with numbers, and refuse values of the wrong kind", () => {
    const json = (values: Record<string, unknown>, row = 1): CandidateRow => ({ row, line: null, values });
    expect(value(storageRecordsFrom([json({ hour: "2024-07-01T10:00:00Z", charge_wh: 12, discharge_wh: 0 })], new Set()))).to.deep.equal([{ flow: "charge", hourStart: t("2024-07-01T10:00:00Z"), energyWh: 12n }]);
    const refused = faults(storageRecordsFrom([json({ hour: 1_719_828_000_000, charge_wh: 1.5, discharge_wh: -1 }), json({ charge_wh: true }, 2)], new Set()));
    expect(refused.map((f) => `${f.row}:${f.line}:${f.field}: ${f.message}`)).to.deep.equal([
      "1:null:hour: must be an ISO 8601 date-time",
      "1:null:charge_wh: must be a whole number of Wh",
      "1:null:discharge_wh: must be a whole number of Wh",
      "2:null:hour: is required",
      "2:null:charge_wh: must be a whole number of Wh",
      "2:null:discharge_wh: is required",
    ]);
    expect(where(faults(storageRecordsFrom([], new Set())))).to.deep.equal(["-:-:rows"]);
  });
});

describe("allocation records", () => {
  const records: StorageRecord[] = [
    { flow: "charge", hourStart: t("2024-07-01T10:00:00Z"), energyWh: 1_000n },
    { flow: "charge", hourStart: t("2024-07-01T11:00:00Z"), energyWh: 500n },
    { flow: "discharge", hourStart: t("2024-07-01T20:00:00Z"), energyWh: 900n },
  ];
  const gcA = "SOL1-20240701-10-0001-0001000";
  const gcB = "SOL1-20240701-11-0001-0000800";
  const gcs = new Map<string, AllocatableGc>([
    [gcA, { hourStart: t("2024-07-01T10:00:00Z"), availableWh: 1_000n }],
    [gcB, { hourStart: t("2024-07-01T11:00:00Z"), availableWh: 400n }],
  ]);

  it("refuse rows that charge after discharging, return more than they took in, or repeat another row", () => {
    const rows = allocationRows(
      `2024-07-01T20:00:00Z,2024-07-01T20:00:00Z,${gcA},100,90`,
      `2024-07-01T20:00:00Z,2024-07-01T10:00:00Z,${gcA},100,101`,
      `2024-07-01T20:00:00Z,2024-07-01T10:00:00Z,${gcA},50,40`,
      `2024-07-01T20:00:00Z,2024-07-01T10:00:00Z,${gcA},60,40`,
      `2024-07-01T20:00:00Z,2024-07-01T10:00:00Z,not-a-gc,60,0`,
    );
    const refused = faults(allocationRowsFrom(rows));
    expect(refused.map((f) => `${f.line}:${f.field}`)).to.deep.equal(["2:charge_hour", "3:discharge_wh", "4:gc_id", "5:gc_id", "6:gc_id", "6:discharge_wh"]);
    expect(refused[2].message).to.equal("repeats the hours and GC bundle of row 2");
    expect(refused[5].message).to.equal("must be at least 1 Wh");
  });

  it("refuse hours without a record of the right flow, and GC bundles unknown or of another hour", () => {
    const rows = value(
      allocationRowsFrom(
        allocationRows(
          `2024-07-01T21:00:00Z,2024-07-01T10:00:00Z,${gcA},100,90`,
          `2024-07-01T20:00:00Z,2024-07-01T12:00:00Z,${gcA},100,90`,
          `2024-07-01T20:00:00Z,2024-07-01T10:00:00Z,SOL1-20240701-99-0001-0001000,100,90`,
          `2024-07-01T20:00:00Z,2024-07-01T10:00:00Z,${gcB},100,90`,
        ),
      ),
    );
    const refused = faults(allocate(rows, records, gcs));
    expect(refused.map((f) => `${f.line}:${f.field}`)).to.deep.equal(["2:hour", "3:charge_hour", "3:gc_id", "4:gc_id", "5:gc_id"]);
    expect(refused[0].message).to.equal("has no discharge record: the device discharged nothing in 2024-07-01T21:00:00.000Z");
    expect(refused[3].message).to.equal("is not a GC bundle available for this allocation");
    expect(refused[4].message).to.equal("was produced in 2024-07-01T11:00:00.000Z, not in the charge hour");
  });

  it("refuse allocating more than a discharge, a charge or a GC bundle holds, on each row beyond it", () => {
    const rows = value(
      allocationRowsFrom(
        allocationRows(
          `2024-07-01T20:00:00Z,2024-07-01T10:00:00Z,${gcA},600,500`,
          `2024-07-01T20:00:00Z,2024-07-01T10:00:00Z,${gcB.replace("-11-", "-10-")},500,401`,
          `2024-07-01T20:00:00Z,2024-07-01T11:00:00Z,${gcB},401,1`,
        ),
      ),
    );
    const withExtraGc = new Map([...gcs, [gcB.replace("-11-", "-10-"), { hourStart: t("2024-07-01T10:00:00Z"), availableWh: 500n }]]);
    const refused = faults(allocate(rows, records, withExtraGc));
    expect(refused.map((f) => `${f.line}:${f.field}: ${f.message}`)).to.deep.equal([
      "3:discharge_wh: brings the discharge allocated in 2024-07-01T20:00:00.000Z to 901 Wh, more than the 900 Wh discharged",
      "3:charge_wh: brings the charge allocated in 2024-07-01T10:00:00.000Z to 1100 Wh, more than the 1000 Wh charged",
      "4:discharge_wh: brings the discharge allocated in 2024-07-01T20:00:00.000Z to 902 Wh, more than the 900 Wh discharged",
      `4:charge_wh: brings the Wh taken from ${gcB} to 401, more than the 400 Wh it has available`,
    ]);
  });

  it("count what earlier allocations took from a record, and the SDR volume only what was left to them", () => {
    const rows = value(allocationRowsFrom(allocationRows(`2024-07-01T20:00:00Z,2024-07-01T10:00:00Z,${gcA},300,250`)));
    const earlier = new Map([
      [records[0], 700n],
      [records[2], 600n],
    ]);
    const allocation = value(allocate(rows, records, gcs, earlier));
    expect(allocation.volumes).to.deep.equal({ sdrVolumeWh: 300n, gcsCancelledWh: 300n, sdgcVolumeWh: 250n });
    const over = value(allocationRowsFrom(allocationRows(`2024-07-01T20:00:00Z,2024-07-01T10:00:00Z,${gcA},301,301`)));
    expect(faults(allocate(over, records, gcs, earlier)).map((f) => `${f.field}: ${f.message}`)).to.deep.equal([
      "discharge_wh: brings the discharge allocated in 2024-07-01T20:00:00.000Z to 901 Wh, more than the 900 Wh discharged",
      "charge_wh: brings the charge allocated in 2024-07-01T10:00:00.000Z to 1001 Wh, more than the 1000 Wh charged",
    ]);
  });

  it("allocate up to exactly what each record and bundle holds", () => {
    const rows = value(
      allocationRowsFrom(allocationRows(`2024-07-01T20:00:00Z,2024-07-01T10:00:00Z,${gcA},1000,600`, `2024-07-01T20:00:00Z,2024-07-01T11:00:00Z,${gcB},400,300`)),
    );
    const allocation = value(allocate(rows, records, gcs));
    expect(allocation.volumes).to.deep.equal({ sdrVolumeWh: 900n, gcsCancelledWh: 1_400n, sdgcVolumeWh: 900n });
    expect(formatRatio(allocation.factors.sdrProportion!)).to.equal("1.00000000");
    expect(formatRatio(allocation.factors.efficiencyFactor!)).to.equal("0.64285714");
  });
});
