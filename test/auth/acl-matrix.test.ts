import { eq } from "drizzle-orm";
import { hashPassword } from "../../server/auth/passwords";
import { users } from "../../server/auth/schema";
import { aclMatrix, uniqueEmail, type AclRow, type AclWorld, type CallerName, type Expectation } from "../support/acl";

/**
 * Every account endpoint against every kind of caller. Rows act on the developer organisation's data;
 * the buyer admin is the outsider (404 for another organisation's data), the auditor reads everything
 * and changes nothing, the platform administrator manages everything.
 */

const PASSWORD = "known password for the matrix";
const NEW_PASSWORD = "a different strong password";

/** Shorthands for the usual patterns; each row still lists every caller. */
const everyone = (expectation: Expectation): Record<CallerName, Expectation> => ({
  anonymous: expectation,
  developerAdmin: expectation,
  developerReader: expectation,
  developerWriter: expectation,
  buyerAdmin: expectation,
  auditor: expectation,
  platformAdmin: expectation,
  apiKey: expectation,
});
const signedIn = { ...everyone("ok"), anonymous: 401 } as const;
const developerOrganisation = (world: AclWorld) => world.developer.organisationId;

const rows: AclRow[] = [
  {
    method: "POST",
    label: "/auth/signup",
    path: () => "/auth/signup",
    body: (_world, caller) => ({
      firstName: "New",
      lastName: "Comer",
      email: uniqueEmail(caller),
      type: "buyer",
      organisationName: `Org of ${uniqueEmail(caller)}`,
      address: "2 Road",
      password: PASSWORD,
      passwordConfirmation: PASSWORD,
    }),
    expect: everyone("ok"),
  },
  {
    method: "POST",
    label: "/auth/login",
    path: () => "/auth/login",
    body: (world) => ({ email: world.developer.email, password: PASSWORD }),
    expect: everyone("ok"),
  },
  { method: "GET", label: "/auth/me", path: () => "/auth/me", expect: signedIn },
  {
    method: "POST",
    label: "/auth/logout",
    path: () => "/auth/logout",
    freshSession: true,
    expect: { ...signedIn, apiKey: 403 },
  },
  {
    method: "POST",
    label: "/auth/password",
    path: () => "/auth/password",
    body: () => ({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD, newPasswordConfirmation: NEW_PASSWORD }),
    // With the caller's usual session, which a password change keeps (it revokes only the others).
    expect: { ...signedIn, apiKey: 403 },
  },
  { method: "GET", label: "/organisation", path: () => "/organisation", expect: signedIn },
  { method: "GET", label: "/organisation/users", path: () => "/organisation/users", expect: signedIn },
  {
    method: "GET",
    label: "/organisation/users?organisationId=",
    path: (world) => `/organisation/users?organisationId=${developerOrganisation(world)}`,
    expect: { ...signedIn, buyerAdmin: 404 },
  },
  {
    method: "PATCH",
    label: "/organisation/users/{id}/permissions",
    path: (world) => `/organisation/users/${world.newMember().userId}/permissions`,
    body: () => ({ permissions: { devices: ["READ", "WRITE"] } }),
    expect: { anonymous: 401, developerAdmin: "ok", developerReader: 403, developerWriter: 403, buyerAdmin: 404, auditor: 403, platformAdmin: "ok", apiKey: 403 },
  },
  {
    method: "POST",
    label: "/organisation/api-keys",
    path: () => "/organisation/api-keys",
    body: () => ({ name: "new key", permissions: { organisation: ["READ"] } }),
    expect: { anonymous: 401, developerAdmin: "ok", developerReader: 403, developerWriter: "ok", buyerAdmin: "ok", auditor: 403, platformAdmin: "ok", apiKey: 403 },
  },
  { method: "GET", label: "/organisation/api-keys", path: () => "/organisation/api-keys", expect: signedIn },
  {
    method: "GET",
    label: "/organisation/api-keys?organisationId=",
    path: (world) => `/organisation/api-keys?organisationId=${developerOrganisation(world)}`,
    expect: { ...signedIn, buyerAdmin: 404 },
  },
  {
    method: "DELETE",
    label: "/organisation/api-keys/{id}",
    path: (world) => `/organisation/api-keys/${world.newApiKey()}`,
    expect: { anonymous: 401, developerAdmin: "ok", developerReader: 403, developerWriter: 403, buyerAdmin: 404, auditor: 403, platformAdmin: "ok", apiKey: 403 },
  },
  {
    method: "POST",
    label: "/organisation/invitations",
    path: () => "/organisation/invitations",
    body: () => ({ email: uniqueEmail("invited"), firstName: "In", lastName: "Vited", permissions: { organisation: ["READ"] } }),
    expect: { anonymous: 401, developerAdmin: "ok", developerReader: 403, developerWriter: "ok", buyerAdmin: "ok", auditor: 403, platformAdmin: "ok", apiKey: 403 },
  },
  { method: "GET", label: "/organisation/invitations", path: () => "/organisation/invitations", expect: signedIn },
  {
    method: "GET",
    label: "/organisation/invitations?organisationId=",
    path: (world) => `/organisation/invitations?organisationId=${developerOrganisation(world)}`,
    expect: { ...signedIn, buyerAdmin: 404 },
  },
  {
    method: "DELETE",
    label: "/organisation/invitations/{id}",
    path: (world) => `/organisation/invitations/${world.newInvitation().id}`,
    expect: { anonymous: 401, developerAdmin: "ok", developerReader: 403, developerWriter: 403, buyerAdmin: 404, auditor: 403, platformAdmin: "ok", apiKey: 403 },
  },
  { method: "GET", label: "/invitations/{token}", path: (world) => `/invitations/${world.newInvitation().token}`, expect: everyone("ok") },
  {
    method: "POST",
    label: "/invitations/{token}/accept",
    path: (world) => `/invitations/${world.newInvitation().token}/accept`,
    body: () => ({ password: PASSWORD, passwordConfirmation: PASSWORD }),
    expect: everyone("ok"),
  },
  { method: "POST", label: "/invitations/{token}/reject", path: (world) => `/invitations/${world.newInvitation().token}/reject`, expect: everyone("ok") },
  {
    method: "POST",
    label: "/admin/organisations",
    path: () => "/admin/organisations",
    body: (_world, caller) => ({
      name: `Audit firm ${uniqueEmail(caller)}`,
      type: "auditor",
      address: "3 Road",
      firstUser: { email: uniqueEmail("auditor"), firstName: "Au", lastName: "Ditor" },
    }),
    expect: { ...everyone(403), anonymous: 401, platformAdmin: "ok" },
  },
  {
    method: "GET",
    label: "/admin/organisations",
    path: () => "/admin/organisations",
    expect: { ...everyone(403), anonymous: 401, auditor: "ok", platformAdmin: "ok" },
  },
  {
    method: "POST",
    label: "/admin/organisations/{id}/invitations",
    path: (world) => `/admin/organisations/${developerOrganisation(world)}/invitations`,
    body: () => ({ email: uniqueEmail("colleague"), firstName: "Col", lastName: "League" }),
    expect: { ...everyone(403), anonymous: 401, platformAdmin: "ok" },
  },
];

aclMatrix("ACL matrix: accounts, organisation, API keys, invitations, admin", rows, async (world) => {
  // One KDF run shared by every seeded user, so the login and password rows have a password to check.
  const passwordHash = await hashPassword(PASSWORD);
  for (const caller of Object.values(world.callers)) {
    if (caller.user) world.api.database.db.update(users).set({ passwordHash }).where(eq(users.id, caller.user.userId)).run();
  }
});
