import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { createApiKey } from "../../server/auth/apiKeys";
import { users } from "../../server/auth/schema";
import { invitations } from "../../server/invitations/schema";
import { createTestApi, seedOrganisation, seedUser, tableSnapshot, type SeededUser, type TestApi } from "../support/api";
import { uniqueEmail } from "../support/acl";

/** Organisation A's admin, member and API key against organisation B's users, invitations and API keys. */
describe("tenant isolation of accounts data", () => {
  let api: TestApi;
  let a: SeededUser;
  let b: SeededUser;
  let aKey: string;
  let bMember: SeededUser;
  let bKey: { id: string; key: string };
  let bInvitationId: string;
  before(async () => {
    api = await createTestApi();
    a = seedOrganisation(api, "developer");
    b = seedOrganisation(api, "buyer");
    bMember = seedUser(api, b.organisationId, { isOrganisationAdmin: false });
    aKey = createApiKey(api.database.db, { organisationId: a.organisationId, createdBy: a.userId, name: "a", permissions: { organisation: ["READ", "WRITE", "DELETE"] } }, api.clock.now()).key;
    const created = createApiKey(api.database.db, { organisationId: b.organisationId, createdBy: b.userId, name: "b", permissions: { organisation: ["READ"] } }, api.clock.now());
    bKey = { id: created.row.id, key: created.key };
    const invitation = await api.request("POST", "/organisation/invitations", { token: b.token, body: { email: uniqueEmail(), firstName: "B", lastName: "Guest" } });
    bInvitationId = (await invitation.json()).id;
  });
  after(() => api.close());

  const asA = (): Record<string, string>[] => [{ authorization: `Bearer ${a.token}` }, { "x-api-key": aKey }];
  const ids = (list: { organisationId: string }[]) => new Set(list.map((x) => x.organisationId));

  it("lists only A's own users, invitations and keys to A", async () => {
    for (const headers of asA()) {
      const usersList = await (await api.request("GET", "/organisation/users", { headers })).json();
      const invitationList = await (await api.request("GET", "/organisation/invitations", { headers })).json();
      const keyList = await (await api.request("GET", "/organisation/api-keys", { headers })).json();
      for (const list of [usersList.users, invitationList.invitations, keyList.apiKeys]) {
        expect([...ids(list)].every((id) => id === a.organisationId), JSON.stringify(list)).to.equal(true);
      }
      expect(usersList.users.map((u: { id: string }) => u.id)).to.not.include(bMember.userId);
    }
  });

  it("answers A's requests for B's lists with 404, exactly as for an organisation that does not exist", async () => {
    for (const path of ["/organisation/users", "/organisation/invitations", "/organisation/api-keys"]) {
      for (const headers of asA()) {
        const foreign = await api.request("GET", `${path}?organisationId=${b.organisationId}`, { headers });
        const missing = await api.request("GET", `${path}?organisationId=${randomUUID()}`, { headers });
        expect(foreign.status, path).to.equal(404);
        expect(await foreign.json()).to.deep.equal(await missing.json());
      }
    }
  });

  it("answers A's changes to B's user, invitation and key with 404, changing nothing", async () => {
    const before = tableSnapshot(api);
    const member = api.database.db.select().from(users).where(eq(users.id, bMember.userId)).get();
    const attempts: [string, string, unknown?][] = [
      ["PATCH", `/organisation/users/${bMember.userId}/permissions`, { isOrganisationAdmin: true }],
      ["DELETE", `/organisation/invitations/${bInvitationId}`],
      ["DELETE", `/organisation/api-keys/${bKey.id}`],
    ];
    for (const [method, path, body] of attempts) {
      const foreign = await api.request(method, path, { token: a.token, body });
      expect(foreign.status, path).to.equal(404);
      const missing = await api.request(method, path.replace(/[0-9a-f-]{36}/, randomUUID()), { token: a.token, body });
      expect(await foreign.json(), "a foreign id and an unknown id look the same").to.deep.equal(await missing.json());
    }
    expect(api.database.db.select().from(users).where(eq(users.id, bMember.userId)).get()).to.deep.equal(member);
    expect(api.database.db.select().from(invitations).where(eq(invitations.id, bInvitationId)).get()!.state).to.equal("pending");
    expect(tableSnapshot(api)).to.deep.equal(before);
    // B's key still works (and this successful use is recorded, so it comes after the comparison).
    expect((await api.request("GET", "/auth/me", { headers: { "x-api-key": bKey.key } })).status).to.equal(200);
  });

  it("keeps what A creates in A, whatever organisation id A slips in", async () => {
    const before = tableSnapshot(api);
    const smuggled = await api.request("POST", "/organisation/api-keys", {
      token: a.token,
      body: { name: "smuggled", permissions: { organisation: ["READ"] }, organisationId: b.organisationId },
    });
    expect(smuggled.status).to.equal(400);
    expect(tableSnapshot(api)).to.deep.equal(before);
    const created = await (await api.request("POST", "/organisation/api-keys", { token: a.token, body: { name: "mine", permissions: { organisation: ["READ"] } } })).json();
    expect(created.organisationId).to.equal(a.organisationId);
    const viaQuery = await api.request("POST", `/organisation/invitations?organisationId=${b.organisationId}`, {
      token: a.token,
      body: { email: uniqueEmail(), firstName: "Q", lastName: "S" },
    });
    expect((await viaQuery.json()).organisationId, "a query parameter does not move an invitation either").to.equal(a.organisationId);
  });
});
