import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { eq } from "drizzle-orm";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { CHALLENGE_TTL_MS, PLATFORM_NAME } from "../../server/wallets/challenge";
import { walletChallenges } from "../../server/wallets/schema";
import { createTestApi, seedOrganisation, seedUser, tableSnapshot, type SeededUser, type TestApi } from "../support/api";

describe("wallets: binding addresses by signed challenge", () => {
  let api: TestApi;
  before(async () => {
    api = await createTestApi();
  });
  after(() => api.close());

  const newAccount = () => privateKeyToAccount(generatePrivateKey());

  async function requestChallenge(caller: SeededUser, address: string) {
    const response = await api.request("POST", "/organisation/wallets/challenges", { token: caller.token, body: { address } });
    return { status: response.status, body: await response.json() };
  }

  async function bind(caller: SeededUser, challengeId: string, signature: string) {
    const response = await api.request("POST", "/organisation/wallets", { token: caller.token, body: { challengeId, signature } });
    return { status: response.status, body: await response.json() };
  }

  /** Challenge, sign with `signer` (the address's own key by default), bind. */
  async function challengeAndBind(caller: SeededUser, account: PrivateKeyAccount, signer = account) {
    const challenge = await requestChallenge(caller, account.address);
    expect(challenge.status).to.equal(201);
    const signature = await signer.signMessage({ message: challenge.body.message });
    return { challenge: challenge.body, signature, result: await bind(caller, challenge.body.challengeId, signature) };
  }

  async function listWallets(caller: SeededUser, query = "") {
    const response = await api.request("GET", `/organisation/wallets${query}`, { token: caller.token });
    return { status: response.status, body: await response.json() };
  }

  it("binds an address whose key signed the challenge (EIP-191), and lists it", async () => {
    const buyer = seedOrganisation(api, "buyer", { name: "Green Buyer plc" });
    const account = newAccount();
    const challenge = await requestChallenge(buyer, account.address.toLowerCase());
    expect(challenge.status).to.equal(201);
    expect(challenge.body.address).to.equal(account.address);
    expect(challenge.body.expiresAt).to.equal(new Date(api.clock.now().getTime() + CHALLENGE_TTL_MS).toISOString());
    const message: string = challenge.body.message;
    expect(message).to.include(PLATFORM_NAME);
    expect(message).to.include("Organisation: Green Buyer plc");
    expect(message).to.include(`Address: ${account.address}`);
    expect(message).to.match(/\nNonce: [0-9a-f]{32}\n/);
    expect(message).to.include(`Expires: ${challenge.body.expiresAt}`);

    const signature = await account.signMessage({ message });
    const bound = await bind(buyer, challenge.body.challengeId, signature);
    expect(bound.status).to.equal(201);
    expect(bound.body).to.deep.equal({ address: account.address, kind: "bound", createdAt: api.clock.now().toISOString() });

    const listed = await listWallets(buyer);
    expect(listed.status).to.equal(200);
    expect(listed.body).to.deep.equal({ organisationId: buyer.organisationId, wallets: [bound.body] });
    const row = api.database.db.select().from(walletChallenges).where(eq(walletChallenges.id, challenge.body.challengeId)).get();
    expect(row?.usedAt).to.equal(api.clock.now().toISOString());
  });

  it("issues a different nonce for every challenge", async () => {
    const buyer = seedOrganisation(api, "buyer");
    const account = newAccount();
    const first = await requestChallenge(buyer, account.address);
    const second = await requestChallenge(buyer, account.address);
    expect(first.body.challengeId).to.not.equal(second.body.challengeId);
    expect(first.body.message).to.not.equal(second.body.message);
  });

  it("refuses a signature made by another key, writes nothing, and leaves the challenge usable", async () => {
    const buyer = seedOrganisation(api, "buyer");
    const account = newAccount();
    const challenge = await requestChallenge(buyer, account.address);
    const before = tableSnapshot(api);
    const forged = await bind(buyer, challenge.body.challengeId, await newAccount().signMessage({ message: challenge.body.message }));
    expect(forged.status).to.equal(400);
    expect(forged.body.errors).to.deep.equal([{ field: "body.signature", message: `was not made by ${account.address} over the challenge message` }]);
    // The right key over a different text is refused too: the signature must cover exactly the challenge.
    const otherText = await bind(buyer, challenge.body.challengeId, await account.signMessage({ message: `${challenge.body.message}.` }));
    expect(otherText.status).to.equal(400);
    expect(tableSnapshot(api)).to.deep.equal(before);

    const genuine = await bind(buyer, challenge.body.challengeId, await account.signMessage({ message: challenge.body.message }));
    expect(genuine.status).to.equal(201);
  });

  it("refuses a replayed challenge, even after the address was unbound", async () => {
    const developer = seedOrganisation(api, "developer");
    const account = newAccount();
    const { challenge, signature, result } = await challengeAndBind(developer, account);
    expect(result.status).to.equal(201);

    const replay = await bind(developer, challenge.challengeId, signature);
    expect(replay.status).to.equal(409);
    expect(replay.body.errors).to.deep.equal([{ field: "body.challengeId", message: "used already" }]);

    const unbound = await api.request("DELETE", `/organisation/wallets/${account.address}`, { token: developer.token });
    expect(unbound.status).to.equal(204);
    const before = tableSnapshot(api);
    expect((await bind(developer, challenge.challengeId, signature)).status).to.equal(409);
    expect(tableSnapshot(api)).to.deep.equal(before);
    expect((await listWallets(developer)).body.wallets).to.deep.equal([]);
  });

  it("refuses an expired challenge with 410", async () => {
    const buyer = seedOrganisation(api, "buyer");
    const account = newAccount();
    const challenge = await requestChallenge(buyer, account.address);
    const signature = await account.signMessage({ message: challenge.body.message });
    api.clock.advance(CHALLENGE_TTL_MS);
    const before = tableSnapshot(api);
    const late = await bind(buyer, challenge.body.challengeId, signature);
    expect(late.status).to.equal(410);
    expect(late.body.errors).to.deep.equal([{ field: "body.challengeId", message: "expired" }]);
    expect(tableSnapshot(api)).to.deep.equal(before);
  });

  it("drops the organisation's expired challenges when it asks for a new one", async () => {
    const buyer = seedOrganisation(api, "buyer");
    const stale = await requestChallenge(buyer, newAccount().address);
    api.clock.advance(CHALLENGE_TTL_MS + 1);
    const other = seedOrganisation(api, "buyer");
    const othersStale = await requestChallenge(other, newAccount().address);
    api.clock.advance(CHALLENGE_TTL_MS + 1);
    await requestChallenge(buyer, newAccount().address);
    const remaining = api.database.db.select({ id: walletChallenges.id }).from(walletChallenges).all().map((r) => r.id);
    expect(remaining).to.not.include(stale.body.challengeId);
    expect(remaining).to.include(othersStale.body.challengeId);
  });

  it("gives an address to one organisation only (409), at challenge time and at binding time", async () => {
    const first = seedOrganisation(api, "buyer");
    const second = seedOrganisation(api, "buyer");
    const account = newAccount();
    // Both organisations hold a live challenge for the same address before either binds it.
    const firstChallenge = await requestChallenge(first, account.address);
    const secondChallenge = await requestChallenge(second, account.address);
    const secondSignature = await account.signMessage({ message: secondChallenge.body.message });
    expect((await bind(first, firstChallenge.body.challengeId, await account.signMessage({ message: firstChallenge.body.message }))).status).to.equal(201);

    const before = tableSnapshot(api);
    const late = await bind(second, secondChallenge.body.challengeId, secondSignature);
    expect(late.status).to.equal(409);
    expect(late.body.detail).to.equal("The address is bound to another organisation.");
    const again = await requestChallenge(second, account.address);
    expect(again.status).to.equal(409);
    expect(again.body.errors).to.deep.equal([{ field: "body.address", message: "is bound to another organisation already" }]);
    const own = await requestChallenge(first, account.address);
    expect(own.status).to.equal(409);
    expect(own.body.errors[0].message).to.equal("is bound to your organisation already");
    expect(tableSnapshot(api)).to.deep.equal(before);
  });

  it("keeps organisations apart: another organisation's challenge, wallet and list answer 404", async () => {
    const owner = seedOrganisation(api, "buyer");
    const intruder = seedOrganisation(api, "developer");
    const account = newAccount();
    const challenge = await requestChallenge(owner, account.address);
    const signature = await account.signMessage({ message: challenge.body.message });

    const before = tableSnapshot(api);
    const stolen = await bind(intruder, challenge.body.challengeId, signature);
    expect(stolen.status).to.equal(404);
    expect(stolen.body.errors).to.deep.equal([{ field: "body.challengeId", message: "no such challenge" }]);
    expect(tableSnapshot(api)).to.deep.equal(before);
    expect((await bind(owner, challenge.body.challengeId, signature)).status).to.equal(201);

    const unbind = await api.request("DELETE", `/organisation/wallets/${account.address}`, { token: intruder.token });
    expect(unbind.status).to.equal(404);
    const peek = await listWallets(intruder, `?organisationId=${owner.organisationId}`);
    expect(peek.status).to.equal(404);
    expect(JSON.stringify(peek.body)).to.not.include(account.address);
    expect((await listWallets(intruder)).body.wallets).to.deep.equal([]);
    expect((await listWallets(owner)).body.wallets.map((w: { address: string }) => w.address)).to.deep.equal([account.address]);
  });

  it("lets auditors read any organisation's wallets but change none, and platform admins unbind any", async () => {
    const owner = seedOrganisation(api, "buyer");
    const account = newAccount();
    expect((await challengeAndBind(owner, account)).result.status).to.equal(201);
    const auditor = seedOrganisation(api, "auditor");
    const admin = seedOrganisation(api, "admin");

    const read = await listWallets(auditor, `?organisationId=${owner.organisationId}`);
    expect(read.status).to.equal(200);
    expect(read.body.wallets.map((w: { address: string }) => w.address)).to.deep.equal([account.address]);
    expect((await listWallets(auditor, `?organisationId=${randomUUID()}`)).status).to.equal(404);
    expect((await requestChallenge(auditor, newAccount().address)).status).to.equal(403);
    expect((await api.request("DELETE", `/organisation/wallets/${account.address}`, { token: auditor.token })).status).to.equal(403);

    expect((await api.request("DELETE", `/organisation/wallets/${account.address}`, { token: admin.token })).status).to.equal(204);
    expect((await listWallets(owner)).body.wallets).to.deep.equal([]);
  });

  it("checks the organisation permissions: READ to list, WRITE to bind, DELETE to unbind", async () => {
    const owner = seedOrganisation(api, "developer");
    const account = newAccount();
    expect((await challengeAndBind(owner, account)).result.status).to.equal(201);
    const reader = seedUser(api, owner.organisationId, { isOrganisationAdmin: false, permissions: { organisation: ["READ"] } });
    const writer = seedUser(api, owner.organisationId, { isOrganisationAdmin: false, permissions: { organisation: ["READ", "WRITE"] } });

    expect((await listWallets(reader)).status).to.equal(200);
    const refused = await requestChallenge(reader, newAccount().address);
    expect(refused.status).to.equal(403);
    expect(refused.body.detail).to.equal("This needs the WRITE permission on organisation.");
    expect((await requestChallenge(writer, newAccount().address)).status).to.equal(201);
    expect((await api.request("DELETE", `/organisation/wallets/${account.address}`, { token: writer.token })).status).to.equal(403);
    expect((await api.request("GET", "/organisation/wallets")).status).to.equal(401);
    expect((await api.request("POST", "/organisation/wallets/challenges", { body: { address: account.address } })).status).to.equal(401);
  });

  it("unbinds a bound address, which can then be bound again with a new challenge", async () => {
    const buyer = seedOrganisation(api, "buyer");
    const account = newAccount();
    await challengeAndBind(buyer, account);
    const response = await api.request("DELETE", `/organisation/wallets/${account.address.toLowerCase()}`, { token: buyer.token });
    expect(response.status).to.equal(204);
    expect((await listWallets(buyer)).body.wallets).to.deep.equal([]);
    expect((await api.request("DELETE", `/organisation/wallets/${account.address}`, { token: buyer.token })).status).to.equal(404);
    expect((await challengeAndBind(buyer, account)).result.status).to.equal(201);
  });

  it("documents every wallet route in /openapi.json as authenticated, with no key material in any wallet schema", async () => {
    const doc = await (await api.request("GET", "/openapi.json")).json();
    const operations = [
      ["/organisation/wallets", "get"],
      ["/organisation/wallets", "post"],
      ["/organisation/wallets/challenges", "post"],
      ["/organisation/wallets/{address}", "delete"],
      ["/organisation/managed-wallet", "post"],
    ];
    for (const [path, method] of operations) {
      expect(doc.paths[path]?.[method]?.security, `${method} ${path}`).to.deep.equal([{ bearer: [] }, { apiKey: [] }]);
    }
    expect(Object.keys(doc.components.schemas.Wallet.properties)).to.deep.equal(["address", "kind", "createdAt"]);
    expect(JSON.stringify(doc.paths)).to.not.match(/privateKey|sealedKey/i);
  });

  describe("bad input: 400 naming the field, nothing written", () => {
    let caller: SeededUser;
    let challengeId: string;
    const account = newAccount();
    before(async () => {
      caller = seedOrganisation(api, "buyer");
      challengeId = (await requestChallenge(caller, account.address)).body.challengeId;
    });

    const challengeCases: [string, unknown, string][] = [
      ["no address", {}, "body.address"],
      ["an address that is not hex", { address: "0xnot-an-address" }, "body.address"],
      ["a short address", { address: "0x1234" }, "body.address"],
      ["a mixed-case address with a wrong EIP-55 checksum", { address: "0x5B38Da6a701c568545dCfcB03FcB875f56beddc4" }, "body.address"],
      ["an organisationId in the body", { address: "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4", organisationId: "x" }, "body.organisationId"],
    ];
    for (const [name, body, field] of challengeCases) {
      it(`challenge with ${name}`, async () => {
        const before = tableSnapshot(api);
        const response = await api.request("POST", "/organisation/wallets/challenges", { token: caller.token, body });
        expect(response.status).to.equal(400);
        const problem = await response.json();
        expect(problem.errors.map((e: { field: string }) => e.field)).to.include(field);
        expect(tableSnapshot(api)).to.deep.equal(before);
      });
    }

    const bindCases: [string, () => unknown, string][] = [
      ["no signature", () => ({ challengeId }), "body.signature"],
      ["a signature that is not hex", () => ({ challengeId, signature: `0x${"zz".repeat(65)}` }), "body.signature"],
      ["a 64-byte signature", () => ({ challengeId, signature: `0x${"ab".repeat(64)}` }), "body.signature"],
      ["65 bytes that are no ECDSA signature", () => ({ challengeId, signature: `0x${"00".repeat(65)}` }), "body.signature"],
      ["a challenge id that is not a UUID", () => ({ challengeId: "42", signature: `0x${"ab".repeat(65)}` }), "body.challengeId"],
    ];
    for (const [name, body, field] of bindCases) {
      it(`binding with ${name}`, async () => {
        const before = tableSnapshot(api);
        const response = await api.request("POST", "/organisation/wallets", { token: caller.token, body: body() });
        expect(response.status).to.equal(400);
        const problem = await response.json();
        expect(problem.errors.map((e: { field: string }) => e.field)).to.include(field);
        expect(tableSnapshot(api)).to.deep.equal(before);
      });
    }

    it("unbinding a path that is no address, and listing with an organisationId that is no UUID", async () => {
      const before = tableSnapshot(api);
      const unbind = await api.request("DELETE", "/organisation/wallets/0x1234", { token: caller.token });
      expect(unbind.status).to.equal(400);
      expect((await unbind.json()).errors[0].field).to.equal("path.address");
      const list = await api.request("GET", "/organisation/wallets?organisationId=nope", { token: caller.token });
      expect(list.status).to.equal(400);
      expect((await list.json()).errors[0].field).to.equal("query.organisationId");
      expect(tableSnapshot(api)).to.deep.equal(before);
    });
  });
});
