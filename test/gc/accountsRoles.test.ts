import { expect } from "chai";
import { allPermissions, type OrganisationType, type Principal } from "../../server/auth/permissions";
import { accountAccess, ACCOUNT_OPERATIONS, operationsOf, type AccountOperation } from "../../server/gc/accounts/roles";
import { whitelistFaults } from "../../server/gc/accounts/whitelist";
import type { GcRole } from "../../server/gc/schema";

const OWNER = "org-owner";

function principal(organisationType: OrganisationType, options: { organisationId?: string; isOrganisationAdmin?: boolean } = {}): Principal {
  return {
    kind: "user",
    userId: "user-1",
    organisationId: options.organisationId ?? OWNER,
    organisationType,
    isOrganisationAdmin: options.isOrganisationAdmin ?? false,
    permissions: allPermissions(),
  };
}

describe("GC account roles (pure policy)", () => {
  const member = principal("developer");

  it("grants each role exactly its operations (seed 000's roles)", () => {
    const expected: Record<GcRole, AccountOperation[]> = {
      administrator: [...ACCOUNT_OPERATIONS],
      production: ["view", "transfer", "split"],
      trading: ["view", "transfer", "split", "cancel", "claim", "export"],
      audit: ["view"],
      "storage-validator": ["view", "transfer", "split"],
    };
    for (const [role, operations] of Object.entries(expected) as [GcRole, AccountOperation[]][]) {
      expect(operationsOf(member, OWNER, [role]), role).to.deep.equal(operations);
      for (const operation of ACCOUNT_OPERATIONS.filter((op) => !operations.includes(op))) {
        expect(accountAccess(member, OWNER, [role], operation), `${role} ${operation}`).to.equal("forbidden");
      }
    }
    // Roles add up.
    expect(operationsOf(member, OWNER, ["audit", "production"])).to.deep.equal(["view", "transfer", "split"]);
  });

  it("lets a user of the owning organisation know the account but do nothing without a role, unless it is the organisation's admin", () => {
    expect(accountAccess(member, OWNER, [], "view")).to.equal("forbidden");
    expect(operationsOf(principal("developer", { isOrganisationAdmin: true }), OWNER, [])).to.deep.equal([...ACCOUNT_OPERATIONS]);
  });

  it("hides accounts of other organisations from their members and admins alike", () => {
    for (const outsider of [principal("buyer", { organisationId: "other" }), principal("developer", { organisationId: "other", isOrganisationAdmin: true })]) {
      for (const operation of ACCOUNT_OPERATIONS) expect(accountAccess(outsider, OWNER, [], operation)).to.equal("hidden");
    }
  });

  it("lets platform administrators see and manage but never move certificates, and auditors only see", () => {
    const admin = principal("admin", { organisationId: "platform", isOrganisationAdmin: true });
    expect(operationsOf(admin, OWNER, [])).to.deep.equal(["view", "manage"]);
    const auditor = principal("auditor", { organisationId: "audit-firm", isOrganisationAdmin: true });
    expect(operationsOf(auditor, OWNER, [])).to.deep.equal(["view"]);
    // An auditor organisation's admin is no administrator of its own accounts' certificates either (it has none).
    expect(accountAccess(principal("auditor", { isOrganisationAdmin: true }), OWNER, [], "transfer")).to.equal("forbidden");
  });
});

describe("whitelist change faults (pure)", () => {
  const account = { id: "a" };
  const known = new Set(["a", "b", "c", "d"]);
  const listed = new Set(["c"]);

  it("accepts adding unlisted accounts and removing listed ones", () => {
    expect(whitelistFaults(account, { add: ["b", "d"], remove: ["c"] }, known, listed)).to.deep.equal([]);
  });

  it("names every faulty entry by its place in the body", () => {
    expect(whitelistFaults(account, { add: ["a", "x", "c", "b"], remove: ["b", "d"] }, known, listed)).to.deep.equal([
      { field: "body.add[0]", message: "is the account itself" },
      { field: "body.add[1]", message: "no such account" },
      { field: "body.add[2]", message: "is on the whitelist already" },
      { field: "body.remove[0]", message: "is named twice in the change" },
      { field: "body.remove[1]", message: "is not on the whitelist" },
    ]);
  });

  it("refuses an empty change", () => {
    expect(whitelistFaults(account, { add: [], remove: [] }, known, listed)).to.deep.equal([{ field: "body", message: "names no account to add or remove" }]);
  });
});
