import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { and, eq, inArray } from "drizzle-orm";
import type { LocalAccount, PublicClient } from "viem";
import { requireOrganisationType, requirePermission } from "../../auth/authenticate";
import { canChangeOrganisation, seesAllOrganisations, type Principal } from "../../auth/permissions";
import type { Db } from "../../db/database";
import { devices } from "../../devices/schema";
import { principalOf, type AppEnv } from "../../http/env";
import { json, jsonBody, problemResponses, SECURED } from "../../http/openapi";
import { problem, type FieldError } from "../../http/problem";
import type { KeyVault } from "../../wallets/vault";
import type { RowFault } from "../../storage/records";
import { gcAccounts } from "../schema";
import { gcMintDeps, type MintDeps } from "../minting";
import { BundleSchema } from "../accounts/apiSchemas";
import { bundlesByIds } from "../accounts/bundles";
import { accountRefusal, isRefusal, refuse } from "../accounts/refusal";
import type { AccountOperation } from "../accounts/roles";
import { accountFor } from "../accounts/store";
import { bundleView } from "../accounts/views";
import { MAX_BUNDLES_PER_OPERATION } from "../accounts/operations";
import { BundleIdSchema } from "../accounts/apiSchemas";
import { bundleCsvTemplate, MAX_IMPORT_ROWS } from "./bundleCsv";
import { exportBundles } from "./exports";
import { importBundles } from "./imports";
import { issueHourly } from "./hourly";
import { gcDeviceAccounts, gcExports } from "./schema";
import { reservationDevices } from "../../reservations/schema";
import { DEFAULT_GC_TERMS, type GcTerms } from "./terms";

export interface GcIssuanceDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: `0x${string}`;
  vault: KeyVault;
  clock: () => Date;
  chainSigners?: { issuer: LocalAccount };
  gcTerms?: GcTerms;
}

/** Import and export move bundles across registries: the roles that may export (trading, administrator) may import. */
const CROSS_REGISTRY: AccountOperation = "export";

const TAGS = { security: SECURED, tags: ["gc issuance"] };
const csv = (description: string) => ({ description, content: { "text/csv": { schema: z.string() } } });
const uuid = (what: string) => z.uuid({ error: `must be ${what} UUID` });
const instant = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with an offset (Z for UTC)" });

const DeviceParams = z.object({ id: uuid("a device").openapi({ param: { name: "id", in: "path" } }) });
const AssignmentSchema = z
  .object({ deviceId: z.string(), accountId: z.string(), assignedAt: z.string(), assignedBy: z.string() })
  .openapi("GcDeviceAccount", { description: "The account a device's GCs are issued into" });

const assignRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("devices", "UPDATE")] as const,
  method: "put",
  path: "/gc/devices/{id}/account",
  summary: "Assign a device to a GC account of its organisation: its hourly GCs (or a storage device's SD-GCs) are issued there",
  request: { params: DeviceParams, ...jsonBody(z.strictObject({ accountId: uuid("an account") }).openapi("GcDeviceAssignment")) },
  responses: { 200: json(AssignmentSchema, "The assignment"), ...problemResponses(400, 401, 403, 404, 409) },
});

const assignmentRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("devices", "READ")] as const,
  method: "get",
  path: "/gc/devices/{id}/account",
  summary: "The GC account a device is assigned to",
  request: { params: DeviceParams },
  responses: { 200: json(AssignmentSchema, "The assignment"), ...problemResponses(400, 401, 403, 404) },
});

const DeviceIssuanceSchema = z.object({
  deviceId: z.string(),
  accountId: z.string(),
  bundles: z.number().int(),
  energyWh: z.string(),
  minted: z.number().int().openapi({ description: "Bundles now active on chain" }),
  pending: z.number().int().openapi({ description: "Bundles reserved whose voucher the chain has not taken yet (see the batch errors); later runs send them" }),
  firstBundleId: z.string().nullable(),
  lastBundleId: z.string().nullable(),
  skippedLongReads: z
    .object({ reads: z.number().int(), energyWh: z.string() })
    .openapi({
      description:
        "Accepted reads longer than an hour that ended by `through`, and their Wh: not issued as GCs, since a GC certifies metered hours " +
        "and spreading a longer read over its hours would invent a profile. Counted on every run while they stay unissued.",
    }),
});

const runRoute = createRoute({
  ...TAGS,
  middleware: [requireOrganisationType("developer", "admin"), requirePermission("certificates", "WRITE")] as const,
  method: "post",
  path: "/gc/issuance/runs",
  summary: "Issue hourly GCs from accepted meter reads, for every assigned device or the ones named",
  description:
    "One bundle per device and UTC hour that has ended (by `through`, default now) and was never issued, whatever became of an " +
    "earlier bundle; hours an imported bundle covers count as issued. Only accepted reads of at most an hour are issued: one that " +
    "crosses an hour edge is apportioned by time (cumulative shares rounded down, so its parts sum exactly to it); longer reads are " +
    "reported per device in `skippedLongReads`. Bundles are minted into the device's account in vouchers " +
    "of a few hundred, sent from the account's managed key. The run first finishes what earlier runs left unsent. Developers " +
    "issue for their own devices; platform administrators for any.",
  request: {
    ...jsonBody(
      z
        .strictObject({
          deviceIds: z.array(uuid("a device")).min(1, "must name at least one device").max(1_000, "must name at most 1000 devices").optional(),
          accountId: uuid("an account").optional(),
          through: instant.optional().openapi({ description: "Issue hours ending by then (default: now)" }),
        })
        .openapi("GcIssuanceRunRequest"),
    ),
  },
  responses: {
    200: json(
      z
        .object({
          startedAt: z.string(),
          through: z.string(),
          resumed: z.object({ confirmed: z.number().int(), blocked: z.number().int() }).openapi({ description: "Bundles of earlier runs finished (or still blocked)" }),
          devices: z.array(DeviceIssuanceSchema),
          bundles: z.number().int(),
          energyWh: z.string(),
          durationMs: z.number(),
        })
        .openapi("GcIssuanceRun"),
      "What the run issued",
    ),
    ...problemResponses(400, 401, 403, 404, 503),
  },
});

const templateRoute = createRoute({
  ...TAGS,
  method: "get",
  path: "/gc/imports/template",
  summary: "The CSV template for imports (also the format exports are written in)",
  responses: { 200: csv("Header and one example row") },
});

const ImportQuery = z.object({
  accountId: uuid("an account").openapi({ param: { name: "accountId", in: "query" }, description: "The account receiving the bundles" }),
});

const importRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("certificates", "WRITE")] as const,
  method: "post",
  path: "/gc/imports",
  summary: "Import GC bundles from another registry's CSV into an account",
  description:
    "Send the file as the body (`text/csv`) or as the `file` field of a multipart form; columns as in GET /gc/imports/template. " +
    "Each row becomes an imported GC (its own token kind), keeping its source registry and id. The whole file is refused, " +
    "naming each faulty line, when a row is malformed, names a device the account's organisation does not have (by id or " +
    "external id), contradicts the device's energy source, technology or country (400), repeats a bundle or overlaps another " +
    "row's certificate ids for the same device and registry (400), or is energy already here: imported before, overlapping " +
    `earlier imported certificate ids, or in a period issued here (409). At most ${MAX_IMPORT_ROWS} rows. Trading users and ` +
    "administrators of the account.",
  request: {
    query: ImportQuery,
    body: {
      // Not "required": zod-openapi would then check a text/csv body against the multipart schema too.
      required: false,
      content: {
        "text/csv": { schema: z.string() },
        "multipart/form-data": { schema: z.object({ file: z.instanceof(File, { message: "must be a file" }).openapi({ type: "string", format: "binary" }) }) },
      },
    },
  },
  responses: {
    201: json(
      z
        .object({
          importId: z.string(),
          bundles: z.array(BundleSchema),
          minted: z.number().int(),
          pending: z.number().int().openapi({ description: "Bundles whose voucher the chain has not taken yet; the next issuance run sends them" }),
        })
        .openapi("GcImport"),
      "The imported bundles, in file order",
    ),
    ...problemResponses(400, 401, 403, 404, 409, 503),
  },
});

const exportRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("certificates", "WRITE")] as const,
  method: "post",
  path: "/gc/exports",
  summary: "Export bundles to another registry: retired on chain with reason Exported, and written as a CSV in the import format",
  description: "Trading users and administrators of the account; managed accounts (a self-custody holder retires with reason Exported itself).",
  request: jsonBody(
    z
      .strictObject({
        accountId: uuid("an account"),
        bundleIds: z.array(BundleIdSchema).min(1, "must name at least one bundle").max(MAX_BUNDLES_PER_OPERATION, `must name at most ${MAX_BUNDLES_PER_OPERATION} bundles`),
        destinationRegistry: z.string({ error: "must be text" }).trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
      })
      .openapi("GcExportRequest"),
  ),
  responses: {
    201: json(z.object({ exportId: z.string(), txHash: z.string(), csv: z.string(), bundles: z.array(BundleSchema) }).openapi("GcExport"), "The export and its CSV"),
    ...problemResponses(400, 401, 403, 404, 409, 502),
  },
});

const exportFileRoute = createRoute({
  ...TAGS,
  middleware: [requirePermission("certificates", "READ")] as const,
  method: "get",
  path: "/gc/exports/{id}/file",
  summary: "An export's CSV, as handed over",
  request: { params: z.object({ id: uuid("an export").openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 200: csv("The export's CSV"), ...problemResponses(400, 401, 403, 404) },
});

/** CSV row faults as problem fields: `body.lines[3].energy_wh` (line 1 is the header), `body.file` for the file as a whole. */
function lineErrors(faults: readonly RowFault[]): FieldError[] {
  return faults.map((fault) => ({ field: fault.line === null ? `body.${fault.field}` : `body.lines[${fault.line}].${fault.field}`, message: fault.message }));
}

function changeableDevice(db: Db, principal: Principal, deviceId: string) {
  const device = db.select({ id: devices.id, organisationId: devices.organisationId }).from(devices).where(eq(devices.id, deviceId)).get();
  return device && (seesAllOrganisations(principal) || device.organisationId === principal.organisationId) ? device : undefined;
}

export function registerGcIssuance(app: OpenAPIHono<AppEnv>, deps: GcIssuanceDeps): void {
  const { db } = deps;
  const terms = deps.gcTerms ?? DEFAULT_GC_TERMS;
  const now = () => deps.clock().getTime();
  const mintDeps = (): MintDeps | undefined => (deps.chainSigners ? gcMintDeps(deps) : undefined);
  const unavailable = (c: Parameters<typeof problem>[0]) => problem(c, 503, "Issuance unavailable", "The server has no issuer key (ISSUER_PRIVATE_KEY) to sign GC vouchers with.");
  const assignmentView = (row: typeof gcDeviceAccounts.$inferSelect) => ({ ...row, assignedAt: new Date(row.assignedAt).toISOString() });

  app.openapi(assignRoute, (c) => {
    const principal = principalOf(c);
    const device = changeableDevice(db, principal, c.req.valid("param").id);
    if (!device) return problem(c, 404, "Not found", "No such device.");
    if (!canChangeOrganisation(principal, device.organisationId)) return problem(c, 403, "Forbidden", "Auditors change nothing.");
    const { accountId } = c.req.valid("json");
    const account = db.select({ id: gcAccounts.id }).from(gcAccounts).where(and(eq(gcAccounts.id, accountId), eq(gcAccounts.organisationId, device.organisationId))).get();
    if (!account) return problem(c, 404, "Not found", "The device's organisation has no such account.", [{ field: "body.accountId", message: "no such account of the device's organisation" }]);
    // One device's output is certified under one scheme: D-REC reservations have certified (or may yet certify) its reads.
    const reserved = db.select({ reservationId: reservationDevices.reservationId }).from(reservationDevices).where(eq(reservationDevices.deviceId, device.id)).get();
    if (reserved) {
      return problem(c, 409, "Certified as D-REC", `The device has been in D-REC reservation ${reserved.reservationId}; a device is certified as D-REC or as GC, not both.`, [
        { field: "path.id", message: "is a D-REC device" },
      ]);
    }
    const row = { deviceId: device.id, accountId, assignedAt: now(), assignedBy: principal.userId };
    db.insert(gcDeviceAccounts).values(row).onConflictDoUpdate({ target: gcDeviceAccounts.deviceId, set: { accountId, assignedAt: row.assignedAt, assignedBy: row.assignedBy } }).run();
    return c.json(assignmentView(row), 200);
  });

  app.openapi(assignmentRoute, (c) => {
    const device = changeableDevice(db, principalOf(c), c.req.valid("param").id);
    const row = device && db.select().from(gcDeviceAccounts).where(eq(gcDeviceAccounts.deviceId, device.id)).get();
    return row ? c.json(assignmentView(row), 200) : problem(c, 404, "Not found", device ? "The device is not assigned to a GC account." : "No such device.");
  });

  app.openapi(runRoute, async (c) => {
    const principal = principalOf(c);
    const body = c.req.valid("json");
    const minting = mintDeps();
    if (!minting) return unavailable(c);
    const scoped = !seesAllOrganisations(principal);
    const errors: FieldError[] = [];
    if (body.deviceIds) {
      const known = db
        .select({ id: devices.id, organisationId: devices.organisationId, assigned: gcDeviceAccounts.accountId })
        .from(devices)
        .leftJoin(gcDeviceAccounts, eq(gcDeviceAccounts.deviceId, devices.id))
        .where(inArray(devices.id, body.deviceIds))
        .all();
      body.deviceIds.forEach((id, i) => {
        const device = known.find((row) => row.id === id);
        if (!device || (scoped && device.organisationId !== principal.organisationId)) errors.push({ field: `body.deviceIds[${i}]`, message: "no such device" });
        else if (!device.assigned) errors.push({ field: `body.deviceIds[${i}]`, message: "is not assigned to a GC account (PUT /gc/devices/{id}/account)" });
      });
    }
    if (body.accountId) {
      const account = db.select({ organisationId: gcAccounts.organisationId }).from(gcAccounts).where(eq(gcAccounts.id, body.accountId)).get();
      if (!account || (scoped && account.organisationId !== principal.organisationId)) errors.push({ field: "body.accountId", message: "no such account" });
    }
    if (errors.length > 0) return problem(c, 404, "Not found", "The run names devices or accounts it cannot issue for; nothing was issued.", errors);

    const startedAt = now();
    const through = body.through ? Date.parse(body.through) : startedAt;
    // Developers issue for their own organisation's devices only: narrow an unqualified run to them.
    const deviceIds = body.deviceIds ?? (scoped ? db.select({ id: devices.id }).from(devices).where(eq(devices.organisationId, principal.organisationId)).all().map((row) => row.id) : undefined);
    const started = performance.now();
    const summary = await issueHourly({ ...minting, terms }, { deviceIds, accountId: body.accountId, through, now: startedAt, actorId: principal.userId });
    return c.json(
      {
        startedAt: new Date(startedAt).toISOString(),
        through: new Date(Math.min(through, startedAt)).toISOString(),
        resumed: summary.resumed,
        devices: summary.devices.map((device) => ({
          ...device,
          energyWh: String(device.energyWh),
          skippedLongReads: { reads: device.skippedLongReads.reads, energyWh: String(device.skippedLongReads.energyWh) },
        })),
        bundles: summary.devices.reduce((sum, device) => sum + device.bundles, 0),
        energyWh: String(summary.devices.reduce((sum, device) => sum + device.energyWh, 0n)),
        durationMs: Math.round(performance.now() - started),
      },
      200,
    );
  });

  app.openapi(templateRoute, (c) => {
    c.header("content-disposition", 'attachment; filename="gc-import-template.csv"');
    return c.body(bundleCsvTemplate(), 200, { "content-type": "text/csv; charset=utf-8" });
  });

  app.openapi(importRoute, async (c) => {
    const principal = principalOf(c);
    const lookup = accountFor(db, principal, c.req.valid("query").accountId, CROSS_REGISTRY);
    if ("refused" in lookup) return refuse(c, accountRefusal(lookup.refused, "query.accountId", "imports"));
    const minting = mintDeps();
    if (!minting) return unavailable(c);
    const form = c.req.valid("form") as { file?: File };
    const content = form.file ? await form.file.text() : await c.req.text();
    const result = await importBundles({ ...minting, terms }, { account: lookup.account, actorId: principal.userId, csv: content, now: now() });
    if (!result.ok) {
      const detail = result.status === 409 ? "The file holds energy already in the registry; nothing was imported." : "The file is not valid; nothing was imported.";
      return problem(c, result.status, result.status === 409 ? "Already in the registry" : "Invalid file", detail, lineErrors(result.faults));
    }
    const rows = bundlesByIds(db, result.outcome.bundles.map((bundle) => bundle.id));
    return c.json(
      { importId: result.importId, bundles: result.outcome.bundles.map((bundle) => bundleView(rows.get(bundle.id)!)), minted: result.outcome.minted, pending: result.outcome.pending },
      201,
    );
  });

  app.openapi(exportRoute, async (c) => {
    const principal = principalOf(c);
    const body = c.req.valid("json");
    const lookup = accountFor(db, principal, body.accountId, CROSS_REGISTRY);
    if ("refused" in lookup) return refuse(c, accountRefusal(lookup.refused, "body.accountId", "exports"));
    const result = await exportBundles({ ...deps, terms }, { account: lookup.account, actorId: principal.userId, bundleIds: body.bundleIds, destinationRegistry: body.destinationRegistry, now: now() });
    if (isRefusal(result)) return refuse(c, result);
    return c.json({ exportId: result.export.id, txHash: result.export.txHash, csv: result.export.csv, bundles: result.bundles.map(bundleView) }, 201);
  });

  app.openapi(exportFileRoute, (c) => {
    const principal = principalOf(c);
    const row = db.select().from(gcExports).where(eq(gcExports.id, c.req.valid("param").id)).get();
    if (!row || "refused" in accountFor(db, principal, row.accountId, "view")) return problem(c, 404, "Not found", "No such export.");
    c.header("content-disposition", `attachment; filename="gc-export-${row.id}.csv"`);
    return c.body(row.csv, 200, { "content-type": "text/csv; charset=utf-8" });
  });
}
