import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { DEVICE_TYPE_CODES, OFF_TAKERS, SDG_BENEFITS } from "../../server/devices/catalogue";
import { createTestApi, seedOrganisation, type SeededUser, type TestApi } from "../support/api";
import { validDevice } from "./support";

interface Listed {
  id: string;
  externalId: string;
  countryCode: string;
  deviceTypeCode: string;
  offTaker: string | null;
  capacity: number;
  sdgBenefits: string[];
  commissioningDate: string;
  onboardedAt: string;
  organisationId: string;
}

const COUNTRIES = ["KE", "IN", "NG"];

/** Varied devices: repeated capacities and dates exercise the id tie-break. */
function variedDevice(i: number, prefix = "d") {
  const day = new Date(Date.UTC(2020, 0, 1) + ((i * 13) % 1500) * 86_400_000).toISOString().slice(0, 10);
  return validDevice({
    externalId: `${prefix}-${String(i).padStart(3, "0")}`,
    countryCode: COUNTRIES[i % 3],
    latitude: null,
    longitude: null,
    deviceTypeCode: DEVICE_TYPE_CODES[i % DEVICE_TYPE_CODES.length],
    offTaker: i % 11 === 0 ? null : OFF_TAKERS[i % OFF_TAKERS.length],
    capacity: ((i * 37) % 25) + 0.5,
    sdgBenefits: SDG_BENEFITS.filter((_, bit) => bit < 4 && ((i >> bit) & 1) === 1),
    commissioningDate: day,
  });
}

describe("GET /devices: filters, sorting and cursor pagination", () => {
  let api: TestApi;
  let developer: SeededUser;
  let all: Listed[];

  const list = async (token: string, query: string) => {
    const response = await api.request("GET", `/devices?${query}`, { token });
    expect(response.status, await response.clone().text()).to.equal(200);
    return (await response.json()) as { items: Listed[]; nextCursor: string | null };
  };

  /** Follows nextCursor to the end, checking no device comes twice. */
  const walk = async (token: string, query: string, limit: number, betweenPages: () => Promise<void> = async () => {}) => {
    const seen: Listed[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Listed[]; nextCursor: string | null } = await list(token, `${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(page.items.length).to.be.at.most(limit);
      if (page.nextCursor) expect(page.items.length).to.equal(limit);
      seen.push(...page.items);
      cursor = page.nextCursor;
      await betweenPages();
    } while (cursor);
    expect(new Set(seen.map((d) => d.id)).size, "a device came twice").to.equal(seen.length);
    return seen;
  };

  const byKeyThenId = (key: keyof Listed, order: "asc" | "desc") => (a: Listed, b: Listed) => {
    const [x, y] = [a[key] as string | number, b[key] as string | number];
    const result = x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    return order === "asc" ? result : -result;
  };
  const ids = (devices: Listed[]) => devices.map((d) => d.id);

  before(async () => {
    api = await createTestApi();
    developer = seedOrganisation(api, "developer");
    all = [];
    for (let batch = 0; batch < 3; batch++) {
      const response = await api.request("POST", "/devices", { token: developer.token, body: Array.from({ length: 30 }, (_, i) => variedDevice(batch * 30 + i)) });
      expect(response.status).to.equal(201);
      all.push(...(await response.json()));
      api.clock.advance(60_000);
    }
    // Another organisation's devices must never leak into the developer's lists.
    const other = seedOrganisation(api, "developer");
    expect((await api.request("POST", "/devices", { token: other.token, body: [variedDevice(1, "o"), variedDevice(2, "o")] })).status).to.equal(201);
  });
  after(() => api.close());

  it("walks every page in each sort order without repeats or gaps, ties broken by id", async () => {
    const sorts: [string, keyof Listed][] = [
      ["onboardedAt", "onboardedAt"],
      ["commissioningDate", "commissioningDate"],
      ["capacity", "capacity"],
      ["externalId", "externalId"],
    ];
    for (const [sort, key] of sorts) {
      for (const order of ["asc", "desc"] as const) {
        const walked = await walk(developer.token, `sort=${sort}&order=${order}`, 7);
        expect(ids(walked), `${sort} ${order}`).to.deep.equal(ids([...all].sort(byKeyThenId(key, order))));
      }
    }
    const firstPage = await list(developer.token, "");
    expect(ids(firstPage.items), "default: newest first, 50 a page").to.deep.equal(ids([...all].sort(byKeyThenId("onboardedAt", "desc"))).slice(0, 50));
  });

  it("applies each of the seed's filters, alone and combined", async () => {
    const cases: [string, (d: Listed) => boolean][] = [
      ["countryCode=KE", (d) => d.countryCode === "KE"],
      ["countryCode=KE,NG", (d) => d.countryCode === "KE" || d.countryCode === "NG"],
      ["deviceTypeCode=PVFloating", (d) => d.deviceTypeCode === "PVFloating"],
      ["offTaker=School,Agriculture", (d) => d.offTaker === "School" || d.offTaker === "Agriculture"],
      ["capacityMin=10.5&capacityMax=20.5", (d) => d.capacity >= 10.5 && d.capacity <= 20.5],
      ["capacityMin=24.5", (d) => d.capacity >= 24.5],
      ["sdgBenefits=NoPoverty", (d) => d.sdgBenefits.includes("NoPoverty")],
      ["sdgBenefits=NoPoverty,GenderEquality", (d) => d.sdgBenefits.includes("NoPoverty") && d.sdgBenefits.includes("GenderEquality")],
      ["commissionedFrom=2021-01-01&commissionedTo=2022-06-30", (d) => d.commissioningDate >= "2021-01-01" && d.commissioningDate <= "2022-06-30"],
      ["commissionedTo=2020-03-01", (d) => d.commissioningDate <= "2020-03-01"],
      [
        "countryCode=IN&deviceTypeCode=PVGroundMounted,PVAggregated&capacityMax=15&sdgBenefits=ZeroHunger&commissionedFrom=2020-06-01",
        (d) =>
          d.countryCode === "IN" &&
          ["PVGroundMounted", "PVAggregated"].includes(d.deviceTypeCode) &&
          d.capacity <= 15 &&
          d.sdgBenefits.includes("ZeroHunger") &&
          d.commissioningDate >= "2020-06-01",
      ],
    ];
    for (const [query, matches] of cases) {
      const expected = all.filter(matches).sort(byKeyThenId("capacity", "asc"));
      expect(expected.length, `${query} should select some but not all`).to.be.within(1, all.length - 1);
      expect(ids(await walk(developer.token, `${query}&sort=capacity&order=asc`, 5)), query).to.deep.equal(ids(expected));
    }
  });

  it("stays stable while devices are added between pages", async () => {
    const other = seedOrganisation(api, "developer");
    const created = await api.request("POST", "/devices", { token: other.token, body: Array.from({ length: 40 }, (_, i) => variedDevice(i, "s")) });
    const originals = (await created.json()) as Listed[];
    let addedDuringWalk: string[] = [];
    const addSome = async () => {
      // Capacities on both sides of wherever the walk has got to.
      const body = [0.5, 12.5, 24.5].map((capacity) => validDevice({ externalId: `late-${randomUUID().slice(0, 8)}`, capacity }));
      const response = await api.request("POST", "/devices", { token: other.token, body });
      expect(response.status).to.equal(201);
      addedDuringWalk.push(...ids(await response.json()));
      api.clock.advance(1_000);
    };
    for (const [query, key, order] of [
      ["sort=capacity&order=asc", "capacity", "asc"],
      ["sort=onboardedAt&order=desc", "onboardedAt", "desc"],
    ] as const) {
      addedDuringWalk = [];
      const walked = await walk(other.token, query, 6, addSome);
      const originalIds = new Set(ids(originals));
      expect(walked.filter((d) => originalIds.has(d.id)).length, query).to.equal(originals.length);
      expect(ids(walked), `${query} stays in order`).to.deep.equal(ids([...walked].sort(byKeyThenId(key, order))));
      if (order === "desc") {
        // Newest first: whatever is added during the walk sorts before the cursor, so it never shows up.
        expect(addedDuringWalk).to.not.be.empty;
        expect(ids(walked).filter((id) => addedDuringWalk.includes(id)), query).to.deep.equal([]);
      }
    }
  });

  it("shows administrators and auditors every organisation, or the one they name", async () => {
    const auditor = seedOrganisation(api, "auditor");
    const everything = await walk(auditor.token, "sort=externalId&order=asc", 200);
    const organisations = new Set(everything.map((d) => d.organisationId));
    expect(organisations.size).to.be.greaterThan(1);
    expect(organisations.has(developer.organisationId)).to.equal(true);
    const one = await walk(auditor.token, `organisationId=${developer.organisationId}&sort=externalId&order=asc`, 200);
    expect(ids(one)).to.deep.equal(ids([...all].sort(byKeyThenId("externalId", "asc"))));
    const unknown = await api.request("GET", "/devices?organisationId=00000000-0000-4000-8000-000000000000", { token: auditor.token });
    expect(unknown.status).to.equal(404);
  });

  it("refuses bad queries, naming the parameter", async () => {
    const cases: [string, string][] = [
      ["limit=0", "query.limit"],
      ["limit=501", "query.limit"],
      ["limit=ten", "query.limit"],
      ["sort=colour", "query.sort"],
      ["order=sideways", "query.order"],
      ["countryCode=ke", "query.countryCode.0"],
      ["deviceTypeCode=PVRoof", "query.deviceTypeCode.0"],
      ["offTaker=School,Hospital", "query.offTaker.1"],
      ["sdgBenefits=QualityEducation", "query.sdgBenefits.0"],
      ["capacityMin=-1", "query.capacityMin"],
      ["capacityMin=5&capacityMax=4", "query.capacityMax"],
      ["commissionedFrom=2024-02-30", "query.commissionedFrom"],
      ["commissionedFrom=2024-03-01&commissionedTo=2024-02-01", "query.commissionedTo"],
      ["cursor=garbage", "query.cursor"],
      ["organisationId=not-a-uuid", "query.organisationId"],
    ];
    for (const [query, field] of cases) {
      const response = await api.request("GET", `/devices?${query}`, { token: developer.token });
      expect(response.status, query).to.equal(400);
      expect(((await response.json()).errors as { field: string }[]).map((e) => e.field), query).to.include(field);
    }
    const page = await list(developer.token, "sort=capacity&order=asc&limit=2");
    const mismatched = await api.request("GET", `/devices?sort=capacity&order=desc&cursor=${page.nextCursor}`, { token: developer.token });
    expect(mismatched.status).to.equal(400);
  });
});
