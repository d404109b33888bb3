import { expect } from "chai";
import { allPermissions, type OrganisationType, type Principal } from "../../server/auth/permissions";
import { accountAccess, ACCOUNT_OPERATIONS, operationsOf, type AccountOperation } from "../../server/gc/accounts/roles";
import { whitelistFaults, whitelistRefusal } from "../../server/gc/accounts/whitelist";
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
  const known = new Set(["a", "b", "c", "d", "e"]);
  const listed = new Set(["c", "e"]);
  const removing = new Set(["e"]);

  it("accepts adding unlisted accounts and removing listed ones", () => {
    expect(whitelistFaults(account, { add: ["b", "d"], remove: ["c"] }, known, listed, removing)).to.deep.equal([]);
  });

  it("takes adding back a sender whose removal is pending (cancelling it), but not removing it twice", () => {
    expect(whitelistFaults(account, { add: ["e"], remove: [] }, known, listed, removing)).to.deep.equal([]);
    expect(whitelistFaults(account, { add: [], remove: ["e"] }, known, listed, removing)).to.deep.equal([
      { field: "body.remove[0]", message: "is being removed already: the holder's removal is not on chain yet (POST /gc/accounts/{id}/chain-sync once it is)" },
    ]);
  });

  it("names every faulty entry by its place in the body", () => {
    expect(whitelistFaults(account, { add: ["a", "x", "c", "b"], remove: ["b", "d"] }, known, listed, removing)).to.deep.equal([
      { field: "body.add[0]", message: "is the account itself" },
      { field: "body.add[1]", message: "no such account" },
      { field: "body.add[2]", message: "is on the whitelist already" },
      { field: "body.remove[0]", message: "is named twice in the change" },
      { field: "body.remove[1]", message: "is not on the whitelist" },
    ]);
  });

  it("refuses an empty change", () => {
    expect(whitelistFaults(account, { add: [], remove: [] }, known, listed, removing)).to.deep.equal([{ field: "body", message: "names no account to add or remove" }]);
  });
});

describe("whether an account accepts a transfer: its whitelist and its on-chain allowlist (pure)", () => {
  const target = { name: "Trader" };
  const listed = { removalPending: false };
  const removing = { removalPending: true };
  const verdict = (entry: { removalPending: boolean } | undefined, enabled: boolean, allowed: boolean) => whitelistRefusal(target, entry, { enabled, allowed })?.title ?? "accepted";

  it("accepts only a sender both list, into an account whose allowlist is on", () => {
    expect(verdict(listed, true, true)).to.equal("accepted");
    expect(verdict(undefined, true, true)).to.equal("Not whitelisted");
    expect(verdict(listed, true, false)).to.equal("Whitelist entry not on chain");
    expect(verdict(listed, false, true)).to.equal("Target account not ready");
    expect(verdict(listed, false, false)).to.equal("Whitelist entry not on chain");
  });

  it("keeps accepting a sender whose removal the chain has not seen, as the chain does, and refuses it once it has", () => {
    expect(verdict(removing, true, true)).to.equal("accepted");
    expect(verdict(removing, true, false)).to.equal("Not whitelisted");
  });

  it("names the target account field", () => {
    expect(whitelistRefusal(target, undefined, { enabled: true, allowed: true })).to.deep.include({ status: 409, errors: [{ field: "body.targetAccountId", message: "does not accept transfers from the source account" }] });
  });
});
