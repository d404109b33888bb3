import type { Db } from "../db/database";
import { filterCertificates, type CertificateFilter } from "./certificateQueries";
import type { TransferView } from "./apiSchemas";
import { pageOf, type Page, type Position } from "./pagination";
import { SqlFilter } from "./sqlFilter";
import { certificateView, transferView, type CertificateRow, type TransferRow } from "./views";

export interface HoldingsQuery extends CertificateFilter {
  includeEmpty: boolean;
  limit: number;
  after?: Position;
}

/** A wallet's balance and claimed amount per certificate, with the certificate; newest certificates first. */
export function holdings(db: Db, holder: string, query: HoldingsQuery) {
  const filter = filterCertificates(new SqlFilter().add("h.holder = ?", holder), query);
  if (!query.includeEmpty) filter.add("(h.amount <> '0' OR h.claimed <> '0')");
  filter.after(["h.serial"], query.after, "desc");
  const rows = db.$client
    .prepare(
      `SELECT c.*, h.amount AS held, h.claimed AS held_claimed FROM chain_balances h JOIN chain_certificates c ON c.id = h.certificate_id
       ${filter.where} ORDER BY h.serial DESC LIMIT ?`,
    )
    .all(...filter.params, query.limit + 1) as (CertificateRow & { held: string; held_claimed: string })[];
  return pageOf(rows, query.limit, (row) => [row.serial], (row) => ({ certificate: certificateView(row), balance: row.held, claimed: row.held_claimed }));
}

export interface HistoryQuery {
  action?: TransferView["action"][];
  certificateId?: string;
  fromBlock?: number;
  toBlock?: number;
  limit: number;
  after?: Position;
}

const ORDER = ["t.block_number", "t.log_index", "t.batch_index"];

/**
 * Every movement into or out of a wallet, newest first: mints to it, transfers both ways, burns from it
 * (retirements, splits). Each side of the union walks its own index (sender, recipient); a transfer to
 * itself is listed once.
 */
export function history(db: Db, holder: string, query: HistoryQuery): Page<TransferView & { direction: "in" | "out" | "self" }> {
  const side = (column: "from_address" | "to_address") => {
    const filter = new SqlFilter().add(`t.${column} = ?`, holder);
    if (column === "to_address") filter.add("t.from_address <> ?", holder);
    filter.anyOf("t.action", query.action);
    if (query.certificateId) filter.add("t.certificate_id = ?", query.certificateId);
    if (query.fromBlock !== undefined) filter.add("t.block_number >= ?", query.fromBlock);
    if (query.toBlock !== undefined) filter.add("t.block_number <= ?", query.toBlock);
    filter.after(ORDER, query.after, "desc");
    return filter;
  };
  const sent = side("from_address");
  const received = side("to_address");
  const newestFirst = (alias: string) => `ORDER BY ${alias}.block_number DESC, ${alias}.log_index DESC, ${alias}.batch_index DESC`;
  const rows = db.$client
    .prepare(
      `SELECT u.*, b.timestamp FROM (
         SELECT * FROM (SELECT t.* FROM chain_transfers t ${sent.where} ${newestFirst("t")} LIMIT ?)
         UNION ALL
         SELECT * FROM (SELECT t.* FROM chain_transfers t ${received.where} ${newestFirst("t")} LIMIT ?)
       ) u LEFT JOIN chain_blocks b ON b.number = u.block_number
       ${newestFirst("u")} LIMIT ?`,
    )
    .all(...sent.params, query.limit + 1, ...received.params, query.limit + 1, query.limit + 1) as TransferRow[];
  return pageOf(
    rows,
    query.limit,
    (row) => [row.block_number, row.log_index, row.batch_index],
    (row) => ({ ...transferView(row), direction: row.from_address === holder ? (row.to_address === holder ? "self" : "out") : "in" }),
  );
}
