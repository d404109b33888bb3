import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import type { Context } from "hono";
import type { LocalAccount, PublicClient } from "viem";
import { requirePermission } from "../auth/authenticate";
import type { Principal } from "../auth/permissions";
import type { Db } from "../db/database";
import type { DeviceRow } from "../devices/store";
import { principalOf, type AppEnv } from "../http/env";
import { json, jsonBody, problemResponses, SECURED } from "../http/openapi";
import { problem, type FieldError } from "../http/problem";
import type { MailTransport } from "../notifications/transport";
import type { KeyVault } from "../wallets/vault";
import { gcDeviceAccounts } from "../gc/issuance/schema";
import { DEFAULT_GC_TERMS, type GcTerms } from "../gc/issuance/terms";
import { isRefusal, storageDeviceFor, validatorAccountFor, type Refusal } from "./access";
import { advanceAllocation, planAllocation, type AllocationDeps } from "./allocation";
import {
  AllocationListSchema,
  AllocationQuerySchema,
  AllocationSchema,
  AllocationTableSchema,
  CancellationBodySchema,
  CancellationSchema,
  DeviceParams,
  IdParams,
  MAX_STORAGE_ROWS,
  PositionTableSchema,
  RecordPageSchema,
  RecordQuerySchema,
  RecordUploadSchema,
} from "./apiSchemas";
import { cancellationItems, checkCancellation, findCancellation, runCancellation, storeCancellation } from "./cancellation";
import { ALLOCATION_COLUMNS, allocationRowsFrom, csvRows, POSITION_COLUMNS, storageRecordsFrom, type CandidateRow, type RowFault } from "./records";
import { storageAllocations } from "./schema";
import { findAllocation, insertRecords, listRecords, recordedHours, sha256 } from "./store";
import { allocationView, cancellationView, recordView } from "./views";

export interface StorageDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: `0x${string}`;
  vault: KeyVault;
  clock: () => Date;
  mail: MailTransport;
  chainSigners?: { issuer: LocalAccount };
  gcTerms?: GcTerms;
}

const TAGS = { security: SECURED, tags: ["storage"] };
/** MAX_STORAGE_ROWS allocation rows as JSON, with room for long ids and offsets. */
export const STORAGE_TABLE_MAX_BYTES = 4 * 1024 * 1024;
const WHO = "Storage validators of the storage device's organisation only (the storage-validator role on one of its GC accounts).";
const csv = (description: string) => ({ description, content: { "text/csv": { schema: z.string() } } });
/** Not `required`: zod-openapi then validates JSON bodies and leaves CSV ones to the route. */
const tableBody = (schema: z.ZodType, columns: readonly string[]) => ({
  body: { required: false, description: `JSON, or CSV (text/csv) with the header ${columns.join(",")}`, content: { "application/json": { schema }, "text/csv": { schema: z.string() } } },
});

const uploadRecordsRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("devices", "WRITE")] as const,
  method: "post",
  path: "/storage/devices/{deviceId}/records",
  summary: "Submit a storage device's asset position table: it becomes charge and discharge records (SCR, SDR)",
  description:
    "One row per UTC hour: the Wh charged and discharged. Each non-zero flow becomes an immutable record (seed 000 steps 9-10); " +
    "an hour already recorded for the device, an hour not yet over, or any faulty row refuses the whole table, naming each fault " +
    `(JSON rows as body.rows[i].field, CSV as body.lines[n].field). The table is kept as received. At most ${MAX_STORAGE_ROWS} rows. ${WHO}`,
  request: { params: DeviceParams, ...tableBody(PositionTableSchema, POSITION_COLUMNS) },
  responses: { 201: json(RecordUploadSchema, "The records created"), ...problemResponses(400, 401, 403, 404, 409, 413, 415) },
});

const listRecordsRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("devices", "READ")] as const,
  method: "get",
  path: "/storage/devices/{deviceId}/records",
  summary: "A storage device's SCRs and SDRs in hour order, with the Wh allocated from each",
  description: WHO,
  request: { params: DeviceParams, query: RecordQuerySchema },
  responses: { 200: json(RecordPageSchema, "A page of records"), ...problemResponses(400, 401, 403, 404) },
});

const templateRoute = createRoute({
  tags: TAGS.tags,
  method: "get",
  path: "/storage/templates/{name}",
  summary: "CSV templates of the asset position table and of the allocation records",
  request: { params: z.object({ name: z.enum(["asset-positions.csv", "allocations.csv"]).openapi({ param: { name: "name", in: "path" } }) }) },
  responses: { 200: csv("Header and example rows"), ...problemResponses(400) },
});

const cancelRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("certificates", "WRITE")] as const,
  method: "post",
  path: "/storage/cancellations",
  summary: "Cancel GCs for storage ahead of an allocation (a part of a bundle is split off first)",
  description:
    "Retires the bundles on chain with reason CancelledForStorage from the account's managed key and marks them `cancelled-for-storage`; " +
    "an allocation with cancellation=require-cancelled then names them. 201 when done; 202 when the chain did not answer (the request is " +
    "stored: resume it); 409 when the registry refused. Storage validators of the account only.",
  request: jsonBody(CancellationBodySchema),
  responses: {
    201: json(CancellationSchema, "The GCs are cancelled for storage"),
    202: json(CancellationSchema, "Stored, not finished on chain: POST /storage/cancellations/{id}/resume"),
    ...problemResponses(400, 401, 403, 404, 409, 503),
  },
});

const cancellationRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/storage/cancellations/{id}",
  summary: "A cancellation for storage",
  request: { params: IdParams },
  responses: { 200: json(CancellationSchema, "The cancellation"), ...problemResponses(400, 401, 403, 404) },
});

const resumeCancellationRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("certificates", "WRITE")] as const,
  method: "post",
  path: "/storage/cancellations/{id}/resume",
  summary: "Finish a cancellation for storage that the chain did not confirm (an allocation's: the allocation too)",
  request: { params: IdParams },
  responses: { 200: json(CancellationSchema, "The cancellation as it now stands"), ...problemResponses(400, 401, 403, 404, 503) },
});

const allocateRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("certificates", "WRITE")] as const,
  method: "post",
  path: "/storage/devices/{deviceId}/allocations",
  summary: "Submit allocation records for a storage device: GCs are cancelled for storage and SD-GCs issued",
  description:
    "Rows `hour,charge_hour,gc_id,charge_wh,discharge_wh` are matched to the device's SDRs (by `hour`) and SCRs (by `charge_hour`) and to " +
    "GC bundles of the device's GC account (PUT /gc/devices/{id}/account) produced in the charge hour (seed 000 steps 11-13). No record or " +
    "bundle is allocated beyond its energy, over all allocations. Then the GCs are cancelled for storage (`cancellation=cancel`) or must " +
    "already be (`require-cancelled`), one SD-GC bundle per SDR is minted into the account, and the submitter is emailed. The answer gives " +
    "the SDR, cancelled GC and SD-GC volumes with the SDR proportion (SD-GC / SDR) and efficiency factor (SD-GC / GCs cancelled), exact and " +
    `to 8 decimals. 201 when issued; 202 when the chain did not finish (resume it); 409 when the registry refused the cancellation. ${WHO}`,
  request: { params: DeviceParams, query: AllocationQuerySchema, ...tableBody(AllocationTableSchema, ALLOCATION_COLUMNS) },
  responses: {
    201: json(AllocationSchema, "The allocation, with its SD-GCs issued"),
    202: json(AllocationSchema, "Stored, not finished on chain: POST /storage/allocations/{id}/resume"),
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 503),
  },
});

const listAllocationsRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/storage/devices/{deviceId}/allocations",
  summary: "A storage device's allocations, newest first",
  description: WHO,
  request: { params: DeviceParams },
  responses: { 200: json(AllocationListSchema, "The allocations"), ...problemResponses(400, 401, 403, 404) },
});

const allocationRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/storage/allocations/{id}",
  summary: "An allocation: its allocated records, volumes, factors and SD-GCs",
  description: WHO,
  request: { params: IdParams },
  responses: { 200: json(AllocationSchema, "The allocation"), ...problemResponses(400, 401, 403, 404) },
});

const resumeAllocationRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("certificates", "WRITE")] as const,
  method: "post",
  path: "/storage/allocations/{id}/resume",
  summary: "Finish an allocation that stopped before its SD-GCs were issued",
  description: WHO,
  request: { params: IdParams },
  responses: { 200: json(AllocationSchema, "The allocation as it now stands"), ...problemResponses(400, 401, 403, 404, 503) },
});

const TEMPLATES: Record<string, string> = {
  "asset-positions.csv": `${POSITION_COLUMNS.join(",")}\n2024-07-01T14:00:00Z,1340000,0\n2024-07-02T00:00:00Z,0,1320000\n`,
  "allocations.csv": `${ALLOCATION_COLUMNS.join(",")}\n2024-07-02T00:00:00Z,2024-07-01T14:00:00Z,SOL7-20240701-11400-0001-1300000,1300000,1248700\n`,
};

type Submitted = { rows: CandidateRow[]; content: string; contentType: string; kind: "json" | "csv" } | { status: 400 | 415; errors: FieldError[] };

/** The rows of a JSON body (validated by the route) or of a CSV body with exactly `columns`. */
async function submittedRows(c: Context<AppEnv>, columns: readonly string[]): Promise<Submitted> {
  const contentType = (c.req.header("content-type") ?? "").toLowerCase();
  if (contentType.startsWith("application/json")) {
    const { rows } = (c.req as unknown as { valid(target: "json"): { rows: Record<string, unknown>[] } }).valid("json");
    return { rows: rows.map((values, i) => ({ row: i + 1, line: null, values })), content: JSON.stringify({ rows }), contentType: "application/json", kind: "json" };
  }
  if (!contentType.startsWith("text/csv")) return { status: 415, errors: [{ field: "header.content-type", message: "must be application/json or text/csv" }] };
  const content = await c.req.text();
  const parsed = csvRows(content, columns);
  if (!parsed.ok) return { status: 400, errors: rowErrors(parsed.faults, "csv") };
  if (parsed.value.length > MAX_STORAGE_ROWS) return { status: 400, errors: [{ field: "body", message: `holds more than ${MAX_STORAGE_ROWS} rows` }] };
  return { rows: parsed.value, content, contentType: "text/csv", kind: "csv" };
}

/** Row faults as problem fields: `body.rows[i].hour` for JSON, `body.lines[n].hour` for CSV (line 1 is the header). */
function rowErrors(faults: readonly RowFault[], kind: "json" | "csv"): FieldError[] {
  return faults.map((fault) => {
    if (fault.row === null && fault.line === null) return { field: fault.field === "file" || fault.field === "rows" ? "body" : `body.${fault.field}`, message: fault.message };
    if (kind === "csv" && fault.line !== null) return { field: `body.lines[${fault.line}].${fault.field}`, message: fault.message };
    return { field: `body.rows[${fault.row! - 1}].${fault.field}`, message: fault.message };
  });
}

export function registerStorage(app: OpenAPIHono<AppEnv>, deps: StorageDeps): void {
  const { db } = deps;
  const now = () => deps.clock().getTime();
  const allocationDeps: AllocationDeps = { ...deps, gcTerms: deps.gcTerms ?? DEFAULT_GC_TERMS };
  const refuse = (c: Context, refusal: Refusal) => problem(c, refusal.status, refusal.title, refusal.detail, refusal.errors);
  const unavailable = (c: Context) => problem(c, 503, "Issuance unavailable", "The server has no issuer key (ISSUER_PRIVATE_KEY) to sign SD-GC vouchers with.");

  /** The storage device an allocation belongs to, if the caller may see it; unknown allocations answer 404 the same. */
  const allocationFor = (principal: Principal, id: string): { allocation: typeof storageAllocations.$inferSelect; device: DeviceRow } | Refusal => {
    const allocation = findAllocation(db, id);
    const device = allocation && storageDeviceFor(db, principal, allocation.deviceId);
    if (!allocation || !device || (isRefusal(device) && device.status === 404)) return { status: 404, title: "Not found", detail: "No such allocation." };
    return isRefusal(device) ? device : { allocation, device };
  };

  const cancellationFor = (principal: Principal, id: string) => {
    const cancellation = findCancellation(db, id);
    if (!cancellation) return { status: 404, title: "Not found", detail: "No such cancellation." } satisfies Refusal;
    const account = validatorAccountFor(db, principal, principal.organisationId, cancellation.accountId, "path.id");
    if (isRefusal(account)) return account.status === 404 ? ({ status: 404, title: "Not found", detail: "No such cancellation." } satisfies Refusal) : account;
    return cancellation;
  };

  /** 201 when done, 202 when the chain left it unfinished, 409 when it failed. */
  const allocationAnswer = (c: Context, allocation: typeof storageAllocations.$inferSelect, created: boolean) => {
    if (allocation.status === "failed") return problem(c, 409, "Allocation failed", `Allocation ${allocation.id} failed and holds nothing: ${allocation.error}.`);
    const status = allocation.status === "issued" ? (created ? 201 : 200) : created ? 202 : 200;
    return c.json(allocationView(db, allocation), status);
  };

  app.openapi(uploadRecordsRoute, async (c) => {
    const principal = principalOf(c);
    const device = storageDeviceFor(db, principal, c.req.valid("param").deviceId);
    if (isRefusal(device)) return refuse(c, device) as never;
    const submitted = await submittedRows(c, POSITION_COLUMNS);
    if ("errors" in submitted) return problem(c, submitted.status, submitted.status === 415 ? "Unsupported media type" : "Invalid request", "The asset position table is not valid; nothing was stored.", submitted.errors) as never;
    const at = now();
    const stored = db.transaction(
      (tx) => {
        const records = storageRecordsFrom(submitted.rows, recordedHours(tx, device.id), at);
        if (!records.ok) return records;
        return { ok: true as const, value: insertRecords(tx, { deviceId: device.id, content: submitted.content, contentType: submitted.contentType, submittedBy: principal.userId, now: at }, records.value) };
      },
      { behavior: "immediate" },
    );
    if (!stored.ok) return problem(c, 400, "Invalid request", "The asset position table is not valid; nothing was stored.", rowErrors(stored.faults, submitted.kind)) as never;
    const total = (flow: string) => String(stored.value.rows.filter((row) => row.flow === flow).reduce((sum, row) => sum + BigInt(row.energyWh), 0n));
    return c.json(
      {
        uploadId: stored.value.uploadId,
        deviceId: device.id,
        sha256: sha256(submitted.content),
        chargeWh: total("charge"),
        dischargeWh: total("discharge"),
        records: stored.value.rows.map((row) => recordView(row, 0n)),
      },
      201,
    );
  });

  app.openapi(listRecordsRoute, (c) => {
    const principal = principalOf(c);
    const device = storageDeviceFor(db, principal, c.req.valid("param").deviceId);
    if (isRefusal(device)) return refuse(c, device) as never;
    const query = c.req.valid("query");
    const [afterHour, afterFlow] = query.cursor ? [Number(query.cursor.split(":")[0]), query.cursor.split(":")[1]] : [undefined, undefined];
    const items = listRecords(db, device.id, {
      from: query.from === undefined ? undefined : Date.parse(query.from),
      to: query.to === undefined ? undefined : Date.parse(query.to),
      flow: query.flow,
      after: afterHour === undefined ? undefined : { hourStart: afterHour, flow: afterFlow as "charge" | "discharge" },
      limit: query.limit + 1,
    });
    const page = items.slice(0, query.limit);
    const last = page.at(-1)?.record;
    return c.json({ items: page.map(({ record, allocatedWh }) => recordView(record, allocatedWh)), nextCursor: items.length > query.limit && last ? `${last.hourStart}:${last.flow}` : null }, 200);
  });

  app.openapi(templateRoute, (c) => {
    const { name } = c.req.valid("param");
    c.header("content-disposition", `attachment; filename="${name}"`);
    return c.body(TEMPLATES[name], 200, { "content-type": "text/csv; charset=utf-8" });
  });

  app.openapi(cancelRoute, async (c) => {
    const principal = principalOf(c);
    const body = c.req.valid("json");
    const account = validatorAccountFor(db, principal, principal.organisationId, body.accountId, "body.accountId");
    if (isRefusal(account)) return refuse(c, account) as never;
    if (account.custody !== "managed") {
      return problem(c, 409, "Self-custody account", `The platform holds no key for this account: retire the GCs from ${account.address} yourself (retireBatch, reason CancelledForStorage).`) as never;
    }
    const stored = db.transaction(
      (tx) => {
        const checked = checkCancellation(tx, account, body.bundles);
        if (!checked.ok) return checked;
        return { ok: true as const, id: storeCancellation(tx, { accountId: account.id, allocationId: null, items: checked.items, userId: principal.userId, now: now() }) };
      },
      { behavior: "immediate" },
    );
    if (!stored.ok) return problem(c, 400, "Invalid request", "Some bundles cannot be cancelled for storage; nothing was cancelled.", stored.faults.map((f) => ({ field: `body.${f.field}`, message: f.message }))) as never;
    const outcome = await runCancellation(allocationDeps, stored.id, principal.userId);
    const cancellation = findCancellation(db, stored.id)!;
    if (outcome.status === "failed") return problem(c, 409, "Cancellation failed", `Cancellation ${cancellation.id} failed: ${cancellation.error}.`) as never;
    return c.json(cancellationView(cancellation, cancellationItems(db, cancellation.id)), outcome.status === "cancelled" ? 201 : 202);
  });

  app.openapi(cancellationRoute, (c) => {
    const cancellation = cancellationFor(principalOf(c), c.req.valid("param").id);
    if ("title" in cancellation) return refuse(c, cancellation) as never;
    return c.json(cancellationView(cancellation, cancellationItems(db, cancellation.id)), 200);
  });

  app.openapi(resumeCancellationRoute, async (c) => {
    const principal = principalOf(c);
    const found = cancellationFor(principal, c.req.valid("param").id);
    if ("title" in found) return refuse(c, found) as never;
    // An allocation's cancellation is finished through the allocation, which must follow the split-off bundles.
    if (found.allocationId !== null && !deps.chainSigners) return unavailable(c) as never;
    if (found.allocationId !== null) await advanceAllocation(allocationDeps, found.allocationId, principal.userId);
    else await runCancellation(allocationDeps, found.id, principal.userId);
    const cancellation = findCancellation(db, found.id)!;
    return c.json(cancellationView(cancellation, cancellationItems(db, cancellation.id)), 200);
  });

  app.openapi(allocateRoute, async (c) => {
    const principal = principalOf(c);
    const device = storageDeviceFor(db, principal, c.req.valid("param").deviceId);
    if (isRefusal(device)) return refuse(c, device) as never;
    const mode = c.req.valid("query").cancellation;
    const assignment = db.select({ accountId: gcDeviceAccounts.accountId }).from(gcDeviceAccounts).where(eq(gcDeviceAccounts.deviceId, device.id)).get();
    if (!assignment) {
      return problem(c, 409, "No GC account", "The storage device is not assigned to a GC account to cancel GCs from and issue SD-GCs into: PUT /gc/devices/{id}/account first.") as never;
    }
    const account = validatorAccountFor(db, principal, device.organisationId, assignment.accountId, "path.deviceId");
    if (isRefusal(account)) return refuse(c, account) as never;
    if (!deps.chainSigners) return unavailable(c) as never;
    if (mode === "cancel" && account.custody !== "managed") {
      return problem(c, 409, "Self-custody account", "The platform holds no key to cancel this account's GCs: cancel them for storage from the account's own wallet and submit with cancellation=require-cancelled.") as never;
    }
    const submitted = await submittedRows(c, ALLOCATION_COLUMNS);
    if ("errors" in submitted) return problem(c, submitted.status, submitted.status === 415 ? "Unsupported media type" : "Invalid request", "The allocation records are not valid; nothing was stored.", submitted.errors) as never;
    const rows = allocationRowsFrom(submitted.rows);
    if (!rows.ok) return problem(c, 400, "Invalid request", "The allocation records are not valid; nothing was stored.", rowErrors(rows.faults, submitted.kind)) as never;
    const planned = planAllocation(db, { device, account, mode, rows: rows.value, content: submitted.content, contentType: submitted.contentType, userId: principal.userId, now: now() });
    if (!planned.ok) return problem(c, 400, "Invalid request", "The allocation records do not match the device's records or the account's GCs; nothing was stored.", rowErrors(planned.faults, submitted.kind)) as never;
    const allocation = await advanceAllocation(allocationDeps, planned.value.allocationId, principal.userId);
    return allocationAnswer(c, allocation, true) as never;
  });

  app.openapi(listAllocationsRoute, (c) => {
    const device = storageDeviceFor(db, principalOf(c), c.req.valid("param").deviceId);
    if (isRefusal(device)) return refuse(c, device) as never;
    const rows = db.select().from(storageAllocations).where(eq(storageAllocations.deviceId, device.id)).orderBy(desc(storageAllocations.createdAt), desc(storageAllocations.id)).all();
    return c.json({ items: rows.map((row) => allocationView(db, row)) }, 200);
  });

  app.openapi(allocationRoute, (c) => {
    const found = allocationFor(principalOf(c), c.req.valid("param").id);
    if ("title" in found) return refuse(c, found) as never;
    return c.json(allocationView(db, found.allocation), 200);
  });

  app.openapi(resumeAllocationRoute, async (c) => {
    const principal = principalOf(c);
    const found = allocationFor(principal, c.req.valid("param").id);
    if ("title" in found) return refuse(c, found) as never;
    const account = validatorAccountFor(db, principal, found.device.organisationId, found.allocation.accountId, "path.id");
    if (isRefusal(account)) return refuse(c, account) as never;
    if (!deps.chainSigners) return unavailable(c) as never;
    const allocation = await advanceAllocation(allocationDeps, found.allocation.id, principal.userId);
    return allocationAnswer(c, allocation, false) as never;
  });
}

