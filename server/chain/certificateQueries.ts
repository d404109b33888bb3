import type { Db } from "../db/database";
import type { CertificateView } from "./apiSchemas";
import { KIND_NAMES, RETIREMENT_REASONS, type KindName, type RetirementReasonName } from "./names";
import { pageOf, type Page, type Position } from "./pagination";
import { SqlFilter } from "./sqlFilter";
import { certificateView, retirementView, transferView, type CertificateRow, type RetirementRow, type TransferRow } from "./views";

export interface CertificateFilter {
  kind?: KindName[];
  status?: CertificateRow["status"][];
  ref?: string;
}

/** Adds certificate filters on the chain_certificates alias `c`. */
export function filterCertificates(filter: SqlFilter, query: CertificateFilter): SqlFilter {
  filter.anyOf("c.kind", query.kind?.map((name) => KIND_NAMES.indexOf(name))).anyOf("c.status", query.status);
  if (query.ref) filter.add("c.ref = ?", query.ref);
  return filter;
}

export interface CertificateListQuery extends CertificateFilter {
  origin?: "issued" | "split";
  parentId?: string;
  /** Unix seconds. */
  periodFrom?: number;
  periodTo?: number;
  order: "asc" | "desc";
  limit: number;
  after?: Position;
}

export function listCertificates(db: Db, query: CertificateListQuery): Page<CertificateView> {
  const filter = filterCertificates(new SqlFilter(), query);
  if (query.origin) filter.add("c.origin = ?", query.origin);
  if (query.parentId) filter.add("c.parent_id = ?", query.parentId);
  if (query.periodFrom !== undefined) filter.add("c.period_start >= ?", query.periodFrom);
  if (query.periodTo !== undefined) filter.add("c.period_end <= ?", query.periodTo);
  filter.after(["c.serial"], query.after, query.order);
  const rows = db.$client
    .prepare(`SELECT c.* FROM chain_certificates c ${filter.where} ORDER BY c.serial ${query.order} LIMIT ?`)
    .all(...filter.params, query.limit + 1) as CertificateRow[];
  return pageOf(rows, query.limit, (row) => [row.serial], certificateView);
}

/** Children shown inline in a certificate's detail; more through the list's `parentId` filter. */
export const INLINE_CHILDREN = 100;

export function certificateDetail(db: Db, id: string) {
  const byId = db.$client.prepare("SELECT * FROM chain_certificates WHERE id = ?");
  const row = byId.get(id) as CertificateRow | undefined;
  if (!row) return undefined;
  const parent = row.parent_id === null ? undefined : (byId.get(row.parent_id) as CertificateRow | undefined);
  const ancestors: string[] = [];
  for (let at = parent; at; at = at.parent_id === null ? undefined : (byId.get(at.parent_id) as CertificateRow | undefined)) ancestors.push(at.id);
  const children = db.$client.prepare("SELECT * FROM chain_certificates WHERE parent_id = ? ORDER BY serial LIMIT ?").all(id, INLINE_CHILDREN) as CertificateRow[];
  const { n } = db.$client.prepare("SELECT count(*) AS n FROM chain_certificates WHERE parent_id = ?").get(id) as { n: number };
  return {
    certificate: certificateView(row),
    parent: parent ? certificateView(parent) : null,
    ancestors,
    children: children.map(certificateView),
    childCount: n,
  };
}

export const certificateExists = (db: Db, id: string): boolean => db.$client.prepare("SELECT 1 FROM chain_certificates WHERE id = ?").get(id) !== undefined;

const TRANSFER_ORDER = ["t.block_number", "t.log_index", "t.batch_index"];

/** Newest first. */
export function certificateTransfers(db: Db, id: string, limit: number, after?: Position) {
  const filter = new SqlFilter().add("t.certificate_id = ?", id).after(TRANSFER_ORDER, after, "desc");
  const rows = db.$client
    .prepare(
      `SELECT t.*, b.timestamp FROM chain_transfers t LEFT JOIN chain_blocks b ON b.number = t.block_number
       ${filter.where} ORDER BY t.block_number DESC, t.log_index DESC, t.batch_index DESC LIMIT ?`,
    )
    .all(...filter.params, limit + 1) as TransferRow[];
  return pageOf(rows, limit, (row) => [row.block_number, row.log_index, row.batch_index], transferView);
}

/** Claims and other retirements, newest first; `column` picks whose (a certificate's or a holder's). */
export function retirements(db: Db, column: "certificate_id" | "holder", value: string, reasons: RetirementReasonName[] | undefined, limit: number, after?: Position) {
  const filter = new SqlFilter()
    .add(`r.${column} = ?`, value)
    // Unary plus keeps SQLite on the holder's (or certificate's) index, which also gives the order, instead of
    // the reason index, which would walk every retirement of that reason in the registry.
    .anyOf("+r.reason", reasons?.map((name) => RETIREMENT_REASONS.indexOf(name)))
    .after(["r.block_number", "r.log_index"], after, "desc");
  const rows = db.$client
    .prepare(
      `SELECT r.*, b.timestamp FROM chain_retirements r LEFT JOIN chain_blocks b ON b.number = r.block_number
       ${filter.where} ORDER BY r.block_number DESC, r.log_index DESC LIMIT ?`,
    )
    .all(...filter.params, limit + 1) as RetirementRow[];
  return pageOf(rows, limit, (row) => [row.block_number, row.log_index], retirementView);
}

/** Wallets holding or having claimed part of the certificate, by address. */
export function certificateHolders(db: Db, id: string, limit: number, after?: Position) {
  const filter = new SqlFilter().add("certificate_id = ?", id).add("(amount <> '0' OR claimed <> '0')").after(["holder"], after, "asc");
  const rows = db.$client
    .prepare(`SELECT holder, amount, claimed FROM chain_balances ${filter.where} ORDER BY holder LIMIT ?`)
    .all(...filter.params, limit + 1) as { holder: string; amount: string; claimed: string }[];
  return pageOf(rows, limit, (row) => [row.holder], (row) => ({ holder: row.holder, balance: row.amount, claimed: row.claimed }));
}
