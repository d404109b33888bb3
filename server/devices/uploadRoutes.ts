import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { and, asc, desc, eq, gt, lt, or, type SQL } from "drizzle-orm";

import { requirePermission } from "../auth/authenticate";
import { canReadOrganisation } from "../auth/permissions";
import type { Db } from "../db/database";
import { principalOf, type AppEnv } from "../http/env";
import { json, problemResponses, SECURED } from "../http/openapi";
import { problem } from "../http/problem";
import { owningOrganisation, readScope, refuse } from "./access";
import { UploadJobPageSchema, UploadJobSchema, UploadRowPageSchema } from "./apiSchemas";
import { templateCsv } from "./csv";
import { deviceUploadJobs, deviceUploadRows, UPLOAD_ROW_STATUSES } from "./schema";
import { checkUploadHeader, createUploadJob, createUploadWorker, type JobRow } from "./uploads";

/**
 * 10,000 devices described as in the template take under 3 MiB; this leaves room for long impact
 * stories. createApp gives this route the larger body limit (server/http/bodyLimit.ts).
 */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

const csv = (description: string) => ({ description, content: { "text/csv": { schema: z.string() } } });
const JobParams = z.object({ jobId: z.uuid({ error: "must be an upload job UUID" }).openapi({ param: { name: "jobId", in: "path" } }) });
const limit = z.coerce.number({ error: "must be a whole number" }).int("must be a whole number").min(1, "must be at least 1").max(1000, "must be at most 1000").default(100);

const templateRoute = createRoute({
  method: "get",
  path: "/devices/uploads/template",
  tags: ["devices"],
  summary: "The bulk-upload CSV template: every column, and one example row",
  responses: { 200: csv("CSV template") },
});

const uploadRoute = createRoute({
  method: "post",
  path: "/devices/uploads",
  tags: ["devices"],
  summary: "Upload a CSV file of devices; it is processed in the background",
  description:
    "Send the file as the body (`text/csv`) or as the `file` field of a multipart form. The header is checked at once " +
    "(unknown or missing columns refuse the file); rows are then processed in the background and each gets a status in " +
    "the job's log: Success, SuccessWithValidationErrors (stored; the listed optional fields were left empty) or Failed " +
    `(not stored). Files up to ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB.`,
  security: SECURED,
  middleware: [requirePermission("devices", "WRITE")] as const,
  request: {
    query: z.object({
      organisationId: z.uuid({ error: "must be a UUID" }).optional().openapi({ description: "Platform administrators: the developer organisation" }),
      fileName: z.string().max(255, "must be at most 255 characters").optional().openapi({ description: "Name to record for a `text/csv` body" }),
    }),
    body: {
      required: false,
      content: {
        "text/csv": { schema: z.string().openapi({ description: "The CSV file (see GET /devices/uploads/template)" }) },
        "multipart/form-data": {
          schema: z.object({ file: z.instanceof(File, { message: "must be a file" }).openapi({ type: "string", format: "binary" }) }),
        },
      },
    },
  },
  responses: {
    202: {
      description: "Accepted: the job id, to follow at GET /devices/uploads/{jobId}",
      headers: { location: { schema: { type: "string" } } },
      content: { "application/json": { schema: UploadJobSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 413),
  },
});

const listJobsRoute = createRoute({
  method: "get",
  path: "/devices/uploads",
  tags: ["devices"],
  summary: "The organisation's device uploads, newest first",
  security: SECURED,
  middleware: [requirePermission("devices", "READ")] as const,
  request: {
    query: z.object({
      organisationId: z.uuid({ error: "must be a UUID" }).optional().openapi({ description: "Platform administrators and auditors: one organisation" }),
      cursor: z.string().optional(),
      limit,
    }),
  },
  responses: { 200: json(UploadJobPageSchema, "One page of jobs"), ...problemResponses(400, 401, 403, 404) },
});

const jobRoute = createRoute({
  method: "get",
  path: "/devices/uploads/{jobId}",
  tags: ["devices"],
  summary: "An upload's status and counts",
  security: SECURED,
  middleware: [requirePermission("devices", "READ")] as const,
  request: { params: JobParams },
  responses: { 200: json(UploadJobSchema, "The job"), ...problemResponses(400, 401, 403, 404) },
});

const jobRowsRoute = createRoute({
  method: "get",
  path: "/devices/uploads/{jobId}/rows",
  tags: ["devices"],
  summary: "An upload's per-row log: status, external id, device id and errors",
  security: SECURED,
  middleware: [requirePermission("devices", "READ")] as const,
  request: {
    params: JobParams,
    query: z.object({
      status: z.enum(UPLOAD_ROW_STATUSES, { error: `must be one of: ${UPLOAD_ROW_STATUSES.join(", ")}` }).optional(),
      cursor: z.string().regex(/^\d+$/, "is not a cursor this API issued").optional(),
      limit,
    }),
  },
  responses: { 200: json(UploadRowPageSchema, "One page of rows, in file order"), ...problemResponses(400, 401, 403, 404) },
});

const jobFileRoute = createRoute({
  method: "get",
  path: "/devices/uploads/{jobId}/file",
  tags: ["devices"],
  summary: "The file as uploaded",
  security: SECURED,
  middleware: [requirePermission("devices", "READ")] as const,
  request: { params: JobParams },
  responses: { 200: csv("The stored CSV file"), ...problemResponses(400, 401, 403, 404) },
});

function jobView(job: JobRow) {
  const { content: _content, ...view } = job;
  return view;
}

function encodeJobCursor(job: JobRow): string {
  return Buffer.from(JSON.stringify([job.createdAt, job.id])).toString("base64url");
}

function decodeJobCursor(cursor: string): [string, string] | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    return Array.isArray(decoded) && decoded.length === 2 && decoded.every((part) => typeof part === "string") ? (decoded as [string, string]) : undefined;
  } catch {
    return undefined;
  }
}

export function registerDeviceUploads(app: OpenAPIHono<AppEnv>, deps: { db: Db; clock: () => Date }): void {
  const { db } = deps;
  const worker = createUploadWorker(deps);
  worker.resumeUnfinished();

  const readableJob = (c: Parameters<typeof principalOf>[0], jobId: string) => {
    const job = db.select().from(deviceUploadJobs).where(eq(deviceUploadJobs.id, jobId)).get();
    return job && canReadOrganisation(principalOf(c), job.organisationId) ? job : undefined;
  };
  const noSuchJob = (c: Parameters<typeof problem>[0]) => problem(c, 404, "Not found", "No such upload job.");

  app.openapi(templateRoute, (c) => {
    c.header("content-disposition", 'attachment; filename="devices-template.csv"');
    return c.body(templateCsv(), 200, { "content-type": "text/csv; charset=utf-8" });
  });

  app.openapi(uploadRoute, async (c) => {
    const principal = principalOf(c);
    const query = c.req.valid("query");
    const owner = owningOrganisation(db, principal, query.organisationId);
    if ("status" in owner) return refuse(c, owner);
    const form = c.req.valid("form") as { file?: File };
    const content = form.file ? await form.file.text() : await c.req.text();
    const fileName = form.file ? form.file.name || null : (query.fileName ?? null);
    const header = checkUploadHeader(content);
    if ("problems" in header) {
      return problem(
        c,
        400,
        "Invalid file",
        "The file cannot be processed; nothing was stored.",
        header.problems.map((message) => ({ field: form.file ? "body.file" : "body", message })),
      );
    }
    const job = createUploadJob(db, { organisationId: owner.organisationId, createdBy: principal.userId, fileName, content, now: deps.clock() });
    worker.enqueue(job.id);
    c.header("location", `/devices/uploads/${job.id}`);
    return c.json(jobView(job), 202);
  });

  app.openapi(listJobsRoute, (c) => {
    const query = c.req.valid("query");
    const scope = readScope(db, principalOf(c), query.organisationId);
    if ("status" in scope) return refuse(c, scope);
    const after = query.cursor === undefined ? undefined : decodeJobCursor(query.cursor);
    if (query.cursor !== undefined && !after) {
      return problem(c, 400, "Invalid request", "The request query is not valid.", [{ field: "query.cursor", message: "is not a cursor this API issued" }]);
    }
    const conditions: (SQL | undefined)[] = [
      scope.organisationId === undefined ? undefined : eq(deviceUploadJobs.organisationId, scope.organisationId),
      after && or(lt(deviceUploadJobs.createdAt, after[0]), and(eq(deviceUploadJobs.createdAt, after[0]), lt(deviceUploadJobs.id, after[1]))),
    ];
    const rows = db
      .select()
      .from(deviceUploadJobs)
      .where(and(...conditions))
      .orderBy(desc(deviceUploadJobs.createdAt), desc(deviceUploadJobs.id))
      .limit(query.limit + 1)
      .all();
    const page = rows.slice(0, query.limit);
    return c.json({ items: page.map(jobView), nextCursor: rows.length > query.limit ? encodeJobCursor(page[page.length - 1]) : null }, 200);
  });

  app.openapi(jobRoute, (c) => {
    const job = readableJob(c, c.req.valid("param").jobId);
    return job ? c.json(jobView(job), 200) : noSuchJob(c);
  });

  app.openapi(jobRowsRoute, (c) => {
    const job = readableJob(c, c.req.valid("param").jobId);
    if (!job) return noSuchJob(c);
    const query = c.req.valid("query");
    const rows = db
      .select()
      .from(deviceUploadRows)
      .where(
        and(
          eq(deviceUploadRows.jobId, job.id),
          query.status && eq(deviceUploadRows.status, query.status),
          query.cursor === undefined ? undefined : gt(deviceUploadRows.rowNumber, Number(query.cursor)),
        ),
      )
      .orderBy(asc(deviceUploadRows.rowNumber))
      .limit(query.limit + 1)
      .all();
    const page = rows.slice(0, query.limit).map(({ jobId: _jobId, ...row }) => row);
    return c.json({ items: page, nextCursor: rows.length > query.limit ? String(page[page.length - 1].rowNumber) : null }, 200);
  });

  app.openapi(jobFileRoute, (c) => {
    const job = readableJob(c, c.req.valid("param").jobId);
    if (!job) return noSuchJob(c);
    c.header("content-disposition", `attachment; filename="${(job.fileName ?? "devices.csv").replace(/[^A-Za-z0-9._-]/g, "_")}"`);
    return c.body(job.content, 200, { "content-type": "text/csv; charset=utf-8" });
  });
}
