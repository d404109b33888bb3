import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { asc, eq } from "drizzle-orm";
import { principalOf, type AppEnv } from "../http/env";
import { json, jsonBody, OrganisationQuerySchema, problemResponses, SECURED } from "../http/openapi";
import { problem } from "../http/problem";
import { organisationView, userView } from "./accounts";
import { IdParamSchema, OrganisationSchema, PermissionsSchema, UserSchema } from "./apiSchemas";
import { requirePermission } from "./authenticate";
import { organisationToRead } from "./organisationScope";
import { canManageUsers, canReadOrganisation, changedAccess } from "./permissions";
import type { AccountDeps } from "./deps";
import { organisations, users } from "./schema";

const organisationRoute = createRoute({
  method: "get",
  path: "/organisation",
  tags: ["organisation"],
  summary: "The caller's organisation",
  middleware: [requirePermission("organisation", "READ")] as const,
  security: SECURED,
  responses: { 200: json(OrganisationSchema, "The organisation"), ...problemResponses(401, 403) },
});

const usersRoute = createRoute({
  method: "get",
  path: "/organisation/users",
  tags: ["organisation"],
  summary: "The organisation's users with their permissions",
  middleware: [requirePermission("organisation", "READ")] as const,
  security: SECURED,
  request: { query: OrganisationQuerySchema },
  responses: { 200: json(z.object({ users: z.array(UserSchema) }), "Users, oldest first"), ...problemResponses(400, 401, 403, 404) },
});

const AccessChangeBody = z
  .strictObject({
    permissions: PermissionsSchema.optional(),
    isOrganisationAdmin: z.boolean().optional(),
  })
  .refine((body) => body.permissions !== undefined || body.isOrganisationAdmin !== undefined, {
    message: "give permissions, isOrganisationAdmin or both",
  })
  .openapi("AccessChange");

const changeAccessRoute = createRoute({
  method: "patch",
  path: "/organisation/users/{id}/permissions",
  tags: ["organisation"],
  summary: "Change a user's permissions or admin flag (organisation admins in their organisation, platform administrators anywhere)",
  description: "Nobody changes their own admin flag, so an organisation cannot lose its last admin by accident.",
  middleware: [requirePermission("organisation", "UPDATE")] as const,
  security: SECURED,
  request: { params: IdParamSchema, ...jsonBody(AccessChangeBody) },
  responses: { 200: json(UserSchema, "The user after the change"), ...problemResponses(400, 401, 403, 404) },
});

export function registerOrganisationRoutes(app: OpenAPIHono<AppEnv>, deps: AccountDeps): void {
  const { db } = deps;

  app.openapi(organisationRoute, (c) => {
    const row = db.select().from(organisations).where(eq(organisations.id, principalOf(c).organisationId)).get()!;
    return c.json(organisationView(row), 200);
  });

  app.openapi(usersRoute, (c) => {
    const organisation = organisationToRead(db, principalOf(c), c.req.valid("query").organisationId);
    if (!organisation) return problem(c, 404, "Not found", "No such organisation.");
    const rows = db.select().from(users).where(eq(users.organisationId, organisation.id)).orderBy(asc(users.createdAt), asc(users.id)).all();
    return c.json({ users: rows.map(userView) }, 200);
  });

  app.openapi(changeAccessRoute, (c) => {
    const principal = principalOf(c);
    const { id } = c.req.valid("param");
    const change = c.req.valid("json");
    const user = db.select().from(users).where(eq(users.id, id)).get();
    if (!user || !canReadOrganisation(principal, user.organisationId)) return problem(c, 404, "Not found", "No such user.");
    if (!canManageUsers(principal, user.organisationId)) {
      return problem(c, 403, "Forbidden", "Only the organisation's admin or a platform administrator changes permissions.");
    }
    if (user.id === principal.userId && change.isOrganisationAdmin !== undefined && change.isOrganisationAdmin !== user.isOrganisationAdmin) {
      return problem(c, 403, "Forbidden", "You cannot change your own admin flag; ask another admin.", [
        { field: "body.isOrganisationAdmin", message: "cannot be changed on yourself" },
      ]);
    }
    const access = changedAccess(user, change);
    if (access.isOrganisationAdmin && change.permissions !== undefined) {
      return problem(c, 400, "Invalid request", "An organisation admin holds every permission.", [
        { field: "body.permissions", message: "cannot be restricted while isOrganisationAdmin is true" },
      ]);
    }
    const updated = db.update(users).set(access).where(eq(users.id, user.id)).returning().get();
    return c.json(userView(updated), 200);
  });
}
