import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { allPermissions, readOnlyPermissions } from "../../server/auth/permissions";
import { users } from "../../server/auth/schema";
import { createTestApi, seedOrganisation, seedUser, tableSnapshot, type SeededUser, type TestApi } from "../support/api";

describe("accounts: /organisation and its users", () => {
  let api: TestApi;
  let admin: SeededUser;
  before(async () => {
    api = await createTestApi();
    admin = seedOrganisation(api, "developer", { name: "Home Solar" });
  });
  after(() => api.close());

  const patch = (token: string, userId: string, body: unknown) => api.request("PATCH", `/organisation/users/${userId}/permissions`, { token, body });
  const stored = (userId: string) => api.database.db.select().from(users).where(eq(users.id, userId)).get()!;

  it("GET /organisation answers the caller's own organisation", async () => {
    const response = await api.request("GET", "/organisation", { token: admin.token });
    expect(response.status).to.equal(200);
    expect(await response.json()).to.include({ id: admin.organisationId, name: "Home Solar", type: "developer" });
  });

  it("GET /organisation/users lists the organisation's users only, without password hashes", async () => {
    const member = seedUser(api, admin.organisationId, { isOrganisationAdmin: false });
    seedOrganisation(api, "developer");
    const { users: listed } = await (await api.request("GET", "/organisation/users", { token: member.token })).json();
    expect(listed.map((u: { id: string }) => u.id)).to.include.members([admin.userId, member.userId]);
    expect(listed.every((u: { organisationId: string }) => u.organisationId === admin.organisationId)).to.equal(true);
    expect(JSON.stringify(listed)).to.not.contain("scrypt");
    expect(listed.find((u: { id: string }) => u.id === member.userId).permissions).to.deep.equal(readOnlyPermissions());
  });

  it("lets platform administrators and auditors list another organisation's users with ?organisationId=, 404 for an unknown one", async () => {
    for (const type of ["admin", "auditor"] as const) {
      const viewer = seedOrganisation(api, type);
      const response = await api.request("GET", `/organisation/users?organisationId=${admin.organisationId}`, { token: viewer.token });
      expect(response.status).to.equal(200);
      expect((await response.json()).users.map((u: { id: string }) => u.id)).to.include(admin.userId);
      expect((await api.request("GET", `/organisation/users?organisationId=${randomUUID()}`, { token: viewer.token })).status).to.equal(404);
    }
    expect((await api.request("GET", "/organisation/users?organisationId=not-a-uuid", { token: admin.token })).status).to.equal(400);
  });

  describe("PATCH /organisation/users/{id}/permissions", () => {
    it("changes a member's permissions, effective on the member's next request", async () => {
      const member = seedUser(api, admin.organisationId, { isOrganisationAdmin: false });
      const response = await patch(admin.token, member.userId, { permissions: { devices: ["WRITE", "READ"] } });
      expect(response.status).to.equal(200);
      expect((await response.json()).permissions).to.deep.equal({ devices: ["READ", "WRITE"] });
      const me = await (await api.request("GET", "/auth/me", { token: member.token })).json();
      expect(me.permissions).to.deep.equal({ devices: ["READ", "WRITE"] });
    });

    it("promotes a member to admin (every permission) and demotes them to read-only", async () => {
      const member = seedUser(api, admin.organisationId, { isOrganisationAdmin: false, permissions: { devices: ["READ"] } });
      expect(await (await patch(admin.token, member.userId, { isOrganisationAdmin: true })).json()).to.deep.include({ isOrganisationAdmin: true, permissions: allPermissions() });
      expect(await (await patch(admin.token, member.userId, { isOrganisationAdmin: false })).json()).to.deep.include({ isOrganisationAdmin: false, permissions: readOnlyPermissions() });
    });

    it("refuses an admin changing their own admin flag with 403 naming it, changing nothing", async () => {
      const before = stored(admin.userId);
      const response = await patch(admin.token, admin.userId, { isOrganisationAdmin: false });
      expect(response.status).to.equal(403);
      expect((await response.json()).errors).to.deep.equal([{ field: "body.isOrganisationAdmin", message: "cannot be changed on yourself" }]);
      expect(stored(admin.userId)).to.deep.equal(before);
    });

    it("refuses restricting an admin's permissions while the admin flag stays on (400)", async () => {
      const otherAdmin = seedUser(api, admin.organisationId, { isOrganisationAdmin: true });
      const response = await patch(admin.token, otherAdmin.userId, { permissions: { devices: ["READ"] } });
      expect(response.status).to.equal(400);
      expect((await response.json()).errors[0].field).to.equal("body.permissions");
      expect(stored(otherAdmin.userId).permissions).to.deep.equal(allPermissions());
    });

    it("refuses members, even with every permission, with 403", async () => {
      const strong = seedUser(api, admin.organisationId, { isOrganisationAdmin: false, permissions: allPermissions() });
      const target = seedUser(api, admin.organisationId, { isOrganisationAdmin: false });
      expect((await patch(strong.token, target.userId, { permissions: { devices: ["WRITE"] } })).status).to.equal(403);
      expect((await patch(strong.token, strong.userId, { isOrganisationAdmin: true })).status).to.equal(403);
      expect(stored(target.userId).permissions).to.deep.equal(readOnlyPermissions());
    });

    it("lets a platform administrator change any organisation's user", async () => {
      const platform = seedOrganisation(api, "admin");
      const member = seedUser(api, admin.organisationId, { isOrganisationAdmin: false });
      const response = await patch(platform.token, member.userId, { permissions: { reservations: ["READ"] } });
      expect(response.status).to.equal(200);
      expect(stored(member.userId).permissions).to.deep.equal({ reservations: ["READ"] });
    });

    it("refuses bad bodies and ids with 400 naming the field, writing nothing", async () => {
      const member = seedUser(api, admin.organisationId, { isOrganisationAdmin: false });
      const before = tableSnapshot(api);
      const snapshot = stored(member.userId);
      const cases: [string, unknown, string][] = [
        [member.userId, {}, "body"],
        [member.userId, { isOrganisationAdmin: "yes" }, "body.isOrganisationAdmin"],
        [member.userId, { permissions: { devices: ["READ"] }, organisationId: randomUUID() }, "body.organisationId"],
        [member.userId, { permissions: { certificates: ["MINT"] } }, "body.permissions.certificates.0"],
        ["not-a-uuid", { permissions: { devices: ["READ"] } }, "path.id"],
      ];
      for (const [id, body, field] of cases) {
        const response = await patch(admin.token, id, body);
        expect(response.status, JSON.stringify(body)).to.equal(400);
        expect((await response.json()).errors.map((e: { field: string }) => e.field), JSON.stringify(body)).to.include(field);
      }
      expect(stored(member.userId)).to.deep.equal(snapshot);
      expect(tableSnapshot(api)).to.deep.equal(before);
    });

    it("answers 404 for an unknown user", async () => {
      expect((await patch(admin.token, randomUUID(), { permissions: { devices: ["READ"] } })).status).to.equal(404);
    });
  });
});
