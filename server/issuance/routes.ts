import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { and, desc, eq, type SQL } from "drizzle-orm";
import { BaseError } from "viem";
import { requireOrganisationType, requirePermission } from "../auth/authenticate";
import { seesAllOrganisations } from "../auth/permissions";
import { principalOf, type AppEnv } from "../http/env";
import { json, problemResponses, SECURED } from "../http/openapi";
import { problem } from "../http/problem";
import { RegistryRevertError } from "../chain/sendTransaction";
import { runIssuance, type IssuanceDeps } from "./engine";
import { releaseFailedJob } from "./replan";
import { ISSUANCE_JOB_STATES, issuanceJobs } from "./schema";

const RunSummarySchema = z
  .object({
    startedAt: z.string(),
    releasedReservations: z.number().int(),
    plannedCertificates: z.number().int(),
    plannedWh: z.string().openapi({ description: "Wh planned by this run (decimal string)" }),
    signed: z.number().int(),
    confirmed: z.number().int(),
    blocked: z.number().int(),
    failed: z.number().int(),
    irecSerialsRecorded: z.number().int(),
    durationsMs: z.object({ release: z.number(), plan: z.number(), sign: z.number(), submit: z.number(), irec: z.number() }).openapi({ description: "Wall time of each step" }),
  })
  .openapi("IssuanceRun");

const JobSchema = z
  .object({
    id: z.string(),
    reservationId: z.string(),
    windowStart: z.string(),
    windowEnd: z.string(),
    organisationId: z.string(),
    countryCode: z.string().openapi({ description: "`*` unless the standard (I-REC) issues per country" }),
    batch: z.number().int().openapi({ description: "0 for a window's first certificate; 1, 2 … for late reads" }),
    state: z.enum(ISSUANCE_JOB_STATES),
    amountWh: z.string(),
    evidenceRoot: z.string(),
    nonce: z.string().nullable(),
    txHash: z.string().nullable(),
    certificateId: z.string().nullable(),
    gasPaidWei: z.string().nullable(),
    standardState: z.string().nullable(),
    lastError: z.string().nullable(),
  })
  .openapi("IssuanceJob");

const runRoute = createRoute({
  method: "post",
  path: "/issuance/runs",
  tags: ["issuance"],
  summary: "Run issuance now (platform administrators); the server also runs it on its schedule",
  description:
    "Releases reservations that are over, plans every closed window's uncertified reads, signs vouchers and submits them from the developers' managed wallets. Safe to call while a scheduled run is going.",
  middleware: [requireOrganisationType("admin"), requirePermission("certificates", "WRITE")] as const,
  security: SECURED,
  responses: { 200: json(RunSummarySchema, "What the run did"), ...problemResponses(401, 403, 503) },
});

const jobsRoute = createRoute({
  method: "get",
  path: "/issuance/jobs",
  tags: ["issuance"],
  summary: "Issuance jobs: one per certificate to mint, with its state and, when blocked, why",
  description:
    "Developers see their organisation's jobs (the gas is theirs); administrators and auditors see all. Filter by `state` " +
    "(`failed` lists the jobs an administrator may release with POST /issuance/jobs/{id}/replan) and `reservationId`.",
  middleware: [requireOrganisationType("developer", "admin", "auditor"), requirePermission("certificates", "READ")] as const,
  security: SECURED,
  request: {
    query: z.object({
      state: z.enum(ISSUANCE_JOB_STATES).optional().openapi({ param: { name: "state", in: "query" } }),
      reservationId: z.string().optional().openapi({ param: { name: "reservationId", in: "query" } }),
      limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ param: { name: "limit", in: "query" } }),
    }),
  },
  responses: { 200: json(z.object({ jobs: z.array(JobSchema) }), "Newest first"), ...problemResponses(400, 401, 403) },
});

const replanRoute = createRoute({
  method: "post",
  path: "/issuance/jobs/{id}/replan",
  tags: ["issuance"],
  summary: "Release a failed job's Wh so the next run plans them again (platform administrators)",
  description:
    "A job fails on a revert no resend can fix (target exceeded, period outside the reservation, wrong signer …) and keeps " +
    "its reads, so they are not planned into the same failure unattended. Once the cause is fixed, this voids the job's " +
    "voucher on chain and deletes its read parts and evidence leaves; the job becomes `released`, its `lastError` noting " +
    "why it failed, and the next run plans those Wh into a new job. Only for `failed` jobs (409 otherwise, and once released).",
  middleware: [requireOrganisationType("admin"), requirePermission("certificates", "WRITE")] as const,
  security: SECURED,
  request: { params: z.object({ id: z.uuid({ error: "must be an issuance job UUID" }).openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 200: json(JobSchema, "The job, still failed, with the release noted"), ...problemResponses(400, 401, 403, 404, 409, 503) },
});

type JobRow = typeof issuanceJobs.$inferSelect;

function jobView(job: JobRow): z.infer<typeof JobSchema> {
  return {
    id: job.id,
    reservationId: job.reservationId,
    windowStart: new Date(job.windowStart).toISOString(),
    windowEnd: new Date(job.windowEnd).toISOString(),
    organisationId: job.organisationId,
    countryCode: job.countryCode,
    batch: job.batch,
    state: job.state,
    amountWh: String(job.amountWh),
    evidenceRoot: job.evidenceRoot,
    nonce: job.nonce === null ? null : String(job.nonce),
    txHash: job.txHash,
    certificateId: job.certificateId,
    gasPaidWei: job.gasPaidWei,
    standardState: job.standardState,
    lastError: job.lastError,
  };
}

const signersMissing = "The server has no issuer and recorder keys (ISSUER_PRIVATE_KEY, RECORDER_PRIVATE_KEY).";

export function registerIssuance(app: OpenAPIHono<AppEnv>, deps: IssuanceDeps): void {
  app.openapi(runRoute, async (c) => {
    if (!deps.chainSigners) return problem(c, 503, "Issuance unavailable", signersMissing);
    return c.json(await runIssuance(deps), 200);
  });

  app.openapi(replanRoute, async (c) => {
    if (!deps.chainSigners) return problem(c, 503, "Issuance unavailable", signersMissing);
    let outcome: Awaited<ReturnType<typeof releaseFailedJob>>;
    try {
      outcome = await releaseFailedJob({ ...deps, issuer: deps.chainSigners.issuer }, c.req.valid("param").id, deps.clock().getTime());
    } catch (error) {
      // Voiding the voucher is the only chain call, and it comes before any write.
      if (error instanceof RegistryRevertError) return problem(c, 503, "Chain refused the platform", `The registry refused to void the job's voucher (${error.errorName}); nothing was changed.`);
      if (error instanceof BaseError) return problem(c, 503, "Chain unavailable", "The chain did not answer; nothing was changed. Try again shortly.");
      throw error;
    }
    if ("status" in outcome) return problem(c, outcome.status, outcome.title, outcome.detail);
    return c.json(jobView(outcome.job), 200);
  });

  app.openapi(jobsRoute, (c) => {
    const principal = principalOf(c);
    const query = c.req.valid("query");
    const conditions: SQL[] = [];
    if (!seesAllOrganisations(principal)) conditions.push(eq(issuanceJobs.organisationId, principal.organisationId));
    if (query.state) conditions.push(eq(issuanceJobs.state, query.state));
    if (query.reservationId) conditions.push(eq(issuanceJobs.reservationId, query.reservationId));
    const rows = deps.db
      .select()
      .from(issuanceJobs)
      .where(and(...conditions))
      .orderBy(desc(issuanceJobs.createdAt), desc(issuanceJobs.windowStart))
      .limit(query.limit)
      .all();
    return c.json({ jobs: rows.map(jobView) }, 200);
  });
}
