import { expect } from "chai";
import { createTestApi, type TestApi } from "../support/api";

describe("accounts in /openapi.json", () => {
  let api: TestApi;
  before(async () => {
    api = await createTestApi();
  });
  after(() => api.close());

  it("documents every account route, with credentials required where the route requires them", async () => {
    const doc = await (await api.request("GET", "/openapi.json")).json();
    const publicRoutes = ["post /auth/signup", "post /auth/login", "get /invitations/{token}", "post /invitations/{token}/accept", "post /invitations/{token}/reject"];
    const securedRoutes = [
      "post /auth/logout",
      "post /auth/password",
      "get /auth/me",
      "get /organisation",
      "get /organisation/users",
      "patch /organisation/users/{id}/permissions",
      "post /organisation/api-keys",
      "get /organisation/api-keys",
      "delete /organisation/api-keys/{id}",
      "post /organisation/invitations",
      "get /organisation/invitations",
      "delete /organisation/invitations/{id}",
      "post /admin/organisations",
      "get /admin/organisations",
      "post /admin/organisations/{id}/invitations",
    ];
    const operation = (route: string) => {
      const [method, path] = route.split(" ");
      return doc.paths[path]?.[method];
    };
    for (const route of publicRoutes) {
      expect(operation(route), route).to.be.an("object");
      expect(operation(route).security, route).to.equal(undefined);
    }
    for (const route of securedRoutes) {
      expect(operation(route), route).to.be.an("object");
      expect(operation(route).security, route).to.be.an("array").that.is.not.empty;
      expect(operation(route).responses, route).to.have.property("401");
    }
    expect(doc.components.schemas.SignUp.required).to.include.members(["email", "organisationName", "password", "passwordConfirmation"]);
    expect(doc.components.schemas.SignUp.additionalProperties).to.equal(false);
  });
});
