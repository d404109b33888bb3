import { expect } from "chai";
import { eq } from "drizzle-orm";
import { parseEther } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { managedWalletAccount, managedWalletClient } from "../../server/wallets/managed";
import { wallets } from "../../server/wallets/schema";
import { KeyVaultError } from "../../server/wallets/vault";
import { createTestApi, seedOrganisation, seedUser, tableCounts, tableSnapshot, type SeededUser, type TestApi } from "../support/api";

describe("wallets: the developer's managed wallet", () => {
  let api: TestApi;
  before(async () => {
    api = await createTestApi();
  });
  after(() => api.close());

  const createManaged = async (caller: SeededUser) => {
    const response = await api.request("POST", "/organisation/managed-wallet", { token: caller.token });
    return { status: response.status, body: await response.json() };
  };
  const sealedKeyOf = (address: string) => api.database.db.select().from(wallets).where(eq(wallets.address, address)).get()!.sealedKey!;

  it("is created for a developer, returns only the address, and is one per organisation", async () => {
    const developer = seedOrganisation(api, "developer");
    const created = await createManaged(developer);
    expect(created.status).to.equal(201);
    expect(created.body).to.deep.equal({ address: created.body.address, kind: "managed", createdAt: api.clock.now().toISOString() });
    expect(created.body.address).to.match(/^0x[0-9a-fA-F]{40}$/);

    const before = tableSnapshot(api);
    const second = await createManaged(developer);
    expect(second.status).to.equal(409);
    expect(second.body.detail).to.include(created.body.address);
    expect(tableSnapshot(api)).to.deep.equal(before);

    const listed = await api.request("GET", "/organisation/wallets", { token: developer.token });
    expect((await listed.json()).wallets).to.deep.equal([created.body]);
    const unbind = await api.request("DELETE", `/organisation/wallets/${created.body.address}`, { token: developer.token });
    expect(unbind.status).to.equal(409);
    expect(tableSnapshot(api)).to.deep.equal(before);
  });

  it("is created for a buyer too (it holds and claims certificates), one per organisation", async () => {
    const buyer = seedOrganisation(api, "buyer");
    const created = await createManaged(buyer);
    expect(created.status).to.equal(201);
    expect(created.body.kind).to.equal("managed");
    expect(managedWalletAccount(api.deps, buyer.organisationId)!.address).to.equal(created.body.address);
    expect((await createManaged(buyer)).status).to.equal(409);
  });

  it("is refused to auditors and platform admins (403), and to developers without WRITE", async () => {
    const before = tableCounts(api);
    for (const type of ["auditor", "admin"] as const) {
      const refused = await createManaged(seedOrganisation(api, type));
      expect(refused.status, type).to.equal(403);
    }
    const developer = seedOrganisation(api, "developer");
    const reader = seedUser(api, developer.organisationId, { isOrganisationAdmin: false, permissions: { organisation: ["READ"] } });
    const withReader = tableCounts(api);
    expect((await createManaged(reader)).status).to.equal(403);
    expect(tableCounts(api)).to.deep.equal(withReader);
    expect(withReader.wallets).to.equal(before.wallets);
  });

  it("gives later issues a signer and a wallet client that can pay gas from the managed address", async () => {
    const developer = seedOrganisation(api, "developer");
    const { address } = (await createManaged(developer)).body;
    const account = managedWalletAccount(api.deps, developer.organisationId);
    expect(account?.address).to.equal(address);
    expect(managedWalletAccount(api.deps, seedOrganisation(api, "developer").organisationId)).to.equal(undefined);

    const client = managedWalletClient(api.deps, developer.organisationId)!;
    const testClient = api.chain.clients.publicClient;
    await api.chain.clients.wallet(api.chain.keys.admin).sendTransaction({ to: address, value: parseEther("1") });
    const recipient = privateKeyToAddress(api.chain.keys.recorder);
    const balanceBefore = await testClient.getBalance({ address: recipient });
    const hash = await client.sendTransaction({ to: recipient, value: 1234n, chain: testClient.chain });
    const receipt = await testClient.waitForTransactionReceipt({ hash });
    expect(receipt.from.toLowerCase()).to.equal(address.toLowerCase());
    expect(await testClient.getBalance({ address: recipient })).to.equal(balanceBefore + 1234n);
  });

  it("will not open a sealed key moved into another organisation's row", async () => {
    const victim = seedOrganisation(api, "developer");
    const thief = seedOrganisation(api, "developer");
    const victimWallet = (await createManaged(victim)).body.address;
    const thiefWallet = (await createManaged(thief)).body.address;
    api.database.db.update(wallets).set({ sealedKey: sealedKeyOf(victimWallet) }).where(eq(wallets.address, thiefWallet)).run();
    expect(() => managedWalletAccount(api.deps, thief.organisationId)).to.throw(KeyVaultError, /failed authentication/);
  });

  it("never shows the private key in a response, a log line or a database column", async () => {
    const captured: string[] = [];
    const consoleMethods = ["log", "info", "warn", "error", "debug", "trace"] as const;
    const originals = consoleMethods.map((name) => console[name]);
    const writes = [process.stdout.write, process.stderr.write];
    const capture = (...args: unknown[]) => {
      captured.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a, (_k, v) => (typeof v === "bigint" ? v.toString() : v)))).join(" "));
    };
    const bodies: string[] = [];
    const send = async (method: string, path: string, caller: SeededUser) => {
      const response = await api.request(method, path, { token: caller.token });
      bodies.push(`${JSON.stringify([...response.headers])}\n${await response.text()}`);
      return response;
    };

    const developer = seedOrganisation(api, "developer");
    for (const name of consoleMethods) console[name] = capture;
    process.stdout.write = ((chunk: unknown) => (capture(String(chunk)), true)) as typeof process.stdout.write;
    process.stderr.write = ((chunk: unknown) => (capture(String(chunk)), true)) as typeof process.stderr.write;
    try {
      expect((await send("POST", "/organisation/managed-wallet", developer)).status).to.equal(201);
      await send("POST", "/organisation/managed-wallet", developer);
      await send("GET", "/organisation/wallets", developer);
      await send("GET", "/openapi.json", developer);
      const { address } = JSON.parse(bodies[0].split("\n")[1]);
      await send("DELETE", `/organisation/wallets/${address}`, developer);
      const account = managedWalletAccount(api.deps, developer.organisationId)!;
      capture(account);
      await managedWalletClient(api.deps, developer.organisationId)!.signMessage({ message: "used, not shown" });
    } finally {
      consoleMethods.forEach((name, i) => (console[name] = originals[i]));
      [process.stdout.write, process.stderr.write] = writes;
    }

    const row = api.database.db.select().from(wallets).where(eq(wallets.organisationId, developer.organisationId)).get()!;
    const privateKey = api.deps.vault.open(developer.organisationId, row.sealedKey!);
    expect(privateKeyToAddress(privateKey)).to.equal(row.address);
    const secrets = [privateKey, privateKey.slice(2), privateKey.slice(2).toUpperCase(), Buffer.from(privateKey.slice(2), "hex").toString("base64")];

    const everything = [...captured, ...bodies, JSON.stringify(dumpDatabase(api))].join("\n");
    expect(bodies).to.have.length(5);
    for (const secret of secrets) expect(everything.toLowerCase()).to.not.include(secret.toLowerCase());
    expect(row.sealedKey).to.match(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});

/** Every row of every table, as the database stores it. */
function dumpDatabase(api: TestApi): Record<string, unknown[]> {
  const tables = Object.keys(tableSnapshot(api));
  return Object.fromEntries(tables.map((name) => [name, api.database.sqlite.prepare(`select * from "${name}"`).all()]));
}
