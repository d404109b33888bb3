import { randomUUID } from "node:crypto";
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { eq, inArray } from "drizzle-orm";
import type { Context } from "hono";
import { ZodError } from "zod";

import { requirePermission } from "../auth/authenticate";
import { canChangeOrganisation, canReadOrganisation } from "../auth/permissions";
import type { Db } from "../db/database";
import { principalOf, type AppEnv } from "../http/env";
import { json, OrganisationQuerySchema, problemResponses, SECURED } from "../http/openapi";
import { problem, validationHook, type FieldError } from "../http/problem";
import { noSuchDevice, organisationRequiredForExternalId, owningOrganisation, readScope, refuse } from "./access";
import { DevicePageSchema, DeviceSchema } from "./apiSchemas";
import { DeviceListQuerySchema, encodeCursor, toListQuery } from "./listing";
import { noDeviceLocks, type DeviceLocks } from "./locks";
import { devices } from "./schema";
import { attributesOf, columnsOf, deviceView, findDevice, findDeviceByExternalId, insertDevices, listDevices, sortValueOf, usedExternalIds } from "./store";
import { registerDeviceUploads } from "./uploadRoutes";
import {
  changedCertificationFields,
  checkDevice,
  DeviceInputSchema,
  EXTERNAL_ID_PATTERN,
  judgeUpdate,
  patchedInput,
  repeatedExternalIds,
  type DeviceIssue,
} from "./validation";

export interface DevicesDeps {
  db: Db;
  clock: () => Date;
  /** Which devices are frozen (in an active reservation); none unless the reservations domain says so. */
  deviceLocks?: DeviceLocks;
}

/** More than this in one request belongs in a CSV upload. */
export const MAX_DEVICES_PER_REQUEST = 1000;

const IdParams = z.object({ id: z.uuid({ error: "must be a device UUID" }).openapi({ param: { name: "id", in: "path" } }) });
const DevicePatchSchema = DeviceInputSchema.partial().openapi("DevicePatch");

const createDevicesRoute = createRoute({
  method: "post",
  path: "/devices",
  tags: ["devices"],
  summary: "Register one device, or an array of devices (all or none)",
  description:
    "Developers register devices for their own organisation (platform administrators name it with `organisationId`). " +
    "An array is registered only if every item is valid; otherwise nothing is written and `errors` names each item by " +
    "index and field (`body.3.capacity`). External ids are unique within the organisation.",
  security: SECURED,
  middleware: [requirePermission("devices", "WRITE")] as const,
  request: {
    query: OrganisationQuerySchema,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.union([
            DeviceInputSchema,
            z
              .array(DeviceInputSchema)
              .min(1, "must list at least one device")
              .max(MAX_DEVICES_PER_REQUEST, `must list at most ${MAX_DEVICES_PER_REQUEST} devices; upload a CSV file for more`),
          ]),
        },
      },
    },
  },
  responses: {
    201: json(z.union([DeviceSchema, z.array(DeviceSchema)]), "The registered device (or devices, in the order sent)"),
    ...problemResponses(400, 401, 403, 404, 409),
  },
});

const listDevicesRoute = createRoute({
  method: "get",
  path: "/devices",
  tags: ["devices"],
  summary: "List devices with the seed's filters, sorted, one page at a time",
  description:
    "Your organisation's devices (platform administrators and auditors: every organisation's, or one with `organisationId`). " +
    "Pages follow a cursor: walking them never repeats or skips a device, even while devices are added.",
  security: SECURED,
  middleware: [requirePermission("devices", "READ")] as const,
  request: { query: DeviceListQuerySchema },
  responses: { 200: json(DevicePageSchema, "One page of devices"), ...problemResponses(400, 401, 403, 404) },
});

const getByExternalIdRoute = createRoute({
  method: "get",
  path: "/devices/by-external-id/{externalId}",
  tags: ["devices"],
  summary: "A device by its external id within an organisation (for gateways that only know their own ids)",
  security: SECURED,
  middleware: [requirePermission("devices", "READ")] as const,
  request: {
    params: z.object({ externalId: z.string().regex(EXTERNAL_ID_PATTERN, "may contain only letters, digits, - and _") }),
    query: OrganisationQuerySchema,
  },
  responses: { 200: json(DeviceSchema, "The device"), ...problemResponses(400, 401, 403, 404) },
});

const getDeviceRoute = createRoute({
  method: "get",
  path: "/devices/{id}",
  tags: ["devices"],
  summary: "A device by its platform UUID",
  security: SECURED,
  middleware: [requirePermission("devices", "READ")] as const,
  request: { params: IdParams },
  responses: { 200: json(DeviceSchema, "The device"), ...problemResponses(400, 401, 403, 404) },
});

const updateDeviceRoute = createRoute({
  method: "patch",
  path: "/devices/{id}",
  tags: ["devices"],
  summary: "Change some of a device's fields (null clears an optional field)",
  description:
    "The device is checked as a whole after the change. Fields that shape certificates (country, capacity, dates, codes, " +
    "location, storage, GC attributes…) cannot change while the device is in an active reservation (409). " +
    "Updating a field flagged in `validationErrors` clears its flag.",
  security: SECURED,
  middleware: [requirePermission("devices", "UPDATE")] as const,
  request: { params: IdParams, body: { required: true, content: { "application/json": { schema: DevicePatchSchema } } } },
  responses: { 200: json(DeviceSchema, "The updated device"), ...problemResponses(400, 401, 403, 404, 409) },
});

const deleteDeviceRoute = createRoute({
  method: "delete",
  path: "/devices/{id}",
  tags: ["devices"],
  summary: "Remove a device (not while it is in an active reservation)",
  security: SECURED,
  middleware: [requirePermission("devices", "DELETE")] as const,
  request: { params: IdParams },
  responses: { 204: { description: "Removed" }, ...problemResponses(400, 401, 403, 404, 409) },
});

/** Each item's faults, named `body.<index>.<field>` for an array and `body.<field>` for one device. */
function checkBody(body: Record<string, unknown> | Record<string, unknown>[], now: Date) {
  const items = Array.isArray(body) ? body : [body];
  const fieldAt = (index: number, issue: DeviceIssue): FieldError => ({
    field: Array.isArray(body) ? `body.${index}.${issue.field}` : `body.${issue.field}`,
    message: issue.message,
  });
  const checks = items.map((item) => checkDevice(item, { onboardedAt: now }));
  const errors = checks.flatMap((check, index) => check.issues.map((issue) => fieldAt(index, issue)));
  for (const [index, earlier] of repeatedExternalIds(items.map((item) => item.externalId))) {
    errors.push(fieldAt(index, { field: "externalId", message: `repeats item ${earlier}'s externalId` }));
  }
  return { items, checks, errors, fieldAt };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

export function registerDevices(app: OpenAPIHono<AppEnv>, deps: DevicesDeps): void {
  const { db } = deps;
  const locks = deps.deviceLocks ?? noDeviceLocks;

  // Registered first: "/devices/uploads" would otherwise be taken for a device id.
  registerDeviceUploads(app, deps);

  /**
   * A refused body is answered with every fault of every item at once: when it has the right shape (an
   * object, or an array of objects of allowed length) the handler's own check names them all; zod alone
   * would stop before the checks that need the whole device (dates, zones, repeats).
   */
  const refusedBody = async (result: { error: ZodError; target: string }, c: Context) => {
    const body: unknown = await c.req.json().catch(() => undefined);
    const shaped = isRecord(body) || (Array.isArray(body) && body.length >= 1 && body.length <= MAX_DEVICES_PER_REQUEST && body.every(isRecord));
    const errors = shaped ? checkBody(body as Record<string, unknown>, deps.clock()).errors : [];
    if (errors.length > 0) return problem(c, 400, "Invalid request", "Nothing was registered: the listed fields are not valid.", errors);
    // zod reports a failed one-or-many union as one opaque issue: report the branch the body was meant for.
    const issues = result.error.issues.flatMap((issue) => {
      if (issue.code !== "invalid_union" || issue.path.length > 0) return [issue];
      return issue.errors.find((branch) => !branch.some((inner) => inner.code === "invalid_type" && inner.path.length === 0)) ?? [issue];
    });
    return validationHook({ success: false, error: new ZodError(issues), target: result.target }, c)!;
  };
  const createHook = (result: { success: true } | { success: false; error: ZodError; target: string }, c: Context) =>
    result.success ? undefined : refusedBody(result, c);

  app.openapi(
    createDevicesRoute,
    (c) => {
      const principal = principalOf(c);
      const owner = owningOrganisation(db, principal, c.req.valid("query").organisationId);
      if ("status" in owner) return refuse(c, owner);
      const body = c.req.valid("json");
      const now = deps.clock();
      const { items, checks, errors, fieldAt } = checkBody(body, now);
      if (errors.length > 0) return problem(c, 400, "Invalid request", "Nothing was registered: the listed fields are not valid.", errors);
      const ids = items.map(() => randomUUID());
      const conflicts = db.transaction((tx) => {
        const externalIds = checks.map((check) => check.device!.externalId);
        const used = usedExternalIds(tx, owner.organisationId, externalIds);
        const taken = externalIds.flatMap((externalId, index) => {
          const usedBy = used.get(externalId);
          return usedBy === undefined ? [] : [fieldAt(index, { field: "externalId", message: `is already used by device ${usedBy} in this organisation` })];
        });
        if (taken.length > 0) return taken;
        insertDevices(
          tx,
          checks.map((check, index) => ({
            id: ids[index],
            organisationId: owner.organisationId,
            device: check.device!,
            validationErrors: [],
            uploadJobId: null,
            createdBy: principal.userId,
            now: now.toISOString(),
          })),
        );
        return [];
      });
      if (conflicts.length > 0) return problem(c, 409, "External id in use", "Nothing was registered: external ids must be unique in the organisation.", conflicts);
      const byId = new Map(db.select().from(devices).where(inArray(devices.id, ids)).all().map((row) => [row.id, deviceView(row)]));
      const created = ids.map((id) => byId.get(id)!);
      if (Array.isArray(body)) return c.json(created, 201);
      c.header("location", `/devices/${ids[0]}`);
      return c.json(created[0], 201);
    },
    createHook,
  );

  app.openapi(listDevicesRoute, (c) => {
    const params = c.req.valid("query");
    const scope = readScope(db, principalOf(c), params.organisationId);
    if ("status" in scope) return refuse(c, scope);
    const query = toListQuery(params);
    if (Array.isArray(query)) return problem(c, 400, "Invalid request", "The request query is not valid.", query);
    const { rows, hasMore } = listDevices(db, scope.organisationId, query);
    const last = rows[rows.length - 1];
    const nextCursor = hasMore ? encodeCursor({ sort: query.sort, order: query.order, value: sortValueOf(last, query.sort), id: last.id }) : null;
    return c.json({ items: rows.map(deviceView), nextCursor }, 200);
  });

  app.openapi(getByExternalIdRoute, (c) => {
    const principal = principalOf(c);
    const { organisationId } = c.req.valid("query");
    const scope = readScope(db, principal, organisationId);
    if ("status" in scope) return refuse(c, scope);
    if (scope.organisationId === undefined) return refuse(c, organisationRequiredForExternalId);
    const row = findDeviceByExternalId(db, scope.organisationId, c.req.valid("param").externalId);
    return row ? c.json(deviceView(row), 200) : noSuchDevice(c);
  });

  app.openapi(getDeviceRoute, (c) => {
    const row = findDevice(db, c.req.valid("param").id);
    if (!row || !canReadOrganisation(principalOf(c), row.organisationId)) return noSuchDevice(c);
    return c.json(deviceView(row), 200);
  });

  app.openapi(updateDeviceRoute, (c) => {
    const row = findDevice(db, c.req.valid("param").id);
    if (!row || !canChangeOrganisation(principalOf(c), row.organisationId)) return noSuchDevice(c);
    const patch = c.req.valid("json");
    const before = attributesOf(row);
    const check = checkDevice(patchedInput(before, patch), { onboardedAt: new Date(row.onboardedAt) });
    const { refused, flags } = judgeUpdate(row.validationErrors, patch, check.issues);
    if (refused.length > 0 || !check.device) {
      return problem(c, 400, "Invalid request", "The device would not be valid after this change.", refused.map((issue) => ({ field: `body.${issue.field}`, message: issue.message })));
    }
    const after = check.device;
    const frozen = changedCertificationFields(before, after);
    if (frozen.length > 0) {
      const reason = locks.locked([row.id]).get(row.id);
      if (reason) {
        return problem(
          c,
          409,
          "Device locked",
          `The device is ${reason}: fields that shape its certificates cannot change until it is released.`,
          frozen.map((field) => ({ field: `body.${field}`, message: "cannot change while the device is reserved" })),
        );
      }
    }
    if (after.externalId !== row.externalId) {
      const usedBy = usedExternalIds(db, row.organisationId, [after.externalId]).get(after.externalId);
      if (usedBy) {
        return problem(c, 409, "External id in use", "Another device of the organisation has this external id.", [
          { field: "body.externalId", message: `is already used by device ${usedBy}` },
        ]);
      }
    }
    const now = deps.clock().toISOString();
    db.update(devices)
      .set({ ...columnsOf(after), validationErrors: flags, updatedAt: now })
      .where(eq(devices.id, row.id))
      .run();
    return c.json(deviceView(findDevice(db, row.id)!), 200);
  });

  app.openapi(deleteDeviceRoute, (c) => {
    const row = findDevice(db, c.req.valid("param").id);
    if (!row || !canChangeOrganisation(principalOf(c), row.organisationId)) return noSuchDevice(c);
    const reason = locks.locked([row.id]).get(row.id);
    if (reason) return problem(c, 409, "Device locked", `The device is ${reason}: it cannot be removed until it is released.`);
    try {
      db.delete(devices).where(eq(devices.id, row.id)).run();
    } catch (error) {
      // Meter reads (and later certificates) refer to the device: its history must stay auditable.
      if ((error as { code?: string }).code !== "SQLITE_CONSTRAINT_FOREIGNKEY") throw error;
      return problem(c, 409, "Device in use", "The device has meter reads or certificates that refer to it; it cannot be removed.");
    }
    return c.body(null, 204);
  });
}
