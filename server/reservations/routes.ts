import { randomUUID } from "node:crypto";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import { getAddress, type Hex } from "viem";

import type { AppDeps } from "../app";
import { requireAuthenticated, requireOrganisationType, requirePermission } from "../auth/authenticate";
import { can, type Principal } from "../auth/permissions";
import { organisations } from "../auth/schema";
import { decodeCursor, encodeCursor } from "../chain/pagination";
import { chainRef } from "../chain/refs";
import { wattsAtLeast, wattsAtMost } from "../devices/listing";
import type { DbOrTx } from "../db/database";
import { principalOf, type AppEnv } from "../http/env";
import { json, jsonBody, problemResponses, SECURED } from "../http/openapi";
import { problem, type FieldError } from "../http/problem";
import { dispatchOutbox } from "../notifications/outbox";
import { wallets } from "../wallets/schema";
import {
  EligibleQuerySchema,
  EligibleResultSchema,
  IdParams,
  ReservationInputSchema,
  ReservationListQuerySchema,
  ReservationPageSchema,
  ReservationPatchSchema,
  ReservationSchema,
} from "./apiSchemas";
import {
  addOnChain,
  chainFailure,
  chainReservationState,
  createOnChain,
  devicesNotHeld,
  NOT_HELD_ON_CHAIN,
  removeOnChain,
  reservationChainOf,
} from "./chain";
import { groupDevices } from "./grouping";
import { endReservation, releaseDevicesOf } from "./release";
import { targetWhOf, windowFaults } from "./rules";
import { reservations } from "./schema";
import {
  addReservationDevices,
  deviceFaults,
  eligibleDevices,
  findReservation,
  insertReservation,
  listReservations,
  notifyDevelopers,
  releaseReservationDevices,
  reservationDetail,
  reservationSummaries,
  unreleasedDevices,
  viewerOf,
  visibleReservation,
  type ReservationRow,
} from "./store";

export type ReservationDeps = Pick<AppDeps, "db" | "clock" | "publicClient" | "registryAddress" | "chainSigners" | "mail">;

/** The most devices one eligible-device answer lists; beyond it the buyer narrows the filters. */
export const MAX_ELIGIBLE_DEVICES = 5000;

const createReservationRoute = createRoute({
  method: "post",
  path: "/reservations",
  tags: ["reservations"],
  summary: "Reserve devices for a period: written to the on-chain reservation log, developers notified",
  description:
    "Buyers reserve devices of any developer organisation. Each device must be free (in no active reservation), past the " +
    "12-hour hold after its last one, reserved before only for periods ending by this one's start, and without validation " +
    "errors. Refusals name the field (`body.deviceIds.2`); nothing is written. The chain is written first; the answer " +
    "carries the transaction hash. A device the chain refuses is a 409 naming it; a chain that does not answer (or refuses " +
    "the platform's recorder key) is a 503, with nothing written.",
  security: SECURED,
  middleware: [requirePermission("reservations", "WRITE"), requireOrganisationType("buyer")] as const,
  request: jsonBody(ReservationInputSchema),
  responses: { 201: json(ReservationSchema, "The reservation, active"), ...problemResponses(400, 401, 403, 409, 503) },
});

const listReservationsRoute = createRoute({
  method: "get",
  path: "/reservations",
  tags: ["reservations"],
  summary: "Reservations with the seed's filters (country, fuel, off-taker, SDG benefits, status, period), newest first",
  description:
    "A buyer sees its own; administrators and auditors every buyer's (or one's, with `organisationId`); a developer those " +
    "holding or having held its devices, with only its own devices counted.",
  security: SECURED,
  middleware: [requirePermission("reservations", "READ")] as const,
  request: { query: ReservationListQuerySchema },
  responses: { 200: json(ReservationPageSchema, "One page"), ...problemResponses(400, 401, 403, 404) },
});

const eligibleRoute = createRoute({
  method: "get",
  path: "/reservations/eligible-devices",
  tags: ["reservations"],
  summary: "Devices a buyer can reserve now, grouped by country, fuel, device type and off-taker",
  description:
    "Across every developer organisation: devices without validation errors, in no active reservation and not on hold. " +
    "Each group lists its devices, total capacity, organisations, commissioning dates and time zones; with " +
    "`targetCapacityKw`, a suggested set of its devices reaching that capacity.",
  security: SECURED,
  middleware: [requirePermission("reservations", "READ"), requireOrganisationType("buyer", "admin")] as const,
  request: { query: EligibleQuerySchema },
  responses: { 200: json(EligibleResultSchema, "The groups, largest capacity first"), ...problemResponses(400, 401, 403) },
});

const getReservationRoute = createRoute({
  method: "get",
  path: "/reservations/{id}",
  tags: ["reservations"],
  summary: "A reservation with its devices, their on-chain adds and releases, and the volume issued so far",
  security: SECURED,
  middleware: [requirePermission("reservations", "READ")] as const,
  request: { params: IdParams },
  responses: { 200: json(ReservationSchema, "The reservation"), ...problemResponses(400, 401, 403, 404) },
});

const patchReservationRoute = createRoute({
  method: "patch",
  path: "/reservations/{id}",
  tags: ["reservations"],
  summary: "Rename an active reservation, add devices to it or remove devices from it",
  description:
    "Window, frequency, standard, target, authority to exceed and wallet are fixed for the reservation's life (400 naming " +
    "the field). Devices change only before the reservation's end. Everything is checked before anything is written: " +
    "devices to add against the database (the chain checks them again as they are written) and, when the request also " +
    "adds, devices to remove against the chain. Additions are written on chain before removals, and the developers of " +
    "added devices are notified. A removed device is held 12 hours before another reservation may take it. A chain that " +
    "does not answer is a 503; should it fail between the two writes, the answer says the additions stand.",
  security: SECURED,
  middleware: [requirePermission("reservations", "UPDATE"), requireOrganisationType("buyer")] as const,
  request: { params: IdParams, ...jsonBody(ReservationPatchSchema) },
  responses: { 200: json(ReservationSchema, "The reservation after the change"), ...problemResponses(400, 401, 403, 404, 409, 503) },
});

const deleteReservationRoute = createRoute({
  method: "delete",
  path: "/reservations/{id}",
  tags: ["reservations"],
  summary: "End a reservation now: ended on chain, every device released (then held 12 hours)",
  security: SECURED,
  middleware: [requirePermission("reservations", "DELETE"), requireOrganisationType("buyer")] as const,
  request: { params: IdParams },
  responses: { 200: json(ReservationSchema, "The reservation, ended"), ...problemResponses(400, 401, 403, 404, 409, 503) },
});

const releaseRoute = createRoute({
  method: "post",
  path: "/reservations/{id}/release",
  tags: ["reservations"],
  summary: "Release devices by hand when the automatic release of a finished reservation failed",
  description:
    "Only for a reservation whose period is over (or whose target was met on chain) that is still active here: its " +
    "automatic release failed (see `releaseError`). A platform administrator (reservations UPDATE or DELETE) ends it and " +
    "releases every device; a developer (devices UPDATE or DELETE) releases its own devices only.",
  security: SECURED,
  middleware: [requireAuthenticated] as const,
  request: { params: IdParams },
  responses: { 200: json(ReservationSchema, "The reservation after the release"), ...problemResponses(400, 401, 403, 404, 409, 503) },
});

const noSuchReservation = (c: Context) => problem(c, 404, "Not found", "No such reservation.");
const recorderMissing = (c: Context) =>
  problem(
    c,
    503,
    "Chain writes unavailable",
    "The platform's recorder key is not configured (RECORDER_PRIVATE_KEY), so reservations cannot be written on chain."
  );
const iso = (ms: number) => new Date(ms).toISOString();

/** Later copies of an id already listed, named by index. */
function repeatedIds(ids: readonly string[], field: string): FieldError[] {
  const first = new Map<string, number>();
  return ids.flatMap((id, index) => {
    const earlier = first.get(id);
    if (earlier === undefined) first.set(id, index);
    return earlier === undefined ? [] : [{ field: `${field}.${index}`, message: `repeats item ${earlier}` }];
  });
}

/** A failed reservation-log call as its answer (see chainFailure); an error that is not the chain's is rethrown (500). */
function chainProblem(c: Context, error: unknown, devices?: { ids: readonly string[]; field: string }, written?: string) {
  const failure = chainFailure(error, devices, written);
  if (!failure) throw error;
  return problem(c, failure.status, failure.title, failure.detail, failure.errors);
}

/** Who may release by hand, and what: an administrator the whole reservation, a developer its own devices. */
function releaser(principal: Principal): "admin" | "developer" | { refused: string } {
  if (principal.organisationType === "admin") {
    return can(principal, "reservations", "UPDATE") || can(principal, "reservations", "DELETE")
      ? "admin"
      : { refused: "This needs the UPDATE or DELETE permission on reservations." };
  }
  if (principal.organisationType === "developer") {
    return can(principal, "devices", "UPDATE") || can(principal, "devices", "DELETE")
      ? "developer"
      : { refused: "This needs the UPDATE or DELETE permission on devices." };
  }
  return { refused: "Devices are released by hand by platform administrators and by their developers; a buyer ends its reservation with DELETE." };
}

export function registerReservations(app: OpenAPIHono<AppEnv>, deps: ReservationDeps): void {
  const { db } = deps;
  const chain = reservationChainOf(deps);
  const detail = (c: Context<AppEnv>, row: ReservationRow) => reservationDetail(db, row, viewerOf(principalOf(c)));

  app.openapi(createReservationRoute, async (c) => {
    const principal = principalOf(c);
    const body = c.req.valid("json");
    const now = deps.clock();
    const start = new Date(body.start);
    const end = new Date(body.end);
    const errors: FieldError[] = windowFaults(start, end, now).map((fault) => ({ field: `body.${fault.field}`, message: fault.message }));
    const target = targetWhOf(body.targetMWh);
    if (!target.ok) errors.push({ field: "body.targetMWh", message: target.message });
    const walletAddress = getAddress(body.walletAddress);
    const ownWallet = db
      .select({ address: wallets.address })
      .from(wallets)
      .where(and(eq(wallets.address, walletAddress), eq(wallets.organisationId, principal.organisationId)))
      .get();
    if (!ownWallet) {
      errors.push({ field: "body.walletAddress", message: "is not one of your organisation's wallets (bind it with POST /organisation/wallets)" });
    }
    errors.push(...repeatedIds(body.deviceIds, "body.deviceIds"));
    const devices = deviceFaults(db, body.deviceIds, "body.deviceIds", start.getTime(), now.getTime());
    errors.push(...devices.missing);
    if (errors.length > 0 || !target.ok) return problem(c, 400, "Invalid request", "Nothing was reserved: the listed fields are not valid.", errors);
    if (devices.unavailable.length > 0) {
      return problem(c, 409, "Device unavailable", "Nothing was reserved: the listed devices cannot be reserved now.", devices.unavailable);
    }
    if (!chain) return recorderMissing(c);

    const id = randomUUID();
    const row: ReservationRow = {
      id,
      chainRef: chainRef(id),
      buyerOrganisationId: principal.organisationId,
      name: body.name,
      standard: body.standard,
      frequency: body.frequency,
      startAt: start.getTime(),
      endAt: end.getTime(),
      targetWh: Number(target.value),
      canExceedTarget: body.authorityToExceed,
      walletAddress,
      status: "active",
      endReason: null,
      endedAt: null,
      releaseError: null,
      createdAt: now.getTime(),
      createdBy: principal.userId,
      createTxHash: "",
      endTxHash: null,
      planDigest: null,
      plannedReadId: null,
    };
    try {
      row.createTxHash = await createOnChain(
        chain,
        { ...row, chainRef: row.chainRef as Hex, walletAddress, targetWh: target.value },
        body.deviceIds.map((deviceId) => chainRef(deviceId))
      );
    } catch (error) {
      return chainProblem(c, error, { ids: body.deviceIds, field: "body.deviceIds" });
    }
    db.transaction((tx) => {
      insertReservation(tx, row);
      addReservationDevices(tx, id, body.deviceIds, row.createdAt, row.createTxHash);
      notifyDevelopers(tx, row, body.deviceIds, now);
    });
    await dispatchOutbox(db, deps.mail, deps.clock);
    c.header("location", `/reservations/${id}`);
    return c.json(detail(c, findReservation(db, id)!), 201);
  });

  app.openapi(listReservationsRoute, (c) => {
    const principal = principalOf(c);
    const viewer = viewerOf(principal);
    const params = c.req.valid("query");
    const errors: FieldError[] = [];
    if (params.organisationId !== undefined) {
      const visible =
        viewer.kind === "all"
          ? db.select({ id: organisations.id }).from(organisations).where(eq(organisations.id, params.organisationId)).get()
          : params.organisationId === principal.organisationId;
      if (!visible) return problem(c, 404, "Not found", "No such organisation.", [{ field: "query.organisationId", message: "no such organisation" }]);
    }
    const from = params.from === undefined ? undefined : Date.parse(params.from);
    const to = params.to === undefined ? undefined : Date.parse(params.to);
    if (from !== undefined && to !== undefined && from > to) errors.push({ field: "query.to", message: "must not be before from" });
    const position = params.cursor === undefined ? undefined : decodeCursor(params.cursor, ["n", "s"]);
    if (params.cursor !== undefined && !position) errors.push({ field: "query.cursor", message: "is not a cursor this API issued" });
    if (errors.length > 0) return problem(c, 400, "Invalid request", "The request query is not valid.", errors);
    const { rows, hasMore } = listReservations(db, viewer, {
      // A developer's own organisation is not a buyer: naming it only confirms the scope it already has.
      organisationId: viewer.kind === "developer" ? undefined : params.organisationId,
      countryCode: params.countryCode,
      fuelCode: params.fuelCode,
      offTaker: params.offTaker,
      sdgBenefits: params.sdgBenefits,
      status: params.status,
      from,
      to,
      limit: params.limit,
      after: position && { createdAt: position[0] as number, id: position[1] as string },
    });
    const last = rows[rows.length - 1];
    return c.json({ items: reservationSummaries(db, rows, viewer), nextCursor: hasMore ? encodeCursor([last.createdAt, last.id]) : null }, 200);
  });

  // Before /reservations/{id}, which would otherwise take "eligible-devices" for an id.
  app.openapi(eligibleRoute, (c) => {
    const params = c.req.valid("query");
    const errors: FieldError[] = [];
    if (params.capacityMinKw !== undefined && params.capacityMaxKw !== undefined && params.capacityMinKw > params.capacityMaxKw) {
      errors.push({ field: "query.capacityMaxKw", message: "must not be below capacityMinKw" });
    }
    if (params.commissionedFrom && params.commissionedTo && params.commissionedFrom > params.commissionedTo) {
      errors.push({ field: "query.commissionedTo", message: "must not be before commissionedFrom" });
    }
    if (errors.length > 0) return problem(c, 400, "Invalid request", "The request query is not valid.", errors);
    const found = eligibleDevices(
      db,
      {
        ...params,
        capacityMinW: params.capacityMinKw === undefined ? undefined : wattsAtLeast(params.capacityMinKw),
        capacityMaxW: params.capacityMaxKw === undefined ? undefined : wattsAtMost(params.capacityMaxKw),
        windowStart: params.start === undefined ? undefined : Date.parse(params.start),
      },
      deps.clock().getTime(),
      MAX_ELIGIBLE_DEVICES + 1
    );
    const kept = found.slice(0, MAX_ELIGIBLE_DEVICES);
    const groups = groupDevices(kept, params.targetCapacityKw === undefined ? undefined : wattsAtLeast(params.targetCapacityKw));
    const kw = (w: number) => w / 1000;
    return c.json(
      {
        deviceCount: kept.length,
        truncated: found.length > MAX_ELIGIBLE_DEVICES,
        groups: groups.map(({ devices, totalCapacityW, suggestion, ...group }) => ({
          ...group,
          deviceCount: devices.length,
          totalCapacity: kw(totalCapacityW),
          devices: devices.map((d) => ({
            id: d.id,
            externalId: d.externalId,
            organisationId: d.organisationId,
            organisationName: d.organisationName,
            capacity: kw(d.capacityW),
            commissioningDate: d.commissioningDate,
            timeZone: d.timeZone,
          })),
          ...(suggestion ? { suggestion: { deviceIds: suggestion.deviceIds, capacity: kw(suggestion.capacityW), meetsTarget: suggestion.meetsTarget } } : {}),
        })),
      },
      200
    );
  });

  app.openapi(getReservationRoute, (c) => {
    const row = visibleReservation(db, viewerOf(principalOf(c)), c.req.valid("param").id);
    return row ? c.json(detail(c, row), 200) : noSuchReservation(c);
  });

  app.openapi(patchReservationRoute, async (c) => {
    const row = visibleReservation(db, viewerOf(principalOf(c)), c.req.valid("param").id);
    if (!row) return noSuchReservation(c);
    const body = c.req.valid("json");
    const now = deps.clock();
    const add = body.addDeviceIds ?? [];
    const remove = body.removeDeviceIds ?? [];
    if (row.status !== "active") return problem(c, 409, "Reservation ended", `The reservation ended at ${iso(row.endedAt!)}; it can no longer change.`);
    if ((add.length > 0 || remove.length > 0) && row.endAt <= now.getTime()) {
      return problem(
        c,
        409,
        "Reservation over",
        `The reservation's period ended at ${iso(row.endAt)}: its devices are released automatically and cannot change.`
      );
    }
    const members = new Set(unreleasedDevices(db, row.id).map((device) => device.id));
    const errors: FieldError[] = [...repeatedIds(add, "body.addDeviceIds"), ...repeatedIds(remove, "body.removeDeviceIds")];
    const adding = new Set(add);
    remove.forEach((id, index) => {
      if (adding.has(id)) errors.push({ field: `body.removeDeviceIds.${index}`, message: "is also in addDeviceIds" });
      else if (!members.has(id)) errors.push({ field: `body.removeDeviceIds.${index}`, message: "is not in this reservation" });
    });
    add.forEach((id, index) => {
      if (members.has(id)) errors.push({ field: `body.addDeviceIds.${index}`, message: "is already in this reservation" });
    });
    const devices = deviceFaults(db, add, "body.addDeviceIds", row.startAt, now.getTime());
    errors.push(...devices.missing);
    if (errors.length > 0) return problem(c, 400, "Invalid request", "Nothing was changed: the listed fields are not valid.", errors);
    if (devices.unavailable.length > 0) {
      return problem(c, 409, "Device unavailable", "Nothing was changed: the listed devices cannot be reserved now.", devices.unavailable);
    }
    if ((add.length > 0 || remove.length > 0) && !chain) return recorderMissing(c);
    const removeRefs = remove.map((id) => chainRef(id));
    if (add.length > 0 && remove.length > 0) {
      // The addition is written first and checked by the chain as it is sent; a removal the chain would then
      // refuse (the database and the chain disagree about a device) must be refused before that.
      let notHeld: number[];
      try {
        notHeld = await devicesNotHeld(chain!, row.chainRef as Hex, removeRefs);
      } catch (error) {
        return chainProblem(c, error);
      }
      if (notHeld.length > 0) {
        return problem(
          c,
          409,
          "Device unavailable",
          "Nothing was changed: the chain does not hold the listed devices in this reservation.",
          notHeld.map((index) => ({ field: `body.removeDeviceIds.${index}`, message: NOT_HELD_ON_CHAIN }))
        );
      }
    }
    // The new name goes in with the first change written, so a refused chain call leaves it unchanged too.
    let newName = body.name;
    const rename = (tx: DbOrTx) => {
      if (newName !== undefined) tx.update(reservations).set({ name: newName }).where(eq(reservations.id, row.id)).run();
      newName = undefined;
    };

    let addHash: string | undefined;
    if (add.length > 0) {
      let hash: string;
      try {
        hash = await addOnChain(
          chain!,
          row.chainRef as Hex,
          add.map((id) => chainRef(id))
        );
      } catch (error) {
        return chainProblem(c, error, { ids: add, field: "body.addDeviceIds" });
      }
      db.transaction((tx) => {
        rename(tx);
        addReservationDevices(tx, row.id, add, now.getTime(), hash);
        notifyDevelopers(tx, { ...row, name: body.name ?? row.name }, add, now);
      });
      await dispatchOutbox(db, deps.mail, deps.clock);
      addHash = hash;
    }
    if (remove.length > 0) {
      let removed: Awaited<ReturnType<typeof removeOnChain>>;
      try {
        removed = await removeOnChain(chain!, row.chainRef as Hex, removeRefs);
      } catch (error) {
        // Only a chain that fails or changes between the two calls gets here after an addition: say what stands.
        const written = addHash && `The devices in addDeviceIds were added (transaction ${addHash})${body.name === undefined ? "" : " and the name changed"}; send the removal again.`;
        return chainProblem(c, error, { ids: remove, field: "body.removeDeviceIds" }, written);
      }
      db.transaction((tx) => {
        rename(tx);
        releaseReservationDevices(
          tx,
          row.id,
          remove.map((deviceId, i) => ({ deviceId, releasedAt: removed.releasedAt.get(removeRefs[i])! })),
          removed.hash,
          "removed"
        );
      });
    }
    rename(db);
    return c.json(detail(c, findReservation(db, row.id)!), 200);
  });

  app.openapi(deleteReservationRoute, async (c) => {
    const row = visibleReservation(db, viewerOf(principalOf(c)), c.req.valid("param").id);
    if (!row) return noSuchReservation(c);
    if (row.status !== "active") return problem(c, 409, "Reservation ended", `The reservation already ended at ${iso(row.endedAt!)}.`);
    if (!chain) return recorderMissing(c);
    try {
      await endReservation(db, chain, row, "deleted");
    } catch (error) {
      return chainProblem(c, error);
    }
    return c.json(detail(c, findReservation(db, row.id)!), 200);
  });

  app.openapi(releaseRoute, async (c) => {
    const principal = principalOf(c);
    const who = releaser(principal);
    if (typeof who === "object") return problem(c, 403, "Forbidden", who.refused);
    const row = visibleReservation(db, viewerOf(principal), c.req.valid("param").id);
    if (!row) return noSuchReservation(c);
    if (row.status !== "active") return problem(c, 409, "Already released", `The reservation ended at ${iso(row.endedAt!)} and its devices were released.`);
    if (!chain) return recorderMissing(c);
    const now = deps.clock().getTime();
    try {
      const over = row.endAt <= now || (await chainReservationState(chain, row.chainRef as Hex)).endedAt !== null;
      if (!over) {
        return problem(
          c,
          409,
          "Reservation still running",
          `The reservation runs until ${iso(row.endAt)}; its devices are released automatically then. Releasing by hand is for a release that failed.`
        );
      }
      if (who === "admin") {
        await endReservation(db, chain, row, "expired", "manual");
      } else {
        const own = unreleasedDevices(db, row.id, principal.organisationId).map((device) => device.id);
        if (own.length === 0) return problem(c, 409, "Nothing to release", "None of your devices remain in this reservation.");
        await releaseDevicesOf(db, chain, row, own);
      }
    } catch (error) {
      return chainProblem(c, error);
    }
    return c.json(detail(c, findReservation(db, row.id)!), 200);
  });
}
