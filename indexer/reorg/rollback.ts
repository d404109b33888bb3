import type Database from "better-sqlite3";
import type { Db } from "../../server/db/database";
import { serialOf, ZERO_ADDRESS } from "../store/derive";
import { certificateStatus, CLAIMED } from "../store/mirrorWriter";

/** Tables whose rows are each produced by one event and so go away with its block. */
const EVENT_TABLES = [
  "chain_raw_logs",
  "chain_transfers",
  "chain_retirements",
  "chain_splits",
  "chain_certificates",
  "chain_vouchers",
  "chain_reservations",
  "chain_reservation_devices",
  "chain_reservation_events",
] as const;

/**
 * Undoes everything above block `ancestor` in one transaction: deletes the rows its later events produced,
 * clears what later events set on older rows (revocations, recorded I-REC serials, reservation ends, device
 * removals), recomputes the aggregates those events touched from the event rows that remain, and moves the
 * checkpoint back.
 * `ancestorHash` undefined means nothing remains indexed (the rollback went below the deployment).
 * Afterwards the mirror is what indexing up to `ancestor` alone would have produced.
 */
export function rollbackTo(db: Db, ancestor: number, ancestorHash: string | undefined): void {
  const sqlite = db.$client;
  sqlite.transaction(() => {
    const holdings = sqlite
      .prepare(
        `SELECT from_address AS holder, certificate_id AS id FROM chain_transfers WHERE block_number > @above
         UNION SELECT to_address, certificate_id FROM chain_transfers WHERE block_number > @above
         UNION SELECT holder, certificate_id FROM chain_retirements WHERE block_number > @above`,
      )
      .all({ above: ancestor }) as { holder: string; id: string }[];
    const certificates = sqlite
      .prepare(
        `SELECT certificate_id AS id FROM chain_transfers WHERE block_number > @above
         UNION SELECT certificate_id FROM chain_retirements WHERE block_number > @above
         UNION SELECT parent_id FROM chain_splits WHERE block_number > @above
         UNION SELECT id FROM chain_certificates WHERE revoked_block > @above
         UNION SELECT id FROM chain_certificates WHERE serials_block > @above`,
      )
      .all({ above: ancestor }) as { id: string }[];

    for (const table of EVENT_TABLES) sqlite.prepare(`DELETE FROM ${table} WHERE block_number > ?`).run(ancestor);
    sqlite.prepare("UPDATE chain_certificates SET revoked_reason_hash = NULL, revoked_block = NULL WHERE revoked_block > ?").run(ancestor);
    // Only a certificate that awaited its serials gets a StandardSerialsRecorded, so undoing one restores the wait.
    sqlite
      .prepare("UPDATE chain_certificates SET awaiting_serials = 1, standard_first_serial = NULL, standard_last_serial = NULL, serials_block = NULL WHERE serials_block > ?")
      .run(ancestor);
    sqlite.prepare("UPDATE chain_reservations SET ended_at = NULL, end_reason = NULL, ended_block = NULL WHERE ended_block > ?").run(ancestor);
    sqlite.prepare("UPDATE chain_reservation_devices SET removed_block = NULL, released_at = NULL WHERE removed_block > ?").run(ancestor);

    const balance = balanceRecomputer(sqlite);
    for (const { holder, id } of holdings) if (holder !== ZERO_ADDRESS) balance(holder, id);
    const certificate = certificateRecomputer(sqlite);
    for (const { id } of certificates) certificate(id);

    sqlite.prepare("DELETE FROM chain_blocks WHERE number > ?").run(ancestor);
    if (ancestorHash === undefined) {
      sqlite.prepare("DELETE FROM chain_checkpoint").run();
    } else {
      sqlite.prepare("UPDATE chain_checkpoint SET block_number = ?, block_hash = ?, updated_at = ?").run(ancestor, ancestorHash, new Date().toISOString());
    }
  })();
}

const sum = (rows: { amount: string }[]) => rows.reduce((total, row) => total + BigInt(row.amount), 0n);

/** A holder's balance row from its remaining transfers: it exists once the holder appeared in one. */
function balanceRecomputer(sqlite: Database.Database) {
  const incoming = sqlite.prepare("SELECT amount FROM chain_transfers WHERE certificate_id = ? AND to_address = ?");
  const outgoing = sqlite.prepare("SELECT amount FROM chain_transfers WHERE certificate_id = ? AND from_address = ?");
  const claims = sqlite.prepare(`SELECT amount FROM chain_retirements WHERE certificate_id = ? AND holder = ? AND reason = ${CLAIMED}`);
  const remove = sqlite.prepare("DELETE FROM chain_balances WHERE holder = ? AND certificate_id = ?");
  const upsert = sqlite.prepare(
    `INSERT INTO chain_balances (holder, certificate_id, serial, amount, claimed) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (holder, certificate_id) DO UPDATE SET amount = excluded.amount, claimed = excluded.claimed`,
  );
  return (holder: string, id: string) => {
    const received = incoming.all(id, holder) as { amount: string }[];
    const sent = outgoing.all(id, holder) as { amount: string }[];
    if (received.length === 0 && sent.length === 0) {
      remove.run(holder, id);
      return;
    }
    const claimed = sum(claims.all(id, holder) as { amount: string }[]);
    upsert.run(holder, id, serialOf(BigInt(id)), (sum(received) - sum(sent)).toString(), claimed.toString());
  };
}

/** A certificate's supply columns and status from its remaining transfers, retirements, splits and flags. */
function certificateRecomputer(sqlite: Database.Database) {
  const flags = sqlite.prepare("SELECT revoked_block, awaiting_serials FROM chain_certificates WHERE id = ?");
  const mints = sqlite.prepare(`SELECT amount FROM chain_transfers WHERE certificate_id = ? AND from_address = '${ZERO_ADDRESS}'`);
  const burns = sqlite.prepare(`SELECT amount FROM chain_transfers WHERE certificate_id = ? AND to_address = '${ZERO_ADDRESS}'`);
  const claimed = sqlite.prepare(`SELECT amount FROM chain_retirements WHERE certificate_id = ? AND reason = ${CLAIMED}`);
  const retired = sqlite.prepare(`SELECT amount FROM chain_retirements WHERE certificate_id = ? AND reason <> ${CLAIMED}`);
  const splits = sqlite.prepare("SELECT amount FROM chain_splits WHERE parent_id = ?");
  const update = sqlite.prepare("UPDATE chain_certificates SET supply = ?, claimed_amount = ?, retired_amount = ?, split_amount = ?, status = ? WHERE id = ?");
  return (id: string) => {
    const row = flags.get(id) as { revoked_block: number | null; awaiting_serials: number } | undefined;
    if (!row) return;
    const supply = sum(mints.all(id) as { amount: string }[]) - sum(burns.all(id) as { amount: string }[]);
    update.run(
      supply.toString(),
      sum(claimed.all(id) as { amount: string }[]).toString(),
      sum(retired.all(id) as { amount: string }[]).toString(),
      sum(splits.all(id) as { amount: string }[]).toString(),
      certificateStatus(supply, row.revoked_block !== null, row.awaiting_serials === 1),
      id,
    );
  };
}
