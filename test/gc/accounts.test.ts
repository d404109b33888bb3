import { expect } from "chai";
import { eq } from "drizzle-orm";
import { privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import type { Hex } from "viem";
import { REGISTRY_ABI } from "../../server/chain/registryAbi";
import { sendRegistryTransaction } from "../../server/chain/sendTransaction";
import { gcAccounts } from "../../server/gc/schema";
import { seedOrganisation, seedUser, tableSnapshot } from "../support/api";
import { accountsWorld, fund, type AccountsWorld } from "./accountsSupport";

describe("GC accounts API (/gc/accounts)", function () {
  this.timeout(120_000);

  let world: AccountsWorld;
  before(async () => {
    world = await accountsWorld();
  });
  const registry = () => ({ address: world.api.deps.registryAddress, abi: REGISTRY_ABI }) as const;
  const allowlistEnabled = (address: string) => world.api.deps.publicClient.readContract({ ...registry(), functionName: "isTransferAllowlistEnabled", args: [address as Hex] });
  const allowedSender = (account: string, sender: string) =>
    world.api.deps.publicClient.readContract({ ...registry(), functionName: "isAllowedSender", args: [account as Hex, sender as Hex] });

  describe("creating accounts", () => {
    it("creates a managed account whose generated key is sealed under the account's id and whose allowlist is on, on chain", async () => {
      const trader = seedUser(world.api, world.developer.organisationId, { isOrganisationAdmin: false });
      const { status, body } = await world.call(world.developer, "POST", "/gc/accounts", { name: "Production account", users: [{ userId: trader.userId, roles: ["trading", "audit"] }] });
      expect(status, JSON.stringify(body)).to.equal(201);
      const account = body.account;
      expect(account).to.include({ organisationId: world.developer.organisationId, name: "Production account", custody: "managed" });
      expect(account.address).to.match(/^0x[0-9a-fA-F]{40}$/);
      expect(body.pendingCalls).to.deep.equal([]);
      expect(body.chainError).to.equal(null);
      expect(account.allowlist.enabled).to.equal(true);
      expect(await allowlistEnabled(account.address)).to.equal(true);
      const receipt = await world.api.deps.publicClient.getTransactionReceipt({ hash: account.allowlist.txHash });
      expect(receipt.from.toLowerCase()).to.equal(account.address.toLowerCase());

      // The creating organisation admin administers the account; the named user holds exactly the roles given.
      expect(account.yourRoles).to.deep.equal(["administrator"]);
      const roles = Object.fromEntries(account.users.map((u: { userId: string; roles: string[] }) => [u.userId, u.roles]));
      expect(roles).to.deep.equal({ [world.developer.userId]: ["administrator"], [trader.userId]: ["trading", "audit"] });

      const row = world.api.database.db.select().from(gcAccounts).where(eq(gcAccounts.id, account.id)).get()!;
      expect(privateKeyToAddress(world.api.deps.vault.open(account.id, row.sealedKey!))).to.equal(account.address);
      expect(() => world.api.deps.vault.open(world.developer.organisationId, row.sealedKey!)).to.throw(/failed authentication/);

      const log = await world.call(world.developer, "GET", `/gc/accounts/${account.id}/actions`);
      expect(log.body.items.map((a: { action: string; outcome: string }) => [a.action, a.outcome])).to.deep.equal([["account.create", "succeeded"]]);
    });

    it("refuses bad requests naming each faulty field, and writes nothing", async () => {
      const outsider = seedOrganisation(world.api, "buyer");
      const { address } = await world.boundWallet(world.buyer);
      const cases: [Record<string, unknown>, string[]][] = [
        [{}, ["body.name"]],
        [{ name: "  " }, ["body.name"]],
        [{ name: "x", custody: "vault" }, ["body.custody"]],
        [{ name: "x", users: [{ userId: outsider.userId, roles: ["trading"] }] }, ["body.users[0].userId"]],
        [{ name: "x", users: [{ userId: world.developer.userId, roles: [] }] }, ["body.users.0.roles"]],
        [{ name: "x", users: [{ userId: world.developer.userId, roles: ["owner"] }] }, ["body.users.0.roles.0"]],
        [{ name: "x", custody: "self" }, ["body.address"]],
        [{ name: "x", custody: "self", address }, ["body.address"]], // bound by the buyer, not the developer
        [{ name: "x", address }, ["body.address"]], // a managed account's address is generated
        [{ name: "x", organisationId: world.buyer.organisationId }, ["body.organisationId"]],
        [{ name: "x", extra: 1 }, ["body.extra"]],
      ];
      for (const [body, fields] of cases) {
        const before = tableSnapshot(world.api);
        const response = await world.call(world.developer, "POST", "/gc/accounts", body);
        expect([400, 404], JSON.stringify(body)).to.include(response.status);
        expect(response.body.errors.map((e: { field: string }) => e.field), JSON.stringify(body)).to.deep.equal(fields);
        expect(tableSnapshot(world.api), JSON.stringify(body)).to.deep.equal(before);
      }
    });

    it("refuses a second account of the same name in the organisation (409), but not in another", async () => {
      await world.createAccount(world.developer, { name: "Twin" });
      const before = tableSnapshot(world.api);
      const again = await world.call(world.developer, "POST", "/gc/accounts", { name: "Twin" });
      expect(again.status).to.equal(409);
      expect(again.body.errors).to.deep.equal([{ field: "body.name", message: "is taken in the organisation" }]);
      expect(tableSnapshot(world.api)).to.deep.equal(before);
      await world.createAccount(world.buyer, { name: "Twin" });
    });

    it("lets only organisation admins and platform administrators create accounts, and only for developer and buyer organisations", async () => {
      const member = seedUser(world.api, world.developer.organisationId, { isOrganisationAdmin: false, permissions: { certificates: ["READ", "WRITE"] } });
      expect((await world.call(member, "POST", "/gc/accounts", { name: "member's" })).status).to.equal(403);
      const auditor = seedOrganisation(world.api, "auditor");
      expect((await world.call(auditor, "POST", "/gc/accounts", { name: "auditor's" })).status).to.equal(403);

      const admin = seedOrganisation(world.api, "admin");
      const missing = await world.call(admin, "POST", "/gc/accounts", { name: "for whom?" });
      expect(missing.status).to.equal(400);
      expect(missing.body.errors).to.deep.equal([{ field: "body.organisationId", message: "is required for platform administrators" }]);
      const forAuditors = await world.call(admin, "POST", "/gc/accounts", { name: "no", organisationId: auditor.organisationId });
      expect(forAuditors.status).to.equal(400);
      const lteUser = seedUser(world.api, world.buyer.organisationId, { isOrganisationAdmin: false });
      const created = await world.createAccount(admin, { name: "LTE escrow for Google", organisationId: world.buyer.organisationId, users: [{ userId: lteUser.userId, roles: ["trading"] }] });
      expect(created.organisationId).to.equal(world.buyer.organisationId);
      // The platform administrator is no member: only the user it named is.
      expect(created.users.map((u) => [u.userId, u.roles])).to.deep.equal([[lteUser.userId, ["trading"]]]);
      expect(created.yourRoles).to.deep.equal([]);
      expect(created.yourOperations).to.deep.equal(["view", "manage"]);
    });

    it("creates a self-custody account on a bound wallet, tells the holder the allowlist call, and records it once sent", async () => {
      const wallet = await world.boundWallet(world.developer);
      const { status, body } = await world.call(world.developer, "POST", "/gc/accounts", { name: "Own wallet", custody: "self", address: wallet.address.toLowerCase() });
      expect(status, JSON.stringify(body)).to.equal(201);
      expect(body.account).to.include({ custody: "self", address: wallet.address });
      expect(body.account.allowlist).to.deep.equal({ enabled: false, txHash: null });
      expect(body.pendingCalls).to.deep.equal([{ function: "setTransferAllowlistEnabled(bool enabled)", args: { enabled: true } }]);
      const stillPending = await world.call(world.developer, "POST", `/gc/accounts/${body.account.id}/chain-sync`);
      expect(stillPending.body.pendingCalls).to.have.length(1);

      const { hash } = await sendRegistryTransaction(world.api.deps, privateKeyToAccount(wallet.key), "setTransferAllowlistEnabled", [true]);
      const synced = await world.call(world.developer, "POST", `/gc/accounts/${body.account.id}/chain-sync`);
      expect(synced.status).to.equal(200);
      expect(synced.body.pendingCalls).to.deep.equal([]);
      expect(synced.body.account.allowlist).to.deep.equal({ enabled: true, txHash: hash });

      // The address is the account's now: a second account cannot take it.
      const again = await world.call(world.developer, "POST", "/gc/accounts", { name: "Same wallet", custody: "self", address: wallet.address });
      expect(again.status).to.equal(409);
    });
  });

  describe("reading accounts", () => {
    it("lists an organisation's own accounts; administrators and auditors see all, or one organisation's", async () => {
      const mine = await world.call(world.buyer, "GET", "/gc/accounts");
      expect(mine.status).to.equal(200);
      expect([...new Set(mine.body.items.map((a: { organisationId: string }) => a.organisationId))]).to.deep.equal([world.buyer.organisationId]);
      const auditor = seedOrganisation(world.api, "auditor");
      const all = await world.call(auditor, "GET", "/gc/accounts");
      expect([...new Set(all.body.items.map((a: { organisationId: string }) => a.organisationId))]).to.include.members([world.buyer.organisationId, world.developer.organisationId]);
      const one = await world.call(auditor, "GET", `/gc/accounts?organisationId=${world.developer.organisationId}`);
      expect([...new Set(one.body.items.map((a: { organisationId: string }) => a.organisationId))]).to.deep.equal([world.developer.organisationId]);
      expect((await world.call(world.buyer, "GET", `/gc/accounts?organisationId=${world.developer.organisationId}`)).status).to.equal(404);
      expect((await world.call(auditor, "GET", `/gc/accounts?organisationId=${crypto.randomUUID()}`)).status).to.equal(404);
    });

    it("hides another organisation's account (404) and refuses a user of the organisation without a role (403)", async () => {
      const account = await world.createAccount(world.developer, { name: "Hidden" });
      const outsider = await world.call(world.buyer, "GET", `/gc/accounts/${account.id}`);
      expect(outsider.status).to.equal(404);
      expect(outsider.body.errors).to.deep.equal([{ field: "path.id", message: "no such account" }]);
      const colleague = seedUser(world.api, world.developer.organisationId, { isOrganisationAdmin: false });
      expect((await world.call(colleague, "GET", `/gc/accounts/${account.id}`)).status).to.equal(403);
      expect((await world.call(world.developer, "GET", "/gc/accounts/not-a-uuid")).status).to.equal(400);
      expect((await world.call(world.developer, "GET", `/gc/accounts/${crypto.randomUUID()}`)).status).to.equal(404);
    });
  });

  describe("users and roles", () => {
    it("sets and removes a user's roles, which then decide what the user may do", async () => {
      const account = await world.createAccount(world.developer, { name: "Roles" });
      const user = seedUser(world.api, world.developer.organisationId, { isOrganisationAdmin: false, permissions: { certificates: ["READ", "WRITE"] } });
      const path = `/gc/accounts/${account.id}/users/${user.userId}`;
      expect((await world.call(user, "GET", `/gc/accounts/${account.id}`)).status).to.equal(403);

      const set = await world.call(world.developer, "PUT", path, { roles: ["audit", "audit"] });
      expect(set.status).to.equal(200);
      expect(set.body).to.deep.equal({ userId: user.userId, roles: ["audit"] });
      const seen = await world.call(user, "GET", `/gc/accounts/${account.id}`);
      expect(seen.status).to.equal(200);
      expect(seen.body.yourOperations).to.deep.equal(["view"]);
      // An auditing user may not manage the account.
      expect((await world.call(user, "PUT", path, { roles: ["administrator"] })).status).to.equal(403);

      await world.call(world.developer, "PUT", path, { roles: ["administrator"] });
      expect((await world.call(user, "GET", `/gc/accounts/${account.id}`)).body.yourOperations).to.include("manage");
      await world.call(world.developer, "PUT", path, { roles: [] });
      expect((await world.call(world.developer, "GET", `/gc/accounts/${account.id}/users`)).body.users.map((u: { userId: string }) => u.userId)).to.deep.equal([world.developer.userId]);
      expect((await world.call(user, "GET", `/gc/accounts/${account.id}`)).status).to.equal(403);
    });

    it("refuses a user of another organisation and unknown roles", async () => {
      const account = await world.createAccount(world.developer, { name: "Roles 2" });
      const before = tableSnapshot(world.api);
      const foreign = await world.call(world.developer, "PUT", `/gc/accounts/${account.id}/users/${world.buyer.userId}`, { roles: ["trading"] });
      expect(foreign.status).to.equal(404);
      expect(foreign.body.errors[0].field).to.equal("path.userId");
      const badRole = await world.call(world.developer, "PUT", `/gc/accounts/${account.id}/users/${world.developer.userId}`, { roles: ["boss"] });
      expect(badRole.status).to.equal(400);
      expect(badRole.body.errors[0].field).to.equal("body.roles.0");
      expect(tableSnapshot(world.api)).to.deep.equal(before);
    });
  });

  describe("whitelists", () => {
    it("lists and delists senders on chain for a managed account, before recording them", async () => {
      const receiver = await world.createAccount(world.developer, { name: "Receiver" });
      const sender = await world.createAccount(world.buyer, { name: "Sender" });
      const added = await world.call(world.developer, "POST", `/gc/accounts/${receiver.id}/whitelist`, { add: [sender.id] });
      expect(added.status, JSON.stringify(added.body)).to.equal(200);
      expect(added.body.pendingCalls).to.deep.equal([]);
      expect(added.body.entries).to.have.length(1);
      expect(added.body.entries[0]).to.include({ accountId: sender.id, address: sender.address, organisationId: world.buyer.organisationId });
      expect(added.body.entries[0].txHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(await allowedSender(receiver.address, sender.address)).to.equal(true);
      const listed = await world.call(world.developer, "GET", `/gc/accounts/${receiver.id}/whitelist`);
      expect(listed.body).to.deep.equal({ accountId: receiver.id, entries: added.body.entries, pendingCalls: [] });
      expect((await world.call(world.buyer, "GET", `/gc/accounts/${receiver.id}/whitelist`)).status).to.equal(404);
      // One direction only: the sender has not listed the receiver.
      expect(await allowedSender(sender.address, receiver.address)).to.equal(false);

      const removed = await world.call(world.developer, "POST", `/gc/accounts/${receiver.id}/whitelist`, { remove: [sender.id] });
      expect(removed.body.entries).to.deep.equal([]);
      expect(await allowedSender(receiver.address, sender.address)).to.equal(false);
      const log = await world.call(world.developer, "GET", `/gc/accounts/${receiver.id}/actions?action=whitelist.change`);
      expect(log.body.items.map((a: { details: unknown }) => a.details)).to.deep.equal([
        { added: [], removed: [sender.id] },
        { added: [sender.id], removed: [] },
      ]);
    });

    it("refuses faulty changes naming each entry, and changes nothing on chain or in the database", async () => {
      const receiver = await world.createAccount(world.developer, { name: "Receiver 2" });
      const sender = await world.createAccount(world.buyer, { name: "Sender 2" });
      const before = tableSnapshot(world.api);
      const response = await world.call(world.developer, "POST", `/gc/accounts/${receiver.id}/whitelist`, { add: [sender.id, receiver.id, crypto.randomUUID()], remove: [sender.id] });
      expect(response.status).to.equal(400);
      expect(response.body.errors.map((e: { field: string }) => e.field)).to.deep.equal(["body.add[1]", "body.add[2]", "body.remove[0]"]);
      expect(tableSnapshot(world.api)).to.deep.equal(before);
      expect(await allowedSender(receiver.address, sender.address)).to.equal(false);
      // Only the account's administrators change its whitelist.
      expect((await world.call(world.buyer, "POST", `/gc/accounts/${receiver.id}/whitelist`, { add: [sender.id] })).status).to.equal(404);
    });

    it("gives a self-custody holder the setAllowedSenders call, and records the entry on chain once the holder sent it", async () => {
      const wallet = await world.boundWallet(world.buyer);
      const own = (await world.call(world.buyer, "POST", "/gc/accounts", { name: "Self whitelist", custody: "self", address: wallet.address })).body.account;
      const sender = await world.createAccount(world.developer, { name: "Sender 3" });
      const changed = await world.call(world.buyer, "POST", `/gc/accounts/${own.id}/whitelist`, { add: [sender.id] });
      expect(changed.body.pendingCalls).to.deep.equal([{ function: "setAllowedSenders(address[] senders, bool allowed)", args: { senders: [sender.address], allowed: true } }]);
      expect(changed.body.entries[0].txHash).to.equal(null);

      const holder = privateKeyToAccount(wallet.key);
      await sendRegistryTransaction(world.api.deps, holder, "setTransferAllowlistEnabled", [true]);
      const { hash } = await sendRegistryTransaction(world.api.deps, holder, "setAllowedSenders", [[sender.address], true]);
      const synced = await world.call(world.buyer, "POST", `/gc/accounts/${own.id}/chain-sync`);
      expect(synced.body.pendingCalls).to.deep.equal([]);
      expect(synced.body.account.whitelist.map((e: { accountId: string; txHash: string }) => [e.accountId, e.txHash])).to.deep.equal([[sender.id, hash]]);
    });
  });

  it("pages the action log newest first, and filters it by action", async () => {
    const account = await world.createAccount(world.developer, { name: "Busy log" });
    const others = [await world.createAccount(world.buyer, { name: "Log 1" }), await world.createAccount(world.buyer, { name: "Log 2" })];
    for (const other of others) await world.call(world.developer, "POST", `/gc/accounts/${account.id}/whitelist`, { add: [other.id] });
    await world.call(world.developer, "POST", `/gc/accounts/${account.id}/whitelist`, { remove: [others[0].id] });
    const seen: { action: string; details: Record<string, unknown>; userId: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: typeof seen; nextCursor: string | null } } = await world.call(world.developer, "GET", `/gc/accounts/${account.id}/actions?limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.body.items).to.have.length(1);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.map((a) => [a.action, a.details.added ?? null, a.details.removed ?? null])).to.deep.equal([
      ["whitelist.change", [], [others[0].id]],
      ["whitelist.change", [others[1].id], []],
      ["whitelist.change", [others[0].id], []],
      ["account.create", null, null],
    ]);
    expect(seen.every((a) => a.userId === world.developer.userId)).to.equal(true);
    const filtered = await world.call(world.developer, "GET", `/gc/accounts/${account.id}/actions?action=account.create`);
    expect(filtered.body.items).to.have.length(1);
    expect((await world.call(world.developer, "GET", `/gc/accounts/${account.id}/actions?cursor=xyz`)).status).to.equal(400);
    expect((await world.call(world.buyer, "GET", `/gc/accounts/${account.id}/actions`)).status).to.equal(404);
  });

  describe("without gas for a managed account", () => {
    let unfunded: AccountsWorld;
    before(async () => {
      unfunded = await accountsWorld({ fundManagedWallet: undefined });
    });

    it("creates the account, reports why its allowlist is not on chain, and enables it with chain-sync once funded", async () => {
      const { status, body } = await unfunded.call(unfunded.developer, "POST", "/gc/accounts", { name: "Unfunded" });
      expect(status).to.equal(201);
      expect(body.account.allowlist).to.deep.equal({ enabled: false, txHash: null });
      expect(body.chainError).to.be.a("string").and.not.equal("");
      expect(await unfunded.api.deps.publicClient.readContract({ address: unfunded.api.deps.registryAddress, abi: REGISTRY_ABI, functionName: "isTransferAllowlistEnabled", args: [body.account.address] })).to.equal(false);

      const stillDry = await unfunded.call(unfunded.developer, "POST", `/gc/accounts/${body.account.id}/chain-sync`);
      expect(stillDry.status).to.equal(502);
      await fund(body.account.address);
      const synced = await unfunded.call(unfunded.developer, "POST", `/gc/accounts/${body.account.id}/chain-sync`);
      expect(synced.status).to.equal(200);
      expect(synced.body.account.allowlist.enabled).to.equal(true);
    });

    it("answers 502 for a whitelist change the chain did not take, records it as failed, and lists nothing", async () => {
      const dry = (await unfunded.call(unfunded.developer, "POST", "/gc/accounts", { name: "Dry" })).body.account;
      const other = (await unfunded.call(unfunded.buyer, "POST", "/gc/accounts", { name: "Other" })).body.account;
      const response = await unfunded.call(unfunded.developer, "POST", `/gc/accounts/${dry.id}/whitelist`, { add: [other.id] });
      expect(response.status).to.equal(502);
      expect((await unfunded.call(unfunded.developer, "GET", `/gc/accounts/${dry.id}/whitelist`)).body.entries).to.deep.equal([]);
      const [latest] = (await unfunded.call(unfunded.developer, "GET", `/gc/accounts/${dry.id}/actions`)).body.items;
      expect(latest).to.include({ action: "whitelist.change", outcome: "failed" });
    });
  });

  it("documents every route in /openapi.json with credentials required", async () => {
    const doc = await (await world.api.request("GET", "/openapi.json")).json();
    const routes = [
      "post /gc/accounts",
      "get /gc/accounts",
      "get /gc/accounts/{id}",
      "post /gc/accounts/{id}/chain-sync",
      "get /gc/accounts/{id}/users",
      "put /gc/accounts/{id}/users/{userId}",
      "get /gc/accounts/{id}/whitelist",
      "post /gc/accounts/{id}/whitelist",
      "get /gc/accounts/{id}/actions",
      "get /gc/bundles",
      "get /gc/bundles/{id}",
      "post /gc/bundles/{id}/split",
      "post /gc/bundles/transfer",
      "post /gc/bundles/cancel",
      "post /gc/bundles/claim",
      "post /gc/bundles/{id}/withdraw",
      "get /cds/eacs",
      "get /cds/cancellation-statements",
    ];
    for (const route of routes) {
      const [method, path] = route.split(" ");
      const operation = doc.paths[path]?.[method];
      expect(operation, route).to.be.an("object");
      expect(operation.security, route).to.be.an("array").that.is.not.empty;
      expect(operation.responses, route).to.have.property("401");
    }
    // Anonymous callers are refused.
    expect((await world.api.request("GET", "/gc/accounts")).status).to.equal(401);
  });
});
