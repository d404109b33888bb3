import { z } from "@hono/zod-openapi";

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

const MEANINGS = {
  400: "The request is not valid; `errors` names each faulty field",
  401: "No valid credentials",
  403: "The caller lacks the role or permission",
  404: "No such resource for this caller",
  409: "Conflicts with the current state (duplicate, already used)",
  410: "No longer available (expired)",
  413: "The request body is too large",
  415: "The body is in a media type the route does not take",
  502: "The chain did not accept or confirm the transaction; nothing was recorded",
  503: "The server is not set up for this (a key or service is missing)",
} as const;

type ProblemStatus = keyof typeof MEANINGS;

/** OpenAPI entries for the problem-details answers a route may give. */
export function problemResponses<S extends ProblemStatus>(...statuses: S[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: MEANINGS[status], content: { "application/problem+json": { schema: ProblemSchema } } }]),
  ) as unknown as Record<S, { description: string; content: { "application/problem+json": { schema: typeof ProblemSchema } } }>;
}

/** A JSON response entry for createRoute's `responses`. */
export const json = <T extends z.ZodType>(schema: T, description = "") => ({ content: { "application/json": { schema } }, description });
/** A required JSON request body for createRoute's `request`. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { "application/json": { schema } } } });
/** Routes that take either a session's bearer token or an API key. */
export const SECURED: Record<string, string[]>[] = [{ bearer: [] }, { apiKey: [] }];

/**
 * `?organisationId=`: platform administrators and auditors name another organisation with it (see
 * readScope); for everyone else naming another organisation answers as if it did not exist.
 */
export const OrganisationQuerySchema = z.object({
  organisationId: z
    .uuid({ error: "must be a UUID" })
    .optional()
    .openapi({ param: { name: "organisationId", in: "query" }, description: "Platform administrators and auditors: another organisation" }),
});
