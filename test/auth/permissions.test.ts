import { expect } from "chai";
import {
  ACTIONS,
  allPermissions,
  can,
  canChangeOrganisation,
  canManageUsers,
  canReadOrganisation,
  changedAccess,
  effectivePermissions,
  intersectPermissions,
  MODULES,
  normalisePermissions,
  permissionsBeyond,
  readOnlyPermissions,
  seesAllOrganisations,
  type OrganisationType,
  type Permissions,
  type Principal,
} from "../../server/auth/permissions";

const principal = (overrides: Partial<Principal> = {}): Principal => ({
  kind: "user",
  userId: "u1",
  organisationId: "org-a",
  organisationType: "developer",
  isOrganisationAdmin: false,
  permissions: {},
  ...overrides,
});

describe("permission policy (server/auth/permissions.ts)", () => {
  describe("normalisePermissions", () => {
    it("gives read-only on every module when nothing is chosen", () => {
      const readOnly = Object.fromEntries(MODULES.map((m) => [m, ["READ"]]));
      expect(normalisePermissions(undefined)).to.deep.equal(readOnly);
      expect(normalisePermissions({})).to.deep.equal(readOnly);
      expect(normalisePermissions({ devices: [] })).to.deep.equal(readOnly);
    });

    it("keeps the chosen modules only, without duplicates, in canonical action order", () => {
      expect(normalisePermissions({ devices: ["WRITE", "READ", "WRITE"], reads: [] })).to.deep.equal({ devices: ["READ", "WRITE"] });
    });
  });

  describe("can", () => {
    it("lets a member do exactly what its ACL lists", () => {
      const member = principal({ permissions: { devices: ["READ", "WRITE"] } });
      expect(can(member, "devices", "WRITE")).to.equal(true);
      expect(can(member, "devices", "DELETE")).to.equal(false);
      expect(can(member, "reads", "READ")).to.equal(false);
    });

    it("lets an organisation admin do everything, whatever its stored ACL", () => {
      const admin = principal({ isOrganisationAdmin: true, permissions: {} });
      for (const module of MODULES) for (const action of ACTIONS) expect(can(admin, module, action), `${module} ${action}`).to.equal(true);
    });

    it("lets the platform administration's admins do everything and auditors only read, whatever their ACL", () => {
      const platform = principal({ organisationType: "admin", isOrganisationAdmin: true });
      const auditor = principal({ organisationType: "auditor", isOrganisationAdmin: true, permissions: allPermissions() });
      for (const module of MODULES) {
        for (const action of ACTIONS) {
          expect(can(platform, module, action)).to.equal(true);
          expect(can(auditor, module, action), `${module} ${action}`).to.equal(action === "READ");
        }
      }
    });

    it("holds a member of the platform administration to its own ACL", () => {
      const reader = principal({ organisationType: "admin", permissions: { organisation: ["READ"] } });
      expect(can(reader, "organisation", "READ")).to.equal(true);
      expect(can(reader, "organisation", "WRITE")).to.equal(false);
      expect(can(reader, "reads", "UPDATE")).to.equal(false);
      expect(canManageUsers(reader, "org-b")).to.equal(false);
    });
  });

  describe("organisation scope", () => {
    const types: OrganisationType[] = ["developer", "buyer", "admin", "auditor"];

    it("lets only administrators and auditors see other organisations, and only administrators change them", () => {
      for (const type of types) {
        const p = principal({ organisationType: type });
        expect(seesAllOrganisations(p), type).to.equal(type === "admin" || type === "auditor");
        expect(canReadOrganisation(p, "org-b"), type).to.equal(type === "admin" || type === "auditor");
        expect(canChangeOrganisation(p, "org-b"), type).to.equal(type === "admin");
      }
    });

    it("lets everyone but auditors change their own organisation", () => {
      for (const type of types) {
        expect(canReadOrganisation(principal({ organisationType: type }), "org-a")).to.equal(true);
        expect(canChangeOrganisation(principal({ organisationType: type }), "org-a"), type).to.equal(type !== "auditor");
      }
    });
  });

  describe("granting", () => {
    const grantor = principal({ permissions: { devices: ["READ", "WRITE"], organisation: ["READ"] } });

    it("names exactly the requested permissions the grantor lacks", () => {
      const requested: Permissions = { devices: ["READ", "DELETE"], organisation: ["READ"], reads: ["WRITE"] };
      expect(permissionsBeyond(requested, grantor)).to.deep.equal({ devices: ["DELETE"], reads: ["WRITE"] });
    });

    it("accepts a subset, and the empty set", () => {
      expect(permissionsBeyond({ devices: ["WRITE"] }, grantor)).to.deep.equal({});
      expect(permissionsBeyond({}, grantor)).to.deep.equal({});
    });

    it("refuses read-only everywhere to a grantor who cannot read every module", () => {
      expect(permissionsBeyond(readOnlyPermissions(), grantor)).to.deep.equal({ reads: ["READ"], reservations: ["READ"], certificates: ["READ"] });
    });

    it("lets an auditor grant nothing but reads", () => {
      const auditor = principal({ organisationType: "auditor", isOrganisationAdmin: true });
      expect(permissionsBeyond(readOnlyPermissions(), auditor)).to.deep.equal({});
      expect(permissionsBeyond({ devices: ["WRITE"] }, auditor)).to.deep.equal({ devices: ["WRITE"] });
    });

    it("intersects two ACLs module by module", () => {
      expect(intersectPermissions({ devices: ["READ", "WRITE"], reads: ["WRITE"] }, { devices: ["WRITE", "DELETE"], organisation: ["READ"] })).to.deep.equal({
        devices: ["WRITE"],
      });
    });
  });

  describe("effectivePermissions", () => {
    it("is the ACL for a member, everything for an admin, reads for an auditor", () => {
      expect(effectivePermissions(principal({ permissions: { devices: ["WRITE"] } }))).to.deep.equal({ devices: ["WRITE"] });
      expect(effectivePermissions(principal({ isOrganisationAdmin: true }))).to.deep.equal(allPermissions());
      expect(effectivePermissions(principal({ organisationType: "auditor", permissions: allPermissions() }))).to.deep.equal(readOnlyPermissions());
    });
  });

  describe("canManageUsers", () => {
    it("allows an organisation's admin inside it and platform administrators anywhere", () => {
      expect(canManageUsers(principal({ isOrganisationAdmin: true }), "org-a")).to.equal(true);
      expect(canManageUsers(principal({ isOrganisationAdmin: true }), "org-b")).to.equal(false);
      expect(canManageUsers(principal({ organisationType: "admin", isOrganisationAdmin: true }), "org-b")).to.equal(true);
    });

    it("refuses members, auditors (even their admin) and API keys (even an admin's)", () => {
      expect(canManageUsers(principal({ permissions: allPermissions() }), "org-a")).to.equal(false);
      expect(canManageUsers(principal({ organisationType: "auditor", isOrganisationAdmin: true }), "org-a")).to.equal(false);
      expect(canManageUsers(principal({ kind: "apiKey", organisationType: "admin" }), "org-a")).to.equal(false);
    });
  });

  describe("changedAccess", () => {
    const member = { isOrganisationAdmin: false, permissions: { devices: ["READ"] } as Permissions };
    const admin = { isOrganisationAdmin: true, permissions: allPermissions() };

    it("gives a promoted user every permission", () => {
      expect(changedAccess(member, { isOrganisationAdmin: true })).to.deep.equal(admin);
    });

    it("drops a demoted admin to read-only unless a new ACL is given", () => {
      expect(changedAccess(admin, { isOrganisationAdmin: false })).to.deep.equal({ isOrganisationAdmin: false, permissions: readOnlyPermissions() });
      expect(changedAccess(admin, { isOrganisationAdmin: false, permissions: { reads: ["WRITE"] } })).to.deep.equal({
        isOrganisationAdmin: false,
        permissions: { reads: ["WRITE"] },
      });
    });

    it("replaces a member's ACL, normalised, and keeps it when only the flag is repeated", () => {
      expect(changedAccess(member, { permissions: { reads: ["WRITE", "READ"] } }).permissions).to.deep.equal({ reads: ["READ", "WRITE"] });
      expect(changedAccess(member, { isOrganisationAdmin: false })).to.deep.equal(member);
    });
  });
});
