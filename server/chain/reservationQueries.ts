import { DREC_KIND } from "../../indexer/store/derive";
import type { Db } from "../db/database";
import type { ReservationEventView, ReservationView } from "./apiSchemas";
import { END_REASONS, FREQUENCIES, isoSeconds, nameOf, STANDARDS } from "./names";
import { pageOf, type Position } from "./pagination";
import { SqlFilter } from "./sqlFilter";
import { timestampOf } from "./views";

interface ReservationRow {
  reservation_id: string;
  buyer: string;
  start: number;
  end: number;
  frequency: number;
  standard: number;
  target_wh: string;
  can_exceed_target: number;
  ended_at: number | null;
  end_reason: number | null;
  block_number: number;
}

interface DeviceRow {
  device: string;
  block_number: number;
  removed_block: number | null;
  released_at: number | null;
}

/** A reservation as the chain records it: window, target, D-RECs issued against it, and its devices. */
export function reservation(db: Db, reservationId: string): ReservationView | undefined {
  const row = db.$client.prepare("SELECT * FROM chain_reservations WHERE reservation_id = ?").get(reservationId) as ReservationRow | undefined;
  if (!row) return undefined;
  const issued = db.$client
    .prepare("SELECT issued_amount FROM chain_certificates WHERE ref = ? AND kind = ? AND origin = 'issued'")
    .all(reservationId, DREC_KIND) as { issued_amount: string }[];
  const devices = db.$client
    .prepare("SELECT device, block_number, removed_block, released_at FROM chain_reservation_devices WHERE reservation_id = ? ORDER BY block_number, log_index")
    .all(reservationId) as DeviceRow[];
  return {
    reservationId: row.reservation_id,
    buyer: row.buyer,
    start: isoSeconds(row.start),
    end: isoSeconds(row.end),
    frequency: nameOf(FREQUENCIES, row.frequency),
    standard: nameOf(STANDARDS, row.standard),
    targetWh: row.target_wh,
    canExceedTarget: row.can_exceed_target === 1,
    issuedWh: issued.reduce((sum, c) => sum + BigInt(c.issued_amount), 0n).toString(),
    status: row.ended_at === null ? "active" : "ended",
    endedAt: row.ended_at === null ? null : isoSeconds(row.ended_at),
    endReason: row.end_reason === null ? null : nameOf(END_REASONS, row.end_reason),
    createdInBlock: row.block_number,
    devices: devices.map((d) => {
      // A device still in the reservation when it ended was released with it.
      const releasedAt = d.released_at ?? row.ended_at;
      return {
        device: d.device,
        addedInBlock: d.block_number,
        status: d.removed_block !== null ? "removed" : row.ended_at !== null ? "released" : "reserved",
        releasedAt: releasedAt === null ? null : isoSeconds(releasedAt),
      };
    }),
  };
}

/** The reservation's events in chain order: creation, devices added and removed, D-RECs issued, the end. */
export function reservationLog(db: Db, reservationId: string, limit: number, after?: Position) {
  const filter = new SqlFilter().add("e.reservation_id = ?", reservationId).after(["e.block_number", "e.log_index"], after, "asc");
  const rows = db.$client
    .prepare(
      `SELECT e.*, b.timestamp FROM chain_reservation_events e LEFT JOIN chain_blocks b ON b.number = e.block_number
       ${filter.where} ORDER BY e.block_number, e.log_index LIMIT ?`,
    )
    .all(...filter.params, limit + 1) as { block_number: number; log_index: number; transaction_hash: string; event_name: string; args: string; timestamp: number | null }[];
  return pageOf(
    rows,
    limit,
    (row) => [row.block_number, row.log_index],
    (row): ReservationEventView => ({
      blockNumber: row.block_number,
      logIndex: row.log_index,
      transactionHash: row.transaction_hash,
      timestamp: timestampOf(row.timestamp),
      eventName: row.event_name,
      args: JSON.parse(row.args) as Record<string, unknown>,
    }),
  );
}
