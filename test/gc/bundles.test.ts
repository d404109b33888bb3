import { expect } from "chai";
import { eq } from "drizzle-orm";
import { keccak256, parseEventLogs, stringToHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { REGISTRY_ABI, RetirementReason } from "../../server/chain/registryAbi";
import { RegistryRevertError, sendRegistryTransaction } from "../../server/chain/sendTransaction";
import { gcAccounts } from "../../server/gc/schema";
import { gcRetirements } from "../../server/gc/accounts/schema";
import { seedOrganisation, seedUser, tableSnapshot } from "../support/api";
import { accountsWorld, type AccountsWorld, type AccountView, type BundleView } from "./accountsSupport";
import { HOUR_MS } from "../../server/time/durations";

describe("GC bundle operations (/gc/bundles)", function () {
  this.timeout(180_000);

  let world: AccountsWorld;
  let device: string;
  before(async () => {
    world = await accountsWorld();
    device = await world.createDevice();
  });
  const registry = () => ({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI }) as const;
  const read = <T>(functionName: "isRevoked" | "claimedBalanceOf", args: readonly unknown[]) =>
    world.api.deps.publicClient.readContract({ ...registry(), functionName, args } as never) as Promise<T>;
  const actions = async (account: AccountView) => (await world.call(world.developer, "GET", `/gc/accounts/${account.id}/actions`)).body.items;
  /** The next free hours of `device`, so tests never mint the same (device, hour) twice. */
  let nextHour = 0;
  const hours = (count: number, energyWh: number) => Array.from({ length: count }, () => ({ deviceId: device, startAt: world.dayStart + nextHour++ * HOUR_MS, energyWh }));

  describe("split (seed 003)", () => {
    it("splits GC101-20240928-20003-0001-0750000 into …-0001-0500000 and …-0001-0250000, exactly as the seed writes it", async () => {
      // Project GC101 is the device's external id; EAC id 20003 is an SD-GC (kind 2) whose period starts at 00:03 UTC.
      const seedDevice = await world.createDevice({ externalId: "GC101" });
      const account = await world.createAccount(world.developer, { name: "Seed 003" });
      const [parentId] = await world.mint(account.id, [{ deviceId: seedDevice, startAt: Date.parse("2024-09-28T00:03:00Z"), energyWh: 750_000 }], "storage");
      expect(parentId).to.equal("GC101-20240928-20003-0001-0750000");

      const { status, body } = await world.call(world.developer, "POST", `/gc/bundles/${parentId}/split`, { amounts: ["500000", "250000"] });
      expect(status, JSON.stringify(body)).to.equal(201);
      expect(body.parent).to.include({ id: parentId, status: "split" });
      expect(body.children.map((c: BundleView) => [c.id, c.energyWh, c.certificateIds.from, c.certificateIds.to, c.status, c.parentId, c.accountId])).to.deep.equal([
        ["GC101-20240928-20003-0001-0500000", "500000", "1", "500000", "active", parentId, account.id],
        ["GC101-20240928-20003-0001-0250000", "250000", "500001", "750000", "active", parentId, account.id],
      ]);
      // Children keep the parent's device, period, origin and attributes.
      const parent = world.bundle(parentId);
      for (const child of body.children as BundleView[]) {
        const row = world.bundle(child.id);
        expect([row.deviceId, row.startAt, row.endAt, row.origin, row.attributes]).to.deep.equal([parent.deviceId, parent.startAt, parent.endAt, parent.origin, parent.attributes]);
      }

      // On chain: the parent burned, children minted to the same holder with the same kind, and the Split event links them.
      expect(await world.balanceOf(account.address, parent.tokenId!)).to.equal(0n);
      expect(await world.balanceOf(account.address, body.children[0].tokenId)).to.equal(500_000n);
      expect(await world.balanceOf(account.address, body.children[1].tokenId)).to.equal(250_000n);
      expect(BigInt(body.children[0].tokenId) >> 248n).to.equal(2n);
      const receipt = await world.api.deps.publicClient.getTransactionReceipt({ hash: body.txHash });
      const [split] = parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "Split" });
      expect(split.args.parentId.toString()).to.equal(parent.tokenId);
      expect(split.args.childIds.map(String)).to.deep.equal(body.children.map((c: BundleView) => c.tokenId));

      // Lineage both ways.
      const parentView = await world.call(world.developer, "GET", `/gc/bundles/${parentId}`);
      expect(parentView.body.children).to.deep.equal(body.children.map((c: BundleView) => c.id));
      expect(parentView.body.ancestors).to.deep.equal([]);

      // A child split again takes the next free sequence numbers for its energy.
      const again = await world.call(world.developer, "POST", `/gc/bundles/GC101-20240928-20003-0001-0500000/split`, { amounts: ["250000", "250000"] });
      expect(again.status).to.equal(201);
      expect(again.body.children.map((c: BundleView) => c.id)).to.deep.equal(["GC101-20240928-20003-0002-0250000", "GC101-20240928-20003-0003-0250000"]);
      const grandchild = await world.call(world.developer, "GET", `/gc/bundles/GC101-20240928-20003-0003-0250000`);
      expect(grandchild.body.ancestors).to.deep.equal([parentId, "GC101-20240928-20003-0001-0500000"]);
      expect(grandchild.body.certificateIds).to.deep.equal({ from: "250001", to: "500000" });

      const log = await actions(account);
      expect(log.filter((a: { action: string }) => a.action === "split").map((a: { bundleIds: string[]; txHash: string }) => [a.bundleIds[0], a.txHash])).to.deep.equal([
        ["GC101-20240928-20003-0001-0500000", again.body.txHash],
        [parentId, body.txHash],
      ]);
    });

    it("refuses amounts that do not add up, a single child, and malformed amounts, writing nothing", async () => {
      const account = await world.createAccount(world.developer, { name: "Split faults" });
      const [id] = await world.mint(account.id, hours(1, 1_000));
      const cases: [unknown, string][] = [
        [{ amounts: ["600", "300"] }, "body.amounts"],
        [{ amounts: ["1000"] }, "body.amounts"],
        [{ amounts: ["0", "1000"] }, "body.amounts.0"],
        [{ amounts: [500, 500] }, "body.amounts.0"],
        [{ amounts: ["500", "500"], extra: true }, "body.extra"],
      ];
      for (const [body, field] of cases) {
        const before = tableSnapshot(world.api);
        const response = await world.call(world.developer, "POST", `/gc/bundles/${id}/split`, body);
        expect(response.status, JSON.stringify(body)).to.equal(400);
        expect(response.body.errors.map((e: { field: string }) => e.field), JSON.stringify(body)).to.include(field);
        expect(tableSnapshot(world.api)).to.deep.equal(before);
      }
      expect((await world.call(world.developer, "POST", `/gc/bundles/not-an-id/split`, { amounts: ["1", "2"] })).status).to.equal(400);
      expect((await world.call(world.developer, "POST", `/gc/bundles/X-20240101-1-0001-0001000/split`, { amounts: ["500", "500"] })).status).to.equal(404);
    });

    it("refuses to split a bundle that is no longer active, and logs the attempt as failed", async () => {
      const account = await world.createAccount(world.developer, { name: "Split twice" });
      const [id] = await world.mint(account.id, hours(1, 900));
      expect((await world.call(world.developer, "POST", `/gc/bundles/${id}/split`, { amounts: ["450", "450"] })).status).to.equal(201);
      const again = await world.call(world.developer, "POST", `/gc/bundles/${id}/split`, { amounts: ["450", "450"] });
      expect(again.status).to.equal(409);
      expect(again.body.errors).to.deep.equal([{ field: "path.id", message: "is split, not active" }]);
      const [latest] = await actions(account);
      expect(latest).to.include({ action: "split", outcome: "failed", userId: world.developer.userId, error: "Only active bundles can be split, moved or retired." });
      expect(latest.bundleIds).to.deep.equal([id]);
    });
  });

  describe("query", () => {
    it("filters an account's bundles by device, period, status, energy source and origin, and pages without repeats", async () => {
      const other = await world.createDevice({ externalId: "WIND1" });
      const account = await world.createAccount(world.developer, { name: "Query" });
      const start = world.dayStart + 60 * HOUR_MS;
      const solar = await world.mint(account.id, [0, 1, 2, 3].map((h) => ({ deviceId: device, startAt: start + h * HOUR_MS, energyWh: 100 + h })));
      const wind = await world.mint(account.id, [0, 1].map((h) => ({ deviceId: other, startAt: start + h * HOUR_MS, energyWh: 50 })), "imported");
      const query = async (params: string) => {
        const response = await world.call(world.developer, "GET", `/gc/bundles?accountId=${account.id}${params}`);
        expect(response.status, JSON.stringify(response.body)).to.equal(200);
        return response.body.items.map((b: BundleView) => b.id);
      };
      expect(await query("")).to.have.members([...solar, ...wind]);
      expect(await query(`&deviceId=${device}`)).to.deep.equal(solar);
      expect(await query("&origin=imported")).to.have.members(wind);
      expect(await query(`&periodFrom=${new Date(start + HOUR_MS).toISOString()}&periodTo=${new Date(start + 3 * HOUR_MS).toISOString()}&deviceId=${device}`)).to.deep.equal(solar.slice(1, 3));
      expect(await query("&energySource=wind")).to.deep.equal([]);
      expect(await query("&energySource=solar_pv,wind")).to.have.length(6);

      await world.call(world.developer, "POST", `/gc/bundles/${solar[0]}/split`, { amounts: ["1", "99"] });
      expect(await query("&status=split")).to.deep.equal([solar[0]]);
      expect(await query("&status=active")).to.have.length(7);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { items: BundleView[]; nextCursor: string | null } } = await world.call(world.developer, "GET", `/gc/bundles?accountId=${account.id}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
        expect(page.body.items.length).to.be.at.most(3);
        seen.push(...page.body.items.map((b) => b.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).to.have.length(8);
      expect(new Set(seen).size).to.equal(8);
    });

    it("refuses bad filters (400) and other organisations' accounts (404)", async () => {
      const account = await world.createAccount(world.developer, { name: "Query refusals" });
      const bad = await world.call(world.developer, "GET", `/gc/bundles?accountId=${account.id}&status=lost&origin=moon&periodFrom=yesterday&cursor=zzz`);
      expect(bad.status).to.equal(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).to.include.members(["query.status.0", "query.origin.0", "query.periodFrom"]);
      expect((await world.call(world.developer, "GET", "/gc/bundles")).status).to.equal(400);
      const hidden = await world.call(world.buyer, "GET", `/gc/bundles?accountId=${account.id}`);
      expect(hidden.status).to.equal(404);
      expect(hidden.body.errors).to.deep.equal([{ field: "query.accountId", message: "no such account" }]);
    });
  });

  describe("transfer", () => {
    it("moves whole bundles to an account that whitelisted the source, in one batch, and logs it on both accounts", async () => {
      const [producer, trader] = await world.tradingPair();
      const ids = await world.mint(producer.id, hours(3, 2_000));
      const { status, body } = await world.call(world.developer, "POST", "/gc/bundles/transfer", { sourceAccountId: producer.id, targetAccountId: trader.id, bundleIds: ids });
      expect(status, JSON.stringify(body)).to.equal(200);
      expect(body.bundles.map((b: BundleView) => b.accountId)).to.deep.equal([trader.id, trader.id, trader.id]);
      for (const id of ids) {
        const row = world.bundle(id);
        expect(await world.balanceOf(trader.address, row.tokenId!)).to.equal(2_000n);
        expect(await world.balanceOf(producer.address, row.tokenId!)).to.equal(0n);
      }
      const sent = (await actions(producer))[0];
      expect(sent).to.include({ action: "transfer", outcome: "succeeded", txHash: body.txHash });
      expect(sent.details).to.deep.equal({ targetAccountId: trader.id });
      const received = (await world.call(world.buyer, "GET", `/gc/accounts/${trader.id}/actions`)).body.items[0];
      expect(received).to.include({ action: "transfer.received", txHash: body.txHash, userId: world.developer.userId });
      expect(received.bundleIds).to.deep.equal(ids);
      // The receiver now holds them and may move them on.
      const back = await world.call(world.buyer, "POST", "/gc/bundles/transfer", { sourceAccountId: trader.id, targetAccountId: producer.id, bundleIds: [ids[0]] });
      expect(back.status).to.equal(200);
    });

    it("transfers part of a bundle by splitting it first; the rest stays", async () => {
      const [producer, trader] = await world.tradingPair();
      const [id] = await world.mint(producer.id, hours(1, 10_000));
      const { status, body } = await world.call(world.developer, "POST", "/gc/bundles/transfer", { sourceAccountId: producer.id, targetAccountId: trader.id, bundleIds: [id], amountWh: "3000" });
      expect(status, JSON.stringify(body)).to.equal(200);
      expect(body.bundles).to.have.length(1);
      const [moved] = body.bundles as BundleView[];
      expect(moved).to.include({ energyWh: "3000", parentId: id, accountId: trader.id });
      const children = (await world.call(world.developer, "GET", `/gc/bundles/${id}`)).body.children;
      expect(children).to.have.length(2);
      const rest = world.bundle(children[1]);
      expect([rest.energyWh, rest.accountId, rest.status]).to.deep.equal([7_000, producer.id, "active"]);
      expect(world.bundle(id).status).to.equal("split");
      expect(await world.balanceOf(trader.address, moved.tokenId)).to.equal(3_000n);
      expect(await world.balanceOf(producer.address, rest.tokenId!)).to.equal(7_000n);
      expect((await actions(producer)).slice(0, 2).map((a: { action: string }) => a.action)).to.deep.equal(["transfer", "split"]);
    });

    it("lets one of two simultaneous operations on a bundle through and answers the other with a conflict", async () => {
      const [producer, trader] = await world.tradingPair();
      const [id] = await world.mint(producer.id, hours(1, 700));
      const transfer = { sourceAccountId: producer.id, targetAccountId: trader.id, bundleIds: [id] };
      const [first, second] = await Promise.all([
        world.call(world.developer, "POST", "/gc/bundles/transfer", transfer),
        world.call(world.developer, "POST", `/gc/bundles/${id}/split`, { amounts: ["350", "350"] }),
      ]);
      expect(first.status).to.equal(200);
      expect(second.status).to.equal(409);
      expect(second.body.title).to.equal("Bundle busy");
      expect(world.bundle(id)).to.include({ status: "active", accountId: trader.id });
    });

    it("refuses a transfer to an account that has not whitelisted the source (409, logged), moving nothing", async () => {
      const producer = await world.createAccount(world.developer, { name: `lonely ${Math.random()}` });
      const stranger = await world.createAccount(world.buyer, { name: `stranger ${Math.random()}` });
      const [id] = await world.mint(producer.id, hours(1, 500));
      const response = await world.call(world.developer, "POST", "/gc/bundles/transfer", { sourceAccountId: producer.id, targetAccountId: stranger.id, bundleIds: [id] });
      expect(response.status).to.equal(409);
      expect(response.body.title).to.equal("Not whitelisted");
      expect(response.body.errors).to.deep.equal([{ field: "body.targetAccountId", message: "does not accept transfers from the source account" }]);
      expect(world.bundle(id).accountId).to.equal(producer.id);
      expect(await world.balanceOf(producer.address, world.bundle(id).tokenId!)).to.equal(500n);
      const [failed] = await actions(producer);
      expect(failed).to.include({ action: "transfer", outcome: "failed", userId: world.developer.userId });
      expect(failed.error).to.match(/has not whitelisted this account/);
    });

    it("refuses bad transfer requests without writing, and callers without the role", async () => {
      const [producer, trader] = await world.tradingPair();
      const ids = await world.mint(producer.id, hours(2, 400));
      const before = tableSnapshot(world.api);
      const cases: [Record<string, unknown>, number, string][] = [
        [{ sourceAccountId: producer.id, targetAccountId: trader.id, bundleIds: ids, amountWh: "100" }, 400, "body.amountWh"],
        [{ sourceAccountId: producer.id, targetAccountId: trader.id, bundleIds: [ids[0]], amountWh: "401" }, 400, "body.amountWh"],
        [{ sourceAccountId: producer.id, targetAccountId: producer.id, bundleIds: [ids[0]] }, 400, "body.targetAccountId"],
        [{ sourceAccountId: producer.id, targetAccountId: crypto.randomUUID(), bundleIds: [ids[0]] }, 404, "body.targetAccountId"],
        [{ sourceAccountId: producer.id, targetAccountId: trader.id, bundleIds: [ids[0], ids[0]] }, 400, "body.bundleIds[1]"],
        [{ sourceAccountId: producer.id, targetAccountId: trader.id, bundleIds: ["GCA1-20240101-10000-0001-0000001"] }, 404, "body.bundleIds[0]"],
        [{ sourceAccountId: producer.id, targetAccountId: trader.id, bundleIds: [] }, 400, "body.bundleIds"],
        [{ sourceAccountId: producer.id, targetAccountId: trader.id, bundleIds: ["nope"] }, 400, "body.bundleIds.0"],
      ];
      for (const [body, status, field] of cases) {
        const response = await world.call(world.developer, "POST", "/gc/bundles/transfer", body);
        expect(response.status, JSON.stringify(body)).to.equal(status);
        expect(response.body.errors.map((e: { field: string }) => e.field), JSON.stringify(body)).to.include(field);
      }
      expect(tableSnapshot(world.api)).to.deep.equal(before);

      const auditor = seedUser(world.api, world.developer.organisationId, { isOrganisationAdmin: false, permissions: { certificates: ["READ", "WRITE"] } });
      await world.call(world.developer, "PUT", `/gc/accounts/${producer.id}/users/${auditor.userId}`, { roles: ["audit"] });
      const transfer = { sourceAccountId: producer.id, targetAccountId: trader.id, bundleIds: [ids[0]] };
      expect((await world.call(auditor, "POST", "/gc/bundles/transfer", transfer)).status).to.equal(403);
      expect((await world.call(world.buyer, "POST", "/gc/bundles/transfer", transfer)).status).to.equal(404);
      const platformAdmin = seedOrganisation(world.api, "admin");
      expect((await world.call(platformAdmin, "POST", "/gc/bundles/transfer", transfer)).status).to.equal(403);
      expect(world.bundle(ids[0]).accountId).to.equal(producer.id);
    });
  });

  describe("whitelist enforcement on chain", () => {
    it("makes a direct wallet transfer revert unless the receiver listed the sender", async () => {
      const producer = await world.createAccount(world.developer, { name: `direct ${Math.random()}` });
      const receiver = await world.createAccount(world.buyer, { name: `direct receiver ${Math.random()}` });
      const [id] = await world.mint(producer.id, hours(1, 800));
      const tokenId = BigInt(world.bundle(id).tokenId!);
      const row = world.api.database.db.select().from(gcAccounts).where(eq(gcAccounts.id, producer.id)).get()!;
      const producerKey = privateKeyToAccount(world.api.deps.vault.open(producer.id, row.sealedKey!));

      let error: unknown;
      try {
        await sendRegistryTransaction(world.api.deps, producerKey, "safeTransferFrom", [producer.address, receiver.address, tokenId, 100n, "0x"]);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(RegistryRevertError);
      expect((error as RegistryRevertError).errorName).to.equal("SenderNotAllowlisted");
      expect(await world.balanceOf(receiver.address, tokenId)).to.equal(0n);

      await world.call(world.buyer, "POST", `/gc/accounts/${receiver.id}/whitelist`, { add: [producer.id] });
      await sendRegistryTransaction(world.api.deps, producerKey, "safeTransferFrom", [producer.address, receiver.address, tokenId, 100n, "0x"]);
      expect(await world.balanceOf(receiver.address, tokenId)).to.equal(100n);

      // And after delisting, the chain refuses again.
      await world.call(world.buyer, "POST", `/gc/accounts/${receiver.id}/whitelist`, { remove: [producer.id] });
      error = undefined;
      await sendRegistryTransaction(world.api.deps, producerKey, "safeTransferFrom", [producer.address, receiver.address, tokenId, 100n, "0x"]).catch((caught) => (error = caught));
      expect((error as RegistryRevertError).errorName).to.equal("SenderNotAllowlisted");
    });

    it("holds a self-custody holder to the receiver's whitelist too", async () => {
      const wallet = await world.boundWallet(world.developer);
      const own = (await world.call(world.developer, "POST", "/gc/accounts", { name: `self ${Math.random()}`, custody: "self", address: wallet.address })).body.account;
      const receiver = await world.createAccount(world.buyer, { name: `self receiver ${Math.random()}` });
      const [id] = await world.mint(own.id, hours(1, 300));
      const tokenId = BigInt(world.bundle(id).tokenId!);
      expect(await world.balanceOf(wallet.address, tokenId)).to.equal(300n);
      let error: unknown;
      await sendRegistryTransaction(world.api.deps, privateKeyToAccount(wallet.key), "safeTransferFrom", [wallet.address, receiver.address as Hex, tokenId, 300n, "0x"]).catch((caught) => (error = caught));
      expect((error as RegistryRevertError).errorName).to.equal("SenderNotAllowlisted");
      // The API refuses operations it cannot sign for, and says why.
      await world.call(world.buyer, "POST", `/gc/accounts/${receiver.id}/whitelist`, { add: [own.id] });
      const viaApi = await world.call(world.developer, "POST", "/gc/bundles/transfer", { sourceAccountId: own.id, targetAccountId: receiver.id, bundleIds: [id] });
      expect(viaApi.status).to.equal(409);
      expect(viaApi.body.title).to.equal("Self-custody account");
    });

    it("refuses transfers into a self-custody account until its holder has put the listing and the allowlist on chain", async () => {
      const producer = await world.createAccount(world.developer, { name: `to unready ${Math.random()}` });
      const wallet = await world.boundWallet(world.buyer);
      const unready = (await world.call(world.buyer, "POST", "/gc/accounts", { name: `unready ${Math.random()}`, custody: "self", address: wallet.address })).body.account;
      await world.call(world.buyer, "POST", `/gc/accounts/${unready.id}/whitelist`, { add: [producer.id] });
      const [id] = await world.mint(producer.id, hours(1, 300));
      const transfer = () => world.call(world.developer, "POST", "/gc/bundles/transfer", { sourceAccountId: producer.id, targetAccountId: unready.id, bundleIds: [id] });

      const unlisted = await transfer();
      expect(unlisted.status).to.equal(409);
      expect(unlisted.body.title).to.equal("Whitelist entry not on chain");
      const holder = privateKeyToAccount(wallet.key);
      await sendRegistryTransaction(world.api.deps, holder, "setAllowedSenders", [[producer.address], true]);
      await world.call(world.buyer, "POST", `/gc/accounts/${unready.id}/chain-sync`);
      const noAllowlist = await transfer();
      expect(noAllowlist.status).to.equal(409);
      expect(noAllowlist.body.title).to.equal("Target account not ready");

      await sendRegistryTransaction(world.api.deps, holder, "setTransferAllowlistEnabled", [true]);
      await world.call(world.buyer, "POST", `/gc/accounts/${unready.id}/chain-sync`);
      expect((await transfer()).status).to.equal(200);
      expect(await world.balanceOf(wallet.address, world.bundle(id).tokenId!)).to.equal(300n);
    });

    /** A managed producer with bundles, and a self-custody receiver whose holder has turned its allowlist on and listed the producer on chain. */
    async function selfCustodyReceiver(label: string) {
      const producer = await world.createAccount(world.developer, { name: `${label} producer ${Math.random()}` });
      const wallet = await world.boundWallet(world.buyer);
      const receiver = (await world.call(world.buyer, "POST", "/gc/accounts", { name: `${label} ${Math.random()}`, custody: "self", address: wallet.address })).body.account as AccountView;
      const holder = privateKeyToAccount(wallet.key);
      const holderSends = (fn: "setTransferAllowlistEnabled" | "setAllowedSenders", args: [boolean] | [Hex[], boolean]) => sendRegistryTransaction(world.api.deps, holder, fn, args as never);
      await holderSends("setTransferAllowlistEnabled", [true]);
      expect((await world.call(world.buyer, "POST", `/gc/accounts/${receiver.id}/whitelist`, { add: [producer.id] })).status).to.equal(200);
      const listing = await holderSends("setAllowedSenders", [[producer.address], true]);
      const ids = await world.mint(producer.id, hours(3, 100));
      const transfer = (id: string) => world.call(world.developer, "POST", "/gc/bundles/transfer", { sourceAccountId: producer.id, targetAccountId: receiver.id, bundleIds: [id] });
      const sync = async () => (await world.call(world.buyer, "POST", `/gc/accounts/${receiver.id}/chain-sync`)).body as { account: AccountView; pendingCalls: unknown[] };
      return { producer, receiver, ids, transfer, sync, holderSends, listingHash: listing.hash };
    }
    const callOf = (function_: "setAllowedSenders" | "setTransferAllowlistEnabled", args: Record<string, unknown>) => ({
      function: function_ === "setAllowedSenders" ? "setAllowedSenders(address[] senders, bool allowed)" : "setTransferAllowlistEnabled(bool enabled)",
      args,
    });

    it("keeps a self-custody account's removal pending until the chain shows it; then the API and a direct transfer refuse the sender", async () => {
      const { producer, receiver, ids, transfer, sync, holderSends } = await selfCustodyReceiver("leaving");
      const removeCall = callOf("setAllowedSenders", { senders: [producer.address], allowed: false });
      const removal = await world.call(world.buyer, "POST", `/gc/accounts/${receiver.id}/whitelist`, { remove: [producer.id] });
      expect(removal.status, JSON.stringify(removal.body)).to.equal(200);
      expect(removal.body.entries.map((e: { accountId: string; removalPending: boolean }) => [e.accountId, e.removalPending])).to.deep.equal([[producer.id, true]]);
      expect(removal.body.pendingCalls).to.deep.equal([removeCall]);
      expect((await world.call(world.buyer, "POST", `/gc/accounts/${receiver.id}/whitelist`, { remove: [producer.id] })).status).to.equal(400);

      // The holder has not sent it: the chain still accepts the producer, and so does the API; chain-sync keeps it pending.
      const pending = await sync();
      expect([pending.pendingCalls, pending.account.whitelist.map((e) => e.removalPending)]).to.deep.equal([[removeCall], [true]]);
      expect((await transfer(ids[0])).status).to.equal(200);

      const { hash } = await holderSends("setAllowedSenders", [[producer.address], false]);
      // The API reads the chain, so it refuses at once, before any sync, and logs the attempt.
      const refused = await transfer(ids[1]);
      expect([refused.status, refused.body.title]).to.deep.equal([409, "Not whitelisted"]);
      const [failed] = await actions(producer);
      expect(failed).to.include({ action: "transfer", outcome: "failed" });
      // The chain refuses a direct transfer from the removed sender.
      const row = world.api.database.db.select().from(gcAccounts).where(eq(gcAccounts.id, producer.id)).get()!;
      const producerKey = privateKeyToAccount(world.api.deps.vault.open(producer.id, row.sealedKey!));
      let error: unknown;
      await sendRegistryTransaction(world.api.deps, producerKey, "safeTransferFrom", [producer.address, receiver.address, BigInt(world.bundle(ids[2]).tokenId!), 100n, "0x"]).catch((caught) => (error = caught));
      expect((error as RegistryRevertError).errorName).to.equal("SenderNotAllowlisted");

      // Chain-sync sees the removal: the entry goes, logged with the holder's transaction.
      const applied = await sync();
      expect([applied.pendingCalls, applied.account.whitelist]).to.deep.equal([[], []]);
      const log = (await world.call(world.buyer, "GET", `/gc/accounts/${receiver.id}/actions?action=whitelist.removed`)).body.items;
      expect(log.map((a: { txHash: string; userId: string; details: unknown }) => [a.txHash, a.userId, a.details])).to.deep.equal([[hash, world.buyer.userId, { removed: [producer.id] }]]);
      expect((await transfer(ids[1])).body.title).to.equal("Not whitelisted");
      expect(world.bundle(ids[1]).accountId).to.equal(producer.id);
    });

    it("follows the chain for a self-custody holder's own calls: a listing never synced, an allowlist turned off, a listing taken back", async () => {
      const { producer, receiver, ids, transfer, sync, holderSends, listingHash } = await selfCustodyReceiver("own calls");
      // Listed on chain but never synced: the recorded entry has no transaction, yet the chain accepts the producer.
      expect((await world.call(world.buyer, "GET", `/gc/accounts/${receiver.id}/whitelist`)).body.entries[0].txHash).to.equal(null);
      expect((await transfer(ids[0])).status).to.equal(200);

      const { hash: offHash } = await holderSends("setTransferAllowlistEnabled", [false]);
      expect(offHash).to.match(/^0x/);
      const refused = await transfer(ids[1]);
      expect([refused.status, refused.body.title]).to.deep.equal([409, "Target account not ready"]);
      expect((await actions(producer))[0]).to.include({ action: "transfer", outcome: "failed" });
      const off = await sync();
      expect(off.account.allowlist).to.deep.equal({ enabled: false, txHash: null });
      expect(off.pendingCalls).to.deep.equal([callOf("setTransferAllowlistEnabled", { enabled: true })]);
      expect(off.account.whitelist.map((e) => e.txHash)).to.deep.equal([listingHash]);

      const { hash: onHash } = await holderSends("setTransferAllowlistEnabled", [true]);
      expect((await sync()).account.allowlist).to.deep.equal({ enabled: true, txHash: onHash });
      expect((await transfer(ids[1])).status).to.equal(200);

      // The holder takes the listing back without asking the API: refused at once, and chain-sync asks for it again.
      await holderSends("setAllowedSenders", [[producer.address], false]);
      expect((await transfer(ids[2])).body.title).to.equal("Whitelist entry not on chain");
      const unlisted = await sync();
      expect(unlisted.pendingCalls).to.deep.equal([callOf("setAllowedSenders", { senders: [producer.address], allowed: true })]);
      expect(unlisted.account.whitelist.map((e) => [e.txHash, e.removalPending])).to.deep.equal([[null, false]]);
    });
  });

  describe("cancel and claim", () => {
    it("cancels bundles for a beneficiary on chain, with the published details' hash, and records them for CDS", async () => {
      const account = await world.createAccount(world.developer, { name: "Cancel" });
      const ids = await world.mint(account.id, hours(2, 1_500));
      const request = { accountId: account.id, bundleIds: ids, beneficiary: "CUST123", beneficiaryLocation: "ERCOT", purpose: "Hourly matching of Google's Texas load" };
      const { status, body } = await world.call(world.developer, "POST", "/gc/bundles/cancel", request);
      expect(status, JSON.stringify(body)).to.equal(200);
      expect(body.bundles.map((b: BundleView) => b.status)).to.deep.equal(["cancelled", "cancelled"]);
      expect(body.detailsHash).to.equal(keccak256(stringToHex(body.details)));
      const details = JSON.parse(body.details);
      expect(details).to.include({ action: "cancel", beneficiary: "CUST123", beneficiaryType: "customer", beneficiaryLocation: "ERCOT", purpose: request.purpose });
      expect(details.bundles.map((b: { id: string }) => b.id)).to.deep.equal(ids);

      const receipt = await world.api.deps.publicClient.getTransactionReceipt({ hash: body.txHash });
      const retired = parseEventLogs({ abi: REGISTRY_ABI, logs: receipt.logs, eventName: "Retired" });
      expect(retired.map((e) => [e.args.id.toString(), e.args.amount, e.args.reason, e.args.beneficiary, e.args.detailsHash])).to.deep.equal(
        ids.map((id) => [world.bundle(id).tokenId, 1_500n, RetirementReason.Cancelled, "CUST123", body.detailsHash]),
      );
      const rows = world.api.database.db.select().from(gcRetirements).where(eq(gcRetirements.accountId, account.id)).all();
      expect(rows.map((r) => [r.bundleId, r.reason, r.beneficiary, r.detailsHash, r.txHash])).to.have.deep.members(ids.map((id) => [id, "cancelled", "CUST123", body.detailsHash, body.txHash]));

      const again = await world.call(world.developer, "POST", "/gc/bundles/cancel", request);
      expect(again.status).to.equal(409);
      expect((await actions(account))[0]).to.include({ action: "cancel", outcome: "failed" });
    });

    it("claims part of a bundle into the holder's claimed ledger", async () => {
      const account = await world.createAccount(world.developer, { name: "Claim" });
      const [id] = await world.mint(account.id, hours(1, 5_000));
      const { status, body } = await world.call(world.developer, "POST", "/gc/bundles/claim", { accountId: account.id, bundleIds: [id], amountWh: "1200", beneficiary: "ACME-42", beneficiaryType: "account" });
      expect(status, JSON.stringify(body)).to.equal(200);
      const [claimed] = body.bundles as BundleView[];
      expect(claimed).to.include({ status: "claimed", energyWh: "1200", parentId: id });
      expect(await read<bigint>("claimedBalanceOf", [account.address, BigInt(claimed.tokenId)])).to.equal(1_200n);
      const rest = (await world.call(world.developer, "GET", `/gc/bundles/${id}`)).body.children[1];
      expect(world.bundle(rest)).to.include({ status: "active", energyWh: 3_800 });
    });

    it("lets only roles with cancel or claim retire, and validates the beneficiary", async () => {
      const account = await world.createAccount(world.developer, { name: "Retire roles" });
      const [id] = await world.mint(account.id, hours(1, 100));
      const producer = seedUser(world.api, world.developer.organisationId, { isOrganisationAdmin: false, permissions: { certificates: ["READ", "WRITE"] } });
      await world.call(world.developer, "PUT", `/gc/accounts/${account.id}/users/${producer.userId}`, { roles: ["production"] });
      expect((await world.call(producer, "POST", "/gc/bundles/claim", { accountId: account.id, bundleIds: [id], beneficiary: "X" })).status).to.equal(403);
      const missing = await world.call(world.developer, "POST", "/gc/bundles/cancel", { accountId: account.id, bundleIds: [id], beneficiary: " " });
      expect(missing.status).to.equal(400);
      expect(missing.body.errors.map((e: { field: string }) => e.field)).to.deep.equal(["body.beneficiary"]);
      expect(world.bundle(id).status).to.equal("active");
    });
  });

  describe("withdraw", () => {
    it("lets a platform administrator withdraw a bundle: revoked on chain, frozen for its holder", async () => {
      const [producer, trader] = await world.tradingPair();
      const [id] = await world.mint(producer.id, hours(1, 600));
      const platformAdmin = seedOrganisation(world.api, "admin");
      const request = { reason: "Meter found faulty by the issuing body" };
      expect((await world.call(world.developer, "POST", `/gc/bundles/${id}/withdraw`, request)).status).to.equal(403);

      const { status, body } = await world.call(platformAdmin, "POST", `/gc/bundles/${id}/withdraw`, request);
      expect(status, JSON.stringify(body)).to.equal(200);
      expect(body.bundle.status).to.equal("withdrawn");
      expect(await read<boolean>("isRevoked", [BigInt(world.bundle(id).tokenId!)])).to.equal(true);
      const [logged] = await actions(producer);
      expect(logged).to.include({ action: "withdraw", outcome: "succeeded", userId: platformAdmin.userId, txHash: body.txHash });

      const transfer = await world.call(world.developer, "POST", "/gc/bundles/transfer", { sourceAccountId: producer.id, targetAccountId: trader.id, bundleIds: [id] });
      expect(transfer.status).to.equal(409);
      expect((await world.call(platformAdmin, "POST", `/gc/bundles/${id}/withdraw`, request)).status).to.equal(409);
      expect((await world.call(platformAdmin, "POST", `/gc/bundles/${id}/withdraw`, {})).status).to.equal(400);
    });
  });
});
