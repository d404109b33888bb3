import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { principalOf, type AppEnv } from "../http/env";
import { json, jsonBody, OrganisationQuerySchema, problemResponses, SECURED } from "../http/openapi";
import { problem } from "../http/problem";
import { apiKeyView, createApiKey, findApiKey, listApiKeys, revokeApiKey } from "./apiKeys";
import { grantErrors, IdParamSchema, PermissionsSchema } from "./apiSchemas";
import { requirePermission, requireSession } from "./authenticate";

import { organisationToRead } from "./organisationScope";
import { canChangeOrganisation, normalisePermissions } from "./permissions";
import type { AccountDeps } from "./deps";

const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The key's first characters, to recognise it; the secret is never shown again" }),
    organisationId: z.string(),
    createdBy: z.string(),
    permissions: PermissionsSchema,
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi("ApiKey");

const NewApiKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).openapi({ example: "meter gateway, site 12" }),
    permissions: PermissionsSchema.refine((p) => Object.values(p).some((actions) => actions && actions.length > 0), {
      message: "grant at least one action",
    }),
  })
  .openapi("NewApiKey");

const createKeyRoute = createRoute({
  method: "post",
  path: "/organisation/api-keys",
  tags: ["api keys"],
  summary: "Create an API key for machine clients; the full key is in this answer only",
  description: "Send it as `Authorization: ApiKey <key>` or `X-API-Key: <key>`. A key holds at most the permissions of its creator.",
  middleware: [requireSession, requirePermission("organisation", "WRITE")] as const,
  security: SECURED,
  request: jsonBody(NewApiKeyBody),
  responses: {
    201: json(ApiKeySchema.extend({ key: z.string().openapi({ description: "Shown once; store it now" }) }), "Created"),
    ...problemResponses(400, 401, 403),
  },
});

const listKeysRoute = createRoute({
  method: "get",
  path: "/organisation/api-keys",
  tags: ["api keys"],
  summary: "The organisation's API keys, revoked ones included (never a secret)",
  middleware: [requirePermission("organisation", "READ")] as const,
  security: SECURED,
  request: { query: OrganisationQuerySchema },
  responses: { 200: json(z.object({ apiKeys: z.array(ApiKeySchema) }), "Keys, oldest first"), ...problemResponses(400, 401, 403, 404) },
});

const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/organisation/api-keys/{id}",
  tags: ["api keys"],
  summary: "Revoke an API key; requests with it are refused from now on",
  middleware: [requireSession, requirePermission("organisation", "DELETE")] as const,
  security: SECURED,
  request: { params: IdParamSchema },
  responses: { 204: { description: "Revoked (also when it already was)" }, ...problemResponses(400, 401, 403, 404) },
});

export function registerApiKeyRoutes(app: OpenAPIHono<AppEnv>, deps: AccountDeps): void {
  const { db, clock } = deps;

  app.openapi(createKeyRoute, (c) => {
    const principal = principalOf(c);
    const body = c.req.valid("json");
    const permissions = normalisePermissions(body.permissions);
    const refused = grantErrors("permissions", permissions, principal);
    if (refused.length > 0) return problem(c, 403, "Forbidden", "A key can hold only permissions you hold yourself.", refused);
    const { row, key } = createApiKey(db, { organisationId: principal.organisationId, createdBy: principal.userId, name: body.name, permissions }, clock());
    return c.json({ ...apiKeyView(row), key }, 201);
  });

  app.openapi(listKeysRoute, (c) => {
    const organisation = organisationToRead(db, principalOf(c), c.req.valid("query").organisationId);
    if (!organisation) return problem(c, 404, "Not found", "No such organisation.");
    return c.json({ apiKeys: listApiKeys(db, organisation.id).map(apiKeyView) }, 200);
  });

  app.openapi(revokeKeyRoute, (c) => {
    const principal = principalOf(c);
    const key = findApiKey(db, c.req.valid("param").id);
    if (!key || !canChangeOrganisation(principal, key.organisationId)) {
      return problem(c, 404, "Not found", "No such API key.");
    }
    revokeApiKey(db, key.id, clock());
    return c.body(null, 204);
  });
}
