import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { readOnlyPermissions } from "../../server/auth/permissions";
import { users } from "../../server/auth/schema";
import { invitationExpiry, invitationStatus } from "../../server/invitations/invitations";
import { invitations } from "../../server/invitations/schema";
import { createTestApi, seedOrganisation, seedUser, tableCounts, tableSnapshot, type SeededUser, type TestApi } from "../support/api";
import { GOOD_PASSWORD, login } from "../support/accounts";
import { uniqueEmail } from "../support/acl";

describe("invitations", () => {
  let api: TestApi;
  let inviter: SeededUser;
  before(async () => {
    api = await createTestApi();
    inviter = seedOrganisation(api, "developer", { name: "Inviting Solar" });
  });
  after(() => api.close());

  const inviteAs = (token: string, body: unknown) => api.request("POST", "/organisation/invitations", { token, body });
  const person = (overrides: Record<string, unknown> = {}) => ({ email: uniqueEmail("invitee"), firstName: "Mary", lastName: "Somerville", ...overrides });
  /** The token from the link in the invitation email the recording transport received. */
  const tokenFor = (email: string) => {
    const link = api.mail.lastLink(email);
    expect(link.startsWith(`${api.deps.accounts.publicUrl}/invitations/`), link).to.equal(true);
    return link.split("/invitations/")[1];
  };
  const accept = (token: string, password = GOOD_PASSWORD, passwordConfirmation = password) =>
    api.request("POST", `/invitations/${token}/accept`, { body: { password, passwordConfirmation } });
  const offer = async (token: string) => (await api.request("GET", `/invitations/${token}`)).json();
  const fields = async (response: Response) => ((await response.json()).errors ?? []).map((e: { field: string }) => e.field);

  describe("pure rules", () => {
    it("derives expired from the expiry time of a pending invitation only", () => {
      const now = new Date("2026-06-01T00:00:00Z");
      const expiresAt = invitationExpiry(now, 168).toISOString();
      expect(expiresAt).to.equal("2026-06-08T00:00:00.000Z");
      expect(invitationStatus({ state: "pending", expiresAt }, new Date("2026-06-07T23:59:59Z"))).to.equal("pending");
      expect(invitationStatus({ state: "pending", expiresAt }, new Date(expiresAt))).to.equal("expired");
      expect(invitationStatus({ state: "accepted", expiresAt }, new Date("2027-01-01T00:00:00Z"))).to.equal("accepted");
    });
  });

  it("runs the lifecycle: invite, email with link, see the offer, accept with a password, log in, never reuse", async () => {
    const invitee = person({ email: "Mary.Somerville@Example.org" });
    const created = await inviteAs(inviter.token, { ...invitee, permissions: { devices: ["READ", "WRITE"] } });
    expect(created.status).to.equal(201);
    const invitation = await created.json();
    expect(invitation).to.include({ email: "mary.somerville@example.org", status: "pending", organisationId: inviter.organisationId, invitedBy: inviter.userId });
    expect(invitation.expiresAt).to.equal(invitationExpiry(api.clock.now(), 168).toISOString());
    expect(invitation).to.not.have.any.keys("token", "tokenHash");

    const [mail] = api.mail.to("mary.somerville@example.org");
    expect(mail.subject).to.equal("Inviting Solar invites you to the energy attribute certificate registry");
    const token = tokenFor("mary.somerville@example.org");
    expect(JSON.stringify(api.database.db.select().from(invitations).all()), "only the token's hash is stored").to.not.contain(token);

    expect(await offer(token)).to.deep.equal({
      organisation: { name: "Inviting Solar", type: "developer" },
      email: "mary.somerville@example.org",
      firstName: "Mary",
      lastName: "Somerville",
      permissions: { devices: ["READ", "WRITE"] },
      isOrganisationAdmin: false,
      status: "pending",
      expiresAt: invitation.expiresAt,
    });

    const accepted = await accept(token);
    expect(accepted.status).to.equal(201);
    const { user, organisation } = await accepted.json();
    expect(user).to.deep.include({ email: "mary.somerville@example.org", organisationId: inviter.organisationId, isOrganisationAdmin: false, permissions: { devices: ["READ", "WRITE"] } });
    expect(organisation.id).to.equal(inviter.organisationId);

    const session = await login(api, "mary.somerville@example.org");
    const me = await (await api.request("GET", "/auth/me", { token: session })).json();
    expect(me.organisation.name).to.equal("Inviting Solar");

    expect((await offer(token)).status).to.equal("accepted");
    const before = tableSnapshot(api);
    const again = await accept(token, "another good password");
    expect(again.status).to.equal(409);
    expect((await api.request("POST", `/invitations/${token}/reject`)).status).to.equal(409);
    expect(tableSnapshot(api)).to.deep.equal(before);

    const listed = await (await api.request("GET", "/organisation/invitations", { token: inviter.token })).json();
    expect(listed.invitations.find((i: { id: string }) => i.id === invitation.id)).to.include({ status: "accepted" });
  });

  it("gives read-only access when no permission is chosen", async () => {
    const invitee = person();
    const invitation = await (await inviteAs(inviter.token, invitee)).json();
    expect(invitation.permissions).to.deep.equal(readOnlyPermissions());
    expect((await inviteAs(inviter.token, { ...person(), permissions: {} })).status).to.equal(201);
  });

  it("lets the invitee reject: no user is created and the link is closed", async () => {
    const invitee = person();
    await inviteAs(inviter.token, invitee);
    const token = tokenFor(invitee.email);
    const rejected = await api.request("POST", `/invitations/${token}/reject`);
    expect(rejected.status).to.equal(200);
    expect((await rejected.json()).status).to.equal("rejected");
    const response = await accept(token);
    expect(response.status).to.equal(409);
    expect(api.database.db.select().from(users).where(eq(users.email, invitee.email)).get()).to.equal(undefined);
  });

  it("expires after INVITATION_TTL_HOURS: 410 on accept and reject, and the email can be invited again", async () => {
    const invitee = person();
    await inviteAs(inviter.token, invitee);
    const token = tokenFor(invitee.email);
    api.clock.advance(168 * 3_600_000);
    // Seeded sessions last an hour: the inviter logs in again a week later.
    inviter = seedUser(api, inviter.organisationId);
    expect((await offer(token)).status).to.equal("expired");
    const before = tableSnapshot(api);
    expect((await accept(token)).status).to.equal(410);
    expect((await api.request("POST", `/invitations/${token}/reject`)).status).to.equal(410);
    expect(tableSnapshot(api)).to.deep.equal(before);
    expect((await inviteAs(inviter.token, invitee)).status).to.equal(201);
    const fresh = tokenFor(invitee.email);
    expect(fresh).to.not.equal(token);
    expect((await accept(fresh)).status).to.equal(201);
  });

  it("uses INVITATION_TTL_HOURS from the configuration", async () => {
    const short = await createTestApi({ accounts: { ...api.deps.accounts, invitationTtlHours: 2 } });
    try {
      const owner = seedOrganisation(short, "buyer");
      const invitation = await (await short.request("POST", "/organisation/invitations", { token: owner.token, body: person() })).json();
      expect(invitation.expiresAt).to.equal(new Date(short.clock.now().getTime() + 2 * 3_600_000).toISOString());
    } finally {
      short.close();
    }
  });

  it("lets the organisation revoke a pending invitation: the link then answers 409", async () => {
    const invitee = person();
    const { id } = await (await inviteAs(inviter.token, invitee)).json();
    const token = tokenFor(invitee.email);
    expect((await api.request("DELETE", `/organisation/invitations/${id}`, { token: inviter.token })).status).to.equal(204);
    expect((await offer(token)).status).to.equal("revoked");
    expect((await accept(token)).status).to.equal(409);
    expect((await api.request("DELETE", `/organisation/invitations/${id}`, { token: inviter.token })).status).to.equal(409);
  });

  it("refuses to invite an email that has an account, or one with a pending invitation here (409)", async () => {
    const existing = seedUser(api, seedOrganisation(api, "buyer").organisationId);
    const before = tableCounts(api);
    const taken = await inviteAs(inviter.token, person({ email: existing.email.toUpperCase() }));
    expect(taken.status).to.equal(409);
    expect(await fields(taken)).to.deep.equal(["body.email"]);
    const invitee = person();
    expect((await inviteAs(inviter.token, invitee)).status).to.equal(201);
    const duplicate = await inviteAs(inviter.token, invitee);
    expect(duplicate.status).to.equal(409);
    expect((await duplicate.json()).errors[0].message).to.contain("pending invitation");
    expect(tableCounts(api).invitations).to.equal(before.invitations + 1);
  });

  it("lets two organisations invite the same person; the first acceptance wins, the second gets 409", async () => {
    const other = seedOrganisation(api, "buyer");
    const invitee = person();
    await inviteAs(inviter.token, invitee);
    const first = tokenFor(invitee.email);
    await api.request("POST", "/organisation/invitations", { token: other.token, body: invitee });
    const second = tokenFor(invitee.email);
    expect((await accept(second)).status).to.equal(201);
    const before = tableSnapshot(api);
    const late = await accept(first);
    expect(late.status).to.equal(409);
    expect((await offer(first)).status).to.equal("pending");
    expect(tableSnapshot(api)).to.deep.equal(before);
  });

  it("grants an invitee only permissions the inviter holds (403 naming them), and never the admin flag", async () => {
    const writer = seedUser(api, inviter.organisationId, { isOrganisationAdmin: false, permissions: { organisation: ["READ", "WRITE"], devices: ["READ"] } });
    const before = tableSnapshot(api);
    const beyond = await inviteAs(writer.token, { ...person(), permissions: { devices: ["READ", "DELETE"] } });
    expect(beyond.status).to.equal(403);
    expect(await fields(beyond)).to.deep.equal(["body.permissions.devices"]);
    // Read-only everywhere includes modules this writer cannot read.
    expect((await inviteAs(writer.token, person())).status).to.equal(403);
    const escalation = await inviteAs(inviter.token, { ...person(), isOrganisationAdmin: true });
    expect(escalation.status).to.equal(400);
    expect((await escalation.json()).errors).to.deep.equal([{ field: "body.isOrganisationAdmin", message: "is not a field of this request" }]);
    expect(tableSnapshot(api)).to.deep.equal(before);
    expect((await inviteAs(writer.token, { ...person(), permissions: { devices: ["READ"] } })).status).to.equal(201);
  });

  it("refuses a weak or unconfirmed password on accept, leaving the invitation pending", async () => {
    const invitee = person({ email: "carolineherschel@example.org" });
    await inviteAs(inviter.token, invitee);
    const token = tokenFor(invitee.email);
    const before = tableSnapshot(api);
    const weak = await accept(token, "short");
    expect(weak.status).to.equal(400);
    expect(await fields(weak)).to.deep.equal(["body.password"]);
    expect(await fields(await accept(token, GOOD_PASSWORD, `${GOOD_PASSWORD}.`))).to.deep.equal(["body.passwordConfirmation"]);
    expect(await fields(await accept(token, "CarolineHerschel-2026"))).to.deep.equal(["body.password"]);
    expect(await fields(await api.request("POST", `/invitations/${token}/accept`, { body: { password: GOOD_PASSWORD } }))).to.deep.equal([
      "body.passwordConfirmation",
    ]);
    expect(tableSnapshot(api)).to.deep.equal(before);
    expect((await offer(token)).status).to.equal("pending");
  });

  it("answers 404 for unknown tokens and invitation ids", async () => {
    const unknown = "x".repeat(43);
    expect((await api.request("GET", `/invitations/${unknown}`)).status).to.equal(404);
    expect((await accept(unknown)).status).to.equal(404);
    expect((await api.request("POST", `/invitations/${unknown}/reject`)).status).to.equal(404);
    expect((await api.request("DELETE", `/organisation/invitations/${randomUUID()}`, { token: inviter.token })).status).to.equal(404);
  });

  it("refuses bad invitation bodies with 400 naming the field, writing nothing", async () => {
    const before = tableSnapshot(api);
    const cases: [unknown, string][] = [
      [{ firstName: "A", lastName: "B" }, "body.email"],
      [{ email: "not an email", firstName: "A", lastName: "B" }, "body.email"],
      [{ ...person(), firstName: "" }, "body.firstName"],
      [{ ...person(), lastName: "Line\r\nBcc: everyone@example.org" }, "body.lastName"],
      [{ ...person(), firstName: 42 }, "body.firstName"],
      [{ ...person(), permissions: { devices: ["READ"], wallets: ["READ"] } }, "body.permissions.wallets"],
      [{ ...person(), organisationId: randomUUID() }, "body.organisationId"],
    ];
    for (const [body, field] of cases) {
      const response = await inviteAs(inviter.token, body);
      expect(response.status, JSON.stringify(body)).to.equal(400);
      expect(await fields(response), JSON.stringify(body)).to.include(field);
    }
    expect(tableSnapshot(api)).to.deep.equal(before);
  });
});
