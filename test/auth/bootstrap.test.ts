import { expect } from "chai";
import { eq } from "drizzle-orm";
import { bootstrapPlatformAdmin, LOCAL_ADMIN_EMAIL, planPlatformAdmin, PLATFORM_ORGANISATION_NAME } from "../../server/auth/bootstrap";
import { verifyPassword } from "../../server/auth/passwords";
import { organisations, users } from "../../server/auth/schema";
import { openDatabase, type RegistryDatabase } from "../../server/db/database";
import { createTestApi, seedOrganisation } from "../support/api";
import { login } from "../support/accounts";

describe("bootstrap of the first platform administrator", () => {
  const configured = { email: "ops@registry.example", password: "a strong operator passphrase" };
  const now = new Date("2026-06-01T00:00:00Z");
  let database: RegistryDatabase;
  beforeEach(() => {
    database = openDatabase(":memory:");
  });
  afterEach(() => database.close());

  describe("planPlatformAdmin", () => {
    it("does nothing once an administration organisation exists, whatever is configured", () => {
      expect(planPlatformAdmin({ adminOrganisationExists: true, configured, local: true })).to.deep.equal({ action: "none", reason: "admin organisation exists" });
    });

    it("uses configured credentials; local mode without them generates a password; elsewhere invents nothing", () => {
      expect(planPlatformAdmin({ adminOrganisationExists: false, configured, local: false })).to.deep.equal({ action: "create", ...configured });
      expect(planPlatformAdmin({ adminOrganisationExists: false, local: true })).to.deep.equal({ action: "create", email: LOCAL_ADMIN_EMAIL, password: "generate" });
      expect(planPlatformAdmin({ adminOrganisationExists: false, local: false })).to.deep.equal({ action: "none", reason: "no credentials configured" });
    });
  });

  it("creates the organisation and its admin from configured credentials, once", async () => {
    const result = await bootstrapPlatformAdmin(database.db, { configured, local: false, now });
    expect(result).to.deep.equal({ created: true, email: configured.email, generatedPassword: undefined });
    const organisation = database.db.select().from(organisations).where(eq(organisations.type, "admin")).get()!;
    expect(organisation.name).to.equal(PLATFORM_ORGANISATION_NAME);
    const admin = database.db.select().from(users).where(eq(users.organisationId, organisation.id)).get()!;
    expect(admin).to.include({ email: configured.email, isOrganisationAdmin: true });
    expect(await verifyPassword(configured.password, admin.passwordHash)).to.equal(true);

    const again = await bootstrapPlatformAdmin(database.db, { configured: { ...configured, password: "another passphrase!" }, local: false, now });
    expect(again).to.deep.equal({ created: false, reason: "admin organisation exists" });
    expect(await verifyPassword(configured.password, database.db.select().from(users).get()!.passwordHash), "an existing admin's password is never reset").to.equal(true);
  });

  it("generates a password for admin@registry.local in local mode, returned once for the stack to print", async () => {
    const result = await bootstrapPlatformAdmin(database.db, { local: true, now });
    if (!result.created) throw new Error("expected a new admin");
    expect(result.email).to.equal(LOCAL_ADMIN_EMAIL);
    expect(result.generatedPassword).to.match(/^[A-Za-z0-9_-]{24}$/);
    const admin = database.db.select().from(users).where(eq(users.email, LOCAL_ADMIN_EMAIL)).get()!;
    expect(await verifyPassword(result.generatedPassword!, admin.passwordHash)).to.equal(true);
  });

  it("creates nothing outside local mode without credentials", async () => {
    expect(await bootstrapPlatformAdmin(database.db, { local: false, now })).to.deep.equal({ created: false, reason: "no credentials configured" });
    expect(database.db.select().from(users).all()).to.deep.equal([]);
  });

  it("fails loudly, writing nothing, when the configured email already belongs to another organisation's user", async () => {
    const api = await createTestApi();
    try {
      const someone = seedOrganisation(api, "developer");
      const error = await bootstrapPlatformAdmin(api.database.db, { configured: { ...configured, email: someone.email }, local: false, now }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.contain("email is already registered");
      expect(api.database.db.select().from(organisations).where(eq(organisations.type, "admin")).all()).to.deep.equal([]);
    } finally {
      api.close();
    }
  });

  it("gives an administrator who can log in and create organisations through the API", async () => {
    const api = await createTestApi();
    try {
      await bootstrapPlatformAdmin(api.database.db, { configured, local: false, now: api.clock.now() });
      const token = await login(api, configured.email, configured.password);
      const response = await api.request("POST", "/admin/organisations", {
        token,
        body: { name: "First Buyer", type: "buyer", address: "1 Road", firstUser: { email: "buyer@example.org", firstName: "B", lastName: "Uyer" } },
      });
      expect(response.status).to.equal(201);
    } finally {
      api.close();
    }
  });
});
