import { expect } from "chai";
import { getAddress, parseAbi } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { openDatabase, type RegistryDatabase } from "../../server/db/database";
import { startFollower, type FollowerOptions } from "../../indexer/follower";
import { readCheckpoint } from "../../indexer/store/checkpoint";
import { chainRawLogs } from "../../indexer/store/schema";
import { bindDeployment, DeploymentMismatchError } from "../../indexer/store/deployment";
import { deployWithViem, type DeployedOnHardhat } from "../support/chain";

const allowlistAbi = parseAbi(["function setTransferAllowlistEnabled(bool enabled)"]);

describe("indexer follower (checkpoint and raw logs)", () => {
  let deployed: DeployedOnHardhat;
  let database: RegistryDatabase;

  beforeEach(async () => {
    deployed = await deployWithViem();
    database = openDatabase(":memory:");
  });
  afterEach(() => database.close());

  const follow = (overrides: Partial<FollowerOptions> = {}) =>
    startFollower({
      client: deployed.clients.publicClient,
      db: database.db,
      registryAddress: deployed.address,
      deployBlock: deployed.blockNumber,
      confirmations: 0,
      pollIntervalMs: 60_000,
      ...overrides,
    });

  /** Each call emits one registry event in its own block. */
  async function emitEvents(count: number): Promise<void> {
    const wallet = deployed.clients.wallet(deployed.keys.admin);
    for (let i = 0; i < count; i++) {
      const hash = await wallet.writeContract({ address: deployed.address, abi: allowlistAbi, functionName: "setTransferAllowlistEnabled", args: [i % 2 === 0] });
      await deployed.clients.publicClient.waitForTransactionReceipt({ hash });
    }
  }

  async function chainLogs() {
    return deployed.clients.publicClient.getLogs({ address: deployed.address, fromBlock: deployed.blockNumber, toBlock: "latest" });
  }

  it("stores every registry log exactly as getLogs returns it and checkpoints the head block", async () => {
    await emitEvents(5);
    const follower = follow({ range: { initial: 2, max: 2 } });
    const checkpoint = await follower.syncOnce();
    await follower.stop();

    const head = await deployed.clients.publicClient.getBlock({ blockTag: "latest" });
    expect(checkpoint).to.deep.equal({ blockNumber: head.number, blockHash: head.hash });
    const stored = database.db.select().from(chainRawLogs).all();
    const expected = await chainLogs();
    expect(expected.length).to.be.greaterThan(0);
    expect(stored.map((r) => [BigInt(r.blockNumber), r.logIndex, r.transactionHash, r.topics, r.data])).to.deep.equal(
      expected.map((l) => [l.blockNumber, l.logIndex, l.transactionHash, l.topics, l.data]),
    );
  });

  it("resumes from its checkpoint after a restart without storing anything twice", async () => {
    await emitEvents(2);
    const first = follow();
    await first.syncOnce();
    await first.stop();
    await emitEvents(3);
    const second = follow();
    await second.syncOnce();
    await second.syncOnce();
    await second.stop();
    expect(database.db.select().from(chainRawLogs).all()).to.have.length((await chainLogs()).length);
  });

  it("stays the configured number of confirmations behind the head", async () => {
    await emitEvents(4);
    const follower = follow({ confirmations: 3 });
    const checkpoint = await follower.syncOnce();
    await follower.stop();
    const head = await deployed.clients.publicClient.getBlockNumber({ cacheTime: 0 });
    expect(checkpoint?.blockNumber).to.equal(head - 3n);
    expect(readCheckpoint(database.db)?.blockNumber).to.equal(head - 3n);
  });

  it("polls on its own and serialises concurrent syncs", async () => {
    const follower = follow({ pollIntervalMs: 50 });
    await emitEvents(2);
    const results = await Promise.all([follower.syncOnce(), follower.syncOnce(), follower.syncOnce()]);
    await emitEvents(1);
    const head = await deployed.clients.publicClient.getBlockNumber({ cacheTime: 0 });
    const deadline = Date.now() + 5_000;
    while (readCheckpoint(database.db)?.blockNumber !== head && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await follower.stop();
    expect(results.map((r) => r?.blockNumber)).to.deep.equal([head - 1n, head - 1n, head - 1n]);
    expect(readCheckpoint(database.db)?.blockNumber).to.equal(head);
  });

  it("binds the database to one deployment and refuses another", () => {
    const deployment = { chainId: 31337, registryAddress: deployed.address, deployBlock: deployed.blockNumber };
    bindDeployment(database.db, deployment);
    bindDeployment(database.db, { ...deployment, registryAddress: getAddress(deployed.address) });
    expect(() => bindDeployment(database.db, { ...deployment, registryAddress: privateKeyToAddress(deployed.keys.issuer) })).to.throw(
      DeploymentMismatchError,
      /Point DATABASE_PATH at another file/,
    );
    expect(() => bindDeployment(database.db, { ...deployment, chainId: 1 })).to.throw(DeploymentMismatchError);
  });
});
