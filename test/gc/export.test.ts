import { expect } from "chai";
import { and, eq } from "drizzle-orm";
import { keccak256, stringToHex } from "viem";
import { REGISTRY_ABI, RetirementReason } from "../../server/chain/registryAbi";
import { gcMintDeps, mintBundles } from "../../server/gc/minting";
import { parseBundleCsv } from "../../server/gc/issuance/bundleCsv";
import { DEFAULT_GC_TERMS } from "../../server/gc/issuance/terms";
import { gcActions, gcBundles } from "../../server/gc/schema";
import { seedOrganisation, tableSnapshot } from "../support/api";
import { gcWorld, type GcWorld } from "./issuanceSupport";
import { HOUR_MS } from "../../server/time/durations";

type Problem = { status: number; errors?: { field: string; message: string }[] };
type Exported = { exportId: string; txHash: `0x${string}`; csv: string; bundles: { id: string; status: string }[] };

describe("GC export (API)", function () {
  this.timeout(180_000);

  let world: GcWorld;
  let device: string;
  let account: { id: string; address: `0x${string}` };
  let trader: { token: string; userId: string };
  let hour = 0;
  before(async () => {
    world = await gcWorld();
    device = await world.createDevice();
    account = await world.createAccount();
    trader = world.member(account.id, "trading");
  });

  /** Fresh active bundles in `accountId`, one per hour. */
  async function issue(count: number, accountId = account.id): Promise<string[]> {
    const bundles = Array.from({ length: count }, () => {
      hour += 1;
      const startAt = world.dayStart - 40 * 24 * HOUR_MS + hour * HOUR_MS;
      return { deviceId: device, startAt, endAt: startAt + HOUR_MS, energyWh: BigInt(100 + hour), attributes: world.attributesOf(device) };
    });
    const outcome = await mintBundles(gcMintDeps(world.api.deps), { accountId, origin: "production", bundles }, world.api.clock.now().getTime());
    return outcome.bundles.map((bundle) => bundle.id);
  }
  const post = (body: Record<string, unknown>, token = trader.token) => world.api.request("POST", "/gc/exports", { token, body });
  const bundle = (id: string) => world.api.database.db.select().from(gcBundles).where(eq(gcBundles.id, id)).get()!;

  it("retires the bundles on chain with reason Exported and hands back a CSV in the import format", async () => {
    const ids = await issue(2);
    const tokens = ids.map((id) => bundle(id).tokenId!);
    const response = await post({ accountId: account.id, bundleIds: ids, destinationRegistry: "Flexidao" });
    const body = (await response.json()) as Exported;
    expect(response.status, JSON.stringify(body)).to.equal(201);
    expect(body.bundles.map((b) => [b.id, b.status])).to.deep.equal(ids.map((id) => [id, "exported"]));

    for (const tokenId of tokens) expect(await world.balanceOf(account.address, tokenId)).to.equal(0n);
    const retired = await world.api.deps.publicClient.getContractEvents({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI, eventName: "Retired", args: { holder: account.address }, fromBlock: 0n, strict: true });
    const ours = retired.filter((log) => log.transactionHash === body.txHash);
    expect(ours.map((log) => [log.args.id.toString(), log.args.reason, log.args.amount, log.args.beneficiary, log.args.detailsHash])).to.deep.equal(
      ids.map((id, i) => [tokens[i], RetirementReason.Exported, BigInt(bundle(id).energyWh), "Flexidao", keccak256(stringToHex(body.csv))]),
    );

    // The CSV reads back with the import parser: this registry as the source, each bundle's id and certificate range.
    const parsed = parseBundleCsv(body.csv, world.api.clock.now().getTime());
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.faults));
    expect(parsed.value.map((row) => [row.sourceRegistry, row.sourceId, row.device, row.startAt, row.endAt, row.energyWh, row.rangeStart, row.rangeEnd, row.energySource, row.issuingBody])).to.deep.equal(
      ids.map((id) => {
        const b = bundle(id);
        return [DEFAULT_GC_TERMS.issuingBody, id, device, b.startAt, b.endAt, BigInt(b.energyWh), BigInt(b.rangeStart), BigInt(b.rangeEnd), "solar_pv", "Test registry"];
      }),
    );

    const file = await world.api.request("GET", `/gc/exports/${body.exportId}/file`, { token: trader.token });
    expect([file.status, await file.text()]).to.deep.equal([200, body.csv]);
    const auditor = world.member(account.id, "audit");
    expect((await world.api.request("GET", `/gc/exports/${body.exportId}/file`, { token: auditor.token })).status).to.equal(200);
    expect((await world.api.request("GET", `/gc/exports/${body.exportId}/file`, { token: seedOrganisation(world.api, "buyer").token })).status).to.equal(404);

    const [action] = world.api.database.db.select().from(gcActions).where(and(eq(gcActions.accountId, account.id), eq(gcActions.action, "export"))).all();
    expect([action.outcome, action.userId, action.bundleIds, action.txHash]).to.deep.equal(["succeeded", trader.userId, ids, body.txHash]);
  });

  it("refuses a bundle no longer active (logged as a failed attempt) and leaves it on chain", async () => {
    const [done] = await issue(1);
    expect((await post({ accountId: account.id, bundleIds: [done], destinationRegistry: "Flexidao" })).status).to.equal(201);
    const [fresh] = await issue(1);
    const response = await post({ accountId: account.id, bundleIds: [fresh, done], destinationRegistry: "Flexidao" });
    expect(response.status).to.equal(409);
    expect(((await response.json()) as Problem).errors).to.deep.equal([{ field: "body.bundleIds[1]", message: "is exported, not active" }]);
    expect(bundle(fresh).status).to.equal("active");
    expect(await world.balanceOf(account.address, bundle(fresh).tokenId!)).to.equal(BigInt(bundle(fresh).energyWh));
    const failed = world.api.database.db.select().from(gcActions).where(and(eq(gcActions.accountId, account.id), eq(gcActions.action, "export"), eq(gcActions.outcome, "failed"))).all();
    expect(failed.map((action) => action.bundleIds)).to.deep.equal([[fresh, done]]);
  });

  it("refuses unknown or another account's bundles, repeats and bad bodies without writing anything", async () => {
    const otherAccount = await world.createAccount();
    const [theirs] = await issue(1, otherAccount.id);
    const [mine] = await issue(1);
    const before = tableSnapshot(world.api);
    const unknown = await post({ accountId: account.id, bundleIds: [theirs, "GC1-20260101-10000-0001-0000001"], destinationRegistry: "X" });
    expect([unknown.status, ((await unknown.json()) as Problem).errors?.map((e) => e.field)]).to.deep.equal([404, ["body.bundleIds[0]", "body.bundleIds[1]"]]);
    const repeated = await post({ accountId: account.id, bundleIds: [mine, mine], destinationRegistry: "X" });
    expect([repeated.status, ((await repeated.json()) as Problem).errors?.map((e) => e.field)]).to.deep.equal([400, ["body.bundleIds[1]"]]);
    const bad = await post({ accountId: account.id, bundleIds: ["not an id"], destinationRegistry: "" });
    expect([bad.status, ((await bad.json()) as Problem).errors?.map((e) => e.field)]).to.deep.equal([400, ["body.bundleIds.0", "body.destinationRegistry"]]);
    expect(tableSnapshot(world.api)).to.deep.equal(before);
  });

  it("who may export: trading users and administrators; a self-custody account's holder retires itself", async () => {
    const statuses: Record<string, number> = {};
    for (const role of ["trading", "administrator", "production", "audit", "storage-validator"] as const) {
      const [id] = await issue(1);
      statuses[role] = (await post({ accountId: account.id, bundleIds: [id], destinationRegistry: "X" }, world.member(account.id, role).token)).status;
    }
    expect(statuses).to.deep.equal({ trading: 201, administrator: 201, production: 403, audit: 403, "storage-validator": 403 });
    const [id] = await issue(1);
    expect((await post({ accountId: account.id, bundleIds: [id], destinationRegistry: "X" }, seedOrganisation(world.api, "developer").token)).status).to.equal(404);

    const selfCustody = await world.createAccount({ custody: "self", fund: false });
    const [held] = await issue(1, selfCustody.id);
    const response = await post({ accountId: selfCustody.id, bundleIds: [held], destinationRegistry: "X" }, world.developer.token);
    expect(response.status).to.equal(409);
    expect(((await response.json()) as { detail: string }).detail).to.include(selfCustody.address);
  });
});
