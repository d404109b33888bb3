import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";

import { requireAuthenticated } from "../auth/authenticate";
import type { Db } from "../db/database";
import type { AppEnv } from "../http/env";
import { json, problemResponses, SECURED } from "../http/openapi";
import { problem } from "../http/problem";
import { AddressParams, CertificateDetailSchema, CertificateIdParams, CertificateListQuery, CertificatePageSchema, HistoryPageSchema, HistoryQuery, HolderPageSchema, HoldingPageSchema, HoldingsQuery, PageQuery, ReservationEventPageSchema, ReservationParams, ReservationSchema, RetirementPageSchema, RetirementsQuery, TransferPageSchema } from "./apiSchemas";
import { certificateDetail, certificateExists, certificateHolders, certificateTransfers, listCertificates, retirements } from "./certificateQueries";
import { history, holdings } from "./holderQueries";
import { decodeCursor, type Position } from "./pagination";
import { reservation, reservationLog } from "./reservationQueries";

export interface ChainReadDeps {
  db: Db;
}

/**
 * The mirror's read API: chain data is public (anyone can read the registry's logs), so any authenticated
 * caller may read all of it, whatever its organisation or permissions.
 */
const guarded = { security: SECURED, middleware: requireAuthenticated, tags: ["chain"] };
const FRESHNESS =
  " Served from the indexer's mirror: it trails the chain by the configured confirmations (see `indexer` in GET /health).";

const listCertificatesRoute = createRoute({
  ...guarded,
  method: "get",
  path: "/chain/certificates",
  summary: "Certificates on the chain, filtered, newest first",
  description: "Every certificate id the registry minted, issued or split off." + FRESHNESS,
  request: { query: CertificateListQuery },
  responses: { 200: json(CertificatePageSchema, "One page of certificates"), ...problemResponses(400, 401) },
});

const certificateRoute = createRoute({
  ...guarded,
  method: "get",
  path: "/chain/certificates/{id}",
  summary: "A certificate with its lineage: parent, ancestors up to the issuance, and children",
  request: { params: CertificateIdParams },
  responses: { 200: json(CertificateDetailSchema, "The certificate"), ...problemResponses(400, 401, 404) },
});

const certificateTransfersRoute = createRoute({
  ...guarded,
  method: "get",
  path: "/chain/certificates/{id}/transfers",
  summary: "A certificate's transfers, mints and burns, newest first",
  request: { params: CertificateIdParams, query: PageQuery },
  responses: { 200: json(TransferPageSchema, "One page of transfers"), ...problemResponses(400, 401, 404) },
});

const certificateRetirementsRoute = createRoute({
  ...guarded,
  method: "get",
  path: "/chain/certificates/{id}/retirements",
  summary: "A certificate's claims and other retirements, newest first",
  request: { params: CertificateIdParams, query: RetirementsQuery },
  responses: { 200: json(RetirementPageSchema, "One page of retirements"), ...problemResponses(400, 401, 404) },
});

const certificateHoldersRoute = createRoute({
  ...guarded,
  method: "get",
  path: "/chain/certificates/{id}/holders",
  summary: "Wallets that hold or claimed part of a certificate",
  request: { params: CertificateIdParams, query: PageQuery },
  responses: { 200: json(HolderPageSchema, "One page of holders"), ...problemResponses(400, 401, 404) },
});

const holdingsRoute = createRoute({
  ...guarded,
  method: "get",
  path: "/chain/wallets/{address}/holdings",
  summary: "A wallet's balance and claimed amount per certificate, with the certificate's attributes",
  description: "Ids the wallet holds or has claimed from, newest certificates first." + FRESHNESS,
  request: { params: AddressParams, query: HoldingsQuery },
  responses: { 200: json(HoldingPageSchema, "One page of holdings"), ...problemResponses(400, 401) },
});

const historyRoute = createRoute({
  ...guarded,
  method: "get",
  path: "/chain/wallets/{address}/history",
  summary: "Everything that moved into or out of a wallet, newest first",
  description: "Issuances to it, transfers both ways, and its retirements and splits (burns)." + FRESHNESS,
  request: { params: AddressParams, query: HistoryQuery },
  responses: { 200: json(HistoryPageSchema, "One page of movements"), ...problemResponses(400, 401) },
});

const walletRetirementsRoute = createRoute({
  ...guarded,
  method: "get",
  path: "/chain/wallets/{address}/retirements",
  summary: "A wallet's claims (with beneficiaries) and other retirements, newest first",
  request: { params: AddressParams, query: RetirementsQuery },
  responses: { 200: json(RetirementPageSchema, "One page of retirements"), ...problemResponses(400, 401) },
});

const reservationRoute = createRoute({
  ...guarded,
  method: "get",
  path: "/chain/reservations/{reservationId}",
  summary: "A reservation as logged on chain: window, target, issued Wh, devices",
  request: { params: ReservationParams },
  responses: { 200: json(ReservationSchema, "The reservation"), ...problemResponses(400, 401, 404) },
});

const reservationLogRoute = createRoute({
  ...guarded,
  method: "get",
  path: "/chain/reservations/{reservationId}/log",
  summary: "A reservation's on-chain log in chain order: creation, devices added and removed, D-RECs issued, the end",
  request: { params: ReservationParams, query: PageQuery },
  responses: { 200: json(ReservationEventPageSchema, "One page of events"), ...problemResponses(400, 401, 404) },
});

const NUMBER3 = ["n", "n", "n"] as const;
const NUMBER2 = ["n", "n"] as const;

/** The position a cursor names; `valid` is false for a cursor this list did not issue. */
function positionOf(cursor: string | undefined, shape: readonly ("n" | "s")[]): { valid: boolean; position?: Position } {
  if (cursor === undefined) return { valid: true };
  const position = decodeCursor(cursor, shape);
  return { valid: position !== undefined, position };
}

const badCursor = (c: Context) => problem(c, 400, "Invalid request", "The request query is not valid.", [{ field: "query.cursor", message: "is not a cursor of this list" }]);

const noSuchCertificate = (c: Context) => problem(c, 404, "Not found", "The chain has no certificate with this id (or the indexer has not reached it yet).");
const noSuchReservation = (c: Context) => problem(c, 404, "Not found", "The chain has no reservation with this id (or the indexer has not reached it yet).");
const seconds = (iso: string | undefined) => (iso === undefined ? undefined : Math.floor(Date.parse(iso) / 1000));

export function registerChainReads(app: OpenAPIHono<AppEnv>, deps: ChainReadDeps): void {
  const { db } = deps;

  app.openapi(listCertificatesRoute, (c) => {
    const query = c.req.valid("query");
    const at = positionOf(query.cursor, ["n"]);
    if (!at.valid) return badCursor(c);
    const periodFrom = seconds(query.periodFrom);
    const periodTo = seconds(query.periodTo);
    if (periodFrom !== undefined && periodTo !== undefined && periodFrom > periodTo) {
      return problem(c, 400, "Invalid request", "The request query is not valid.", [{ field: "query.periodTo", message: "must not be before periodFrom" }]);
    }
    return c.json(listCertificates(db, { ...query, periodFrom, periodTo, after: at.position }), 200);
  });

  app.openapi(certificateRoute, (c) => {
    const detail = certificateDetail(db, c.req.valid("param").id);
    return detail ? c.json(detail, 200) : noSuchCertificate(c);
  });

  app.openapi(certificateTransfersRoute, (c) => {
    const { id } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    const at = positionOf(cursor, NUMBER3);
    if (!at.valid) return badCursor(c);
    if (!certificateExists(db, id)) return noSuchCertificate(c);
    return c.json(certificateTransfers(db, id, limit, at.position), 200);
  });

  app.openapi(certificateRetirementsRoute, (c) => {
    const { id } = c.req.valid("param");
    const { reason, limit, cursor } = c.req.valid("query");
    const at = positionOf(cursor, NUMBER2);
    if (!at.valid) return badCursor(c);
    if (!certificateExists(db, id)) return noSuchCertificate(c);
    return c.json(retirements(db, "certificate_id", id, reason, limit, at.position), 200);
  });

  app.openapi(certificateHoldersRoute, (c) => {
    const { id } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    const at = positionOf(cursor, ["s"]);
    if (!at.valid) return badCursor(c);
    if (!certificateExists(db, id)) return noSuchCertificate(c);
    return c.json(certificateHolders(db, id, limit, at.position), 200);
  });

  app.openapi(holdingsRoute, (c) => {
    const query = c.req.valid("query");
    const at = positionOf(query.cursor, ["n"]);
    if (!at.valid) return badCursor(c);
    return c.json(holdings(db, c.req.valid("param").address, { ...query, after: at.position }), 200);
  });

  app.openapi(historyRoute, (c) => {
    const query = c.req.valid("query");
    const at = positionOf(query.cursor, NUMBER3);
    if (!at.valid) return badCursor(c);
    if (query.fromBlock !== undefined && query.toBlock !== undefined && query.fromBlock > query.toBlock) {
      return problem(c, 400, "Invalid request", "The request query is not valid.", [{ field: "query.toBlock", message: "must not be below fromBlock" }]);
    }
    return c.json(history(db, c.req.valid("param").address, { ...query, after: at.position }), 200);
  });

  app.openapi(walletRetirementsRoute, (c) => {
    const { reason, limit, cursor } = c.req.valid("query");
    const at = positionOf(cursor, NUMBER2);
    if (!at.valid) return badCursor(c);
    return c.json(retirements(db, "holder", c.req.valid("param").address, reason, limit, at.position), 200);
  });

  app.openapi(reservationRoute, (c) => {
    const found = reservation(db, c.req.valid("param").reservationId);
    return found ? c.json(found, 200) : noSuchReservation(c);
  });

  app.openapi(reservationLogRoute, (c) => {
    const { reservationId } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    const at = positionOf(cursor, NUMBER2);
    if (!at.valid) return badCursor(c);
    const page = reservationLog(db, reservationId, limit, at.position);
    if (page.items.length === 0 && !reservation(db, reservationId)) return noSuchReservation(c);
    return c.json(page, 200);
  });
}
