import { expect } from "chai";
import { ethers, network } from "hardhat";
import type { FollowerEvent } from "../../indexer/follower";
import { rollbackTo } from "../../indexer/reorg/rollback";
import { commitRange, readCheckpoint } from "../../indexer/store/checkpoint";
import { createLogDecoder } from "../../indexer/decode/decodeLog";
import { registryAbi } from "../../indexer/decode/registryAbi";
import type { ChainReader } from "../../indexer/sync/chainReader";
import { fetchRange } from "../../indexer/sync/fetchRange";
import { closeWorld, dumpMirror, freshMirror, indexerWorld, irecActivity, issueGc, issueIRec, mixedActivity, syncToHead, type IndexerWorld } from "./support";

/** `client` with `getLogs` replaced: tests inject provider failures through it. */
function withGetLogs(client: ChainReader, getLogs: (args: { fromBlock: bigint; toBlock: bigint }, real: ChainReader["getLogs"]) => ReturnType<ChainReader["getLogs"]>): ChainReader {
  return {
    getBlockNumber: client.getBlockNumber,
    getBlock: client.getBlock,
    getLogs: ((args: { fromBlock: bigint; toBlock: bigint }) => getLogs(args, client.getLogs)) as ChainReader["getLogs"],
  };
}

const blockNumber = async () => Number(await network.provider.request({ method: "eth_blockNumber" }));

describe("indexer resilience (reorgs, crashes, reprocessing, adaptive ranges)", () => {
  let world: IndexerWorld;
  beforeEach(async () => {
    world = await indexerWorld();
    await mixedActivity(world, "before");
    await irecActivity(world, "before");
  });
  afterEach(() => closeWorld(world));

  describe("reorgs", () => {
    /** Indexes history A, replaces it (evm_revert) by history B, indexes again; returns the rollbacks seen. */
    async function reorgFromTo(a: () => Promise<void>, b: () => Promise<void>) {
      const database = world.database();
      const events: FollowerEvent[] = [];
      const follower = world.follower(database, { onEvent: (event) => events.push(event) });
      const snapshot = await network.provider.request({ method: "evm_snapshot" });
      const forkPoint = await blockNumber();
      await a();
      await follower.syncOnce();
      const before = readCheckpoint(database.db)!;
      await network.provider.request({ method: "evm_revert", params: [snapshot] });
      await b();
      await follower.syncOnce();
      await follower.stop();
      return { database, forkPoint, before, reorgs: events.filter((e) => e.type === "reorg") };
    }

    it("rolls back to the common ancestor and re-applies when the new branch is longer", async () => {
      const { database, forkPoint, reorgs } = await reorgFromTo(
        async () => {
          await issueGc(world, world.buyer, [1n, 2n]);
        },
        async () => {
          await mixedActivity(world, "branch b");
        },
      );
      expect(reorgs.map((e) => e.type === "reorg" && e.to)).to.deep.equal([forkPoint]);
      expect(dumpMirror(database)).to.deep.equal(await freshMirror(world));
    });

    it("restores provisional status and clears serials that a rolled-back block recorded, and undoes a revocation of a provisional id", async () => {
      const [first, second] = await issueIRec(world, [700n, 800n]);
      const { registry, issuer, admin } = world;
      const { database } = await reorgFromTo(
        async () => {
          await (await registry.connect(issuer).recordStandardSerials(first, "IREC-A-1", "IREC-A-2")).wait();
          await (await registry.connect(admin).revoke(second, ethers.id("branch a"))).wait();
        },
        async () => {
          await (await registry.connect(issuer).recordStandardSerials(second, "IREC-B-1", "IREC-B-2")).wait();
        },
      );
      expect(dumpMirror(database)).to.deep.equal(await freshMirror(world));
      const rows = database.sqlite
        .prepare("SELECT id, status, awaiting_serials, standard_first_serial, revoked_block FROM chain_certificates WHERE id IN (?, ?) ORDER BY serial")
        .all(first.toString(), second.toString());
      expect(rows).to.deep.equal([
        { id: first.toString(), status: "provisional", awaiting_serials: 1, standard_first_serial: null, revoked_block: null },
        { id: second.toString(), status: "active", awaiting_serials: 0, standard_first_serial: "IREC-B-1", revoked_block: null },
      ]);
      expect([await registry.isProvisional(first), await registry.isProvisional(second)]).to.deep.equal([true, false]);
    });

    it("notices a branch that is shorter than the indexed one, where the checkpoint block no longer exists", async () => {
      const { database, before, forkPoint } = await reorgFromTo(
        async () => {
          await mixedActivity(world, "branch a");
        },
        async () => {
          await issueGc(world, world.other, [3n]);
        },
      );
      expect(await blockNumber()).to.be.lessThan(Number(before.blockNumber));
      expect(readCheckpoint(database.db)!.blockNumber).to.equal(BigInt(forkPoint + 1));
      expect(dumpMirror(database)).to.deep.equal(await freshMirror(world));
    });

    it("notices a branch of the same height (only the hashes differ)", async () => {
      const { database, before } = await reorgFromTo(
        async () => {
          await issueGc(world, world.buyer, [10n]);
        },
        async () => {
          await issueGc(world, world.other, [20n, 30n]);
        },
      );
      expect(readCheckpoint(database.db)!.blockNumber).to.equal(before.blockNumber);
      expect(readCheckpoint(database.db)!.blockHash).to.not.equal(before.blockHash);
      expect(dumpMirror(database)).to.deep.equal(await freshMirror(world));
    });

    it("reads a range again when the chain reorganises between its logs and its headers, even where the old blocks had no registry logs", async () => {
      const database = world.database();
      await syncToHead(world, database);
      const snapshot = await network.provider.request({ method: "evm_snapshot" });
      await network.provider.request({ method: "evm_mine" });
      let reorganised = false;
      // getLogs answers for the old branch (one empty block); the reorg lands before the headers are read.
      const client = withGetLogs(world.client, async (args, real) => {
        const logs = await real(args);
        if (!reorganised) {
          reorganised = true;
          await network.provider.request({ method: "evm_revert", params: [snapshot] });
          await issueGc(world, world.other, [7n]);
        }
        return logs;
      });
      await syncToHead(world, database, { client });
      expect(reorganised).to.equal(true);
      expect(dumpMirror(database)).to.deep.equal(await freshMirror(world));
    });

    it("rolls everything back when even the oldest stored block is gone", async () => {
      const database = world.database();
      await syncToHead(world, database);
      // Stands for a reorg below everything stored: the mirror's blocks are no longer the chain's.
      database.sqlite.prepare("UPDATE chain_blocks SET hash = '0x' || lower(hex(randomblob(32)))").run();
      database.sqlite.prepare("UPDATE chain_checkpoint SET block_hash = (SELECT hash FROM chain_blocks ORDER BY number DESC LIMIT 1)").run();
      const events: FollowerEvent[] = [];
      await syncToHead(world, database, { onEvent: (event) => events.push(event) });
      expect(events.find((e) => e.type === "reorg")).to.deep.include({ to: Number(world.deployBlock) - 1 });
      expect(dumpMirror(database)).to.deep.equal(await freshMirror(world));
    });
  });

  describe("crashes", () => {
    it("resumes after getLogs fails partway through a backfill, with nothing lost or applied twice", async () => {
      const database = world.database();
      let calls = 0;
      const dying = withGetLogs(world.client, (args, real) => (++calls > 4 ? Promise.reject(new Error("connection reset")) : real({ address: world.address, ...args })));
      await syncToHead(world, database, { client: dying, range: { initial: 2, max: 2 } }).then(
        () => expect.fail("the sync should have failed"),
        (error: Error) => expect(error.message).to.match(/connection reset/),
      );
      const partway = readCheckpoint(database.db)!.blockNumber;
      expect(partway).to.equal(world.deployBlock + 7n, "four ranges of two blocks from the deployment block");
      await syncToHead(world, database);
      expect(dumpMirror(database)).to.deep.equal(await freshMirror(world));
    });

    it("keeps nothing of a range whose commit fails halfway, and resumes from the range's start", async () => {
      const database = world.database();
      const transferBlocks = (await freshMirror(world)).chain_transfers.map((row) => (row as { block_number: number }).block_number);
      const crashAt = transferBlocks[Math.floor(transferBlocks.length / 2)];
      // A temporary trigger lives on this connection only: the follower writing through it fails mid-transaction.
      database.sqlite.exec(`CREATE TEMP TRIGGER crash BEFORE INSERT ON chain_transfers WHEN NEW.block_number = ${crashAt} BEGIN SELECT RAISE(ABORT, 'simulated crash'); END`);
      await syncToHead(world, database, { range: { initial: 1, max: 1 } }).then(
        () => expect.fail("the sync should have failed"),
        (error: Error) => expect(error.message).to.match(/simulated crash/),
      );
      expect(readCheckpoint(database.db)!.blockNumber).to.equal(BigInt(crashAt - 1));
      const after = (table: string) => database.sqlite.prepare(`SELECT count(*) AS n FROM ${table} WHERE block_number >= ?`).get(crashAt) as { n: number };
      for (const table of ["chain_raw_logs", "chain_transfers", "chain_certificates", "chain_vouchers"]) expect(after(table).n).to.equal(0, table);
      database.sqlite.exec("DROP TRIGGER crash");
      await syncToHead(world, database);
      expect(dumpMirror(database)).to.deep.equal(await freshMirror(world));
    });
  });

  describe("reprocessing", () => {
    it("applies a range once: committing it again changes nothing", async () => {
      const database = world.database();
      const head = await blockNumber();
      const range = await fetchRange(world.client, world.address, createLogDecoder(registryAbi()), Number(world.deployBlock), head, head + 1);
      const commit = {
        after: undefined,
        to: { blockNumber: BigInt(head), blockHash: range.headers.get(head)!.hash as `0x${string}` },
        logs: range.logs,
        headers: [...range.headers.values()],
        pruneBelow: 0,
      };
      expect(commitRange(database.db, commit)).to.equal(true);
      const once = dumpMirror(database);
      expect(commitRange(database.db, commit)).to.equal(false);
      expect(dumpMirror(database)).to.deep.equal(once);
      expect(once).to.deep.equal(await freshMirror(world));
    });

    it("rolling back to any earlier block and indexing again gives the same mirror", async () => {
      const database = world.database();
      await syncToHead(world, database);
      const indexed = dumpMirror(database);
      const blocks = database.sqlite.prepare("SELECT number, hash FROM chain_blocks WHERE log_count > 0 ORDER BY number").all() as { number: number; hash: string }[];
      for (const block of [blocks[0], blocks[Math.floor(blocks.length / 2)], blocks[blocks.length - 2]]) {
        rollbackTo(database.db, block.number, block.hash);
        expect(readCheckpoint(database.db)!.blockNumber).to.equal(BigInt(block.number));
        await syncToHead(world, database);
        expect(dumpMirror(database)).to.deep.equal(indexed);
      }
    });
  });

  describe("adaptive ranges", () => {
    it("shrinks the range when the provider refuses long ones, and grows it again while it is cheap", async () => {
      const database = world.database();
      const attempts: { length: number; ok: boolean }[] = [];
      const limited = withGetLogs(world.client, (args, real) => {
        const length = Number(args.toBlock - args.fromBlock) + 1;
        attempts.push({ length, ok: length <= 3 });
        return length > 3 ? Promise.reject(new Error("block range too large")) : real({ address: world.address, ...args });
      });
      await syncToHead(world, database, { client: limited, range: { initial: 8, max: 64 } });
      expect(attempts.slice(0, 3)).to.deep.equal([
        { length: 8, ok: false },
        { length: 4, ok: false },
        { length: 2, ok: true },
      ]);
      // After a success the next attempt is longer than it (grown), and refused ones were followed by shorter ones.
      expect(attempts.some((a, i) => a.ok && attempts[i + 1] && attempts[i + 1].length > a.length)).to.equal(true);
      expect(attempts.every((a, i) => a.ok || (attempts[i + 1] !== undefined && attempts[i + 1].length < a.length))).to.equal(true);
      expect(dumpMirror(database)).to.deep.equal(await freshMirror(world));
    });

    it("gives up with the provider's error when even a one-block range is refused", async () => {
      const database = world.database();
      const broken = withGetLogs(world.client, () => Promise.reject(new Error("provider down")));
      await syncToHead(world, database, { client: broken, range: { initial: 4 } }).then(
        () => expect.fail("the sync should have failed"),
        (error: Error) => expect(error.message).to.match(/eth_getLogs failed for blocks \d+\.\.\d+: provider down/),
      );
      expect(readCheckpoint(database.db)).to.equal(undefined);
    });
  });
});
