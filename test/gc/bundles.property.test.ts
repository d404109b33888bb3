/**
 * Property test of GC bundles under random sequences of what users do through the HTTP API, and nothing else:
 * - issuance: hourly history reads (exactly one hour each) posted for a device assigned to one of the producer's
 *   accounts (`PUT /gc/devices/{id}/account`), then `POST /gc/issuance/runs`; now and then a read over an hour
 *   imported before (accepted, never issued) or over an hour already read (rejected, HISTORY_OVERLAP);
 * - imports: `POST /gc/imports?accountId=` with a CSV written on `GET /gc/imports/template`'s header, for hours and
 *   source certificate ranges not used yet (accepted), and files with deliberately overlapping rows (an hour issued
 *   or imported here, a source range or id imported before, or rows overlapping each other), refused with 409 or
 *   400 naming only those rows, changing no table and sending no transaction;
 * - splits: `POST /gc/bundles/{id}/split`; transfers, whole or partial (split first): `POST /gc/bundles/transfer`
 *   between three accounts (two of the producer, one of a trader) that all whitelisted one another.
 * A model predicts where every bundle is and what it holds. After every step, from the database:
 * - each device's live bundles (all but split parents) have integer certificate id ranges as long as their
 *   energy (and their id says), which tile 1..N: no overlap, no gap;
 * - every split parent's children add up to it exactly and partition its range;
 * - every (device, hour) is certified at most once among original production and imported bundles, and those
 *   hours are exactly the ones the model issued or imported;
 * - every live bundle is where the model says, holding what it says.
 * Every few steps and at the end, the chain agrees (`balanceOf` of every account for every bundle's token); at the
 * end each account's bundle list from the API equals the model.
 *
 * The seed is printed; replay a run with PROPERTY_SEED=<seed> npx hardhat test <this file>.
 */
import { expect } from "chai";
import { inArray } from "drizzle-orm";
import { network } from "hardhat";
import { parseBundleId } from "../../server/gc/bundleIds";
import { gcBundles } from "../../server/gc/schema";
import { DAY_MS, HOUR_MS } from "../../server/time/durations";
import { tableSnapshot, type SeededUser } from "../support/api";
import { Random, readSeed } from "../support/random";
import { accountsWorld, type AccountView, type AccountsWorld, type BundleView } from "./accountsSupport";
import { assignDevice, postHourReads } from "./issuanceSupport";

const SEED = readSeed();
const SEQUENCES = 3;
const STEPS = 24;
/** Steps between two comparisons of every balance with the chain (and one after the last step). */
const CHAIN_CHECK_EVERY = 8;
/** The hours the walk may certify, per device: from two days before the world's `dayStart`, all ended. */
const HOURS = 120;
/** Safely under the bound on a one-hour read of the test device (12.5 kW, 1,600 kWh/kWp a year). */
const MAX_READ_WH = 2_000;
/** Under the import bound of an hour of the test device: 12.5 kW × 1 h. */
const MAX_IMPORT_WH = 12_000;
const SOURCE_REGISTRY = "Flexidao";

type Origin = "production" | "imported";

interface Expected {
  accountId: string;
  energyWh: bigint;
}

interface ImportRecord {
  device: string;
  sourceId: string;
  rangeStart: number;
  rangeEnd: number;
}

/** One import row, by column name; the file is written in the template's column order. */
type ImportRow = Record<string, string>;

describe("GC bundles under random issuance, import, split and transfer through the API (property)", function () {
  this.timeout(300_000);

  // Each sequence walks from its own seed, drawn from PROPERTY_SEED.
  const seeds = new Random(SEED);
  for (let sequence = 1; sequence <= SEQUENCES; sequence++) {
    const seed = Math.floor(seeds.next() * 2 ** 32);
    it(`sequence ${sequence}: ${STEPS} steps keep id ranges, hours and balances consistent (PROPERTY_SEED=${SEED}, walk seed ${seed})`, async () => {
      if (sequence === 1) console.log(`      bundles property: PROPERTY_SEED=${SEED}`);
      await walk(sequence, seed);
    });
  }
});

async function walk(sequence: number, seed: number): Promise<void> {
  const random = new Random(seed);
  const world: AccountsWorld = await accountsWorld();
  const api = world.api;
  const devices = [await world.createDevice(), await world.createDevice(), await world.createDevice()];
  const [a, b] = await world.tradingPair();
  const c = await world.createAccount(world.developer, { name: "second producer account" });
  for (const [owner, account, others] of [
    [world.developer, a, [c]],
    [world.buyer, b, [c]],
    [world.developer, c, [a, b]],
  ] as const) {
    expect((await world.call(owner, "POST", `/gc/accounts/${account.id}/whitelist`, { add: others.map((o) => o.id) })).status).to.equal(200);
  }
  const accounts: AccountView[] = [a, b, c];
  /** The producer's accounts: its devices can be assigned to them and imported into them. */
  const producers: AccountView[] = [a, c];
  const ownerOf = (account: AccountView): SeededUser => (account.id === b.id ? world.buyer : world.developer);
  const accountOf = (id: string) => accounts.find((account) => account.id === id)!;
  const short = (id: string) => id.slice(0, 8);

  const template = await api.request("GET", "/gc/imports/template");
  expect(template.status).to.equal(200);
  const columns = (await template.text()).split(/\r?\n/)[0].split(",");
  for (const column of ["source_registry", "source_id", "device_id", "production_start", "production_end", "energy_wh", "certificate_range_start", "certificate_range_end"]) {
    expect(columns, "the import template's header").to.include(column);
  }
  const csv = (rows: readonly ImportRow[]) => [columns.join(","), ...rows.map((row) => columns.map((column) => row[column] ?? "").join(","))].join("\n") + "\n";

  // The model: live bundles, every bundle id seen, and per device the hours certified here and those read.
  const model = new Map<string, Expected>();
  const known = new Set<string>();
  const certified = new Map(devices.map((device) => [device, new Map<number, Origin>()]));
  const read = new Map(devices.map((device) => [device, new Set<number>()]));
  const imports: ImportRecord[] = [];
  const nextSourceId = new Map(devices.map((device) => [device, 1]));
  const assigned = new Map<string, string>();
  let sources = 0;

  const base = world.dayStart - 2 * DAY_MS;
  const hourStarts = Array.from({ length: HOURS }, (_, h) => base + h * HOUR_MS);
  /** The device's hours neither certified nor read yet, leaving out those `taken` (as `device@hour`). */
  const freeHours = (device: string, taken: ReadonlySet<string> = new Set()) =>
    hourStarts.filter((hour) => !certified.get(device)!.has(hour) && !read.get(device)!.has(hour) && !taken.has(`${device}@${hour}`));
  const iso = (ms: number) => new Date(ms).toISOString();

  let context = "";
  const trace: string[] = [];

  /** Every bundle of the account (optionally filtered) from `GET /gc/bundles`, page by page. */
  const listBundles = async (account: AccountView, filters: Record<string, string> = {}): Promise<BundleView[]> => {
    const items: BundleView[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ accountId: account.id, limit: "500", ...filters, ...(cursor ? { cursor } : {}) });
      const page = await world.call(ownerOf(account), "GET", `/gc/bundles?${query}`);
      expect(page.status, `${context}: ${JSON.stringify(page.body)}`).to.equal(200);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  };

  // ------------------------------------------------------------------ steps

  const issue = async (): Promise<string> => {
    const device = random.pick(devices);
    const fresh = random.sample(freeHours(device), random.int(1, 4)).sort((x, y) => x - y);
    if (fresh.length === 0) return split();
    const account = random.pick(producers);
    if (assigned.get(device) !== account.id) {
      await assignDevice(api, world.developer.organisationId, device, account.id);
      assigned.set(device, account.id);
    }
    // Now and then a read over an hour imported before (accepted, never issued: certified elsewhere), and one over
    // an hour read already (rejected).
    const importedUnread = [...certified.get(device)!].filter(([hour, origin]) => origin === "imported" && !read.get(device)!.has(hour)).map(([hour]) => hour);
    const overImport = importedUnread.length > 0 && random.chance(0.4) ? [random.pick(importedUnread)] : [];
    const overRead = read.get(device)!.size > 0 && random.chance(0.25) ? [random.pick([...read.get(device)!])] : [];
    const reads = [...fresh, ...overImport, ...overRead].map((startAt) => ({ startAt, wh: random.int(1, MAX_READ_WH) }));
    const verdicts = await postHourReads(api, world.developer.organisationId, device, reads);
    expect(
      verdicts.map((verdict) => (verdict.status === "accepted" ? "accepted" : verdict.reasons.map((reason) => reason.code).join("+"))),
      `${context}: read verdicts`,
    ).to.deep.equal([...fresh, ...overImport].map(() => "accepted").concat(overRead.map(() => "HISTORY_OVERLAP")));
    for (const hour of [...fresh, ...overImport]) read.get(device)!.add(hour);

    const run = await world.call(world.developer, "POST", "/gc/issuance/runs", { deviceIds: [device] });
    expect(run.status, `${context}: ${JSON.stringify(run.body)}`).to.equal(200);
    const expectedWh = reads.slice(0, fresh.length).reduce((sum, r) => sum + r.wh, 0);
    expect(run.body.devices, `${context}: the run's report`).to.have.length(1);
    expect(run.body.devices[0], `${context}: the run's report`).to.deep.include({
      deviceId: device,
      accountId: account.id,
      bundles: fresh.length,
      energyWh: String(expectedWh),
      minted: fresh.length,
      pending: 0,
      skippedLongReads: { reads: 0, energyWh: "0" },
    });
    const issued = (await listBundles(account, { deviceId: device, origin: "production" })).filter((bundle) => !known.has(bundle.id));
    expect(
      issued.map((bundle) => [Date.parse(bundle.periodStart), Date.parse(bundle.periodEnd) - Date.parse(bundle.periodStart), bundle.energyWh, bundle.status]).sort((x, y) => Number(x[0]) - Number(y[0])),
      `${context}: the new production bundles`,
    ).to.deep.equal(reads.slice(0, fresh.length).map((r) => [r.startAt, HOUR_MS, String(r.wh), "active"]));
    for (const bundle of issued) {
      known.add(bundle.id);
      model.set(bundle.id, { accountId: account.id, energyWh: BigInt(bundle.energyWh) });
      certified.get(device)!.set(Date.parse(bundle.periodStart), "production");
    }
    return `issue ${fresh.length}h of ${short(device)} into ${short(account.id)}${overImport.length ? " (+1 read over an import)" : ""}${overRead.length ? " (+1 overlapping read)" : ""}`;
  };

  /** A row for a fresh source id and the device's next source certificate range, unless overridden. */
  const importRow = (device: string, startAt: number, energyWh: number, overrides: ImportRow = {}): ImportRow => {
    const rangeStart = nextSourceId.get(device)! + random.int(0, 20);
    nextSourceId.set(device, rangeStart + energyWh);
    sources += 1;
    return {
      source_registry: SOURCE_REGISTRY,
      source_id: `FX-${sequence}-${sources}`,
      device_id: device,
      production_start: iso(startAt),
      production_end: iso(startAt + HOUR_MS),
      energy_wh: String(energyWh),
      certificate_range_start: String(rangeStart),
      certificate_range_end: String(rangeStart + energyWh - 1),
      ...overrides,
    };
  };

  /** A source range the device's next rows must not meet. */
  const overlappingRange = (device: string, start: number, size: number) => {
    nextSourceId.set(device, Math.max(nextSourceId.get(device)!, start + size));
    return { energy_wh: String(size), certificate_range_start: String(start), certificate_range_end: String(start + size - 1) };
  };

  /** Up to `count` rows on distinct free hours, none of them in `taken` (which they are added to). */
  const freshRows = (count: number, taken: Set<string>): ImportRow[] => {
    const rows: ImportRow[] = [];
    for (let i = 0; i < count; i++) {
      const device = random.pick(devices);
      const hours = freeHours(device, taken);
      if (hours.length === 0) continue;
      const hour = random.pick(hours);
      taken.add(`${device}@${hour}`);
      rows.push(importRow(device, hour, random.int(1, MAX_IMPORT_WH)));
    }
    return rows;
  };

  const importGood = async (): Promise<string> => {
    const account = random.pick(producers);
    const rows = freshRows(random.int(1, 3), new Set());
    if (rows.length === 0) return split();
    const response = await api.request("POST", `/gc/imports?accountId=${account.id}`, { token: world.developer.token, body: csv(rows), headers: { "content-type": "text/csv" } });
    const body = await response.json();
    expect(response.status, `${context}: ${JSON.stringify(body)}`).to.equal(201);
    expect([body.minted, body.pending], context).to.deep.equal([rows.length, 0]);
    expect(
      (body.bundles as BundleView[]).map((bundle) => [bundle.deviceId, bundle.periodStart, bundle.energyWh, bundle.origin, bundle.status, bundle.accountId, (bundle as unknown as { sourceId: string }).sourceId]),
      `${context}: the imported bundles`,
    ).to.deep.equal(rows.map((row) => [row.device_id, row.production_start, row.energy_wh, "imported", "active", account.id, row.source_id]));
    (body.bundles as BundleView[]).forEach((bundle, i) => {
      known.add(bundle.id);
      model.set(bundle.id, { accountId: account.id, energyWh: BigInt(bundle.energyWh) });
      certified.get(bundle.deviceId)!.set(Date.parse(bundle.periodStart), "imported");
      imports.push({ device: bundle.deviceId, sourceId: rows[i].source_id, rangeStart: Number(rows[i].certificate_range_start), rangeEnd: Number(rows[i].certificate_range_end) });
    });
    return `import ${rows.length} into ${short(account.id)}`;
  };

  /** A file with deliberately overlapping rows (and maybe good ones): refused, naming only the bad rows, changing nothing. */
  const importOverlapping = async (): Promise<string> => {
    const account = random.pick(producers);
    const taken = new Set<string>();
    const usedHours = devices.flatMap((device) => [...certified.get(device)!].map(([hour, origin]) => ({ device, hour, origin })));
    const kinds: { name: string; status: 400 | 409; rows: () => ImportRow[] }[] = [
      {
        name: "two rows on one hour",
        status: 400,
        rows: () => {
          const device = random.pick(devices);
          const hours = freeHours(device, taken);
          if (hours.length === 0) return [];
          const hour = random.pick(hours);
          taken.add(`${device}@${hour}`);
          return [importRow(device, hour, random.int(1, MAX_IMPORT_WH)), importRow(device, hour, random.int(1, MAX_IMPORT_WH))];
        },
      },
      {
        name: "two rows with meeting source ranges",
        status: 400,
        rows: () => {
          const [first] = freshRows(1, taken);
          const [second] = freshRows(1, taken);
          if (!first || !second) return [];
          const size = random.int(1, MAX_IMPORT_WH);
          const start = Number(first.certificate_range_start) + random.int(0, Number(first.energy_wh) - 1);
          // The same device, so the same source range space.
          const hours = freeHours(first.device_id, taken);
          if (hours.length === 0) return [];
          const hour = random.pick(hours);
          taken.add(`${first.device_id}@${hour}`);
          return [first, { ...second, device_id: first.device_id, production_start: iso(hour), production_end: iso(hour + HOUR_MS), ...overlappingRange(first.device_id, start, size) }];
        },
      },
      {
        name: "two rows with one source id",
        status: 400,
        rows: () => {
          const rows = freshRows(2, taken);
          return rows.length === 2 ? [rows[0], { ...rows[1], source_id: rows[0].source_id }] : [];
        },
      },
    ];
    if (usedHours.length > 0) {
      kinds.push({
        name: "an hour certified here",
        status: 409,
        rows: () => {
          const { device, hour } = random.pick(usedHours);
          // The whole hour, or only its second half.
          const from = random.chance(0.5) ? hour : hour + HOUR_MS / 2;
          return [importRow(device, from, random.int(1, MAX_IMPORT_WH / 2), { production_end: iso(hour + HOUR_MS) })];
        },
      });
    }
    if (imports.length > 0) {
      kinds.push(
        {
          name: "a source range imported before",
          status: 409,
          rows: () => {
            const earlier = random.pick(imports);
            const [row] = freshRows(1, taken);
            if (!row) return [];
            const size = random.int(1, MAX_IMPORT_WH);
            const start = earlier.rangeStart + random.int(0, earlier.rangeEnd - earlier.rangeStart);
            const hours = freeHours(earlier.device, taken);
            if (hours.length === 0) return [];
            const hour = random.pick(hours);
            taken.add(`${earlier.device}@${hour}`);
            return [{ ...row, device_id: earlier.device, production_start: iso(hour), production_end: iso(hour + HOUR_MS), ...overlappingRange(earlier.device, start, size) }];
          },
        },
        {
          name: "a source id imported before",
          status: 409,
          rows: () => {
            const [row] = freshRows(1, taken);
            return row ? [{ ...row, source_id: random.pick(imports).sourceId }] : [];
          },
        },
      );
    }
    // Against the registry (409) more often than inside the file (400), once there is something to meet.
    const kind = kinds.length > 3 && random.chance(0.6) ? random.pick(kinds.slice(3)) : random.pick(kinds.slice(0, 3));
    const bad = kind.rows();
    if (bad.length === 0) return split();
    const good = random.chance(0.5) ? freshRows(random.int(1, 2), taken) : [];
    const at = random.int(0, good.length);
    const rows = [...good.slice(0, at), ...bad, ...good.slice(at)];
    // Data row i (0-based) is on file line i + 2, after the header.
    const badLines = bad.map((_, i) => at + i + 2);

    const before = tableSnapshot(api);
    const blockBefore = await network.provider.request({ method: "eth_blockNumber", params: [] });
    const response = await api.request("POST", `/gc/imports?accountId=${account.id}`, { token: world.developer.token, body: csv(rows), headers: { "content-type": "text/csv" } });
    const body = await response.json();
    const what = `refused import (${kind.name}, ${good.length} good rows)`;
    expect(response.status, `${context}: ${what}: ${JSON.stringify(body)}`).to.equal(kind.status);
    const lines = ((body.errors ?? []) as { field: string }[]).map((error) => Number(/^body\.lines\[(\d+)\]/.exec(error.field)?.[1]));
    expect(lines, `${context}: ${what}: faults ${JSON.stringify(body.errors)}`).to.not.be.empty;
    expect(badLines, `${context}: ${what}: only the overlapping rows are at fault: ${JSON.stringify(body.errors)}`).to.include.members(lines);
    expect(tableSnapshot(api), `${context}: ${what} changed the database`).to.deep.equal(before);
    expect(await network.provider.request({ method: "eth_blockNumber", params: [] }), `${context}: ${what} sent a transaction`).to.equal(blockBefore);
    return what;
  };

  const split = async (): Promise<string> => {
    const candidates = [...model].filter(([, expected]) => expected.energyWh >= 2n);
    if (candidates.length === 0) return importGood();
    const [id, expected] = random.pick(candidates);
    const amounts = cutInto(random, expected.energyWh, random.int(2, Number(expected.energyWh < 4n ? expected.energyWh : 4n)));
    const account = accountOf(expected.accountId);
    const response = await world.call(ownerOf(account), "POST", `/gc/bundles/${id}/split`, { amounts: amounts.map(String) });
    expect(response.status, `${context}: ${JSON.stringify(response.body)}`).to.equal(201);
    const children = response.body.children as BundleView[];
    expect(children.map((child) => [child.energyWh, child.parentId, child.accountId, child.status]), context).to.deep.equal(amounts.map((amount) => [String(amount), id, account.id, "active"]));
    expect(response.body.parent.status, context).to.equal("split");
    model.delete(id);
    for (const child of children) {
      known.add(child.id);
      model.set(child.id, { accountId: account.id, energyWh: BigInt(child.energyWh) });
    }
    return `split ${id} into ${amounts.join("+")}`;
  };

  const transfer = async (): Promise<string> => {
    const holders = accounts.filter((account) => [...model.values()].some((expected) => expected.accountId === account.id));
    if (holders.length === 0) return issue();
    const source = random.pick(holders);
    const target = random.pick(accounts.filter((account) => account.id !== source.id));
    const held = [...model].filter(([, expected]) => expected.accountId === source.id);
    const [first, firstExpected] = random.pick(held);
    if (firstExpected.energyWh >= 2n && random.chance(0.4)) {
      const amountWh = random.bigint(1n, firstExpected.energyWh - 1n);
      const response = await world.call(ownerOf(source), "POST", "/gc/bundles/transfer", { sourceAccountId: source.id, targetAccountId: target.id, bundleIds: [first], amountWh: String(amountWh) });
      expect(response.status, `${context}: ${JSON.stringify(response.body)}`).to.equal(200);
      const moved = response.body.bundles as BundleView[];
      expect(moved.map((bundle) => [bundle.parentId, bundle.accountId, bundle.energyWh]), context).to.deep.equal([[first, target.id, String(amountWh)]]);
      const parent = await world.call(ownerOf(source), "GET", `/gc/bundles/${first}`);
      expect(parent.body.status, context).to.equal("split");
      const children = parent.body.children as string[];
      expect(children, `${context}: a partial transfer splits the bundle in two`).to.have.length(2).and.include(moved[0].id);
      const rest = children.find((child) => child !== moved[0].id)!;
      model.delete(first);
      model.set(moved[0].id, { accountId: target.id, energyWh: amountWh });
      model.set(rest, { accountId: source.id, energyWh: firstExpected.energyWh - amountWh });
      children.forEach((child) => known.add(child));
      return `transfer ${amountWh} of ${first} from ${short(source.id)} to ${short(target.id)}`;
    }
    const ids = [first, ...random.sample(held.map(([id]) => id).filter((id) => id !== first), random.int(0, 2))];
    const response = await world.call(ownerOf(source), "POST", "/gc/bundles/transfer", { sourceAccountId: source.id, targetAccountId: target.id, bundleIds: ids });
    expect(response.status, `${context}: ${JSON.stringify(response.body)}`).to.equal(200);
    expect((response.body.bundles as BundleView[]).map((bundle) => [bundle.id, bundle.accountId]).sort(), context).to.deep.equal(ids.map((id) => [id, target.id]).sort());
    for (const id of ids) model.set(id, { ...model.get(id)!, accountId: target.id });
    return `transfer ${ids.length} whole from ${short(source.id)} to ${short(target.id)}`;
  };

  // ------------------------------------------------------------------ invariants

  const rowsOfDevices = () => api.database.db.select().from(gcBundles).where(inArray(gcBundles.deviceId, devices)).all();

  const check = () => {
    const rows = rowsOfDevices();
    for (const row of rows) {
      expect(row.status, `${context}: ${row.id}`).to.be.oneOf(["active", "split"]);
      expect(Number.isInteger(row.rangeStart) && Number.isInteger(row.rangeEnd) && row.rangeStart >= 1, `${context}: ${row.id} range ${row.rangeStart}-${row.rangeEnd}`).to.equal(true);
      const size = BigInt(row.rangeEnd - row.rangeStart + 1);
      expect([BigInt(row.energyWh), parseBundleId(row.id).energyWh], `${context}: ${row.id}'s energy and its id's, against its range`).to.deep.equal([size, size]);
    }
    for (const device of devices) {
      const ofDevice = rows.filter((row) => row.deviceId === device);
      const issued = ofDevice.filter((row) => row.parentId === null).reduce((sum, row) => sum + row.energyWh, 0);
      const live = ofDevice.filter((row) => row.status !== "split").sort((x, y) => x.rangeStart - y.rangeStart);
      expect(tile(live), `${context}: device ${device}'s live bundles tile 1..${issued}`).to.deep.equal(issued === 0 ? null : [1, issued]);

      const originals = ofDevice.filter((row) => row.parentId === null && (row.origin === "production" || row.origin === "imported"));
      const hours = originals.map((row) => row.startAt);
      expect(new Set(hours).size, `${context}: device ${device} has an hour certified twice: ${hours.sort().join(",")}`).to.equal(hours.length);
      expect(
        new Map(originals.map((row) => [row.startAt, [row.endAt - row.startAt, row.origin]])),
        `${context}: device ${device}'s certified hours`,
      ).to.deep.equal(new Map([...certified.get(device)!].map(([hour, origin]) => [hour, [HOUR_MS, origin]])));
    }
    for (const parent of rows.filter((row) => row.status === "split")) {
      const children = rows.filter((row) => row.parentId === parent.id).sort((x, y) => x.rangeStart - y.rangeStart);
      expect(children.reduce((sum, child) => sum + child.energyWh, 0), `${context}: children of ${parent.id} add up to it`).to.equal(parent.energyWh);
      expect(tile(children), `${context}: children of ${parent.id} partition its range`).to.deep.equal([parent.rangeStart, parent.rangeEnd]);
    }
    const live = rows.filter((row) => row.status !== "split");
    expect(new Map(live.map((row) => [row.id, { accountId: row.accountId, energyWh: BigInt(row.energyWh) }])), `${context}: the live bundles`).to.deep.equal(model);
  };

  const chainAgrees = async () => {
    for (const row of rowsOfDevices()) {
      expect(row.tokenId, `${context}: ${row.id} has a token`).to.not.equal(null);
      for (const account of accounts) {
        const balance = await world.balanceOf(account.address, row.tokenId!);
        const expected = row.status === "active" && row.accountId === account.id ? BigInt(row.energyWh) : 0n;
        expect(balance, `${context}: balanceOf(${short(account.id)}, ${row.id} [${row.status}])`).to.equal(expected);
      }
    }
  };

  const listingsAgree = async () => {
    for (const account of accounts) {
      const listed = await listBundles(account, { status: "active" });
      expect(
        new Map(listed.filter((bundle) => devices.includes(bundle.deviceId)).map((bundle) => [bundle.id, BigInt(bundle.energyWh)])),
        `${context}: GET /gc/bundles?accountId=${short(account.id)}`,
      ).to.deep.equal(new Map([...model].filter(([, expected]) => expected.accountId === account.id).map(([id, expected]) => [id, expected.energyWh])));
    }
  };

  // ------------------------------------------------------------------ the walk

  for (let step = 1; step <= STEPS; step++) {
    context = `PROPERTY_SEED=${SEED}, sequence ${sequence} (walk seed ${seed}), step ${step}`;
    try {
      const roll = random.next();
      const what = roll < 0.25 ? await issue() : roll < 0.42 ? await importGood() : roll < 0.55 ? await importOverlapping() : roll < 0.75 ? await split() : await transfer();
      trace.push(what);
      context += ` (${what})`;
      check();
      if (step % CHAIN_CHECK_EVERY === 0 || step === STEPS) await chainAgrees();
    } catch (error) {
      throw new Error(`${context}; steps so far: ${trace.slice(-8).join("; ")}\n${(error as Error).message}`);
    }
  }
  await listingsAgree();
  expect(model.size, `${context}: the walk issued something`).to.be.greaterThan(0);
}

/** `total` cut into `parts` positive amounts, at random. */
function cutInto(random: Random, total: bigint, parts: number): bigint[] {
  const cuts = new Set<bigint>();
  while (cuts.size < parts - 1) cuts.add(random.bigint(1n, total - 1n));
  const edges = [0n, ...[...cuts].sort((x, y) => (x < y ? -1 : 1)), total];
  return edges.slice(1).map((edge, i) => edge - edges[i]);
}

/** [first, last] when the ranges, in order, follow one another without gap or overlap; null for none; a string naming the first fault otherwise. */
function tile(ranges: readonly { rangeStart: number; rangeEnd: number; id: string }[]): [number, number] | null | string {
  if (ranges.length === 0) return null;
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i].rangeStart !== ranges[i - 1].rangeEnd + 1) return `${ranges[i - 1].id} ends at ${ranges[i - 1].rangeEnd}, ${ranges[i].id} starts at ${ranges[i].rangeStart}`;
  }
  return [ranges[0].rangeStart, ranges.at(-1)!.rangeEnd];
}
