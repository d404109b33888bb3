import { expect } from "chai";
import { and, eq } from "drizzle-orm";
import { parseAbi, type Hex } from "viem";
import { REGISTRY_ABI, RetirementReason } from "../../server/chain/registryAbi";
import { chainRef } from "../../server/chain/refs";
import { sendRegistryTransaction } from "../../server/chain/sendTransaction";
import { accountSigner } from "../../server/gc/accounts/chain";
import { findAccount } from "../../server/gc/accounts/store";
import { gcActions, gcBundles } from "../../server/gc/schema";
import { checkCancellation, storeCancellation } from "../../server/storage/cancellation";
import { storageAllocations } from "../../server/storage/schema";
import { POSITIONS_CSV, storageWorld, type StorageWorld } from "./support";

const HEADER = "hour,charge_hour,gc_id,charge_wh,discharge_wh";

describe("storage allocations and cancellations when the chain does not go along", function () {
  this.timeout(120_000);
  let world: StorageWorld;
  let allocations: string;

  const pausing = async (functionName: "pause" | "unpause") => {
    const admin = world.api.chain.clients.wallet(world.api.chain.keys.admin);
    const hash = await admin.writeContract({ address: world.api.chain.address, abi: parseAbi(["function pause()", "function unpause()"]), functionName });
    await world.api.deps.publicClient.waitForTransactionReceipt({ hash });
  };
  const retiredEvents = (holder: Hex) =>
    world.api.deps.publicClient.getContractEvents({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI, eventName: "Retired", args: { holder }, fromBlock: 0n, strict: true });

  before(async () => {
    world = await storageWorld();
    allocations = `/storage/devices/${world.storageDeviceId}/allocations`;
    expect((await world.send(world.validator, "POST", `/storage/devices/${world.storageDeviceId}/records`, POSITIONS_CSV)).status).to.equal(201);
  });
  after(() => world.api.close());

  it("keeps an allocation the paused registry would not cancel for (202), and finishes it on resume", async () => {
    const [gc] = await world.mintGcs(world.accountId, [{ device: "SOL7", hour: "2024-07-01T14:00:00Z", wh: 100_000 }]);
    await pausing("pause");
    let stored: any;
    try {
      stored = await world.send(world.validator, "POST", `${allocations}?cancellation=cancel`, `${HEADER}\n2024-07-02T00:00:00Z,2024-07-01T14:00:00Z,${gc},100000,95000\n`);
      expect(stored.status, JSON.stringify(stored.body)).to.equal(202);
      expect([stored.body.status, stored.body.gcCancellation.status]).to.deep.equal(["cancelling", "cancelling"]);
      expect(stored.body.error).to.match(/^cancelling the GCs did not finish: .*EnforcedPause/);
      expect(world.bundle(gc).status).to.equal("active");
      // The stored allocation holds its GC: another request cannot take it meanwhile.
      const rival = await world.send(world.validator, "POST", `${allocations}?cancellation=cancel`, `${HEADER}\n2024-07-02T01:00:00Z,2024-07-01T14:00:00Z,${gc},100000,95000\n`);
      expect(rival.body.errors).to.deep.equal([{ field: "body.lines[2].gc_id", message: "is being cancelled for storage by another request; allocate it once that has finished" }]);
    } finally {
      await pausing("unpause");
    }
    const resumed = await world.call(world.validator, "POST", `/storage/allocations/${stored.body.id}/resume`);
    expect(resumed.status, JSON.stringify(resumed.body)).to.equal(200);
    expect([resumed.body.status, resumed.body.error, resumed.body.sdgcs.map((b: any) => b.energyWh)]).to.deep.equal(["issued", null, ["95000"]]);
    expect(world.bundle(gc).status).to.equal("cancelled-for-storage");
    expect(world.api.mail.to(world.validator.email).map((email) => email.subject)).to.deep.equal(["SD-GCs issued for Byrd Ranch: 95,000 Wh"]);
  });

  it("keeps an allocation whose SD-GCs the paused registry would not mint (202), and mints them on resume", async () => {
    const [gc] = await world.mintGcs(world.accountId, [{ device: "SOL7", hour: "2024-07-01T15:00:00Z", wh: 50_000 }]);
    expect((await world.call(world.validator, "POST", "/storage/cancellations", { accountId: world.accountId, bundles: [{ id: gc }] })).status).to.equal(201);
    await pausing("pause");
    let stored: any;
    try {
      stored = await world.send(world.validator, "POST", `${allocations}?cancellation=require-cancelled`, `${HEADER}\n2024-07-02T01:00:00Z,2024-07-01T15:00:00Z,${gc},50000,48000\n`);
      expect(stored.status, JSON.stringify(stored.body)).to.equal(202);
      expect(stored.body.status).to.equal("issuing");
      expect(stored.body.error).to.match(/^1 of 1 SD-GC bundles are still being minted: .*EnforcedPause/);
      expect(stored.body.sdgcs.map((b: any) => [b.status, b.tokenId])).to.deep.equal([["pending", null]]);
    } finally {
      await pausing("unpause");
    }
    const resumed = await world.call(world.validator, "POST", `/storage/allocations/${stored.body.id}/resume`);
    expect([resumed.status, resumed.body.status]).to.deep.equal([200, "issued"]);
    expect(resumed.body.sdgcs.map((b: any) => [b.id, b.status, b.energyWh])).to.deep.equal([[stored.body.sdgcs[0].id, "active", "48000"]]);
    expect(await world.balanceOf(world.accountAddress, resumed.body.sdgcs[0].tokenId)).to.equal(48_000n);
  });

  it("fails an allocation whose GC the registry will not cancel (moved away on chain), and it then holds nothing", async () => {
    const [gc] = await world.mintGcs(world.accountId, [{ device: "SOL9", hour: "2024-07-01T16:00:00Z", wh: 70_000 }]);
    const signer = accountSigner(world.api.deps, findAccount(world.api.database.db, world.accountId)!)!;
    const elsewhere = "0x000000000000000000000000000000000000dEaD";
    await sendRegistryTransaction(world.api.deps, signer, "safeTransferFrom", [world.accountAddress, elsewhere, BigInt(world.bundle(gc).tokenId!), 70_000n, "0x"]);
    const refused = await world.send(world.validator, "POST", `${allocations}?cancellation=cancel`, `${HEADER}\n2024-07-02T02:00:00Z,2024-07-01T16:00:00Z,${gc},70000,60000\n`);
    expect(refused.status, JSON.stringify(refused.body)).to.equal(409);
    expect(refused.body.detail).to.match(/ERC1155InsufficientBalance/);
    const failed = world.api.database.db.select().from(storageAllocations).where(eq(storageAllocations.status, "failed")).all();
    expect(failed).to.have.length(1);
    const records = await world.call(world.validator, "GET", `/storage/devices/${world.storageDeviceId}/records?flow=discharge&from=2024-07-02T02:00:00Z&to=2024-07-02T03:00:00Z`);
    expect(records.body.items.map((r: any) => r.allocatedWh)).to.deep.equal(["0"]);
    const logged = world.api.database.db.select().from(gcActions).where(and(eq(gcActions.action, "cancel-for-storage"), eq(gcActions.outcome, "failed"))).all();
    expect(logged.map((a) => a.bundleIds)).to.deep.equal([[gc]]);
    expect(world.bundle(gc).status).to.equal("active");
  });

  it("settles a cancellation whose retirement was mined before the run stopped, without retiring twice", async () => {
    const [gc] = await world.mintGcs(world.accountId, [{ device: "SOL9", hour: "2024-07-01T17:00:00Z", wh: 20_000 }]);
    const db = world.api.database.db;
    const account = findAccount(db, world.accountId)!;
    const checked = checkCancellation(db, account, [{ id: gc }]);
    if (!checked.ok) throw new Error(JSON.stringify(checked.faults));
    const id = storeCancellation(db, { accountId: account.id, allocationId: null, items: checked.items, userId: world.validator.userId, now: world.api.clock.now().getTime() });
    // The run that stored it sent the retirement, then died before writing the outcome.
    const { hash } = await sendRegistryTransaction(world.api.deps, accountSigner(world.api.deps, account)!, "retireBatch", [
      world.accountAddress,
      [BigInt(world.bundle(gc).tokenId!)],
      [20_000n],
      RetirementReason.CancelledForStorage,
      "",
      chainRef(id),
    ]);
    const resumed = await world.call(world.validator, "POST", `/storage/cancellations/${id}/resume`);
    expect([resumed.status, resumed.body.status, resumed.body.txHash]).to.deep.equal([200, "cancelled", hash]);
    expect(world.bundle(gc).status).to.equal("cancelled-for-storage");
    const events = (await retiredEvents(world.accountAddress)).filter((log) => log.args.id === BigInt(world.bundle(gc).tokenId!));
    expect(events).to.have.length(1);
  });

  it("finishes a partial cancellation whose split was made before the run stopped, cancelling the split-off part", async () => {
    const [gc] = await world.mintGcs(world.accountId, [{ device: "SOL7", hour: "2024-07-01T18:00:00Z", wh: 9_000 }]);
    const db = world.api.database.db;
    const account = findAccount(db, world.accountId)!;
    const checked = checkCancellation(db, account, [{ id: gc, wh: 6_000n }]);
    if (!checked.ok) throw new Error(JSON.stringify(checked.faults));
    const id = storeCancellation(db, { accountId: account.id, allocationId: null, items: checked.items, userId: world.validator.userId, now: world.api.clock.now().getTime() });
    const split = await world.call(world.validator, "POST", `/gc/bundles/${gc}/split`, { amounts: ["6000", "3000"] });
    expect(split.status, JSON.stringify(split.body)).to.equal(201);
    const resumed = await world.call(world.validator, "POST", `/storage/cancellations/${id}/resume`);
    expect([resumed.status, resumed.body.status]).to.deep.equal([200, "cancelled"]);
    const children = db.select().from(gcBundles).where(eq(gcBundles.parentId, gc)).orderBy(gcBundles.rangeStart).all();
    expect(children.map((b) => [b.energyWh, b.status])).to.deep.equal([
      [6_000, "cancelled-for-storage"],
      [3_000, "active"],
    ]);
    expect(resumed.body.items).to.deep.equal([{ bundleId: gc, wh: "6000", cancelledBundleId: children[0].id }]);
  });
});
