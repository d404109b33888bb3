import { expect } from "chai";
import { parse } from "csv-parse/sync";
import { SDG_BENEFITS, sdgBenefitsOf, sdgMask } from "../../server/devices/catalogue";
import { candidateFromRow, mapHeader, templateCsv } from "../../server/devices/csv";
import { decodeCursor, encodeCursor, toListQuery, DeviceListQuerySchema } from "../../server/devices/listing";
import { deriveTimeZone } from "../../server/devices/timeZones";
import {
  changedCertificationFields,
  checkDevice,
  DEVICE_FIELDS,
  judgeUpdate,
  patchedInput,
  repeatedExternalIds,
  type DeviceAttributes,
} from "../../server/devices/validation";
import { validDevice } from "./support";

const onboardedAt = new Date("2026-06-01T12:00:00Z");
const check = (overrides: Record<string, unknown> = {}) => checkDevice(validDevice(overrides), { onboardedAt });
const messagesFor = (result: ReturnType<typeof checkDevice>, field: string) =>
  result.issues.filter((issue) => issue.field === field || issue.field.startsWith(`${field}.`)).map((issue) => issue.message);
const withoutKeys = (...keys: string[]) => {
  const device = validDevice();
  for (const key of keys) delete device[key];
  return device;
};

describe("device validation (pure)", () => {
  it("accepts a complete device and normalises it: whole W and Wh, SDG codes, derived zone and GC types", () => {
    const result = check();
    expect(result.issues).to.deep.equal([]);
    expect(result.device).to.deep.include({
      capacityW: 12_500,
      energyStorageCapacityWh: 20_000,
      timeZone: "Africa/Nairobi",
      timeZoneSource: "coordinates",
      energySource: "solar_pv",
      technologyType: "solar_pv",
      isStorage: false,
      commissioningDate: "2024-01-15",
    });
  });

  describe("commissioning date against the onboarding date (device-local)", () => {
    it("accepts the onboarding date itself, refuses the day after", () => {
      expect(check({ commissioningDate: "2026-06-01" }).device?.commissioningDate).to.equal("2026-06-01");
      const after = check({ commissioningDate: "2026-06-02" });
      expect(after.device).to.equal(undefined);
      expect(messagesFor(after, "commissioningDate")[0]).to.match(/on or before the onboarding date 2026-06-01/);
    });

    it("reads an instant as the device-local date, so the same instant can be a different day", () => {
      // 22:30 UTC on 31 May is already 1 June in Nairobi (UTC+3): still the onboarding day there.
      expect(check({ commissioningDate: "2026-05-31T22:30:00Z" }).device?.commissioningDate).to.equal("2026-06-01");
      // In New York (UTC-4) 03:00 UTC on 2 June is still 1 June, the onboarding day; an hour past local midnight is not.
      const newYork = { countryCode: "US", latitude: 40.7, longitude: -74 };
      expect(check({ ...newYork, commissioningDate: "2026-06-02T03:00:00Z" }).device?.commissioningDate).to.equal("2026-06-01");
      expect(check({ ...newYork, commissioningDate: "2026-06-02T05:00:00Z" }).device).to.equal(undefined);
    });

    it("refuses impossible dates and instants without an offset", () => {
      for (const commissioningDate of ["2024-02-30", "2024-13-01", "1899-12-31", "15/01/2024", "2024-01-15T10:00:00", "2024-02-30T10:00:00Z", ""]) {
        expect(messagesFor(check({ commissioningDate }), "commissioningDate"), commissioningDate).to.have.length(1);
      }
    });
  });

  it("bounds latitude to ±90 and longitude to ±180, inclusive", () => {
    for (const [latitude, longitude] of [[90, 180], [-90, -180]]) {
      expect(check({ latitude, longitude }).issues, `${latitude},${longitude}`).to.deep.equal([]);
    }
    expect(messagesFor(check({ latitude: 90.0001 }), "latitude")).to.deep.equal(["must be at most 90"]);
    expect(messagesFor(check({ latitude: -90.0001 }), "latitude")).to.deep.equal(["must be at least -90"]);
    expect(messagesFor(check({ longitude: 180.0001 }), "longitude")).to.deep.equal(["must be at most 180"]);
    expect(messagesFor(check({ longitude: -180.0001 }), "longitude")).to.deep.equal(["must be at least -180"]);
  });

  it("requires latitude and longitude together", () => {
    expect(messagesFor(check({ latitude: null }), "latitude")).to.deep.equal(["is required with longitude"]);
    expect(messagesFor(check({ longitude: null }), "longitude")).to.deep.equal(["is required with latitude"]);
  });

  it("requires a capacity above 0 kW in whole watts", () => {
    expect(messagesFor(check({ capacity: 0 }), "capacity")).to.deep.equal(["must be greater than 0 kW"]);
    expect(messagesFor(check({ capacity: -1 }), "capacity")).to.deep.equal(["must be greater than 0 kW"]);
    expect(check({ capacity: 0.001 }).device?.capacityW).to.equal(1);
    expect(messagesFor(check({ capacity: 0.0005 }), "capacity")).to.deep.equal(["must have at most 3 decimals (whole W)"]);
    expect(messagesFor(check({ capacity: "12" }), "capacity")).to.deep.equal(["must be a number"]);
    expect(messagesFor(checkDevice(withoutKeys("capacity"), { onboardedAt }), "capacity")).to.deep.equal(["is required"]);
  });

  it("restricts external ids to letters, digits, - and _", () => {
    expect(check({ externalId: "Aa9-_z" }).issues).to.deep.equal([]);
    for (const externalId of ["a#b", "a b", "a/b", "a?b", "é", "a%20", ""]) {
      expect(check({ externalId }).device, externalId).to.equal(undefined);
    }
    expect(messagesFor(check({ externalId: "x".repeat(101) }), "externalId")).to.deep.equal(["must be at most 100 characters"]);
  });

  it("accepts only the seed's enum values and names them all when refusing", () => {
    const refusal = messagesFor(check({ offTaker: "Hospital" }), "offTaker")[0];
    expect(refusal).to.equal("must be one of: School, HealthFacility, Residential, Commercial, Industrial, PublicSector, Agriculture");
    expect(messagesFor(check({ fuelCode: "Wind" }), "fuelCode")).to.deep.equal(["must be one of: Solar"]);
    expect(messagesFor(check({ deviceTypeCode: "PVRoof" }), "deviceTypeCode")[0]).to.include("PVGroundMounted, PVRoofMounted, PVFloating, PVAggregated, SolarThermalConcentration");
    expect(messagesFor(check({ deviceDescription: "Lamp" }), "deviceDescription")[0]).to.include("SolarLantern, SolarHomeSystem, MiniGrid, RooftopSolar, GroundMountSolar");
  });

  it("takes SDG benefits as any subset of the seed's list, without repeats", () => {
    expect(check({ sdgBenefits: [...SDG_BENEFITS] }).device?.sdgBenefits).to.deep.equal([...SDG_BENEFITS]);
    expect(check({ sdgBenefits: [] }).device?.sdgBenefits).to.deep.equal([]);
    expect(check({ sdgBenefits: ["NoPoverty", "QualityEducation"] }).issues.map((i) => i.field)).to.deep.equal(["sdgBenefits.1"]);
    expect(messagesFor(check({ sdgBenefits: ["NoPoverty", "NoPoverty"] }), "sdgBenefits")).to.deep.equal(["must not list a benefit twice"]);
    expect(sdgBenefitsOf(sdgMask(["ClimateAction", "NoPoverty"]))).to.deep.equal(["NoPoverty", "ClimateAction"]);
  });

  it("requires a storage capacity exactly when the device has energy storage", () => {
    expect(messagesFor(check({ energyStorageCapacity: null }), "energyStorageCapacity")).to.deep.equal(["is required when energyStorage is true"]);
    expect(messagesFor(check({ energyStorage: false }), "energyStorageCapacity")).to.deep.equal(["applies only when energyStorage is true"]);
    expect(check({ energyStorage: false, energyStorageCapacity: null }).device?.energyStorage).to.equal(false);
    expect(messagesFor(check({ energyStorageCapacity: 0 }), "energyStorageCapacity")).to.deep.equal(["must be greater than 0 kWh"]);
  });

  it("registers storage devices (GC) without D-REC codes, defaulting to battery storage", () => {
    const battery = checkDevice(
      { externalId: "byrd-ranch", countryCode: "US", commissioningDate: "2023-07-01", capacity: 50_000, latitude: 29.056, longitude: -95.687, isStorage: true, energyStorageCapacity: 100_000, grid: "ERCOT" },
      { onboardedAt },
    );
    expect(battery.issues).to.deep.equal([]);
    expect(battery.device).to.deep.include({ isStorage: true, energyStorage: true, energySource: "battery_storage", technologyType: "battery_storage", fuelCode: null, timeZone: "America/Chicago" });
    expect(messagesFor(check({ isStorage: true, technologyType: "solar_pv" }), "technologyType")[0]).to.match(/storage technology/);
    expect(messagesFor(check({ isStorage: true, energyStorage: false }), "energyStorage")).to.deep.equal(["must be true for a storage device (isStorage)"]);
    const generator = checkDevice(withoutKeys("fuelCode", "deviceTypeCode"), { onboardedAt });
    expect(messagesFor(generator, "fuelCode")).to.deep.equal(["is required (unless isStorage is true)"]);
    expect(messagesFor(generator, "deviceTypeCode")).to.deep.equal(["is required (unless isStorage is true)"]);
  });

  it("keeps GC energy source and technology consistent with the D-REC codes", () => {
    expect(check({ deviceTypeCode: "SolarThermalConcentration" }).device?.technologyType).to.equal("other");
    expect(messagesFor(check({ energySource: "wind" }), "energySource")).to.deep.equal(["must be solar_pv for fuelCode Solar"]);
    expect(messagesFor(check({ technologyType: "hydro" }), "technologyType")).to.deep.equal(["must be solar_pv for deviceTypeCode PVRoofMounted"]);
  });

  describe("time zone", () => {
    it("validates and canonicalises an explicit IANA zone", () => {
      expect(check({ timeZone: "africa/nairobi" }).device).to.deep.include({ timeZone: "Africa/Nairobi", timeZoneSource: "given" });
      expect(messagesFor(check({ timeZone: "Mars/Olympus" }), "timeZone")).to.deep.equal(["must be an IANA time zone such as Africa/Nairobi"]);
    });

    it("derives it from coordinates, else from a single-zone country", () => {
      expect(deriveTimeZone("DE", { latitude: 47.69, longitude: 8.68 })).to.deep.equal({ zone: "Europe/Zurich", source: "coordinates" });
      expect(check({ latitude: null, longitude: null }).device).to.deep.include({ timeZone: "Africa/Nairobi", timeZoneSource: "country" });
    });

    it("refuses to guess for a country with several zones, saying what to give", () => {
      const result = check({ countryCode: "US", latitude: null, longitude: null });
      expect(result.device).to.equal(undefined);
      expect(messagesFor(result, "timeZone")[0]).to.match(/^country US spans several time zones \(America\/Adak, .*\): give timeZone, or latitude and longitude/);
      expect(check({ countryCode: "US", latitude: null, longitude: null, timeZone: "America/Denver" }).device?.timeZone).to.equal("America/Denver");
    });
  });

  it("refuses unknown fields and lower-case or unknown country codes", () => {
    expect(checkDevice({ ...validDevice(), organisationId: "x" }, { onboardedAt }).issues.map((i) => i.field)).to.deep.equal(["organisationId"]);
    expect(messagesFor(check({ countryCode: "ke" }), "countryCode")[0]).to.match(/ISO 3166-1 alpha-2/);
    expect(check({ countryCode: "XX" }).device).to.equal(undefined);
  });

  it("keeps a device whose only faults are in optional fields, dropping those values", () => {
    const result = check({ offTaker: "Hospital", latitude: 200, yieldOverride: 9000, sdgBenefits: ["Nope"] });
    expect(result.issues.map((issue) => issue.field)).to.have.members(["offTaker", "latitude", "yieldOverride", "sdgBenefits.0"]);
    expect(result.device).to.deep.include({ offTaker: null, latitude: null, longitude: null, yieldOverride: null, sdgBenefits: [], timeZoneSource: "country" });
  });

  it("re-derives zones and GC types on update, and names changed certification fields by their API names", () => {
    const before = check().device as DeviceAttributes;
    const moved = checkDevice(patchedInput(before, { countryCode: "IN", latitude: 28.6, longitude: 77.2 }), { onboardedAt }).device!;
    expect(moved.timeZone).to.equal("Asia/Kolkata");
    expect(changedCertificationFields(before, moved)).to.deep.equal(["countryCode", "latitude", "longitude", "timeZone"]);
    const resized = checkDevice(patchedInput(before, { capacity: 13, projectName: "Renamed" }), { onboardedAt }).device!;
    expect(changedCertificationFields(before, resized)).to.deep.equal(["capacity"]);
    const thermal = checkDevice(patchedInput(before, { deviceTypeCode: "SolarThermalConcentration" }), { onboardedAt }).device!;
    expect(thermal.technologyType).to.equal("other");
  });

  it("lets an update leave upload flags alone, clears the flags of fields it sets, and refuses new faults", () => {
    const flags = [
      { field: "offTaker", message: "must be one of: …" },
      { field: "sdgBenefits.1", message: "must be one of: …" },
    ];
    const stillFaulty = [{ field: "sdgBenefits", message: "still wrong" }];
    expect(judgeUpdate(flags, { projectName: "x" }, stillFaulty)).to.deep.equal({ refused: [], flags });
    expect(judgeUpdate(flags, { offTaker: "School" }, [])).to.deep.equal({ refused: [], flags: [flags[1]] });
    expect(judgeUpdate(flags, { sdgBenefits: ["Nope"] }, stillFaulty)).to.deep.equal({ refused: stillFaulty, flags: [flags[0]] });
    const newFault = { field: "capacity", message: "must be greater than 0 kW" };
    expect(judgeUpdate(flags, { capacity: 0 }, [newFault]).refused).to.deep.equal([newFault]);
  });

  it("finds repeated external ids, pointing at the first use", () => {
    expect([...repeatedExternalIds(["a", "b", "a", "a"])]).to.deep.equal([
      [2, 0],
      [3, 0],
    ]);
  });
});

describe("device CSV format (pure)", () => {
  it("maps headers case-insensitively and names unknown, repeated and missing columns", () => {
    expect(mapHeader([" ExternalID", "countrycode", "commissioningDate", "CAPACITY"])).to.deep.equal({
      columns: ["externalId", "countryCode", "commissioningDate", "capacity"],
    });
    const bad = mapHeader(["externalId", "colour", "externalId"]);
    expect("problems" in bad && bad.problems).to.deep.equal([
      `column 2 "colour" is not a device field (accepted: ${DEVICE_FIELDS.join(", ")})`,
      "column 3 repeats externalId",
      "required columns are missing: countryCode, commissioningDate, capacity",
    ]);
  });

  it("turns cells into the values a JSON client would send, keeping what does not parse for the check to name", () => {
    const columns = ["externalId", "capacity", "gridInterconnection", "energyStorage", "sdgBenefits", "latitude", "projectName"] as const;
    expect(candidateFromRow([...columns], [" d-1 ", "1.5", "YES", "no", "NoPoverty; ClimateAction;", "abc", ""])).to.deep.equal({
      externalId: "d-1",
      capacity: 1.5,
      gridInterconnection: true,
      energyStorage: false,
      sdgBenefits: ["NoPoverty", "ClimateAction"],
      latitude: "abc",
    });
  });

  it("offers a template whose header lists every field and whose example row is a valid device", () => {
    const [header, example, ...rest] = parse(templateCsv()) as string[][];
    expect(header).to.deep.equal(DEVICE_FIELDS);
    expect(rest).to.deep.equal([]);
    const result = checkDevice(candidateFromRow(DEVICE_FIELDS, example), { onboardedAt });
    expect(result.issues).to.deep.equal([]);
    expect(result.device?.address).to.equal("1 School Road, Nairobi");
  });
});

describe("device list query (pure)", () => {
  const parseQuery = (query: Record<string, string>) => DeviceListQuerySchema.parse(query);

  it("round-trips cursors and refuses forged or mismatched ones", () => {
    const cursor = encodeCursor({ sort: "capacity", order: "asc", value: 1500, id: "abc" });
    expect(decodeCursor(cursor)).to.deep.equal({ sort: "capacity", order: "asc", value: 1500, id: "abc" });
    expect(decodeCursor("not-a-cursor")).to.equal(undefined);
    expect(decodeCursor(Buffer.from(JSON.stringify(["capacity", "asc", "1500", "abc"])).toString("base64url"))).to.equal(undefined);
    expect(toListQuery(parseQuery({ sort: "externalId", order: "asc", cursor }))).to.deep.equal([
      { field: "query.cursor", message: "was issued for sort=capacity&order=asc; repeat those with it" },
    ]);
  });

  it("turns kW bounds into whole watts, rounding inwards, and refuses inverted ranges", () => {
    expect(toListQuery(parseQuery({ capacityMin: "1.0005", capacityMax: "2.9999" }))).to.deep.include({ capacityMinW: 1001, capacityMaxW: 2999 });
    expect(toListQuery(parseQuery({ capacityMin: "5", capacityMax: "4" }))).to.deep.equal([{ field: "query.capacityMax", message: "must not be below capacityMin" }]);
    expect(toListQuery(parseQuery({ commissionedFrom: "2024-02-01", commissionedTo: "2024-01-31" }))).to.deep.equal([
      { field: "query.commissionedTo", message: "must not be before commissionedFrom" },
    ]);
  });
});
