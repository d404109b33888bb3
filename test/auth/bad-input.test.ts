import { expect } from "chai";
import { bodyLimitFor, DEFAULT_BODY_LIMIT, MiB } from "../../server/http/bodyLimit";
import { createTestApi, seedOrganisation, tableCounts, tableSnapshot, type SeededUser, type TestApi } from "../support/api";
import { signUpBody } from "../support/accounts";

/** What every account endpoint does with input no client should send: a 4xx problem, and nothing written. */
describe("bad input to the account endpoints", () => {
  let api: TestApi;
  let admin: SeededUser;
  let platform: SeededUser;
  before(async () => {
    api = await createTestApi();
    admin = seedOrganisation(api, "developer");
    platform = seedOrganisation(api, "admin");
  });
  after(() => api.close());

  const HOSTILE = "Robert'); DROP TABLE users;--";
  const endpoints: { method: string; path: string; valid: () => Record<string, unknown>; asPlatformAdmin?: boolean }[] = [
    { method: "POST", path: "/auth/signup", valid: () => signUpBody() },
    { method: "POST", path: "/auth/login", valid: () => ({ email: "nobody@example.org", password: "whatever it is" }) },
    { method: "POST", path: "/auth/password", valid: () => ({ currentPassword: "a", newPassword: "b", newPasswordConfirmation: "b" }) },
    { method: "POST", path: "/organisation/api-keys", valid: () => ({ name: "k", permissions: { devices: ["READ"] } }) },
    { method: "POST", path: "/organisation/invitations", valid: () => ({ email: "someone@example.org", firstName: "A", lastName: "B" }) },
    {
      method: "POST",
      path: "/admin/organisations",
      valid: () => ({ name: "N", type: "buyer", address: "A", firstUser: { email: "f@example.org", firstName: "F", lastName: "U" } }),
      asPlatformAdmin: true,
    },
  ];

  const expectRefused = async (response: Response, status: number, label: string) => {
    expect(response.status, label).to.equal(status);
    expect(response.headers.get("content-type"), label).to.match(/application\/problem\+json/);
    return response.json();
  };

  for (const endpoint of endpoints) {
    describe(`${endpoint.method} ${endpoint.path}`, () => {
      const send = (body: unknown, headers: Record<string, string> = {}) =>
        api.request(endpoint.method, endpoint.path, { token: (endpoint.asPlatformAdmin ? platform : admin).token, body, headers });

      it("refuses each missing field, a wrong type in each field, and an unknown field, naming the field; writes nothing", async () => {
        const before = tableSnapshot(api);
        for (const field of Object.keys(endpoint.valid())) {
          const missing = endpoint.valid();
          delete missing[field];
          const problem = await expectRefused(await send(missing), 400, `without ${field}`);
          expect(problem.errors.map((e: { field: string }) => e.field), `without ${field}`).to.include(`body.${field}`);

          const wrongType = { ...endpoint.valid(), [field]: 12 };
          const typed = await expectRefused(await send(wrongType), 400, `${field}: 12`);
          expect(typed.errors.map((e: { field: string }) => e.field), `${field}: 12`).to.include(`body.${field}`);
        }
        const extra = await expectRefused(await send({ ...endpoint.valid(), userId: admin.userId }), 400, "extra field");
        expect(extra.errors).to.deep.include({ field: "body.userId", message: "is not a field of this request" });
        expect(tableSnapshot(api)).to.deep.equal(before);
      });

      it("refuses malformed JSON (400), another media type (415), and a body over 1 MiB (413); writes nothing", async () => {
        const before = tableSnapshot(api);
        await expectRefused(await send('{"email": "x@example.org",'), 400, "malformed");
        await expectRefused(await send("email=x", { "content-type": "application/x-www-form-urlencoded" }), 415, "form");
        const oversized = { ...endpoint.valid(), padding: "x".repeat(DEFAULT_BODY_LIMIT) };
        const tooLarge = await expectRefused(await send(oversized), 413, "oversized");
        expect(tooLarge.detail).to.contain(String(DEFAULT_BODY_LIMIT));
        expect(tableSnapshot(api)).to.deep.equal(before);
      });

      it("treats strings built to break SQL as plain values: refused, or stored and returned verbatim", async () => {
        const before = tableCounts(api);
        const body = endpoint.valid();
        for (const field of Object.keys(body)) if (typeof body[field] === "string" && !/password/i.test(field)) body[field] = HOSTILE;
        const response = await send(body);
        const text = await response.text();
        if (response.status >= 400) {
          expect(response.status, text).to.be.below(500);
          expect(tableCounts(api)).to.deep.equal(before);
        } else {
          expect(JSON.parse(text).name, text).to.equal(HOSTILE);
        }
        expect(Object.keys(tableCounts(api)), "every table is still there").to.deep.equal(Object.keys(before));
        expect(tableCounts(api).users).to.equal(before.users);
      });
    });
  }

  it("refuses an oversized body before authentication, even with a declared Content-Length", async () => {
    const body = "x".repeat(DEFAULT_BODY_LIMIT + 1);
    const response = await api.app.request("/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(body.length) },
      body,
    });
    expect(response.status).to.equal(413);
  });

  describe("bodyLimitFor (a route allowed a larger body)", () => {
    const rules = [
      { method: "POST", path: "/devices/uploads", maxBytes: 20 * MiB },
      { method: "POST", path: "/devices/{id}/reads", maxBytes: 8 * MiB },
    ];

    it("gives a listed route its own limit, matching {param} segments, and every other request the default", () => {
      expect(bodyLimitFor("POST", "/devices/uploads", rules)).to.equal(20 * MiB);
      expect(bodyLimitFor("post", "/devices/3f1c/reads", rules)).to.equal(8 * MiB);
      expect(bodyLimitFor("PUT", "/devices/uploads", rules)).to.equal(DEFAULT_BODY_LIMIT);
      expect(bodyLimitFor("POST", "/devices/a/b/reads", rules)).to.equal(DEFAULT_BODY_LIMIT);
      expect(bodyLimitFor("POST", "/devices/uploads/extra", rules)).to.equal(DEFAULT_BODY_LIMIT);
    });

    it("lets the device upload route take more than the default through the app", async () => {
      const response = await api.request("POST", "/devices/uploads", {
        token: admin.token,
        body: "x".repeat(DEFAULT_BODY_LIMIT + 1),
        headers: { "content-type": "text/csv" },
      });
      expect(response.status, await response.clone().text()).to.be.oneOf([202, 400]);
    });
  });
});
