/**
 * Who may do what with a GC registry account (seed 000's roles). Pure policy: no I/O, tested directly.
 *
 * Roles are held per account by its linked users. What each grants:
 * - administrator: everything on the account, including its users and its whitelist;
 * - production: see, split and transfer (a producer sells what was issued to it);
 * - trading: see, split, transfer, cancel and claim for a beneficiary, and export;
 * - audit: see the account, its bundles and its action log;
 * - storage-validator: see, split and transfer (the storage operator receives GCs to time-shift and sends
 *   SD-GCs back; the storage endpoints make their own check on this role).
 *
 * Outside the roles: the owning organisation's admin acts as an administrator of each of its accounts; platform
 * administrators and auditors see every account, and platform administrators also manage accounts (create
 * them, set their users) but never move an organisation's certificates; withdrawal is theirs alone.
 * An API key acts with its creator's roles.
 */
import { seesAllOrganisations, type Principal } from "../../auth/permissions";
import { GC_ROLES, type GcRole } from "../schema";

export const ACCOUNT_OPERATIONS = ["view", "transfer", "split", "cancel", "claim", "export", "manage"] as const;
export type AccountOperation = (typeof ACCOUNT_OPERATIONS)[number];

const GRANTS: Record<GcRole, readonly AccountOperation[]> = {
  administrator: ACCOUNT_OPERATIONS,
  production: ["view", "transfer", "split"],
  trading: ["view", "transfer", "split", "cancel", "claim", "export"],
  audit: ["view"],
  "storage-validator": ["view", "transfer", "split"],
};

export type AccessVerdict = "allowed" | "hidden" | "forbidden";

/**
 * Whether `principal`, holding `roles` on an account of `organisationId`, may perform `operation` on it.
 * `hidden` means the caller may not even know the account exists (answer 404), `forbidden` that it sees the
 * account but lacks the role (answer 403).
 */
export function accountAccess(principal: Principal, organisationId: string, roles: readonly GcRole[], operation: AccountOperation): AccessVerdict {
  const ownOrganisation = principal.organisationId === organisationId;
  const sees = roles.length > 0 || ownOrganisation || seesAllOrganisations(principal);
  if (!sees) return "hidden";
  if (roles.some((role) => GRANTS[role].includes(operation))) return "allowed";
  if (ownOrganisation && principal.isOrganisationAdmin && principal.organisationType !== "auditor") return "allowed";
  if (operation === "view" && seesAllOrganisations(principal)) return "allowed";
  if (operation === "manage" && principal.organisationType === "admin") return "allowed";
  return "forbidden";
}

/** The operations `roles` grant, for showing a caller what it may do. */
export function operationsOf(principal: Principal, organisationId: string, roles: readonly GcRole[]): AccountOperation[] {
  return ACCOUNT_OPERATIONS.filter((operation) => accountAccess(principal, organisationId, roles, operation) === "allowed");
}

/** Roles in their canonical order, without duplicates. */
export function normaliseRoles(roles: readonly GcRole[]): GcRole[] {
  return GC_ROLES.filter((role) => roles.includes(role));
}
