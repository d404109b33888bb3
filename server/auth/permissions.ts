/**
 * Who may do what. Pure policy: no I/O, tested directly.
 *
 * Organisation types: developers and buyers work on their own organisation's data; platform
 * administrators manage everything; auditors read everything and change nothing.
 * Inside an organisation, its admin holds every permission; other users hold per-module access
 * control lists (READ, WRITE, UPDATE, DELETE) chosen when they were invited (read-only by default).
 */
export const MODULES = ["organisation", "devices", "reads", "reservations", "certificates"] as const;
export type Module = (typeof MODULES)[number];

export const ACTIONS = ["READ", "WRITE", "UPDATE", "DELETE"] as const;
export type Action = (typeof ACTIONS)[number];

export const ORGANISATION_TYPES = ["developer", "buyer", "admin", "auditor"] as const;
export type OrganisationType = (typeof ORGANISATION_TYPES)[number];

/** Organisation types anyone may sign up as; the others are created by a platform administrator. */
export const SELF_SERVICE_ORGANISATION_TYPES = ["developer", "buyer"] as const;

export type Permissions = Partial<Record<Module, Action[]>>;

export interface Principal {
  kind: "user" | "apiKey";
  /** The user, or for an API key the user who created it. */
  userId: string;
  apiKeyId?: string;
  sessionId?: string;
  organisationId: string;
  organisationType: OrganisationType;
  /** An organisation admin holds every permission inside its organisation. */
  isOrganisationAdmin: boolean;
  permissions: Permissions;
}

/** What a user invited without any permission chosen gets: read-only everywhere. */
export function readOnlyPermissions(): Permissions {
  return Object.fromEntries(MODULES.map((m) => [m, ["READ"] as Action[]])) as Permissions;
}

export function allPermissions(): Permissions {
  return Object.fromEntries(MODULES.map((m) => [m, [...ACTIONS]])) as Permissions;
}

/** Normalises a requested ACL: known modules only, no duplicates, read-only when nothing is chosen. */
export function normalisePermissions(requested: Permissions | undefined): Permissions {
  const chosen = Object.entries(requested ?? {}).filter(([, actions]) => actions && actions.length > 0);
  if (chosen.length === 0) return readOnlyPermissions();
  const result: Permissions = {};
  for (const [module, actions] of chosen) {
    result[module as Module] = ACTIONS.filter((a) => actions!.includes(a));
  }
  return result;
}

/**
 * Whether the principal may perform `action` on `module`. A member's own ACL applies in every kind of
 * organisation (a read-only member of the platform administration is read-only); auditors are further
 * capped at READ whatever their ACL says. Whose data it may touch is a separate question (see below).
 */
export function can(principal: Principal, module: Module, action: Action): boolean {
  if (principal.organisationType === "auditor" && action !== "READ") return false;
  return principal.isOrganisationAdmin || (principal.permissions[module]?.includes(action) ?? false);
}

/** Platform administrators and auditors see every organisation's data; everyone else only their own. */
export function seesAllOrganisations(principal: Principal): boolean {
  return principal.organisationType === "admin" || principal.organisationType === "auditor";
}

/** Whether `principal` may read data belonging to `organisationId`. */
export function canReadOrganisation(principal: Principal, organisationId: string): boolean {
  return seesAllOrganisations(principal) || principal.organisationId === organisationId;
}

/** Whether `principal` may change data belonging to `organisationId` (auditors never may). */
export function canChangeOrganisation(principal: Principal, organisationId: string): boolean {
  return principal.organisationType === "admin" || (principal.organisationType !== "auditor" && principal.organisationId === organisationId);
}

/** The part of `requested` that `held` does not hold itself: what it would be refused to grant. */
export function permissionsBeyond(requested: Permissions, held: Principal): Permissions {
  const beyond: Permissions = {};
  for (const module of MODULES) {
    const missing = (requested[module] ?? []).filter((a) => !can(held, module, a));
    if (missing.length > 0) beyond[module] = missing;
  }
  return beyond;
}

/** The actions both ACLs grant, module by module. */
export function intersectPermissions(a: Permissions, b: Permissions): Permissions {
  const result: Permissions = {};
  for (const module of MODULES) {
    const both = (a[module] ?? []).filter((action) => b[module]?.includes(action));
    if (both.length > 0) result[module] = both;
  }
  return result;
}

/** What the principal may actually do, module by module, once its organisation type and admin flag are applied. */
export function effectivePermissions(principal: Principal): Permissions {
  const result: Permissions = {};
  for (const module of MODULES) {
    const actions = ACTIONS.filter((a) => can(principal, module, a));
    if (actions.length > 0) result[module] = actions;
  }
  return result;
}

/**
 * Who may change users' permissions and admin flags: the platform administration's admins anywhere, an
 * organisation's admin inside it. An API key never may, even one created by an admin, and auditors change nothing.
 */
export function canManageUsers(principal: Principal, organisationId: string): boolean {
  if (principal.kind !== "user" || !principal.isOrganisationAdmin) return false;
  if (principal.organisationType === "admin") return true;
  return principal.organisationType !== "auditor" && principal.organisationId === organisationId;
}

/**
 * A user's admin flag and ACL after a change. An admin holds every permission; a user demoted without a
 * new ACL falls back to read-only rather than keeping the admin's full list.
 */
export function changedAccess(
  current: { isOrganisationAdmin: boolean; permissions: Permissions },
  change: { isOrganisationAdmin?: boolean; permissions?: Permissions },
): { isOrganisationAdmin: boolean; permissions: Permissions } {
  const isOrganisationAdmin = change.isOrganisationAdmin ?? current.isOrganisationAdmin;
  if (isOrganisationAdmin) return { isOrganisationAdmin, permissions: allPermissions() };
  const kept = current.isOrganisationAdmin ? undefined : current.permissions;
  return { isOrganisationAdmin, permissions: normalisePermissions(change.permissions ?? kept) };
}
