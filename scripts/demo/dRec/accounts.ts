import { randomBytes } from "node:crypto";
import type { ApiClient } from "../http";
import type { DemoContext, Session } from "../story";

/** A fresh password per demo account: the database is new at every local start, so nobody needs to remember it. */
function newPassword(): string {
  return `demo-${randomBytes(12).toString("base64url")}`;
}

export async function logIn(api: ApiClient, email: string, password: string): Promise<Session> {
  const session = await api.post<{ token: string; user: { organisationId: string } }>("/auth/login", { email, password });
  return { email, organisationId: session.user.organisationId, as: { session: session.token } };
}

/** Sign-up (POST /auth/signup) of an organisation with its first user, then that user's login. */
export async function signUpAndLogIn(
  context: DemoContext,
  person: { firstName: string; lastName: string; email: string },
  organisation: { type: "developer" | "buyer"; name: string; address: string },
): Promise<Session> {
  const password = newPassword();
  await context.api.post("/auth/signup", {
    ...person,
    type: organisation.type,
    organisationName: organisation.name,
    address: organisation.address,
    password,
    passwordConfirmation: password,
  });
  const session = await logIn(context.api, person.email, password);
  context.print.line(`${organisation.type.padEnd(9)} ${organisation.name}: ${person.firstName} ${person.lastName} <${person.email}> signed up and logged in`);
  return session;
}

/**
 * An auditor organisation as only a platform administrator can make one (POST /admin/organisations). Its first
 * user follows the emailed invitation link, chooses a password, and logs in.
 */
export async function inviteAuditor(context: DemoContext, admin: Session, name: string, person: { firstName: string; lastName: string; email: string }): Promise<Session> {
  await context.api.post("/admin/organisations", { name, type: "auditor", address: "Audit House, Nairobi", firstUser: person }, admin.as);
  const link = await context.inbox.linkFor(person.email, /\/invitations\/[^/]+$/);
  // The link names the public URL; the token is what the invitee presents to this API.
  const token = decodeURIComponent(new URL(link).pathname.split("/").pop()!);
  const password = newPassword();
  await context.api.post(`/invitations/${encodeURIComponent(token)}/accept`, { password, passwordConfirmation: password });
  const session = await logIn(context.api, person.email, password);
  context.print.line(`auditor   ${name}: ${person.firstName} ${person.lastName} <${person.email}> accepted the emailed invitation and logged in`);
  return session;
}
