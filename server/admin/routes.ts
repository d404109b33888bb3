import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { asc, eq } from "drizzle-orm";
import { duplicateAccountFields, insertOrganisation, organisationView } from "../auth/accounts";
import { PostalAddressSchema, EmailSchema, IdParamSchema, OrganisationNameSchema, OrganisationSchema, PersonNameSchema } from "../auth/apiSchemas";
import { requireOrganisationType, requirePermission } from "../auth/authenticate";
import { allPermissions, normalisePermissions, ORGANISATION_TYPES } from "../auth/permissions";
import { deliverOutbox, type AccountDeps } from "../auth/deps";
import { organisations } from "../auth/schema";
import { principalOf, type AppEnv } from "../http/env";
import { json, jsonBody, problemResponses, SECURED } from "../http/openapi";
import { problem } from "../http/problem";
import { createInvitation, invitationView, invite } from "../invitations/invitations";
import { InvitationSchema, InviteBody } from "../invitations/routes";

const NewOrganisationBody = z
  .strictObject({
    name: OrganisationNameSchema,
    type: z.enum(ORGANISATION_TYPES),
    address: PostalAddressSchema,
    firstUser: z.strictObject({ email: EmailSchema, firstName: PersonNameSchema, lastName: PersonNameSchema }),
  })
  .openapi("NewOrganisation");

const createOrganisationRoute = createRoute({
  method: "post",
  path: "/admin/organisations",
  tags: ["admin"],
  summary: "Create an organisation of any type and invite its first user as its admin",
  middleware: [requireOrganisationType("admin"), requirePermission("organisation", "WRITE")] as const,
  security: SECURED,
  request: jsonBody(NewOrganisationBody),
  responses: {
    201: json(z.object({ organisation: OrganisationSchema, invitation: InvitationSchema }), "Created; the invitation email is on its way"),
    ...problemResponses(400, 401, 403, 409),
  },
});

const listOrganisationsRoute = createRoute({
  method: "get",
  path: "/admin/organisations",
  tags: ["admin"],
  summary: "Every organisation (platform administrators and auditors)",
  middleware: [requireOrganisationType("admin", "auditor"), requirePermission("organisation", "READ")] as const,
  security: SECURED,
  request: { query: z.object({ type: z.enum(ORGANISATION_TYPES).optional().openapi({ param: { name: "type", in: "query" } }) }) },
  responses: { 200: json(z.object({ organisations: z.array(OrganisationSchema) }), "Oldest first"), ...problemResponses(400, 401, 403) },
});

const AdminInviteBody = InviteBody.extend({ isOrganisationAdmin: z.boolean().default(false) }).openapi("AdminInvite");

const inviteIntoRoute = createRoute({
  method: "post",
  path: "/admin/organisations/{id}/invitations",
  tags: ["admin"],
  summary: "Invite a user into any organisation, as its admin or with given permissions",
  description: "How auditor organisations, whose own users change nothing, get more members.",
  middleware: [requireOrganisationType("admin"), requirePermission("organisation", "WRITE")] as const,
  security: SECURED,
  request: { params: IdParamSchema, ...jsonBody(AdminInviteBody) },
  responses: { 201: json(InvitationSchema, "Invited"), ...problemResponses(400, 401, 403, 404, 409) },
});

export function registerAdmin(app: OpenAPIHono<AppEnv>, deps: AccountDeps): void {
  const { db, clock, accounts } = deps;

  app.openapi(createOrganisationRoute, async (c) => {
    const principal = principalOf(c);
    const { firstUser, ...values } = c.req.valid("json");
    const now = clock();
    const result = db.transaction((tx) => {
      // A new organisation has no pending invitation yet, so only an existing account can conflict with its first user.
      const errors = duplicateAccountFields(tx, {
        email: { field: "firstUser.email", value: firstUser.email },
        organisationName: { field: "name", value: values.name },
      });
      if (errors.length > 0) return { ok: false as const, errors };
      const organisation = insertOrganisation(tx, values, now);
      const invitation = createInvitation(
        tx,
        { ...firstUser, organisation, permissions: allPermissions(), isOrganisationAdmin: true, invitedBy: principal.userId },
        now,
        accounts,
      );
      return { ok: true as const, organisation, invitation };
    });
    if (!result.ok) return problem(c, 409, "Already registered", "An organisation or account with these details exists.", result.errors);
    await deliverOutbox(deps);
    return c.json({ organisation: organisationView(result.organisation), invitation: invitationView(result.invitation, now) }, 201);
  });

  app.openapi(listOrganisationsRoute, (c) => {
    const { type } = c.req.valid("query");
    const rows = db
      .select()
      .from(organisations)
      .where(type ? eq(organisations.type, type) : undefined)
      .orderBy(asc(organisations.createdAt), asc(organisations.id))
      .all();
    return c.json({ organisations: rows.map(organisationView) }, 200);
  });

  app.openapi(inviteIntoRoute, async (c) => {
    const principal = principalOf(c);
    const { isOrganisationAdmin, permissions, ...person } = c.req.valid("json");
    const organisation = db.select().from(organisations).where(eq(organisations.id, c.req.valid("param").id)).get();
    if (!organisation) return problem(c, 404, "Not found", "No such organisation.");
    const now = clock();
    const result = invite(
      db,
      {
        ...person,
        organisation,
        isOrganisationAdmin,
        permissions: isOrganisationAdmin ? allPermissions() : normalisePermissions(permissions),
        invitedBy: principal.userId,
      },
      now,
      accounts,
    );
    if (!result.ok) return problem(c, 409, "Cannot invite", "This email cannot be invited.", result.errors);
    await deliverOutbox(deps);
    return c.json(invitationView(result.invitation, now), 201);
  });
}
