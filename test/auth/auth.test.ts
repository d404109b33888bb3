import { expect } from "chai";
import * as passwords from "../../server/auth/passwords";
import { eq } from "drizzle-orm";
import { organisations, sessions, users } from "../../server/auth/schema";
import { outboxEmails } from "../../server/notifications/schema";
import { createApiKey } from "../../server/auth/apiKeys";
import { allPermissions } from "../../server/auth/permissions";
import { createTestApi, seedOrganisation, tableCounts, tableSnapshot, type TestApi } from "../support/api";
import { GOOD_PASSWORD, login, signUpBody } from "../support/accounts";
import { uniqueEmail } from "../support/acl";

describe("accounts: /auth", () => {
  let api: TestApi;
  before(async () => {
    api = await createTestApi();
  });
  after(() => api.close());

  const signUp = (body: unknown) => api.request("POST", "/auth/signup", { body });
  const errorFields = async (response: Response) => ((await response.json()) as { errors?: { field: string }[] }).errors?.map((e) => e.field) ?? [];

  describe("POST /auth/signup", () => {
    it("registers the organisation with its first user as admin, and sends a confirmation email", async () => {
      const body = signUpBody({ email: "Grace.Hopper@Example.ORG", organisationName: "Hopper Solar", type: "buyer" });
      const response = await signUp(body);
      expect(response.status).to.equal(201);
      const { organisation, user } = await response.json();
      expect(organisation).to.include({ name: "Hopper Solar", type: "buyer", address: body.address });
      expect(user).to.include({ organisationId: organisation.id, email: "grace.hopper@example.org", firstName: "Ada", isOrganisationAdmin: true });
      expect(user.permissions).to.deep.equal(allPermissions());
      expect(user).to.not.have.property("passwordHash");
      const stored = api.database.db.select().from(users).where(eq(users.id, user.id)).get()!;
      expect(stored.passwordHash).to.match(/^scrypt\$/);

      const [mail] = api.mail.to("grace.hopper@example.org");
      expect(mail.subject).to.equal("Your organisation Hopper Solar is registered");
      expect(mail.body).to.contain(`${api.deps.accounts.publicUrl}/auth/login`);
      const outbox = api.database.db.select().from(outboxEmails).where(eq(outboxEmails.to, "grace.hopper@example.org")).get()!;
      expect(outbox.deliveredAt).to.be.a("string");
      expect(outbox.attempts).to.equal(1);

      await login(api, "GRACE.HOPPER@example.org");
    });

    it("refuses a taken email (any case) with 409 naming email, and writes nothing", async () => {
      const first = signUpBody();
      expect((await signUp(first)).status).to.equal(201);
      const before = tableSnapshot(api);
      const response = await signUp(signUpBody({ email: first.email.toUpperCase() }));
      expect(response.status).to.equal(409);
      expect(await errorFields(response)).to.deep.equal(["body.email"]);
      expect(tableSnapshot(api)).to.deep.equal(before);
    });

    it("refuses a taken organisation name regardless of case and spaces with 409 naming organisationName", async () => {
      expect((await signUp(signUpBody({ organisationName: "Sunny Fields" }))).status).to.equal(201);
      const before = tableSnapshot(api);
      const response = await signUp(signUpBody({ organisationName: "  sUNNY fields " }));
      expect(response.status).to.equal(409);
      expect(await errorFields(response)).to.deep.equal(["body.organisationName"]);
      expect(tableSnapshot(api)).to.deep.equal(before);
    });

    it("refuses a confirmation that differs with 400 naming passwordConfirmation, and a weak password naming password", async () => {
      const before = tableSnapshot(api);
      const mismatch = await signUp(signUpBody({ passwordConfirmation: `${GOOD_PASSWORD}!` }));
      expect(mismatch.status).to.equal(400);
      expect(await errorFields(mismatch)).to.deep.equal(["body.passwordConfirmation"]);
      const weak = await signUp(signUpBody({ password: "short", passwordConfirmation: "short" }));
      expect(weak.status).to.equal(400);
      expect(await errorFields(weak)).to.deep.equal(["body.password"]);
      expect(tableSnapshot(api)).to.deep.equal(before);
    });

    it("refuses administrator and auditor organisations, which only a platform administrator creates", async () => {
      const before = tableSnapshot(api);
      for (const type of ["admin", "auditor", "Developer", 3]) {
        const response = await signUp(signUpBody({ type }));
        expect(response.status, String(type)).to.equal(400);
        expect(await errorFields(response)).to.deep.equal(["body.type"]);
      }
      expect(tableSnapshot(api)).to.deep.equal(before);
    });
  });

  describe("POST /auth/login", () => {
    let email: string;
    before(async () => {
      email = signUpBody().email;
      expect((await signUp(signUpBody({ email }))).status).to.equal(201);
    });

    it("returns a bearer token that expires after SESSION_TTL_MINUTES, and the user", async () => {
      const response = await api.request("POST", "/auth/login", { body: { email, password: GOOD_PASSWORD } });
      expect(response.status).to.equal(200);
      const session = await response.json();
      expect(session.user.email).to.equal(email);
      expect(session.user).to.not.have.property("passwordHash");
      expect(session.expiresAt).to.equal(new Date(api.clock.now().getTime() + 720 * 60_000).toISOString());
      const me = await api.request("GET", "/auth/me", { token: session.token });
      expect(me.status).to.equal(200);
      expect(api.database.db.select().from(sessions).where(eq(sessions.tokenHash, session.token)).get(), "the token itself is not stored").to.equal(undefined);
    });

    it("answers an unknown email and a wrong password with the same 401, after the same KDF work", async () => {
      const before = tableSnapshot(api);
      // Spy on the KDF: an unknown email must still run one scrypt verification (against a hash no
      // password matches), so its answer takes as long as a wrong password's.
      const module = passwords as { verifyPassword: typeof passwords.verifyPassword };
      const original = module.verifyPassword;
      const verified: string[] = [];
      module.verifyPassword = (password, stored) => {
        verified.push(stored);
        return original(password, stored);
      };
      try {
        const wrongPassword = await api.request("POST", "/auth/login", { body: { email, password: "not the password" } });
        const unknownEmail = await api.request("POST", "/auth/login", { body: { email: uniqueEmail("nobody"), password: GOOD_PASSWORD } });
        expect(wrongPassword.status).to.equal(401);
        expect(unknownEmail.status).to.equal(401);
        expect((await unknownEmail.json()).detail).to.equal((await wrongPassword.json()).detail);
      } finally {
        module.verifyPassword = original;
      }
      expect(verified).to.have.length(2);
      expect(verified[0]).to.match(/^scrypt\$/).and.not.equal(passwords.UNMATCHABLE_HASH);
      expect(verified[1]).to.equal(passwords.UNMATCHABLE_HASH);
      expect(tableSnapshot(api)).to.deep.equal(before);
    });

    it("refuses a missing password or a malformed email with 400", async () => {
      for (const body of [{ email }, { email: "not-an-email", password: GOOD_PASSWORD }, { email, password: 12345678901 }]) {
        expect((await api.request("POST", "/auth/login", { body })).status, JSON.stringify(body)).to.equal(400);
      }
    });
  });

  describe("session lifetime", () => {
    it("refuses a token once its lifetime has passed", async () => {
      const short = await createTestApi({ accounts: { ...api.deps.accounts, sessionTtlMinutes: 30 } });
      try {
        const body = signUpBody();
        expect((await short.request("POST", "/auth/signup", { body })).status).to.equal(201);
        const token = await login(short, body.email);
        short.clock.advance(29 * 60_000);
        expect((await short.request("GET", "/auth/me", { token })).status).to.equal(200);
        short.clock.advance(60_000);
        const expired = await short.request("GET", "/auth/me", { token });
        expect(expired.status).to.equal(401);
        expect(expired.headers.get("content-type")).to.match(/problem\+json/);
      } finally {
        short.close();
      }
    });
  });

  describe("POST /auth/logout", () => {
    it("revokes the session it is called with, and only that one", async () => {
      const body = signUpBody();
      await signUp(body);
      const [first, second] = [await login(api, body.email), await login(api, body.email)];
      expect((await api.request("POST", "/auth/logout", { token: first })).status).to.equal(204);
      expect((await api.request("GET", "/auth/me", { token: first })).status).to.equal(401);
      expect((await api.request("POST", "/auth/logout", { token: first })).status).to.equal(401);
      expect((await api.request("GET", "/auth/me", { token: second })).status).to.equal(200);
    });
  });

  describe("POST /auth/password", () => {
    const NEW_PASSWORD = "an entirely new passphrase";
    let email: string;
    let current: string;
    let other: string;
    before(async () => {
      email = signUpBody().email;
      await signUp(signUpBody({ email }));
      [current, other] = [await login(api, email), await login(api, email)];
    });

    it("refuses a wrong current password with 400 naming currentPassword, changing nothing", async () => {
      const before = api.database.db.select().from(users).where(eq(users.email, email)).get()!.passwordHash;
      const response = await api.request("POST", "/auth/password", {
        token: current,
        body: { currentPassword: "wrong wrong wrong", newPassword: NEW_PASSWORD, newPasswordConfirmation: NEW_PASSWORD },
      });
      expect(response.status).to.equal(400);
      expect(await errorFields(response)).to.deep.equal(["body.currentPassword"]);
      expect(api.database.db.select().from(users).where(eq(users.email, email)).get()!.passwordHash).to.equal(before);
      expect((await api.request("GET", "/auth/me", { token: other })).status).to.equal(200);
    });

    it("refuses a weak or unconfirmed new password naming the field", async () => {
      const response = await api.request("POST", "/auth/password", {
        token: current,
        body: { currentPassword: GOOD_PASSWORD, newPassword: "tiny", newPasswordConfirmation: "other" },
      });
      expect(response.status).to.equal(400);
      expect(await errorFields(response)).to.deep.equal(["body.newPassword", "body.newPasswordConfirmation"]);
    });

    it("changes the password, keeps the calling session and revokes the others", async () => {
      const response = await api.request("POST", "/auth/password", {
        token: current,
        body: { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD, newPasswordConfirmation: NEW_PASSWORD },
      });
      expect(response.status).to.equal(204);
      expect((await api.request("GET", "/auth/me", { token: current })).status).to.equal(200);
      expect((await api.request("GET", "/auth/me", { token: other })).status).to.equal(401);
      expect((await api.request("POST", "/auth/login", { body: { email, password: GOOD_PASSWORD } })).status).to.equal(401);
      await login(api, email, NEW_PASSWORD);
    });
  });

  describe("GET /auth/me", () => {
    it("describes a session caller: user, organisation and effective permissions", async () => {
      const member = seedOrganisation(api, "developer", { isOrganisationAdmin: false, permissions: { devices: ["READ", "WRITE"] } });
      const response = await api.request("GET", "/auth/me", { token: member.token });
      expect(response.status).to.equal(200);
      const me = await response.json();
      expect(me.credential).to.equal("session");
      expect(me.user).to.include({ id: member.userId, email: member.email });
      expect(me.organisation.id).to.equal(member.organisationId);
      expect(me.permissions).to.deep.equal({ devices: ["READ", "WRITE"] });
    });

    it("describes an API key caller with the key's permissions, and an auditor as read-only", async () => {
      const owner = seedOrganisation(api, "developer");
      const { key } = createApiKey(api.database.db, { organisationId: owner.organisationId, createdBy: owner.userId, name: "k", permissions: { reads: ["WRITE"] } }, api.clock.now());
      const viaKey = await (await api.request("GET", "/auth/me", { headers: { authorization: `ApiKey ${key}` } })).json();
      expect(viaKey.credential).to.equal("apiKey");
      expect(viaKey.permissions).to.deep.equal({ reads: ["WRITE"] });
      expect(viaKey.organisation.id).to.equal(owner.organisationId);

      const auditor = seedOrganisation(api, "auditor");
      const audit = await (await api.request("GET", "/auth/me", { token: auditor.token })).json();
      expect(Object.values(audit.permissions).every((actions) => JSON.stringify(actions) === '["READ"]')).to.equal(true);
    });

    it("refuses anonymous callers and unknown tokens with 401", async () => {
      expect((await api.request("GET", "/auth/me")).status).to.equal(401);
      expect((await api.request("GET", "/auth/me", { token: "made-up" })).status).to.equal(401);
    });
  });

  it("stores names built to break SQL verbatim, executing nothing", async () => {
    const hostile = "Robert'); DROP TABLE users;--";
    const hostileOrganisation = `Acme"; DELETE FROM organisations; --`;
    const before = tableCounts(api);
    const response = await signUp(signUpBody({ firstName: hostile, lastName: "' OR '1'='1", organisationName: hostileOrganisation, address: "1'; --" }));
    expect(response.status).to.equal(201);
    const { user, organisation } = await response.json();
    expect(user.firstName).to.equal(hostile);
    expect(organisation.name).to.equal(hostileOrganisation);
    const after = tableCounts(api);
    expect(after.users).to.equal(before.users + 1);
    expect(after.organisations).to.equal(before.organisations + 1);
    expect(api.database.db.select().from(organisations).where(eq(organisations.id, organisation.id)).get()!.address).to.equal("1'; --");
    // Hostile input in a login or a path is just a value too.
    expect((await api.request("POST", "/auth/login", { body: { email: "x@example.org' OR 1=1 --", password: "x" } })).status).to.equal(400);
    expect(tableCounts(api)).to.deep.equal(after);
  });
});
