import { expect } from "chai";
import { eq } from "drizzle-orm";
import { createApiKey, parseApiKey } from "../../server/auth/apiKeys";
import { apiKeys } from "../../server/auth/schema";
import { sha256Hex } from "../../server/auth/secrets";
import { createTestApi, seedOrganisation, seedUser, tableSnapshot, type SeededUser, type TestApi } from "../support/api";

describe("accounts: /organisation/api-keys", () => {
  let api: TestApi;
  let owner: SeededUser;
  before(async () => {
    api = await createTestApi();
    owner = seedOrganisation(api, "developer");
  });
  after(() => api.close());

  const create = (token: string, body: unknown) => api.request("POST", "/organisation/api-keys", { token, body });
  const me = (headers: Record<string, string>) => api.request("GET", "/auth/me", { headers });

  it("creates a key shown once, stores only the SHA-256 of its secret, and lists it without secret or hash", async () => {
    const response = await create(owner.token, { name: "gateway 1", permissions: { reads: ["WRITE", "READ"], devices: ["READ"] } });
    expect(response.status).to.equal(201);
    const created = await response.json();
    expect(created.key).to.match(/^eak_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created).to.include({ name: "gateway 1", organisationId: owner.organisationId, createdBy: owner.userId, revokedAt: null });
    expect(created.permissions).to.deep.equal({ devices: ["READ"], reads: ["READ", "WRITE"] });
    expect(created.key.startsWith(created.prefix)).to.equal(true);

    const stored = api.database.db.select().from(apiKeys).where(eq(apiKeys.id, created.id)).get()!;
    expect(stored.secretHash).to.equal(sha256Hex(parseApiKey(created.key)!.secret));
    expect(JSON.stringify(stored)).to.not.contain(parseApiKey(created.key)!.secret);

    const listed = await (await api.request("GET", "/organisation/api-keys", { token: owner.token })).json();
    const entry = listed.apiKeys.find((k: { id: string }) => k.id === created.id);
    const { key: _shownOnce, ...withoutKey } = created;
    expect(entry).to.deep.equal(withoutKey);
    expect(entry).to.not.have.any.keys("key", "secretHash", "secret");
    expect(JSON.stringify(listed)).to.not.contain(parseApiKey(created.key)!.secret);
  });

  it("authenticates with `Authorization: ApiKey <key>` and with `X-API-Key: <key>`, recording the last use", async () => {
    const { key } = await (await create(owner.token, { name: "both headers", permissions: { devices: ["READ"] } })).json();
    api.clock.advance(60_000);
    const forms: Record<string, string>[] = [{ authorization: `ApiKey ${key}` }, { "x-api-key": key }];
    for (const headers of forms) {
      const response = await me(headers);
      expect(response.status, JSON.stringify(headers)).to.equal(200);
      const body = await response.json();
      expect(body.credential).to.equal("apiKey");
      expect(body.organisation.id).to.equal(owner.organisationId);
      expect(body.permissions).to.deep.equal({ devices: ["READ"] });
    }
    const row = api.database.db.select().from(apiKeys).where(eq(apiKeys.publicId, parseApiKey(key)!.publicId)).get()!;
    expect(row.lastUsedAt).to.equal(api.clock.now().toISOString());
  });

  it("refuses a key with a wrong secret, a malformed key and an unknown scheme with 401", async () => {
    const { key } = await (await create(owner.token, { name: "tampered", permissions: { devices: ["READ"] } })).json();
    const { publicId, secret } = parseApiKey(key)!;
    const wrongSecret = `eak_${publicId}_${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
    const refused: Record<string, string>[] = [{ "x-api-key": wrongSecret }, { "x-api-key": "eak_123" }, { authorization: `Basic ${key}` }];
    for (const headers of refused) {
      expect((await me(headers)).status, JSON.stringify(headers)).to.equal(401);
    }
  });

  it("revokes a key: requests with it get 401 from then on; revoking again changes nothing", async () => {
    const created = await (await create(owner.token, { name: "to revoke", permissions: { devices: ["READ"] } })).json();
    expect((await me({ "x-api-key": created.key })).status).to.equal(200);
    expect((await api.request("DELETE", `/organisation/api-keys/${created.id}`, { token: owner.token })).status).to.equal(204);
    expect((await me({ "x-api-key": created.key })).status).to.equal(401);
    const revokedAt = api.database.db.select().from(apiKeys).where(eq(apiKeys.id, created.id)).get()!.revokedAt;
    expect(revokedAt).to.be.a("string");
    api.clock.advance(1000);
    expect((await api.request("DELETE", `/organisation/api-keys/${created.id}`, { token: owner.token })).status).to.equal(204);
    expect(api.database.db.select().from(apiKeys).where(eq(apiKeys.id, created.id)).get()!.revokedAt).to.equal(revokedAt);
  });

  it("grants a key only permissions its creator holds: 403 naming each one, nothing written", async () => {
    const member = seedUser(api, owner.organisationId, { isOrganisationAdmin: false, permissions: { organisation: ["READ", "WRITE"], devices: ["READ"] } });
    const before = tableSnapshot(api);
    const response = await create(member.token, { name: "too strong", permissions: { devices: ["READ", "WRITE"], reads: ["READ"] } });
    expect(response.status).to.equal(403);
    expect((await response.json()).errors.map((e: { field: string }) => e.field)).to.deep.equal(["body.permissions.devices", "body.permissions.reads"]);
    expect(tableSnapshot(api)).to.deep.equal(before);
    expect((await create(member.token, { name: "fine", permissions: { devices: ["READ"] } })).status).to.equal(201);
  });

  it("refuses bad bodies with 400 naming the field, writing nothing", async () => {
    const otherOrganisation = seedOrganisation(api, "buyer").organisationId;
    const before = tableSnapshot(api);
    const cases: [unknown, string][] = [
      [{ permissions: { devices: ["READ"] } }, "body.name"],
      [{ name: "", permissions: { devices: ["READ"] } }, "body.name"],
      [{ name: "x", permissions: {} }, "body.permissions"],
      [{ name: "x", permissions: { devices: [] } }, "body.permissions"],
      [{ name: "x", permissions: { wallets: ["READ"] } }, "body.permissions.wallets"],
      [{ name: "x", permissions: { devices: ["EXECUTE"] } }, "body.permissions.devices.0"],
      [{ name: "x", permissions: { devices: "READ" } }, "body.permissions.devices"],
      [{ name: "x", permissions: { devices: ["READ"] }, organisationId: otherOrganisation }, "body.organisationId"],
    ];
    for (const [body, field] of cases) {
      const response = await create(owner.token, body);
      expect(response.status, JSON.stringify(body)).to.equal(400);
      expect((await response.json()).errors.map((e: { field: string }) => e.field), JSON.stringify(body)).to.include(field);
    }
    expect(tableSnapshot(api)).to.deep.equal(before);
  });

  it("scopes a key to its organisation: it sees that organisation's data only", async () => {
    const other = seedOrganisation(api, "developer");
    const { key } = createApiKey(api.database.db, { organisationId: owner.organisationId, createdBy: owner.userId, name: "scoped", permissions: { organisation: ["READ"] } }, api.clock.now());
    const users = await (await api.request("GET", "/organisation/users", { headers: { "x-api-key": key } })).json();
    expect(users.users.map((u: { organisationId: string }) => u.organisationId)).to.satisfy((ids: string[]) => ids.every((id) => id === owner.organisationId));
    const foreign = await api.request("GET", `/organisation/users?organisationId=${other.organisationId}`, { headers: { "x-api-key": key } });
    expect(foreign.status).to.equal(404);
  });

  it("finds a key among thousands without a KDF run per stored key", async () => {
    const db = api.database.db;
    db.transaction((tx) => {
      for (let i = 0; i < 2000; i += 1) {
        tx.insert(apiKeys)
          .values({
            id: `bulk-${i}`,
            publicId: i.toString(16).padStart(16, "0"),
            organisationId: owner.organisationId,
            createdBy: owner.userId,
            name: `bulk ${i}`,
            secretHash: sha256Hex(`secret ${i}`),
            permissions: { devices: ["READ"] },
            createdAt: api.clock.now().toISOString(),
          })
          .run();
      }
    });
    const { key } = createApiKey(db, { organisationId: owner.organisationId, createdBy: owner.userId, name: "needle", permissions: { devices: ["READ"] } }, api.clock.now());
    for (let i = 0; i < 3; i += 1) expect((await me({ "x-api-key": key })).status).to.equal(200);
    // The property itself, independent of machine speed: the lookup searches the unique index on the
    // public id (one row, then one SHA-256), instead of scanning keys and hashing each.
    const plan = api.database.sqlite
      .prepare("explain query plan select * from api_keys where public_id = ? and revoked_at is null")
      .all("0000000000000001") as { detail: string }[];
    expect(plan.map((row) => row.detail).join(" | ")).to.match(/SEARCH api_keys USING INDEX api_keys_public_id_unique \(public_id=\?\)/);
  });

  it("narrows a key to what its creator may do today, and cannot mint keys or invitations itself", async () => {
    const creator = seedUser(api, owner.organisationId, { isOrganisationAdmin: true });
    const { key } = await (await create(creator.token, { name: "broad", permissions: { organisation: ["READ", "WRITE"], devices: ["READ", "WRITE"] } })).json();
    const asKey = { "x-api-key": key };
    // Credentials are for people: a leaked gateway key must not be able to make more credentials.
    expect((await api.request("POST", "/organisation/api-keys", { headers: asKey, body: { name: "child", permissions: { devices: ["READ"] } } })).status).to.equal(403);
    expect((await api.request("POST", "/organisation/invitations", { headers: asKey, body: { email: "x@example.test", firstName: "X", lastName: "Y" } })).status).to.equal(403);

    const demote = await api.request("PATCH", `/organisation/users/${creator.userId}/permissions`, {
      token: owner.token,
      body: { isOrganisationAdmin: false, permissions: { devices: ["READ"] } },
    });
    expect(demote.status).to.equal(200);
    const effective = (await (await me(asKey)).json()).permissions;
    expect(effective).to.deep.equal({ devices: ["READ"] });
  });

  it("writes nothing, not even its last use, when a key's request is refused", async () => {
    const { id, key } = await (await create(owner.token, { name: "reader", permissions: { devices: ["READ"] } })).json();
    const before = tableSnapshot(api);
    const refused = await api.request("POST", "/devices", { headers: { "x-api-key": key }, body: {} });
    expect(refused.status).to.equal(403);
    expect(tableSnapshot(api)).to.deep.equal(before);
    expect(api.database.db.select().from(apiKeys).where(eq(apiKeys.id, id)).get()!.lastUsedAt).to.equal(null);
    expect((await me({ "x-api-key": key })).status).to.equal(200);
    expect(api.database.db.select().from(apiKeys).where(eq(apiKeys.id, id)).get()!.lastUsedAt).to.equal(api.clock.now().toISOString());
  });
});
