import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { eq } from "drizzle-orm";
import { organisationView, userView } from "../auth/accounts";
import { EmailSchema, grantErrors, IdParamSchema, OrganisationSchema, PasswordSchema, PermissionsSchema, PersonNameSchema, UserSchema } from "../auth/apiSchemas";
import { requirePermission, requireSession } from "../auth/authenticate";

import { organisationToRead } from "../auth/organisationScope";
import { hashPassword } from "../auth/passwords";
import { newPasswordErrors } from "../auth/passwordRules";
import { canChangeOrganisation, normalisePermissions } from "../auth/permissions";
import { deliverOutbox, type AccountDeps } from "../auth/deps";
import { organisations } from "../auth/schema";
import { principalOf, type AppEnv } from "../http/env";
import { json, jsonBody, OrganisationQuerySchema, problemResponses, SECURED } from "../http/openapi";
import { problem } from "../http/problem";
import {
  acceptInvitation,
  findInvitation,
  findInvitationByToken,
  invitationStatus,
  invitationView,
  invite,
  listInvitations,
  rejectInvitation,
  revokeInvitation,
  type Found,
  type InvitationStatus,
} from "./invitations";
import { INVITATION_STATES } from "./schema";

const StatusSchema = z.enum([...INVITATION_STATES, "expired"]);

export const InvitationSchema = z
  .object({
    id: z.string(),
    organisationId: z.string(),
    email: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    permissions: PermissionsSchema,
    isOrganisationAdmin: z.boolean(),
    status: StatusSchema,
    invitedBy: z.string(),
    createdAt: z.string(),
    expiresAt: z.string(),
    respondedAt: z.string().nullable(),
  })
  .openapi("Invitation");

export const InviteBody = z
  .strictObject({
    email: EmailSchema,
    firstName: PersonNameSchema,
    lastName: PersonNameSchema,
    permissions: PermissionsSchema.optional().openapi({ description: "Left out or empty: read-only on every module" }),
  })
  .openapi("Invite");

const inviteRoute = createRoute({
  method: "post",
  path: "/organisation/invitations",
  tags: ["invitations"],
  summary: "Invite someone into the caller's organisation; the link goes to their email",
  description: "The invitee gets at most the inviter's own permissions.",
  middleware: [requireSession, requirePermission("organisation", "WRITE")] as const,
  security: SECURED,
  request: jsonBody(InviteBody),
  responses: { 201: json(InvitationSchema, "Invited"), ...problemResponses(400, 401, 403, 409) },
});

const listRoute = createRoute({
  method: "get",
  path: "/organisation/invitations",
  tags: ["invitations"],
  summary: "The organisation's invitations with their status",
  middleware: [requirePermission("organisation", "READ")] as const,
  security: SECURED,
  request: { query: OrganisationQuerySchema },
  responses: { 200: json(z.object({ invitations: z.array(InvitationSchema) }), "Oldest first"), ...problemResponses(400, 401, 403, 404) },
});

const revokeRoute = createRoute({
  method: "delete",
  path: "/organisation/invitations/{id}",
  tags: ["invitations"],
  summary: "Withdraw a pending invitation; its link stops working",
  middleware: [requireSession, requirePermission("organisation", "DELETE")] as const,
  security: SECURED,
  request: { params: IdParamSchema },
  responses: { 204: { description: "Revoked" }, ...problemResponses(400, 401, 403, 404, 409) },
});

const TokenParamSchema = z.object({
  token: z.string().max(100).openapi({ param: { name: "token", in: "path" }, description: "From the invitation email" }),
});

const OfferSchema = z
  .object({
    organisation: OrganisationSchema.pick({ name: true, type: true }),
    email: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    permissions: PermissionsSchema,
    isOrganisationAdmin: z.boolean(),
    status: StatusSchema,
    expiresAt: z.string(),
  })
  .openapi("InvitationOffer");

const offerRoute = createRoute({
  method: "get",
  path: "/invitations/{token}",
  tags: ["invitations"],
  summary: "What an invitation offers (public: the token is the credential)",
  request: { params: TokenParamSchema },
  responses: { 200: json(OfferSchema, "The offer"), ...problemResponses(404) },
});

const AcceptBody = z.strictObject({ password: PasswordSchema, passwordConfirmation: PasswordSchema }).openapi("AcceptInvitation");

const acceptRoute = createRoute({
  method: "post",
  path: "/invitations/{token}/accept",
  tags: ["invitations"],
  summary: "Accept: choose a password; the user is created in the inviting organisation",
  request: { params: TokenParamSchema, ...jsonBody(AcceptBody) },
  responses: {
    201: json(z.object({ user: UserSchema, organisation: OrganisationSchema }), "Joined; log in with POST /auth/login"),
    ...problemResponses(400, 404, 409, 410),
  },
});

const rejectRoute = createRoute({
  method: "post",
  path: "/invitations/{token}/reject",
  tags: ["invitations"],
  summary: "Decline an invitation",
  request: { params: TokenParamSchema },
  responses: { 200: json(OfferSchema, "Declined"), ...problemResponses(404, 409, 410) },
});

/** A closed invitation: 410 once expired, 409 when it was already answered or withdrawn. */
function closedInvitation(c: Context, status: Exclude<InvitationStatus, "pending">) {
  return status === "expired"
    ? problem(c, 410, "Invitation expired", "This invitation has expired; ask the organisation for a new one.")
    : problem(c, 409, "Invitation closed", `This invitation was already ${status}.`);
}

export function registerInvitations(app: OpenAPIHono<AppEnv>, deps: AccountDeps): void {
  const { db, clock, accounts } = deps;
  const offer = (found: Found) => ({
    organisation: { name: found.organisation.name, type: found.organisation.type },
    email: found.invitation.email,
    firstName: found.invitation.firstName,
    lastName: found.invitation.lastName,
    permissions: found.invitation.permissions,
    isOrganisationAdmin: found.invitation.isOrganisationAdmin,
    status: invitationStatus(found.invitation, clock()),
    expiresAt: found.invitation.expiresAt,
  });

  app.openapi(inviteRoute, async (c) => {
    const principal = principalOf(c);
    const body = c.req.valid("json");
    const permissions = normalisePermissions(body.permissions);
    const refused = grantErrors("permissions", permissions, principal);
    if (refused.length > 0) return problem(c, 403, "Forbidden", "An invitee can get only permissions you hold yourself.", refused);
    const organisation = db.select().from(organisations).where(eq(organisations.id, principal.organisationId)).get()!;
    const now = clock();
    const result = invite(db, { ...body, organisation, permissions, isOrganisationAdmin: false, invitedBy: principal.userId }, now, accounts);
    if (!result.ok) return problem(c, 409, "Cannot invite", "This email cannot be invited.", result.errors);
    await deliverOutbox(deps);
    return c.json(invitationView(result.invitation, now), 201);
  });

  app.openapi(listRoute, (c) => {
    const organisation = organisationToRead(db, principalOf(c), c.req.valid("query").organisationId);
    if (!organisation) return problem(c, 404, "Not found", "No such organisation.");
    const now = clock();
    return c.json({ invitations: listInvitations(db, organisation.id).map((row) => invitationView(row, now)) }, 200);
  });

  app.openapi(revokeRoute, (c) => {
    const invitation = findInvitation(db, c.req.valid("param").id);
    if (!invitation || !canChangeOrganisation(principalOf(c), invitation.organisationId)) return problem(c, 404, "Not found", "No such invitation.");
    const status = revokeInvitation(db, invitation, clock());
    if (status !== "pending") return problem(c, 409, "Invitation closed", `This invitation is already ${status}.`);
    return c.body(null, 204);
  });

  app.openapi(offerRoute, (c) => {
    const found = findInvitationByToken(db, c.req.valid("param").token);
    if (!found) return problem(c, 404, "Not found", "No such invitation.");
    return c.json(offer(found), 200);
  });

  app.openapi(acceptRoute, async (c) => {
    const { token } = c.req.valid("param");
    const body = c.req.valid("json");
    const found = findInvitationByToken(db, token);
    if (!found) return problem(c, 404, "Not found", "No such invitation.");
    const status = invitationStatus(found.invitation, clock());
    if (status !== "pending") return closedInvitation(c, status);
    const errors = newPasswordErrors(
      { field: "password", value: body.password },
      { field: "passwordConfirmation", value: body.passwordConfirmation },
      { email: found.invitation.email },
    );
    if (errors.length > 0) return problem(c, 400, "Invalid request", "The password is not acceptable.", errors);
    const result = acceptInvitation(db, token, await hashPassword(body.password), clock());
    if (!result) return problem(c, 404, "Not found", "No such invitation.");
    if (!result.ok) {
      return "status" in result ? closedInvitation(c, result.status) : problem(c, 409, "Already registered", "This email already has an account; log in instead.");
    }
    return c.json({ user: userView(result.user), organisation: organisationView(result.organisation) }, 201);
  });

  app.openapi(rejectRoute, (c) => {
    const { token } = c.req.valid("param");
    const result = rejectInvitation(db, token, clock());
    if (!result) return problem(c, 404, "Not found", "No such invitation.");
    if (!result.ok) return closedInvitation(c, result.status);
    return c.json(offer(result.found), 200);
  });
}
