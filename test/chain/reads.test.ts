import { expect } from "chai";
import { ethers } from "hardhat";
import { createTestApi, seedOrganisation, type TestApi } from "../support/api";
import { closeWorld, indexerWorld, irecActivity, issueGc, mixedActivity, syncToHead, type IndexerWorld } from "../indexer/support";
import { CertificateKind } from "../support/registry";

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
type Json = Record<string, unknown>;

/**
 * The mirror's read API over a registry the indexer has mirrored into the API's database. The registry is
 * the contract-test deployment (ethers signers with names); the API only reads the chain_* tables.
 */
describe("chain read API (holdings, history, certificates with lineage, reservations)", () => {
  let world: IndexerWorld;
  let api: TestApi;
  let token: string;
  const lower = (address: string) => address.toLowerCase();

  before(async () => {
    world = await indexerWorld();
    await mixedActivity(world);
    api = await createTestApi();
    await syncToHead(world, api.database);
    // A buyer user without any module permission: chain data is public to every authenticated caller.
    token = seedOrganisation(api, "buyer", { isOrganisationAdmin: false, permissions: {} }).token;
  });
  after(() => {
    api.close();
    closeWorld(world);
  });

  const get = async <T = Json>(path: string, status = 200): Promise<T> => {
    const response = await api.request("GET", path, { token });
    expect(response.status, `${path}: ${await response.clone().text()}`).to.equal(status);
    return (await response.json()) as T;
  };

  /** Follows `nextCursor` to the end with pages of `limit`. */
  async function everyPage<T>(path: string, limit: number): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const separator = path.includes("?") ? "&" : "?";
      const page: Page<T> = await get<Page<T>>(`${path}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  it("refuses anonymous callers on every route", async () => {
    const id = (await get<Page<Json>>("/chain/certificates?limit=1")).items[0].id as string;
    for (const path of [
      "/chain/certificates",
      `/chain/certificates/${id}`,
      `/chain/certificates/${id}/transfers`,
      `/chain/certificates/${id}/retirements`,
      `/chain/certificates/${id}/holders`,
      `/chain/wallets/${world.buyer.address}/holdings`,
      `/chain/wallets/${world.buyer.address}/history`,
      `/chain/wallets/${world.buyer.address}/retirements`,
      `/chain/reservations/${ethers.ZeroHash}`,
      `/chain/reservations/${ethers.ZeroHash}/log`,
    ]) {
      expect((await api.request("GET", path)).status, path).to.equal(401);
    }
  });

  it("lists a wallet's holdings with balances and claimed amounts that match the registry, page by page", async () => {
    const holdings = await everyPage<{ certificate: Json; balance: string; claimed: string }>(`/chain/wallets/${world.other.address}/holdings`, 2);
    expect(holdings.length).to.be.greaterThan(2);
    expect(new Set(holdings.map((h) => h.certificate.id)).size).to.equal(holdings.length, "no certificate on two pages");
    for (const h of holdings) {
      const id = BigInt(h.certificate.id as string);
      expect(BigInt(h.balance)).to.equal(await world.registry.balanceOf(world.other.address, id));
      expect(BigInt(h.claimed)).to.equal(await world.registry.claimedBalanceOf(world.other.address, id));
    }
    expect(holdings.some((h) => h.claimed !== "0")).to.equal(true);
    // Mixed case in the path is the same wallet.
    const upper = await get<Page<Json>>(`/chain/wallets/${world.other.address.toUpperCase().replace("0X", "0x")}/holdings`);
    expect(upper.items.length).to.equal(Math.min(50, holdings.length));
  });

  it("filters holdings by kind and status", async () => {
    const all = await everyPage<{ certificate: Json }>(`/chain/wallets/${world.buyer.address}/holdings`, 50);
    const dRecs = await everyPage<{ certificate: Json }>(`/chain/wallets/${world.buyer.address}/holdings?kind=D-REC`, 50);
    const revoked = await everyPage<{ certificate: Json }>(`/chain/wallets/${world.buyer.address}/holdings?status=revoked`, 50);
    expect(dRecs.map((h) => h.certificate.kind)).to.deep.equal(["D-REC"]);
    expect(revoked.map((h) => h.certificate.status)).to.deep.equal(["revoked"]);
    expect(all.length).to.be.greaterThan(dRecs.length + revoked.length);
  });

  it("tells a wallet's history newest first, with direction, action and retirement reason", async () => {
    const history = await everyPage<Json>(`/chain/wallets/${world.other.address}/history`, 1);
    const summary = history.map((e) => [e.direction, e.action, e.reason]);
    // Received one single and one batch transfer (two ids), then claimed part of one id.
    expect(summary).to.deep.equal([
      ["out", "retirement", "claimed"],
      ["in", "transfer", null],
      ["in", "transfer", null],
      ["in", "transfer", null],
    ]);
    expect(history.every((e) => typeof e.timestamp === "string")).to.equal(true);
    const claims = await get<Page<Json>>(`/chain/wallets/${world.other.address}/retirements?reason=claimed`);
    expect(claims.items.map((r) => [r.reason, r.amount, r.beneficiary])).to.deep.equal([["claimed", "100", "Beneficiary a"]]);
    const onlyTransfers = await get<Page<Json>>(`/chain/wallets/${world.buyer.address}/history?action=split`);
    expect(onlyTransfers.items.length).to.equal(5, "two parent burns and three child mints");
  });

  it("shows a certificate's lineage both ways, with its transfers, retirements and holders", async () => {
    const [parent] = await issueGc(world, world.buyer, [900n], CertificateKind.StorageDischargeCertificate);
    await (await world.registry.connect(world.buyer).split(world.buyer.address, parent, [300n, 200n])).wait();
    const children = (await get<Page<Json>>(`/chain/certificates?parentId=${parent}`)).items;
    expect(children).to.have.length(0, "not mirrored yet");
    await syncToHead(world, api.database);

    const byParent = await get<Page<Json>>(`/chain/certificates?parentId=${parent}&order=asc`);
    expect(byParent.items.map((c) => c.issuedAmount)).to.deep.equal(["300", "200"]);
    const [first] = byParent.items;
    await (await world.registry.connect(world.buyer).split(world.buyer.address, BigInt(first.id as string), [100n])).wait();
    await syncToHead(world, api.database);
    const grandchild = (await get<Page<Json>>(`/chain/certificates?parentId=${first.id}`)).items[0];

    const detail = await get<Json & { parent: Json; certificate: Json }>(`/chain/certificates/${grandchild.id}`);
    expect(detail.certificate).to.include({ kind: "SD-GC", origin: "split", parentId: first.id, issuedAmount: "100" });
    expect(detail.parent.id).to.equal(first.id);
    expect(detail.ancestors).to.deep.equal([first.id, parent.toString()]);
    const root = await get<{ certificate: Json; children: Json[]; childCount: number }>(`/chain/certificates/${parent}`);
    expect(root.children.map((c) => c.id)).to.deep.equal(byParent.items.map((c) => c.id));
    expect(root.childCount).to.equal(2);
    expect(root.certificate).to.include({ issuedAmount: "900", supply: "400", splitAmount: "500", status: "active" });

    const transfers = await get<Page<Json>>(`/chain/certificates/${parent}/transfers`);
    expect(transfers.items.map((t) => [t.action, t.from, t.to, t.amount])).to.deep.equal([
      ["split", lower(world.buyer.address), null, "500"],
      ["issuance", null, lower(world.buyer.address), "900"],
    ]);
    const holders = await get<Page<Json>>(`/chain/certificates/${parent}/holders`);
    expect(holders.items).to.deep.equal([{ holder: lower(world.buyer.address), balance: "400", claimed: "0" }]);
  });

  it("serves a reservation with its devices and its on-chain log", async () => {
    const reservationId = (api.database.sqlite.prepare("SELECT reservation_id FROM chain_reservations").get() as { reservation_id: string }).reservation_id;
    const found = await get<Json & { devices: Json[] }>(`/chain/reservations/${reservationId}`);
    expect(found).to.include({ buyer: lower(world.buyer.address), targetWh: "10000", issuedWh: "4000", status: "ended", endReason: "ended", frequency: "daily", standard: "D-REC" });
    expect(found.devices.map((d) => d.status)).to.deep.equal(["removed", "released", "released"]);
    const log = await everyPage<Json>(`/chain/reservations/${reservationId}/log`, 3);
    expect(log.map((e) => e.eventName)).to.deep.equal(["ReservationCreated", "DeviceAdded", "DeviceAdded", "DeviceAdded", "DeviceRemoved", "CertificateIssued", "ReservationEnded"]);
    expect((log[0].args as Json).targetWh).to.equal("10000");
  });

  it("answers bad input with 400 naming the field, and unknown ids with 404", async () => {
    const fieldOf = async (path: string) => ((await get<{ errors: { field: string }[] }>(path, 400)).errors ?? []).map((e) => e.field);
    expect(await fieldOf("/chain/wallets/0x1234/holdings")).to.deep.equal(["path.address"]);
    expect(await fieldOf("/chain/certificates/12ab")).to.deep.equal(["path.id"]);
    expect(await fieldOf(`/chain/certificates/${2n ** 256n}`)).to.deep.equal(["path.id"]);
    expect(await fieldOf("/chain/certificates?limit=0")).to.deep.equal(["query.limit"]);
    expect(await fieldOf("/chain/certificates?kind=REC")).to.deep.equal(["query.kind.0"]);
    expect(await fieldOf("/chain/certificates?cursor=nonsense")).to.deep.equal(["query.cursor"]);
    expect(await fieldOf("/chain/certificates?periodFrom=2026-01-02T00:00:00Z&periodTo=2026-01-01T00:00:00Z")).to.deep.equal(["query.periodTo"]);
    expect(await fieldOf(`/chain/wallets/${world.buyer.address}/history?fromBlock=5&toBlock=4`)).to.deep.equal(["query.toBlock"]);
    expect(await fieldOf("/chain/reservations/0x12")).to.deep.equal(["path.reservationId"]);
    await get("/chain/certificates/12345", 404);
    await get("/chain/certificates/12345/transfers", 404);
    await get(`/chain/reservations/${ethers.ZeroHash}`, 404);
    await get(`/chain/reservations/${ethers.ZeroHash}/log`, 404);
  });

  it("shows I-REC certificates provisional until their serials are recorded, then with their serials, and filters by that status", async () => {
    const { recorded, revoked, waiting, serials } = await irecActivity(world, "api");
    await syncToHead(world, api.database);
    const [recording] = await world.registry.queryFilter(world.registry.filters.StandardSerialsRecorded(recorded));

    const provisional = await everyPage<Json>("/chain/certificates?status=provisional", 50);
    expect(provisional.map((c) => [c.id, c.kind, c.status, c.standardSerials])).to.deep.equal([[waiting.toString(), "D-REC", "provisional", null]]);
    const detail = await get<{ certificate: Json }>(`/chain/certificates/${recorded}`);
    expect(detail.certificate).to.deep.include({ status: "active", standardSerials: { first: serials[0], last: serials[1], recordedInBlock: recording.blockNumber } });
    expect((await get<{ certificate: Json }>(`/chain/certificates/${revoked}`)).certificate).to.deep.include({ status: "revoked", standardSerials: null });

    const held = await everyPage<{ certificate: Json; balance: string }>(`/chain/wallets/${world.buyer.address}/holdings?status=provisional,revoked&kind=D-REC`, 50);
    expect(held.map((h) => [h.certificate.id, h.certificate.status, h.balance])).to.deep.equal([
      [waiting.toString(), "provisional", "3000"],
      [revoked.toString(), "revoked", "2000"],
    ]);
    expect(((await get<{ errors: { field: string }[] }>("/chain/certificates?status=pending", 400)).errors ?? []).map((e) => e.field)).to.deep.equal(["query.status.0"]);
  });
});
