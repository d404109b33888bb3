import type Database from "better-sqlite3";
import { jsonArgs } from "../decode/decodeLog";
import { DREC_KIND, kindOf, serialOf, ZERO_ADDRESS, type Change, type ChainLog, type LogPosition } from "./derive";

/** `RetirementReason.Claimed`: the only reason that adds to the holder's claimed ledger. */
export const CLAIMED = 0;
/** `Standard.IRec`: the registry mints the D-RECs of such a reservation provisional. */
export const IREC_STANDARD = 1;

/**
 * A certificate's lifecycle state follows from its circulating supply, whether it was revoked and whether it
 * still awaits its I-REC serials. Revocation wins, as on chain, where both share one status slot.
 */
export function certificateStatus(supply: bigint, revoked: boolean, awaitingSerials: boolean): "active" | "retired" | "revoked" | "provisional" {
  if (revoked) return "revoked";
  if (awaitingSerials) return "provisional";
  return supply > 0n ? "active" : "retired";
}

export interface MirrorWriter {
  /** Stores a range's raw logs and applies its changes; run inside the transaction that moves the checkpoint. */
  applyRange(logs: readonly ChainLog[], changes: readonly Change[]): void;
}

/** What a certificate row says that changes after its creation. */
interface CertificateState {
  id: string;
  supply: bigint;
  claimed: bigint;
  retired: bigint;
  split: bigint;
  revokedBlock: number | null;
  revokedReasonHash: string | null;
  awaitingSerials: boolean;
  firstSerial: string | null;
  lastSerial: string | null;
  serialsBlock: number | null;
  /** Set when the certificate was created in this range: the row to insert at the end. */
  created?: {
    kind: number;
    serial: number;
    ref: string;
    periodStart: number;
    periodEnd: number;
    evidence: string;
    origin: "issued" | "split";
    parentId: string | null;
    voucherNonce: string | null;
    issuedAmount: string;
    at: LogPosition;
  };
}

interface BalanceState {
  holder: string;
  id: bigint;
  amount: bigint;
  claimed: bigint;
}

/**
 * Applies ranges to the chain_* tables. Event rows are inserted as they come; the aggregates (certificate
 * supply and status, balances, claimed amounts) are worked out in memory for the whole range, in BigInt
 * arithmetic, and written once per touched row at its end, so a certificate minted and moved within one
 * range costs one insert. Memory stays bounded by the range, which the follower keeps to a few thousand logs.
 * A rollback recomputes the same aggregates from the event rows instead (see ../reorg/rollback.ts).
 */
export function createMirrorWriter(sqlite: Database.Database): MirrorWriter {
  const s = {
    rawLog: sqlite.prepare(
      "INSERT INTO chain_raw_logs (block_number, log_index, block_hash, transaction_hash, transaction_index, topics, data, event_name, args) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    insertCertificate: sqlite.prepare(
      `INSERT INTO chain_certificates (id, kind, serial, ref, period_start, period_end, evidence, origin, parent_id, voucher_nonce, issued_amount,
         supply, claimed_amount, retired_amount, split_amount, status, revoked_reason_hash, revoked_block,
         awaiting_serials, standard_first_serial, standard_last_serial, serials_block, block_number, log_index, transaction_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    certificateState: sqlite.prepare(
      `SELECT supply, claimed_amount, retired_amount, split_amount, revoked_block, revoked_reason_hash,
         awaiting_serials, standard_first_serial, standard_last_serial, serials_block
       FROM chain_certificates WHERE id = ?`,
    ),
    updateCertificate: sqlite.prepare(
      `UPDATE chain_certificates SET supply = ?, claimed_amount = ?, retired_amount = ?, split_amount = ?, status = ?, revoked_reason_hash = ?, revoked_block = ?,
         awaiting_serials = ?, standard_first_serial = ?, standard_last_serial = ?, serials_block = ?
       WHERE id = ?`,
    ),
    // The registry lets an administrator revoke an id before it is minted, and the id then stays revoked:
    // each new certificate looks for such a revocation, through the partial index on revoked ids.
    anyRevocation: sqlite.prepare("SELECT 1 FROM chain_raw_logs WHERE event_name = 'CertificateRevoked' LIMIT 1"),
    revokedBefore: sqlite.prepare(
      `SELECT block_number, json_extract(args, '$.reasonHash') AS reason_hash FROM chain_raw_logs
       WHERE event_name = 'CertificateRevoked' AND json_extract(args, '$.id') = ? AND (block_number < ? OR (block_number = ? AND log_index < ?))
       LIMIT 1`,
    ),
    reservationStandard: sqlite.prepare("SELECT standard FROM chain_reservations WHERE reservation_id = ?").pluck(),
    inherited: sqlite.prepare("SELECT ref, period_start, period_end, evidence FROM chain_certificates WHERE id = ?"),
    voucher: sqlite.prepare(
      "INSERT INTO chain_vouchers (nonce, status, recipient, first_id, count, block_number, log_index, transaction_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    transfer: sqlite.prepare(
      `INSERT INTO chain_transfers (block_number, log_index, batch_index, transaction_hash, operator, from_address, to_address, certificate_id, amount, action, reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    balanceOf: sqlite.prepare("SELECT amount, claimed FROM chain_balances WHERE holder = ? AND certificate_id = ?"),
    setBalance: sqlite.prepare(
      `INSERT INTO chain_balances (holder, certificate_id, serial, amount, claimed) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (holder, certificate_id) DO UPDATE SET amount = excluded.amount, claimed = excluded.claimed`,
    ),
    retirement: sqlite.prepare(
      `INSERT INTO chain_retirements (block_number, log_index, transaction_hash, holder, certificate_id, reason, amount, beneficiary, details_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    split: sqlite.prepare("INSERT INTO chain_splits (block_number, log_index, transaction_hash, parent_id, holder, amount, child_ids) VALUES (?, ?, ?, ?, ?, ?, ?)"),
    reservation: sqlite.prepare(
      `INSERT INTO chain_reservations (reservation_id, buyer, start, end, frequency, standard, target_wh, can_exceed_target, block_number, log_index, transaction_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    endReservation: sqlite.prepare("UPDATE chain_reservations SET ended_at = ?, end_reason = ?, ended_block = ? WHERE reservation_id = ?"),
    deviceAdded: sqlite.prepare("INSERT INTO chain_reservation_devices (block_number, log_index, reservation_id, device) VALUES (?, ?, ?, ?)"),
    deviceRemoved: sqlite.prepare(
      "UPDATE chain_reservation_devices SET removed_block = ?, released_at = ? WHERE reservation_id = ? AND device = ? AND removed_block IS NULL",
    ),
    reservationLog: sqlite.prepare(
      "INSERT INTO chain_reservation_events (block_number, log_index, transaction_hash, reservation_id, event_name, args) VALUES (?, ?, ?, ?, ?, ?)",
    ),
  };

  const position = (at: LogPosition) => [at.blockNumber, at.logIndex, at.transactionHash] as const;

  function applyRange(logs: readonly ChainLog[], changes: readonly Change[]): void {
    const certificates = new Map<string, CertificateState>();
    const balances = new Map<string, BalanceState>();

    /** The certificate's state, loaded on first touch; undefined for an id the registry never announced. */
    function certificate(id: bigint): CertificateState | undefined {
      const key = id.toString();
      let state = certificates.get(key);
      if (!state) {
        const row = s.certificateState.get(key) as
          | {
              supply: string;
              claimed_amount: string;
              retired_amount: string;
              split_amount: string;
              revoked_block: number | null;
              revoked_reason_hash: string | null;
              awaiting_serials: number;
              standard_first_serial: string | null;
              standard_last_serial: string | null;
              serials_block: number | null;
            }
          | undefined;
        if (!row) return undefined;
        state = {
          id: key,
          supply: BigInt(row.supply),
          claimed: BigInt(row.claimed_amount),
          retired: BigInt(row.retired_amount),
          split: BigInt(row.split_amount),
          revokedBlock: row.revoked_block,
          revokedReasonHash: row.revoked_reason_hash,
          awaitingSerials: row.awaiting_serials === 1,
          firstSerial: row.standard_first_serial,
          lastSerial: row.standard_last_serial,
          serialsBlock: row.serials_block,
        };
        certificates.set(key, state);
      }
      return state;
    }

    // Most registries never revoke: then no new certificate needs to look.
    let anyRevocation: boolean | undefined;
    /** A revocation of `id` logged before `at`, when the id had no certificate yet. */
    function revokedBeforeCreation(id: string, at: LogPosition) {
      anyRevocation ??= s.anyRevocation.get() !== undefined;
      if (!anyRevocation) return undefined;
      return s.revokedBefore.get(id, at.blockNumber, at.blockNumber, at.logIndex) as { block_number: number; reason_hash: string } | undefined;
    }

    function create(id: bigint, created: NonNullable<CertificateState["created"]>, awaitingSerials = false): void {
      const revocation = revokedBeforeCreation(id.toString(), created.at);
      certificates.set(id.toString(), {
        id: id.toString(),
        supply: 0n,
        claimed: 0n,
        retired: 0n,
        split: 0n,
        revokedBlock: revocation?.block_number ?? null,
        revokedReasonHash: revocation?.reason_hash ?? null,
        awaitingSerials,
        firstSerial: null,
        lastSerial: null,
        serialsBlock: null,
        created,
      });
    }

    function balance(holder: string, id: bigint): BalanceState {
      const key = `${holder}:${id}`;
      let state = balances.get(key);
      if (!state) {
        // A certificate created in this range has no stored balances yet.
        const row = certificates.get(id.toString())?.created ? undefined : (s.balanceOf.get(holder, id.toString()) as { amount: string; claimed: string } | undefined);
        state = { holder, id, amount: row ? BigInt(row.amount) : 0n, claimed: row ? BigInt(row.claimed) : 0n };
        balances.set(key, state);
      }
      return state;
    }

    for (const log of logs) {
      s.rawLog.run(
        log.blockNumber,
        log.logIndex,
        log.blockHash,
        log.transactionHash,
        log.transactionIndex,
        JSON.stringify(log.topics),
        log.data,
        log.event?.eventName ?? null,
        log.event ? JSON.stringify(jsonArgs(log.event.args)) : null,
      );
    }

    for (const change of changes) {
      switch (change.type) {
        case "certificateIssued": {
          // The reservation's creation precedes its certificates, in an earlier range or earlier in this one.
          const provisional = kindOf(change.id) === DREC_KIND && s.reservationStandard.get(change.ref) === IREC_STANDARD;
          create(
            change.id,
            {
              kind: kindOf(change.id),
              serial: serialOf(change.id),
              ref: change.ref,
              periodStart: change.start,
              periodEnd: change.end,
              evidence: change.evidence,
              origin: "issued",
              parentId: null,
              voucherNonce: null,
              issuedAmount: change.amount.toString(),
              at: change.at,
            },
            provisional,
          );
          break;
        }
        case "voucherRedeemed": {
          s.voucher.run(change.nonce.toString(), "redeemed", change.recipient, change.firstId.toString(), change.count, ...position(change.at));
          // The voucher's certificates were announced earlier in the same transaction, so in this range.
          for (let i = 0n; i < BigInt(change.count); i++) {
            const created = certificates.get((change.firstId + i).toString())?.created;
            if (created) created.voucherNonce = change.nonce.toString();
          }
          break;
        }
        case "voucherInvalidated":
          s.voucher.run(change.nonce.toString(), "invalidated", null, null, null, ...position(change.at));
          break;
        case "certificateRevoked": {
          const state = certificate(change.id);
          if (state) {
            state.revokedBlock = change.at.blockNumber;
            state.revokedReasonHash = change.reasonHash;
          }
          break;
        }
        case "standardSerialsRecorded": {
          const state = certificate(change.id);
          if (state) {
            state.awaitingSerials = false;
            state.firstSerial = change.firstSerial;
            state.lastSerial = change.lastSerial;
            state.serialsBlock = change.at.blockNumber;
          }
          break;
        }
        case "transfer": {
          const { at, id, amount } = change;
          s.transfer.run(at.blockNumber, at.logIndex, change.batchIndex, at.transactionHash, change.operator, change.from, change.to, id.toString(), amount.toString(), change.action, change.reason);
          if (change.from !== ZERO_ADDRESS) balance(change.from, id).amount -= amount;
          if (change.to !== ZERO_ADDRESS) balance(change.to, id).amount += amount;
          const state = change.from === ZERO_ADDRESS || change.to === ZERO_ADDRESS ? certificate(id) : undefined;
          if (state && change.from === ZERO_ADDRESS) state.supply += amount;
          if (state && change.to === ZERO_ADDRESS) state.supply -= amount;
          break;
        }
        case "retired": {
          const { at, id, amount } = change;
          s.retirement.run(...position(at), change.holder, id.toString(), change.reason, amount.toString(), change.beneficiary, change.detailsHash);
          const state = certificate(id);
          if (change.reason === CLAIMED) {
            balance(change.holder, id).claimed += amount;
            if (state) state.claimed += amount;
          } else if (state) {
            state.retired += amount;
          }
          break;
        }
        case "split": {
          const { at, parentId } = change;
          const total = change.amounts.reduce((sum, amount) => sum + amount, 0n);
          s.split.run(...position(at), parentId.toString(), change.holder, total.toString(), JSON.stringify(change.childIds.map(String)));
          const parent = certificate(parentId);
          if (!parent) break;
          parent.split += total;
          // A child inherits what its parent certifies: the reference, the period and the evidence.
          const inherited =
            parent.created ??
            ((row) => ({ ref: row.ref, periodStart: row.period_start, periodEnd: row.period_end, evidence: row.evidence }))(
              s.inherited.get(parent.id) as { ref: string; period_start: number; period_end: number; evidence: string },
            );
          change.childIds.forEach((child, i) => {
            create(child, {
              kind: kindOf(child),
              serial: serialOf(child),
              ref: inherited.ref,
              periodStart: inherited.periodStart,
              periodEnd: inherited.periodEnd,
              evidence: inherited.evidence,
              origin: "split",
              parentId: parent.id,
              voucherNonce: null,
              issuedAmount: change.amounts[i].toString(),
              at,
            });
          });
          break;
        }
        case "reservationCreated":
          s.reservation.run(
            change.reservationId,
            change.buyer,
            change.start,
            change.end,
            change.frequency,
            change.standard,
            change.targetWh.toString(),
            change.canExceedTarget ? 1 : 0,
            ...position(change.at),
          );
          break;
        case "deviceAdded":
          s.deviceAdded.run(change.at.blockNumber, change.at.logIndex, change.reservationId, change.device);
          break;
        case "deviceRemoved":
          s.deviceRemoved.run(change.at.blockNumber, change.releasedAt, change.reservationId, change.device);
          break;
        case "reservationEnded":
          s.endReservation.run(change.endedAt, change.reason, change.at.blockNumber, change.reservationId);
          break;
        case "reservationLog":
          s.reservationLog.run(...position(change.at), change.reservationId, change.event.eventName, JSON.stringify(jsonArgs(change.event.args)));
          break;
      }
    }

    for (const c of certificates.values()) {
      const status = certificateStatus(c.supply, c.revokedBlock !== null, c.awaitingSerials);
      const amounts = [c.supply.toString(), c.claimed.toString(), c.retired.toString(), c.split.toString()] as const;
      const serials = [c.awaitingSerials ? 1 : 0, c.firstSerial, c.lastSerial, c.serialsBlock] as const;
      if (c.created) {
        const n = c.created;
        s.insertCertificate.run(
          c.id,
          n.kind,
          n.serial,
          n.ref,
          n.periodStart,
          n.periodEnd,
          n.evidence,
          n.origin,
          n.parentId,
          n.voucherNonce,
          n.issuedAmount,
          ...amounts,
          status,
          c.revokedReasonHash,
          c.revokedBlock,
          ...serials,
          ...position(n.at),
        );
      } else {
        s.updateCertificate.run(...amounts, status, c.revokedReasonHash, c.revokedBlock, ...serials, c.id);
      }
    }
    for (const b of balances.values()) s.setBalance.run(b.holder, b.id.toString(), serialOf(b.id), b.amount.toString(), b.claimed.toString());
  }

  return { applyRange };
}
