import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { allPermissions } from "../../server/auth/permissions";
import { createTestApi, seedOrganisation, seedUser, tableSnapshot, type SeededUser, type TestApi } from "../support/api";
import { GOOD_PASSWORD, login } from "../support/accounts";
import { uniqueEmail } from "../support/acl";

describe("admin: /admin/organisations", () => {
  let api: TestApi;
  let platform: SeededUser;
  before(async () => {
    api = await createTestApi();
    platform = seedOrganisation(api, "admin");
  });
  after(() => api.close());

  const newOrganisation = (overrides: Record<string, unknown> = {}) => ({
    name: `Audit ${randomUUID().slice(0, 8)}`,
    type: "auditor",
    address: "4 Ledger Lane",
    firstUser: { email: uniqueEmail("lead"), firstName: "Luca", lastName: "Pacioli" },
    ...overrides,
  });
  const create = (body: unknown, token = platform.token) => api.request("POST", "/admin/organisations", { token, body });
  const acceptFromEmail = async (email: string) => {
    const token = api.mail.lastLink(email).split("/invitations/")[1];
    return api.request("POST", `/invitations/${token}/accept`, { body: { password: GOOD_PASSWORD, passwordConfirmation: GOOD_PASSWORD } });
  };

  it("holds a member of the platform administration to the permissions it was given", async () => {
    const reader = seedUser(api, platform.organisationId, { isOrganisationAdmin: false, permissions: { organisation: ["READ"] } });
    const before = tableSnapshot(api);
    expect((await create(newOrganisation({ type: "admin" }), reader.token)).status).to.equal(403);
    expect((await api.request("PUT", "/reads/yields/KE", { token: reader.token, body: { yieldKwhPerKwYear: 1 } })).status).to.equal(403);
    expect((await api.request("PATCH", `/organisation/users/${platform.userId}/permissions`, { token: reader.token, body: { isOrganisationAdmin: false } })).status).to.equal(403);
    expect(tableSnapshot(api)).to.deep.equal(before);
    expect((await api.request("GET", "/admin/organisations", { token: reader.token })).status).to.equal(200);
    const me = await (await api.request("GET", "/auth/me", { token: reader.token })).json();
    expect(me.permissions).to.deep.equal({ organisation: ["READ"] });
  });

  it("creates an auditor organisation and invites its first user as its admin, who can then read everything", async () => {
    const body = newOrganisation();
    const response = await create(body);
    expect(response.status).to.equal(201);
    const { organisation, invitation } = await response.json();
    expect(organisation).to.include({ name: body.name, type: "auditor", address: body.address });
    expect(invitation).to.deep.include({ organisationId: organisation.id, email: body.firstUser.email, isOrganisationAdmin: true, status: "pending", invitedBy: platform.userId });
    expect(invitation.permissions).to.deep.equal(allPermissions());
    expect(api.mail.to(body.firstUser.email)[0].body).to.contain("as its administrator");

    const accepted = await acceptFromEmail(body.firstUser.email);
    expect(accepted.status).to.equal(201);
    expect((await accepted.json()).user).to.include({ organisationId: organisation.id, isOrganisationAdmin: true });
    const token = await login(api, body.firstUser.email);
    expect((await api.request("GET", "/admin/organisations", { token })).status).to.equal(200);
    expect((await create(newOrganisation(), token)).status, "auditors change nothing").to.equal(403);
  });

  it("creates organisations of every type", async () => {
    for (const type of ["developer", "buyer", "admin"]) {
      const response = await create(newOrganisation({ type }));
      expect(response.status, type).to.equal(201);
      expect((await response.json()).organisation.type).to.equal(type);
    }
  });

  it("refuses a taken name (409 naming name) or a first user's email that has an account (409 naming firstUser.email), writing nothing", async () => {
    const existing = seedOrganisation(api, "developer", { name: "Taken Name Ltd" });
    const before = tableSnapshot(api);
    const nameTaken = await create(newOrganisation({ name: "taken name ltd" }));
    expect(nameTaken.status).to.equal(409);
    expect((await nameTaken.json()).errors.map((e: { field: string }) => e.field)).to.deep.equal(["body.name"]);
    const emailTaken = await create(newOrganisation({ firstUser: { email: existing.email, firstName: "A", lastName: "B" } }));
    expect(emailTaken.status).to.equal(409);
    expect((await emailTaken.json()).errors.map((e: { field: string }) => e.field)).to.deep.equal(["body.firstUser.email"]);
    expect(tableSnapshot(api)).to.deep.equal(before);
  });

  it("refuses bad bodies with 400 naming the field, writing nothing", async () => {
    const before = tableSnapshot(api);
    const cases: [unknown, string][] = [
      [newOrganisation({ type: "regulator" }), "body.type"],
      [newOrganisation({ firstUser: undefined }), "body.firstUser"],
      [newOrganisation({ firstUser: { email: "x@example.org", firstName: "A" } }), "body.firstUser.lastName"],
      [newOrganisation({ firstUser: { email: "x@example.org", firstName: "A", lastName: "B", isOrganisationAdmin: false } }), "body.firstUser.isOrganisationAdmin"],
      [newOrganisation({ name: "  " }), "body.name"],
    ];
    for (const [body, field] of cases) {
      const response = await create(body);
      expect(response.status, JSON.stringify(body)).to.equal(400);
      expect((await response.json()).errors.map((e: { field: string }) => e.field), JSON.stringify(body)).to.include(field);
    }
    expect(tableSnapshot(api)).to.deep.equal(before);
  });

  it("lists every organisation to administrators and auditors, filtered by type on request", async () => {
    const buyer = seedOrganisation(api, "buyer");
    const auditor = seedOrganisation(api, "auditor");
    for (const token of [platform.token, auditor.token]) {
      const all = await (await api.request("GET", "/admin/organisations", { token })).json();
      expect(all.organisations.map((o: { id: string }) => o.id)).to.include.members([buyer.organisationId, auditor.organisationId, platform.organisationId]);
      const buyers = await (await api.request("GET", "/admin/organisations?type=buyer", { token })).json();
      expect(buyers.organisations.length).to.be.greaterThan(0);
      expect(buyers.organisations.every((o: { type: string }) => o.type === "buyer")).to.equal(true);
    }
    expect((await api.request("GET", "/admin/organisations?type=nobody", { token: platform.token })).status).to.equal(400);
  });

  describe("POST /admin/organisations/{id}/invitations", () => {
    it("invites into any organisation, as admin or with given permissions (read-only by default)", async () => {
      const auditor = seedOrganisation(api, "auditor");
      const colleague = { email: uniqueEmail("colleague"), firstName: "Ada", lastName: "Byron" };
      const plain = await api.request("POST", `/admin/organisations/${auditor.organisationId}/invitations`, { token: platform.token, body: colleague });
      expect(plain.status).to.equal(201);
      expect(await plain.json()).to.deep.include({ organisationId: auditor.organisationId, isOrganisationAdmin: false });
      const asAdmin = await api.request("POST", `/admin/organisations/${auditor.organisationId}/invitations`, {
        token: platform.token,
        body: { email: uniqueEmail("lead"), firstName: "B", lastName: "C", isOrganisationAdmin: true },
      });
      expect(await asAdmin.json()).to.deep.include({ isOrganisationAdmin: true, permissions: allPermissions() });
    });

    it("answers 404 for an unknown organisation", async () => {
      const response = await api.request("POST", `/admin/organisations/${randomUUID()}/invitations`, {
        token: platform.token,
        body: { email: uniqueEmail(), firstName: "A", lastName: "B" },
      });
      expect(response.status).to.equal(404);
    });
  });
});
