/**
 * Seed 000's pilot, "LTE/PEP SD-GC Pilot Issuance through GCOS", step by step against the API: Quintrace (QT,
 * the battery operator, a storage validator) and LevelTen Energy (LTE, an escrow account acting for Google)
 * time-shift GCs imported from Flexidao through the Byrd Ranch battery, with the seed's worked example
 * ("Manual Issuance from Example Records") as the data: SDR 5,257,248 Wh, GCs cancelled 5,210,000 Wh, SD-GCs
 * 5,004,300 Wh, SDR proportion 0.95188585, efficiency factor 0.96051823.
 *
 * The asset position table and the allocation records are test/storage/fixtures' Byrd Ranch day; QT writes
 * its allocation records against the bundle ids its account query shows (seed step 8).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Printer } from "../demo/print";

const FIXTURES = join(__dirname, "..", "..", "test", "storage", "fixtures");
const PASSWORD = "time-shifted granular certificates";

/**
 * The GCs Flexidao hands over for Google (imported into LTE's account): the producing device, the hour, the
 * Wh, Flexidao's id, and the name the fixture's allocation records give the GC before QT knows its id here.
 */
export const FLEXIDAO_GCS = [
  { device: "SOL7", hour: "2024-07-01T14:00:00Z", wh: 1_300_000, sourceId: "FXD-SOL7-2024070114-1", recordName: "SOL7-20240701-20014-0001-1300000" },
  { device: "SOL7", hour: "2024-07-01T15:00:00Z", wh: 1_350_000, sourceId: "FXD-SOL7-2024070115-1", recordName: "SOL7-20240701-20015-0001-1350000" },
  { device: "SOL7", hour: "2024-07-01T16:00:00Z", wh: 1_330_000, sourceId: "FXD-SOL7-2024070116-1", recordName: "SOL7-20240701-20016-0001-1330000" },
  { device: "SOL7", hour: "2024-07-01T17:00:00Z", wh: 730_000, sourceId: "FXD-SOL7-2024070117-1", recordName: "SOL7-20240701-20017-0001-0730000" },
  { device: "SOL9", hour: "2024-07-01T17:00:00Z", wh: 600_000, sourceId: "FXD-SOL9-2024070117-1", recordName: "WND3-20240701-40017-0001-0600000" },
] as const;

export interface PilotSummary {
  importedBundles: string[];
  allocation: {
    volumes: { sdrVolumeWh: string; gcsCancelledWh: string; sdgcVolumeWh: string };
    sdrProportion: string;
    efficiencyFactor: string;
  };
  sdgcs: { id: string; energyWh: string; accountId: string }[];
  lteAccountId: string;
  exportCsv: string;
  notification: string;
}

interface Answer {
  status: number;
  body: any;
}

/**
 * What the pilot needs of the registry: its HTTP API, and the subject of the last email someone received
 * (the in-process test API records emails; the running stack logs them).
 */
export interface PilotApi {
  request(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  lastEmailTo(address: string): Promise<{ to: string; subject: string }>;
}

/** Runs the pilot on `api`, printing every step; throws at the first unexpected answer. */
export async function runStoragePilot(api: PilotApi, print: Printer): Promise<PilotSummary> {
  const request = async (token: string | undefined, method: string, path: string, body?: unknown, contentType?: string): Promise<Answer> => {
    const response = await api.request(method, path, { token, body, headers: contentType ? { "content-type": contentType } : {} });
    const text = await response.text();
    const answer = { status: response.status, body: response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text };
    return answer;
  };
  const expectStatus = (answer: Answer, status: number, what: string) => {
    if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const wh = (value: string | number) => `${Number(value).toLocaleString("en")} Wh`;
  const bundleLine = (b: any) => `${b.id}  ${b.periodStart.slice(0, 16)}Z  ${wh(b.energyWh).padStart(12)}  ${b.origin}/${b.status}${b.sourceId ? `  from ${b.sourceRegistry} ${b.sourceId}` : ""}`;

  print.banner("Seed 000 pilot: LTE/PEP SD-GC issuance through the registry");

  print.heading("1-2. Users: a storage validator for Quintrace, a trading user for LevelTen Energy");
  const signUp = async (firstName: string, lastName: string, email: string, organisationName: string) => {
    const body = { firstName, lastName, email, type: "developer", organisationName, address: "Pilot Street 1", password: PASSWORD, passwordConfirmation: PASSWORD };
    const created = expectStatus(await request(undefined, "POST", "/auth/signup", body), 201, `sign up ${email}`);
    const session = expectStatus(await request(undefined, "POST", "/auth/login", { email, password: PASSWORD }), 200, `log in ${email}`);
    print.line(`${email} (organisation "${organisationName}", ${created.organisation.id}): user ${created.user.id}, logged in`);
    return { userId: created.user.id as string, organisationId: created.organisation.id as string, token: session.token as string };
  };
  const qt = await signUp("Quintrace", "User", "quintrace_user@private-energypartners.com", "Quintrace");
  const lte = await signUp("LTE", "User", "lte_user@leveltenenergy.com", "LevelTen Energy");

  print.heading("3. Accounts, whitelisted in both directions");
  const createAccount = async (user: typeof qt, name: string, role: string) => {
    const created = expectStatus(await request(user.token, "POST", "/gc/accounts", { name, users: [{ userId: user.userId, roles: [role] }] }), 201, `create ${name}`);
    print.line(`${name}: ${created.account.id} at ${created.account.address} (${created.account.custody}; allowlist on chain: ${created.account.allowlist.enabled}); ${user.userId} is ${role}`);
    return created.account.id as string;
  };
  const qtAccount = await createAccount(qt, "Quintrace Account", "storage-validator");
  const lteAccount = await createAccount(lte, "LTE Account", "trading");
  for (const [user, account, other, label] of [
    [lte, lteAccount, qtAccount, "LTE accepts Quintrace"],
    [qt, qtAccount, lteAccount, "Quintrace accepts LTE"],
  ] as const) {
    const listed = expectStatus(await request(user.token, "POST", `/gc/accounts/${account}/whitelist`, { add: [other] }), 200, label);
    print.line(`${label}: whitelist ${JSON.stringify(listed.entries.map((entry: any) => entry.name))}, on chain in ${listed.entries[0].txHash}`);
  }

  print.heading("4. The Byrd Ranch storage device, assigned to the Quintrace account");
  const device = expectStatus(
    await request(qt.token, "POST", "/devices", {
      externalId: "BYRD-RANCH",
      projectName: "Byrd Ranch",
      countryCode: "US",
      commissioningDate: "2023-07-01",
      capacity: 50_000,
      isStorage: true,
      energyStorage: true,
      energyStorageCapacity: 100_000,
      gridInterconnection: true,
      grid: "ERCOT",
      latitude: 29.056,
      longitude: -95.687,
      address: "Brazoria County, Texas",
    }),
    201,
    "create Byrd Ranch",
  );
  print.line(`Byrd Ranch: ${device.id} (${device.technologyType}, ${device.capacity} kW, ${device.energyStorageCapacity} kWh, ${device.grid}, ${device.timeZone})`);
  expectStatus(await request(qt.token, "PUT", `/gc/devices/${device.id}/account`, { accountId: qtAccount }), 200, "assign Byrd Ranch");
  print.line(`assigned to the Quintrace Account: QT's allocation records name this device`);

  print.heading("5. Import of Flexidao's GCs into the LTE account (for Google)");
  for (const externalId of new Set(FLEXIDAO_GCS.map((gc) => gc.device))) {
    const producer = expectStatus(
      await request(lte.token, "POST", "/devices", {
        externalId,
        projectName: `${externalId} solar farm (Flexidao)`,
        countryCode: "US",
        commissioningDate: "2022-03-01",
        capacity: 5_000,
        fuelCode: "Solar",
        deviceTypeCode: "PVGroundMounted",
        gridInterconnection: true,
        grid: "ERCOT",
        latitude: 29.1,
        longitude: -95.5,
      }),
      201,
      `register ${externalId}`,
    );
    print.line(`producing device ${externalId}: ${producer.id}`);
  }
  const template = expectStatus(await request(lte.token, "GET", "/gc/imports/template"), 200, "import template");
  const header = template.split(/\r?\n/)[0];
  print.line(`import template: ${header}`);
  let rangeStart = 1;
  const importCsv = [
    header,
    ...FLEXIDAO_GCS.map((gc) => {
      const start = rangeStart;
      rangeStart += gc.wh;
      const end = new Date(Date.parse(gc.hour) + 3_600_000).toISOString();
      const cells: Record<string, string> = {
        source_registry: "Flexidao",
        source_id: gc.sourceId,
        device_id: gc.device,
        production_start: gc.hour,
        production_end: end,
        energy_wh: String(gc.wh),
        certificate_range_start: String(start),
        certificate_range_end: String(start + gc.wh - 1),
        energy_source: "solar_pv",
        technology: "solar_pv",
        country: "US",
        issuing_body: "Flexidao",
        issuance_date: "2024-07-15",
        expiry_date: "2025-07-15",
      };
      return header
        .split(",")
        .map((column: string) => cells[column] ?? "")
        .join(",");
    }),
  ].join("\n");
  const imported = expectStatus(await request(lte.token, "POST", `/gc/imports?accountId=${lteAccount}`, importCsv, "text/csv"), 201, "import");
  print.line(`import ${imported.importId}: ${imported.bundles.length} bundles, ${imported.minted} minted on chain as imported GCs`);
  for (const bundle of imported.bundles) print.line(`  ${bundleLine(bundle)}`);

  print.heading("6. LTE queries its account, then transfers the GCs to Quintrace");
  const lteHoldings = expectStatus(await request(lte.token, "GET", `/gc/bundles?accountId=${lteAccount}&status=active`), 200, "LTE query");
  print.line(`LTE holds ${lteHoldings.items.length} active bundles, ${wh(lteHoldings.items.reduce((sum: number, b: any) => sum + Number(b.energyWh), 0))}`);
  const moved = expectStatus(
    await request(lte.token, "POST", "/gc/bundles/transfer", { sourceAccountId: lteAccount, targetAccountId: qtAccount, bundleIds: lteHoldings.items.map((b: any) => b.id) }),
    200,
    "transfer to QT",
  );
  print.line(`transferred ${moved.bundles.length} bundles to the Quintrace Account in ${moved.txHash}`);

  print.heading("7. Quintrace verifies the GCs it will time-shift are in its account");
  const qtHoldings = expectStatus(await request(qt.token, "GET", `/gc/bundles?accountId=${qtAccount}&status=active`), 200, "QT query");
  for (const bundle of qtHoldings.items) print.line(bundleLine(bundle));

  print.heading("8. Quintrace writes its allocation records against those bundles");
  const idOfSource = new Map<string, string>(qtHoldings.items.map((b: any) => [b.sourceId, b.id]));
  let allocationCsv = readFileSync(join(FIXTURES, "byrd-ranch-allocations.csv"), "utf8");
  for (const gc of FLEXIDAO_GCS) allocationCsv = allocationCsv.replaceAll(gc.recordName, idOfSource.get(gc.sourceId)!);
  for (const line of allocationCsv.trim().split("\n")) print.line(line);

  print.heading("9-10. Quintrace submits the asset position table: immutable SCRs and SDRs");
  const positions = readFileSync(join(FIXTURES, "byrd-ranch-positions.csv"), "utf8");
  const records = expectStatus(await request(qt.token, "POST", `/storage/devices/${device.id}/records`, positions, "text/csv"), 201, "storage records");
  print.line(`upload ${records.uploadId} (sha256 ${records.sha256.slice(0, 16)}…): charged ${wh(records.chargeWh)}, discharged ${wh(records.dischargeWh)}`);
  for (const record of records.records) print.line(`  ${record.kind} ${record.hourStart.slice(0, 16)}Z ${wh(record.energyWh).padStart(12)}  ${record.id}`);

  print.heading("11-13. Quintrace submits the allocation records; the GCs are cancelled for storage and SD-GCs issued");
  const allocation = expectStatus(
    await request(qt.token, "POST", `/storage/devices/${device.id}/allocations?cancellation=cancel`, allocationCsv, "text/csv"),
    201,
    "allocation",
  );
  print.line(`allocation ${allocation.id}: ${allocation.status}; GCs cancelled for storage in ${allocation.gcCancellation.txHash}`);
  for (const record of allocation.records) {
    print.line(`  line ${record.line}: ${record.chargeHour.slice(11, 16)} → ${record.hour.slice(11, 16)}  ${wh(record.chargeWh).padStart(12)} of ${record.cancelledBundleId} → ${wh(record.dischargeWh)}`);
  }
  print.line(`SDR volume          ${wh(allocation.volumes.sdrVolumeWh)}`);
  print.line(`GCs cancelled       ${wh(allocation.volumes.gcsCancelledWh)}`);
  print.line(`SD-GC volume        ${wh(allocation.volumes.sdgcVolumeWh)}`);
  print.line(`SDR proportion      ${allocation.factors.sdrProportion.value} (exactly ${allocation.factors.sdrProportion.exact})`);
  print.line(`efficiency factor   ${allocation.factors.efficiencyFactor.value} (exactly ${allocation.factors.efficiencyFactor.exact})`);
  for (const sdgc of allocation.sdgcs) print.line(`  SD-GC ${bundleLine(sdgc)}  token ${sdgc.tokenId}`);
  const notification = await api.lastEmailTo("quintrace_user@private-energypartners.com");
  print.line(`notification to ${notification.to}: "${notification.subject}"`);

  print.heading("14. Quintrace transfers the SD-GCs to the LTE account; LTE exports them back to Flexidao");
  const sdgcIds = allocation.sdgcs.map((b: any) => b.id);
  const back = expectStatus(await request(qt.token, "POST", "/gc/bundles/transfer", { sourceAccountId: qtAccount, targetAccountId: lteAccount, bundleIds: sdgcIds }), 200, "transfer back");
  print.line(`transferred ${back.bundles.length} SD-GC bundles to the LTE Account in ${back.txHash}`);
  const exported = expectStatus(await request(lte.token, "POST", "/gc/exports", { accountId: lteAccount, bundleIds: sdgcIds, destinationRegistry: "Flexidao" }), 201, "export");
  print.line(`export ${exported.exportId}: retired as exported in ${exported.txHash}; bundles now ${[...new Set(exported.bundles.map((b: any) => b.status))].join(", ")}`);
  for (const line of exported.csv.trim().split("\n")) print.line(`  ${line}`);

  return {
    importedBundles: imported.bundles.map((b: any) => b.id),
    allocation: { volumes: allocation.volumes, sdrProportion: allocation.factors.sdrProportion.value, efficiencyFactor: allocation.factors.efficiencyFactor.value },
    sdgcs: back.bundles.map((b: any) => ({ id: b.id, energyWh: b.energyWh, accountId: b.accountId })),
    lteAccountId: lteAccount,
    exportCsv: exported.csv,
    notification: notification.subject,
  };
}
