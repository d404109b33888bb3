/**
 * CDS publication of certificates retired for customers (seeds 002 and 004): the EAC list in the CDS EAC
 * format with `next`/`previous` links, and cancellation statements for one beneficiary and period. An
 * organisation sees what its accounts retired; platform administrators and auditors see everything.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { PublicClient } from "viem";
import { requirePermission } from "../auth/authenticate";
import { seesAllOrganisations, type Principal } from "../auth/permissions";
import type { Db } from "../db/database";
import { principalOf, type AppEnv } from "../http/env";
import { json, problemResponses, SECURED } from "../http/openapi";
import { problem } from "../http/problem";
import { LIMIT } from "../chain/pagination";
import { cdsEac, CdsEacListSchema } from "./eac";
import { CURSOR_PARAMETER, pageLinks, readPageCursor } from "./pagination";
import { cancellationStatement, CancellationStatementSchema } from "./statement";
import { retirementPage, retirementsIn } from "./store";

export interface CdsDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: `0x${string}`;
}

const instant = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with an offset (Z for UTC)" });
const beneficiary = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");
const guarded = { security: SECURED, tags: ["cds"] };

const eacsRoute = createRoute({
  ...guarded,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/cds/eacs",
  summary: "EACs retired on customers' behalf, in the CDS EAC format, most recently modified first",
  description:
    "One EAC per retired GC bundle (cancelled or claimed for a beneficiary), with one value for its Wh and certificate ids. " +
    "`next` and `previous` are the neighbouring pages' URLs (null at either end).",
  request: {
    query: z.object({
      beneficiary: beneficiary.optional().openapi({ description: "Only EACs retired for this beneficiary (e.g. a customer id)" }),
      limit: LIMIT,
      [CURSOR_PARAMETER]: z.string().optional().openapi({ description: "Set by the `next` and `previous` links" }),
    }),
  },
  responses: { 200: json(CdsEacListSchema, "One page of EACs"), ...problemResponses(400, 401, 403) },
});

const statementRoute = createRoute({
  ...guarded,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/cds/cancellation-statements",
  summary: "A cancellation statement: what was retired for one beneficiary, produced within a period",
  description:
    "Fields from the review in seed 002: period, registry id (`eip155:<chain id>:<registry address>`), beneficiary, asset id and " +
    "name, technology, production country, commissioning date, quantity and unit (Wh), certificate id range, direct emissions factor.",
  request: {
    query: z.object({
      beneficiary: beneficiary.openapi({ description: "The customer or account the certificates were retired for" }),
      periodStart: instant.openapi({ description: "Production periods starting at or after this time" }),
      periodEnd: instant.openapi({ description: "Production periods ending at or before this time" }),
    }),
  },
  responses: { 200: json(CancellationStatementSchema, "The statement"), ...problemResponses(400, 401, 403) },
});

const scopeOf = (principal: Principal) => (seesAllOrganisations(principal) ? undefined : principal.organisationId);

export function registerCds(app: OpenAPIHono<AppEnv>, deps: CdsDeps): void {
  const registryId = `eip155:${deps.publicClient.chain?.id ?? 0}:${deps.registryAddress.toLowerCase()}`;

  app.openapi(eacsRoute, (c) => {
    const query = c.req.valid("query");
    const raw = query[CURSOR_PARAMETER];
    const cursor = raw === undefined ? undefined : readPageCursor(raw, ["n", "s"]);
    if (raw !== undefined && !cursor) return problem(c, 400, "Invalid request", "The request query is not valid.", [{ field: `query.${CURSOR_PARAMETER}`, message: "is not a cursor of this list" }]);
    const page = retirementPage(deps.db, { organisationId: scopeOf(principalOf(c)), beneficiary: query.beneficiary }, query.limit, cursor);
    const edge = (i: number) => (page.records[i] ? [page.records[i].retirement.retiredAt, page.records[i].retirement.id] : null);
    const links = pageLinks(c.req.url, { first: edge(0), last: edge(page.records.length - 1), hasPrevious: page.hasPrevious, hasNext: page.hasNext });
    return c.json({ eacs: page.records.map(cdsEac), ...links }, 200);
  });

  app.openapi(statementRoute, (c) => {
    const query = c.req.valid("query");
    const [periodStart, periodEnd] = [Date.parse(query.periodStart), Date.parse(query.periodEnd)];
    if (periodStart >= periodEnd) return problem(c, 400, "Invalid request", "The request query is not valid.", [{ field: "query.periodEnd", message: "must be after periodStart" }]);
    const records = retirementsIn(deps.db, { organisationId: scopeOf(principalOf(c)), beneficiary: query.beneficiary, periodStart, periodEnd });
    return c.json(cancellationStatement({ registryId, beneficiaryId: query.beneficiary, periodStart, periodEnd }, records), 200);
  });
}
