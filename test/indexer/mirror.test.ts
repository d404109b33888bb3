import { expect } from "chai";
import { ethers } from "hardhat";
import { ZERO_ADDRESS } from "../../indexer/store/derive";
import { CertificateKind } from "../support/registry";
import { closeWorld, dumpMirror, freshMirror, indexerWorld, irecActivity, issueGc, mixedActivity, syncToHead, type IndexerWorld } from "./support";

interface BalanceRow {
  holder: string;
  certificate_id: string;
  amount: string;
  claimed: string;
}
interface CertificateRow {
  id: string;
  kind: number;
  parent_id: string | null;
  origin: string;
  issued_amount: string;
  supply: string;
  claimed_amount: string;
  retired_amount: string;
  split_amount: string;
  status: string;
  ref: string;
  period_start: number;
  voucher_nonce: string | null;
}
interface TransferRow {
  log_index: number;
  batch_index: number;
  from_address: string;
  to_address: string;
  certificate_id: string;
  amount: string;
  action: string;
  reason: number | null;
}

describe("indexer mirror (events into certificates, balances, claims, lineage, reservations)", () => {
  let world: IndexerWorld;
  beforeEach(async () => {
    world = await indexerWorld();
  });
  afterEach(() => closeWorld(world));

  it("agrees with the registry's own views on every balance, claimed amount, supply and revocation", async () => {
    await mixedActivity(world);
    const database = world.database();
    await syncToHead(world, database);
    const { registry } = world;

    const balances = database.sqlite.prepare("SELECT * FROM chain_balances").all() as BalanceRow[];
    expect(balances.length).to.be.greaterThan(5);
    for (const row of balances) {
      expect(await registry.balanceOf(row.holder, BigInt(row.certificate_id))).to.equal(BigInt(row.amount), `balance of ${row.holder} in ${row.certificate_id}`);
      expect(await registry.claimedBalanceOf(row.holder, BigInt(row.certificate_id))).to.equal(BigInt(row.claimed));
    }
    const certificates = database.sqlite.prepare("SELECT * FROM chain_certificates").all() as CertificateRow[];
    for (const c of certificates) {
      const held = balances.filter((b) => b.certificate_id === c.id).reduce((sum, b) => sum + BigInt(b.amount), 0n);
      expect(BigInt(c.supply)).to.equal(held, `supply of ${c.id}`);
      expect(BigInt(c.issued_amount)).to.equal(BigInt(c.supply) + BigInt(c.claimed_amount) + BigInt(c.retired_amount) + BigInt(c.split_amount));
      expect(c.status === "revoked").to.equal(await registry.isRevoked(BigInt(c.id)));
      expect(c.kind).to.equal(Number(await registry.kindOf(BigInt(c.id))));
    }
    // Three splits' children, a D-REC among the issued ones, and every voucher's certificates tied to it.
    expect(certificates.filter((c) => c.origin === "split")).to.have.length(3);
    expect(certificates.filter((c) => c.kind === CertificateKind.DRec)).to.have.length(1);
    expect(certificates.filter((c) => c.origin === "issued").every((c) => c.voucher_nonce !== null)).to.equal(true);
  });

  it("keeps an id revoked before it was minted revoked once minted, in a later range or in the same one", async () => {
    const { registry, admin, buyer } = world;
    const [first] = await issueGc(world, buyer, [5n]);
    const database = world.database();
    await syncToHead(world, database);
    // Revoked in one range, minted in the next; then revoked and minted again within one range.
    await (await registry.connect(admin).revoke(first + 1n, ethers.id("withdrawn in advance"))).wait();
    await syncToHead(world, database);
    expect(await issueGc(world, buyer, [6n])).to.deep.equal([first + 1n]);
    await (await registry.connect(admin).revoke(first + 2n, ethers.id("withdrawn in advance too"))).wait();
    expect(await issueGc(world, buyer, [7n])).to.deep.equal([first + 2n]);
    await syncToHead(world, database);

    const rows = database.sqlite.prepare("SELECT id, status, revoked_reason_hash FROM chain_certificates WHERE id IN (?, ?) ORDER BY serial").all(String(first + 1n), String(first + 2n));
    expect(rows).to.deep.equal([
      { id: String(first + 1n), status: "revoked", revoked_reason_hash: ethers.id("withdrawn in advance") },
      { id: String(first + 2n), status: "revoked", revoked_reason_hash: ethers.id("withdrawn in advance too") },
    ]);
    expect(await registry.isRevoked(first + 1n)).to.equal(true);
    expect(dumpMirror(database)).to.deep.equal(await freshMirror(world));
  });

  it("mirrors I-REC certificates provisional from issuance until their serials are recorded, revocation winning, as isProvisional says", async () => {
    await mixedActivity(world);
    const { recorded, revoked, waiting, serials } = await irecActivity(world);
    const database = world.database();
    await syncToHead(world, database);

    type SerialsRow = { id: string; status: string; awaiting_serials: number; standard_first_serial: string | null; standard_last_serial: string | null; serials_block: number | null };
    const rows = database.sqlite
      .prepare("SELECT id, status, awaiting_serials, standard_first_serial, standard_last_serial, serials_block FROM chain_certificates ORDER BY serial")
      .all() as SerialsRow[];
    for (const row of rows) expect(row.status === "provisional", `status of ${row.id}`).to.equal(await world.registry.isProvisional(BigInt(row.id)));
    const recording = database.sqlite.prepare("SELECT block_number FROM chain_raw_logs WHERE event_name = 'StandardSerialsRecorded'").pluck().get() as number;
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(recorded.toString())).to.deep.include({ status: "active", awaiting_serials: 0, standard_first_serial: serials[0], standard_last_serial: serials[1], serials_block: recording });
    expect(byId.get(revoked.toString())).to.deep.include({ status: "revoked", awaiting_serials: 1, standard_first_serial: null, serials_block: null });
    expect(byId.get(waiting.toString())).to.deep.include({ status: "provisional", awaiting_serials: 1, standard_first_serial: null, serials_block: null });
    // The D-REC of mixedActivity's D-REC reservation, the GC kinds and split children never waited.
    expect(rows.filter((row) => row.awaiting_serials === 1).map((row) => row.id)).to.deep.equal([revoked.toString(), waiting.toString()]);

    // One block per range: a certificate's reservation, created in an earlier range, still decides its status.
    const stepwise = world.database();
    await syncToHead(world, stepwise, { range: { initial: 1, max: 1 } });
    expect(dumpMirror(stepwise)).to.deep.equal(dumpMirror(database));
  });

  it("keeps split lineage both ways: children carry the parent's reference and period", async () => {
    const [parent] = await issueGc(world, world.buyer, [9_000n]);
    await (await world.registry.connect(world.buyer).split(world.buyer.address, parent, [1_000n, 2_000n, 3_000n])).wait();
    const database = world.database();
    await syncToHead(world, database);
    const rows = database.sqlite.prepare("SELECT * FROM chain_certificates ORDER BY serial").all() as CertificateRow[];
    const [p, ...children] = rows;
    expect(p.id).to.equal(parent.toString());
    expect(p).to.include({ supply: "3000", split_amount: "6000", status: "active" });
    expect(children.map((c) => [c.parent_id, c.origin, c.issued_amount, c.ref, c.period_start])).to.deep.equal(
      ["1000", "2000", "3000"].map((amount) => [p.id, "split", amount, p.ref, p.period_start]),
    );
    const split = database.sqlite.prepare("SELECT parent_id, amount, child_ids FROM chain_splits").get() as { parent_id: string; amount: string; child_ids: string };
    expect(split).to.deep.equal({ parent_id: p.id, amount: "6000", child_ids: JSON.stringify(children.map((c) => c.id)) });
  });

  describe("batch paths at n = 1 (TransferSingle) and n > 1 (TransferBatch)", () => {
    const transfersOf = (world: IndexerWorld, txHash: string, database = world.databases[0]) =>
      database.sqlite.prepare("SELECT * FROM chain_transfers WHERE transaction_hash = ? ORDER BY log_index, batch_index").all(txHash.toLowerCase()) as TransferRow[];
    const topicOf = async (txHash: string, name: "TransferSingle" | "TransferBatch") => {
      const receipt = await ethers.provider.getTransactionReceipt(txHash);
      const topic = world.registry.interface.getEvent(name).topicHash;
      return receipt!.logs.filter((log) => log.topics[0] === topic).length;
    };

    it("issuance mints with TransferSingle for one certificate and TransferBatch for several", async () => {
      const one = await issueGc(world, world.buyer, [7n]);
      const three = await issueGc(world, world.buyer, [1n, 2n, 3n]);
      const database = world.database();
      await syncToHead(world, database);
      const rows = database.sqlite.prepare("SELECT * FROM chain_transfers ORDER BY block_number, log_index, batch_index").all() as TransferRow[];
      expect(rows.map((r) => [r.from_address, r.to_address, r.certificate_id, r.amount, r.batch_index, r.action])).to.deep.equal([
        [ZERO_ADDRESS, world.buyer.address.toLowerCase(), one[0].toString(), "7", 0, "issuance"],
        ...three.map((id, i) => [ZERO_ADDRESS, world.buyer.address.toLowerCase(), id.toString(), String(i + 1), i, "issuance"]),
      ]);
    });

    it("split, retireBatch and safeBatchTransferFrom are mirrored whichever transfer event they emit", async () => {
      const { registry, buyer, other } = world;
      const ids = await issueGc(world, buyer, [1_000n, 1_000n, 1_000n]);
      const txs = {
        splitOne: await registry.connect(buyer).split(buyer.address, ids[0], [300n]),
        splitTwo: await registry.connect(buyer).split(buyer.address, ids[0], [100n, 200n]),
        retireOne: await registry.connect(buyer).retireBatch(buyer.address, [ids[1]], [50n], 1, "", ethers.ZeroHash),
        retireTwo: await registry.connect(buyer).retireBatch(buyer.address, [ids[1], ids[2]], [60n, 70n], 0, "Acme", ethers.ZeroHash),
        sendOne: await registry.connect(buyer).safeBatchTransferFrom(buyer.address, other.address, [ids[2]], [5n], "0x"),
        sendTwo: await registry.connect(buyer).safeBatchTransferFrom(buyer.address, other.address, [ids[1], ids[2]], [6n, 7n], "0x"),
      };
      for (const tx of Object.values(txs)) await tx.wait();
      expect(await topicOf(txs.splitOne.hash, "TransferSingle")).to.equal(2, "burn and single child mint");
      expect(await topicOf(txs.retireOne.hash, "TransferSingle")).to.equal(1);
      expect(await topicOf(txs.sendOne.hash, "TransferSingle")).to.equal(1);
      expect(await topicOf(txs.splitTwo.hash, "TransferBatch")).to.equal(1);
      expect(await topicOf(txs.retireTwo.hash, "TransferBatch")).to.equal(1);

      const database = world.database();
      await syncToHead(world, database);
      const summary = (hash: string) => transfersOf(world, hash, database).map((r) => [r.action, r.reason, r.batch_index, r.amount]);
      expect(summary(txs.splitOne.hash)).to.deep.equal([["split", null, 0, "300"], ["split", null, 0, "300"]]);
      expect(summary(txs.splitTwo.hash)).to.deep.equal([["split", null, 0, "300"], ["split", null, 0, "100"], ["split", null, 1, "200"]]);
      expect(summary(txs.retireOne.hash)).to.deep.equal([["retirement", 1, 0, "50"]]);
      expect(summary(txs.retireTwo.hash)).to.deep.equal([["retirement", 0, 0, "60"], ["retirement", 0, 1, "70"]]);
      expect(summary(txs.sendOne.hash)).to.deep.equal([["transfer", null, 0, "5"]]);
      expect(summary(txs.sendTwo.hash)).to.deep.equal([["transfer", null, 0, "6"], ["transfer", null, 1, "7"]]);

      const claims = database.sqlite.prepare("SELECT holder, certificate_id, reason, amount, beneficiary FROM chain_retirements ORDER BY block_number, log_index").all();
      expect(claims).to.deep.equal([
        { holder: buyer.address.toLowerCase(), certificate_id: ids[1].toString(), reason: 1, amount: "50", beneficiary: "" },
        { holder: buyer.address.toLowerCase(), certificate_id: ids[1].toString(), reason: 0, amount: "60", beneficiary: "Acme" },
        { holder: buyer.address.toLowerCase(), certificate_id: ids[2].toString(), reason: 0, amount: "70", beneficiary: "Acme" },
      ]);
      for (const [holder, id] of [[buyer.address, ids[1]], [buyer.address, ids[2]], [other.address, ids[2]], [buyer.address, ids[0]]] as const) {
        const row = database.sqlite.prepare("SELECT amount, claimed FROM chain_balances WHERE holder = ? AND certificate_id = ?").get(holder.toLowerCase(), id.toString()) as BalanceRow;
        expect([BigInt(row.amount), BigInt(row.claimed)]).to.deep.equal([await registry.balanceOf(holder, id), await registry.claimedBalanceOf(holder, id)]);
      }
    });
  });

  it("stores uint256 amounts and ids exactly, beyond what a double or a SQLite integer holds", async () => {
    const huge = 2n ** 200n + 12_345n;
    const [id] = await issueGc(world, world.buyer, [huge], CertificateKind.ImportedGranularCertificate);
    const database = world.database();
    await syncToHead(world, database);
    const row = database.sqlite.prepare("SELECT id, kind, issued_amount, supply FROM chain_certificates").get();
    expect(row).to.deep.equal({ id: id.toString(), kind: 3, issued_amount: huge.toString(), supply: huge.toString() });
    expect(id >> 248n).to.equal(3n);
  });

  it("keeps a reservation, its devices and its on-chain log in order", async () => {
    await mixedActivity(world);
    const database = world.database();
    await syncToHead(world, database);
    const reservation = database.sqlite.prepare("SELECT * FROM chain_reservations").get() as Record<string, unknown>;
    expect(reservation).to.include({ buyer: world.buyer.address.toLowerCase(), target_wh: "10000", can_exceed_target: 1, end_reason: 0 });
    expect(reservation.ended_at).to.be.a("number");
    const devices = database.sqlite.prepare("SELECT device, removed_block, released_at FROM chain_reservation_devices ORDER BY block_number, log_index").all() as {
      removed_block: number | null;
    }[];
    expect(devices.map((d) => d.removed_block !== null)).to.deep.equal([true, false, false]);
    const log = database.sqlite.prepare("SELECT event_name FROM chain_reservation_events ORDER BY block_number, log_index").all() as { event_name: string }[];
    expect(log.map((e) => e.event_name)).to.deep.equal([
      "ReservationCreated",
      "DeviceAdded",
      "DeviceAdded",
      "DeviceAdded",
      "DeviceRemoved",
      "CertificateIssued",
      "ReservationEnded",
    ]);
    expect(dumpMirror(database).chain_raw_logs.length).to.be.greaterThan(30);
  });
});
