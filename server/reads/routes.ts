import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { and, asc, eq, gt, gte, lte, sql } from "drizzle-orm";
import type { Context } from "hono";
import { parse as parseCsv } from "csv-parse/sync";

import { requirePermission } from "../auth/authenticate";
import { canChangeOrganisation, canReadOrganisation, type Principal } from "../auth/permissions";
import type { Db } from "../db/database";
import { noSuchDevice, organisationRequiredForExternalId, readScope, refuse } from "../devices/access";
import { findDevice, findDeviceByExternalId } from "../devices/store";
import { principalOf, type AppEnv } from "../http/env";
import { json, OrganisationQuerySchema, problemResponses, SECURED } from "../http/openapi";
import { fieldErrors, problem, type FieldError } from "../http/problem";
import { prepareReads, recordReads, type RecordedRead } from "./ingest";
import { READ_TYPES, type ReadRules } from "./judgeRead";
import { localIso } from "./readTime";
import { meterReads } from "./schema";
import { ENERGY_UNITS } from "./units";
import { yieldFor, yieldOverrides } from "./yields";

export const MAX_READS_PER_REQUEST = 10_000;
/** 10,000 reads as JSON take about 1 MiB; the limit leaves room for long timestamps and CSV quoting. */
export const READ_BATCH_MAX_BYTES = 8 * 1024 * 1024;

export interface ReadsDeps {
  db: Db;
  clock: () => Date;
  readRules: ReadRules;
}

const ReadSubmissionSchema = z.strictObject({
  type: z.enum(READ_TYPES),
  start: z.string().max(40).optional().openapi({ description: "History reads only. ISO 8601 with offset, or local time in the device's zone" }),
  end: z.string().max(40).openapi({ example: "2026-05-01T13:00:00+03:00" }),
  value: z.union([z.string().max(60), z.number()]).openapi({ description: "Decimal; aggregate reads give the meter value, others the energy" }),
  unit: z.enum(ENERGY_UNITS).default("Wh"),
});

const ReadBatchSchema = z.strictObject({ reads: z.array(ReadSubmissionSchema).min(1).max(MAX_READS_PER_REQUEST) }).openapi("ReadBatch");

const ReasonSchema = z.object({ code: z.string(), message: z.string() });
const ReadResultSchema = z
  .object({
    index: z.number().int().openapi({ description: "Position in the submitted batch" }),
    id: z.number().int(),
    status: z.enum(["accepted", "rejected"]),
    baseline: z.boolean(),
    startAt: z.string().nullable(),
    startAtLocal: z.string().nullable(),
    endAt: z.string(),
    endAtLocal: z.string(),
    energyWh: z.number().int().openapi({ description: "Certifiable Wh (0 for baselines and rejected reads)" }),
    reasons: z.array(ReasonSchema),
  })
  .openapi("ReadResult");

const ReadRecordSchema = ReadResultSchema.omit({ index: true })
  .extend({ type: z.enum(READ_TYPES), valueWh: z.number().int(), claimedWh: z.number().int(), receivedAt: z.string(), late: z.boolean() })
  .openapi("MeterRead");

const ByIdParams = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });
const ByExternalIdParams = z.object({ externalId: z.string().min(1).max(100).openapi({ param: { name: "externalId", in: "path" } }) });

const ListQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Reads ending at or after this instant" }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Reads ending at or before this instant" }),
  type: z.enum(READ_TYPES).optional(),
  status: z.enum(["accepted", "rejected"]).optional(),
  late: z.enum(["true", "false"]).optional().openapi({ description: "Only reads that arrived after their period was certified (true), or the others" }),
  cursor: z.coerce.number().int().min(0).optional().openapi({ description: "nextCursor of the previous page" }),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

const ReadPageSchema = z
  .object({
    items: z.array(ReadRecordSchema),
    nextCursor: z.number().int().nullable(),
    totals: z.object({ acceptedWh: z.number().int(), rejectedWh: z.number().int(), accepted: z.number().int(), rejected: z.number().int() }),
  })
  .openapi("MeterReadPage");

const IngestResponseSchema = z
  .object({ deviceId: z.string(), accepted: z.number().int(), rejected: z.number().int(), acceptedWh: z.number().int(), results: z.array(ReadResultSchema) })
  .openapi("ReadIngestion");

// Not `required`: zod-openapi then validates JSON bodies and leaves CSV ones to `readBatch`.
const submitBody = {
  required: false,
  description: `Up to ${MAX_READS_PER_REQUEST} reads as JSON, or as CSV (text/csv) with the header type,start,end,value,unit`,
  content: { "application/json": { schema: ReadBatchSchema }, "text/csv": { schema: z.string() } },
};

function routesFor<P extends z.ZodObject>(path: string, params: P, deviceNote: string) {
  return {
    submit: createRoute({
      method: "post",
      path,
      tags: ["reads"],
      summary: `Submit meter reads for a device (${deviceNote})`,
      security: SECURED,
      middleware: [requirePermission("reads", "WRITE")] as const,
      request: { params, query: OrganisationQuerySchema, body: submitBody },
      responses: { 200: json(IngestResponseSchema, "Every read with its verdict, in submitted order"), ...problemResponses(400, 401, 403, 404, 413, 415) },
    }),
    list: createRoute({
      method: "get",
      path,
      tags: ["reads"],
      summary: `List a device's reads with totals (${deviceNote})`,
      security: SECURED,
      middleware: [requirePermission("reads", "READ")] as const,
      request: { params, query: ListQuery.extend(OrganisationQuerySchema.shape) },
      responses: { 200: json(ReadPageSchema, "A page of reads, oldest end first"), ...problemResponses(400, 401, 403, 404) },
    }),
    latest: createRoute({
      method: "get",
      path: `${path}/latest`,
      tags: ["reads"],
      summary: `The latest read of a device (${deviceNote})`,
      security: SECURED,
      middleware: [requirePermission("reads", "READ")] as const,
      request: { params, query: OrganisationQuerySchema },
      responses: { 200: json(ReadRecordSchema, "The read with the latest end"), ...problemResponses(401, 403, 404) },
    }),
  };
}

const byId = routesFor("/devices/{id}/reads", ByIdParams, "by platform id");
const byExternalId = routesFor("/devices/by-external-id/{externalId}/reads", ByExternalIdParams, "by external id");

export function registerReads(app: OpenAPIHono<AppEnv>, deps: ReadsDeps): void {
  const { db } = deps;

  /** The device a request names, if the caller may see it; `undefined` answers 404 either way. */
  const deviceFor = (c: Context<AppEnv>, principal: Principal, param: { id?: string; externalId?: string }, organisationId?: string) => {
    if (param.id) {
      const row = findDevice(db, param.id);
      return row && canReadOrganisation(principal, row.organisationId) ? row : undefined;
    }
    const scope = readScope(db, principal, organisationId);
    if ("status" in scope) return refuse(c, scope);
    if (scope.organisationId === undefined) return refuse(c, organisationRequiredForExternalId);
    return findDeviceByExternalId(db, scope.organisationId, param.externalId!);
  };

  const submit = async (c: Context<AppEnv>, param: { id?: string; externalId?: string }) => {
    const principal = principalOf(c);
    const device = deviceFor(c, principal, param, c.req.query("organisationId"));
    if (device instanceof Response) return device;
    if (!device || !canChangeOrganisation(principal, device.organisationId)) return noSuchDevice(c);
    const batch = await readBatch(c);
    if ("errors" in batch) return problem(c, batch.status, batch.status === 415 ? "Unsupported media type" : "Invalid request", "The reads are not valid.", batch.errors);
    const prepared = prepareReads(batch.reads, device.timeZone);
    if ("errors" in prepared) return problem(c, 400, "Invalid request", "Some reads cannot be understood; nothing was stored.", prepared.errors);
    const recorded = recordReads(db, device, prepared.reads, {
      rules: deps.readRules,
      yieldKwhPerKwYear: yieldFor(device, yieldOverrides(db)),
      now: deps.clock(),
      submittedBy: principal.userId,
      apiKeyId: principal.apiKeyId,
    });
    const accepted = recorded.filter((r) => r.verdict.status === "accepted");
    return c.json(
      {
        deviceId: device.id,
        accepted: accepted.length,
        rejected: recorded.length - accepted.length,
        acceptedWh: accepted.reduce((sum, r) => sum + Number(r.verdict.status === "accepted" ? r.verdict.energyWh : 0n), 0),
        results: recorded.map((r) => resultView(r, device.timeZone)),
      },
      200,
    );
  };

  const list = (c: Context<AppEnv>, param: { id?: string; externalId?: string }, query: z.infer<typeof ListQuery> & { organisationId?: string }) => {
    const device = deviceFor(c, principalOf(c), param, query.organisationId);
    if (device instanceof Response) return device;
    if (!device) return noSuchDevice(c);
    const filters = [
      eq(meterReads.deviceId, device.id),
      query.from ? gte(meterReads.endAt, Date.parse(query.from)) : undefined,
      query.to ? lte(meterReads.endAt, Date.parse(query.to)) : undefined,
      query.type ? eq(meterReads.type, query.type) : undefined,
      query.status ? eq(meterReads.status, query.status) : undefined,
      query.late ? eq(meterReads.late, query.late === "true") : undefined,
    ];
    const where = and(...filters);
    const rows = db
      .select()
      .from(meterReads)
      .where(and(where, query.cursor !== undefined ? gt(meterReads.id, query.cursor) : undefined))
      .orderBy(asc(meterReads.id))
      .limit(query.limit + 1)
      .all();
    const totals = db
      .select({
        acceptedWh: sql<number>`coalesce(sum(case when ${meterReads.status} = 'accepted' then ${meterReads.energyWh} end), 0)`,
        rejectedWh: sql<number>`coalesce(sum(case when ${meterReads.status} = 'rejected' then ${meterReads.claimedWh} end), 0)`,
        accepted: sql<number>`count(case when ${meterReads.status} = 'accepted' then 1 end)`,
        rejected: sql<number>`count(case when ${meterReads.status} = 'rejected' then 1 end)`,
      })
      .from(meterReads)
      .where(where)
      .get()!;
    const page = rows.slice(0, query.limit);
    return c.json({ items: page.map((r) => recordView(r, device.timeZone)), nextCursor: rows.length > query.limit ? page[page.length - 1].id : null, totals }, 200);
  };

  const latest = (c: Context<AppEnv>, param: { id?: string; externalId?: string }, organisationId?: string) => {
    const device = deviceFor(c, principalOf(c), param, organisationId);
    if (device instanceof Response) return device;
    if (!device) return noSuchDevice(c);
    const row = db.select().from(meterReads).where(eq(meterReads.deviceId, device.id)).orderBy(sql`${meterReads.endAt} desc, ${meterReads.id} desc`).limit(1).get();
    return row ? c.json(recordView(row, device.timeZone), 200) : problem(c, 404, "Not found", "The device has no reads yet.");
  };

  app.openapi(byId.submit, (c) => submit(c, c.req.valid("param")) as never);
  app.openapi(byExternalId.submit, (c) => submit(c, c.req.valid("param")) as never);
  app.openapi(byId.list, (c) => list(c, c.req.valid("param"), c.req.valid("query")) as never);
  app.openapi(byExternalId.list, (c) => list(c, c.req.valid("param"), c.req.valid("query")) as never);
  app.openapi(byId.latest, (c) => latest(c, c.req.valid("param"), c.req.valid("query").organisationId) as never);
  app.openapi(byExternalId.latest, (c) => latest(c, c.req.valid("param"), c.req.valid("query").organisationId) as never);
}

/** The batch from a JSON body (already validated by the route) or a CSV body, validated by the same schema. */
async function readBatch(c: Context<AppEnv>): Promise<z.infer<typeof ReadBatchSchema> | { status: 400 | 415; errors: FieldError[] }> {
  const contentType = (c.req.header("content-type") ?? "").toLowerCase();
  if (contentType.startsWith("application/json")) return (c.req as unknown as { valid(target: "json"): z.infer<typeof ReadBatchSchema> }).valid("json");
  if (!contentType.startsWith("text/csv")) {
    return { status: 415, errors: [{ field: "header.content-type", message: "must be application/json or text/csv" }] };
  }
  let records: Record<string, string>[];
  try {
    records = parseCsv(await c.req.text(), { columns: true, skip_empty_lines: true, trim: true });
  } catch (error) {
    return { status: 400, errors: [{ field: "body", message: `is not valid CSV: ${(error as Error).message}` }] };
  }
  const candidate = { reads: records.map(({ start, unit, ...rest }) => ({ ...rest, ...(start ? { start } : {}), ...(unit ? { unit } : {}) })) };
  const parsed = ReadBatchSchema.safeParse(candidate);
  return parsed.success ? parsed.data : { status: 400, errors: fieldErrors("body", parsed.error) };
}

function resultView(r: RecordedRead, zone: string) {
  const v = r.verdict;
  const accepted = v.status === "accepted";
  const startAt = accepted ? v.startAt : null;
  return {
    index: r.index,
    id: r.id,
    status: v.status,
    baseline: accepted && v.baseline,
    startAt: startAt?.toISOString() ?? null,
    startAtLocal: startAt ? localIso(startAt, zone) : null,
    endAt: r.endAt.toISOString(),
    endAtLocal: localIso(r.endAt, zone),
    energyWh: accepted ? Number(v.energyWh) : 0,
    reasons: accepted ? [] : v.reasons,
  };
}

function recordView(row: typeof meterReads.$inferSelect, zone: string) {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    baseline: row.baseline,
    startAt: row.startAt === null ? null : new Date(row.startAt).toISOString(),
    startAtLocal: row.startAt === null ? null : localIso(row.startAt, zone),
    endAt: new Date(row.endAt).toISOString(),
    endAtLocal: localIso(row.endAt, zone),
    valueWh: row.valueWh,
    energyWh: row.energyWh,
    claimedWh: row.claimedWh,
    reasons: row.reasons,
    receivedAt: new Date(row.receivedAt).toISOString(),
    late: row.late,
  };
}

