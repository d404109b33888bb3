import { expect } from "chai";
import { groupDevices, suggest, type EligibleDevice } from "../../server/reservations/grouping";

let n = 0;
function device(overrides: Partial<EligibleDevice> = {}): EligibleDevice {
  n += 1;
  return {
    id: `id-${n}`,
    externalId: `ext-${String(n).padStart(3, "0")}`,
    organisationId: "org-a",
    organisationName: "Alpha Solar",
    countryCode: "KE",
    fuelCode: "Solar",
    deviceTypeCode: "PVRoofMounted",
    offTaker: "School",
    capacityW: 1000,
    commissioningDate: "2024-01-01",
    timeZone: "Africa/Nairobi",
    ...overrides,
  };
}

describe("device grouping", () => {
  it("groups by country, fuel, device type and off-taker, across organisations, largest group first", () => {
    const schoolA = device({ capacityW: 5000, commissioningDate: "2023-05-01" });
    const schoolB = device({ organisationId: "org-b", organisationName: "Beta Power", capacityW: 2000, commissioningDate: "2024-03-01" });
    const schoolC = device({ organisationId: "org-b", organisationName: "Beta Power", capacityW: 500, commissioningDate: "2022-07-15" });
    const clinic = device({ offTaker: "HealthFacility", capacityW: 9000 });
    const ground = device({ deviceTypeCode: "PVGroundMounted", capacityW: 100 });
    const uganda = device({ countryCode: "UG", timeZone: "Africa/Kampala", capacityW: 100 });
    const untyped = device({ deviceTypeCode: null, offTaker: null, capacityW: 50 });

    const groups = groupDevices([schoolC, ground, schoolA, clinic, uganda, schoolB, untyped]);

    expect(groups.map((g) => [g.countryCode, g.deviceTypeCode, g.offTaker, g.totalCapacityW])).to.deep.equal([
      ["KE", "PVRoofMounted", "HealthFacility", 9000],
      ["KE", "PVRoofMounted", "School", 7500],
      ["KE", "PVGroundMounted", "School", 100],
      ["UG", "PVRoofMounted", "School", 100],
      ["KE", null, null, 50],
    ]);
    const schools = groups[1];
    expect(schools.devices.map((d) => d.id)).to.deep.equal([schoolA.id, schoolB.id, schoolC.id]);
    expect(schools.organisations).to.deep.equal([
      { id: "org-b", name: "Beta Power", deviceCount: 2 },
      { id: "org-a", name: "Alpha Solar", deviceCount: 1 },
    ]);
    expect(schools.commissioning).to.deep.equal({ from: "2022-07-15", to: "2024-03-01" });
    expect(schools.suggestion).to.equal(undefined);
  });

  it("lists every time zone of a group whose country spans several", () => {
    const groups = groupDevices([
      device({ countryCode: "US", timeZone: "America/New_York" }),
      device({ countryCode: "US", timeZone: "America/Los_Angeles" }),
      device({ countryCode: "US", timeZone: "America/New_York" }),
    ]);
    expect(groups).to.have.length(1);
    expect(groups[0].timeZones).to.deep.equal(["America/Los_Angeles", "America/New_York"]);
  });

  it("suggests, per group, devices reaching the target capacity", () => {
    const big = device({ capacityW: 9000 });
    const other = device({ offTaker: "Residential", capacityW: 3000 });
    const groups = groupDevices([big, device({ capacityW: 2000 }), other], 10_000);
    expect(groups[0].suggestion).to.deep.equal({ deviceIds: [big.id, groups[0].devices[1].id], capacityW: 11_000, meetsTarget: true });
    expect(groups[1].suggestion).to.deep.equal({ deviceIds: [other.id], capacityW: 3000, meetsTarget: false });
  });

  describe("suggestion", () => {
    const kw = (...capacities: number[]) => capacities.map((capacity) => device({ capacityW: capacity * 1000 }));

    it("takes the largest devices that keep the total within the target, exactly when they can", () => {
      const [d8, d6, d4] = kw(8, 6, 4);
      expect(suggest([d4, d6, d8], 12_000)).to.deep.equal({ deviceIds: [d8.id, d4.id], capacityW: 12_000, meetsTarget: true });
    });

    it("closes a remaining gap with the smallest device passed over", () => {
      const [d8, d6, d5, d3, d2] = kw(8, 6, 5, 3, 2);
      // 8 fits, 6 and 5 would pass 12, 3 fits (11), 2 would pass 12: the smallest passed over (2) closes the gap.
      expect(suggest([d2, d5, d8, d3, d6], 12_000)).to.deep.equal({ deviceIds: [d8.id, d3.id, d2.id], capacityW: 13_000, meetsTarget: true });
    });

    it("offers every device when even all of them fall short", () => {
      const [d2, d1] = kw(2, 1);
      expect(suggest([d1, d2], 5_000)).to.deep.equal({ deviceIds: [d2.id, d1.id], capacityW: 3_000, meetsTarget: false });
    });

    it("drops the small devices a large closing one makes unnecessary", () => {
      const [d20, d4, d1] = kw(20, 4, 1);
      // 4 and 1 fit under 15 but leave a gap only 20 closes; with 20 in, the 4 and the 1 are not needed.
      expect(suggest([d1, d20, d4], 15_000)).to.deep.equal({ deviceIds: [d20.id], capacityW: 20_000, meetsTarget: true });
    });
  });
});
