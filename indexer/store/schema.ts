import { isNotNull, sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Chain-derived tables. Only the indexer writes them; their names start with `chain_` to keep them
 * apart from the server's off-chain tables in the same SQLite file.
 *
 * Conventions every table follows (readers such as the audit tool rely on them):
 * - uint256 values (ids, amounts, nonces) are decimal TEXT, exact; compare and add them as BigInt.
 * - Addresses, bytes32 values and hashes are lowercase 0x-prefixed hex.
 * - Times from the chain (periods, reservation windows) are unix seconds.
 * - Every row derived from an event carries the `block_number` (and `log_index`) of that event, so a
 *   reorg can delete exactly what a rolled-back block produced. Columns updated by a later event carry
 *   that event's block too (`revoked_block`, `serials_block`, `ended_block`, `removed_block`).
 * - Certificate kinds: 0 D-REC, 1 GC, 2 SD-GC, 3 imported GC. Retirement reasons: 0 claimed,
 *   1 cancelled, 2 cancelled for storage, 3 exported (4 split is never emitted by `Retired`).
 */

/** The one deployment this database mirrors; a database never mixes two registries. */
export const chainDeployment = sqliteTable("chain_deployment", {
  id: integer("id").primaryKey(),
  chainId: integer("chain_id").notNull(),
  registryAddress: text("registry_address").notNull(),
  deployBlock: integer("deploy_block").notNull(),
});

/**
 * The last block whose logs are fully applied to every table below; written in the same transaction as
 * the rows it covers, so a reader that sees the checkpoint at block N sees everything up to N.
 */
export const chainCheckpoint = sqliteTable("chain_checkpoint", {
  id: integer("id").primaryKey(),
  blockNumber: integer("block_number").notNull(),
  blockHash: text("block_hash").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/**
 * Block headers the indexer has seen: every block that had registry logs, every range's last block,
 * and every block within the reorg window. Reorg detection compares these hashes with the chain.
 */
export const chainBlocks = sqliteTable(
  "chain_blocks",
  {
    number: integer("number").primaryKey(),
    hash: text("hash").notNull(),
    parentHash: text("parent_hash").notNull(),
    /** Unix seconds. */
    timestamp: integer("timestamp").notNull(),
    /** How many registry logs the block had (0 for headers kept only for reorg detection, pruned once out of the window). */
    logCount: integer("log_count").notNull(),
  },
  (t) => [index("chain_blocks_log_count").on(t.logCount, t.number)],
);

/**
 * Every registry log as the chain returned it, with its decoded event. `args` holds the decoded
 * arguments by name (uint256 as decimal strings, addresses lowercase); `event_name` is null for a log
 * the registry ABI does not describe.
 */
export const chainRawLogs = sqliteTable(
  "chain_raw_logs",
  {
    blockNumber: integer("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    blockHash: text("block_hash").notNull(),
    transactionHash: text("transaction_hash").notNull(),
    transactionIndex: integer("transaction_index").notNull(),
    topics: text("topics", { mode: "json" }).$type<string[]>().notNull(),
    data: text("data").notNull(),
    eventName: text("event_name"),
    args: text("args", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (t) => [
    primaryKey({ columns: [t.blockNumber, t.logIndex] }),
    index("chain_raw_logs_event").on(t.eventName, t.blockNumber),
    // A certificate's revocation by id: the mirror looks for one logged before the id was minted.
    index("chain_raw_logs_revoked_id").on(sql`json_extract(${t.args}, '$.id')`).where(sql`${t.eventName} = 'CertificateRevoked'`),
  ],
);

/**
 * One row per certificate id, created by `CertificateIssued` (origin `issued`) or by `Split` (origin
 * `split`; a child inherits its parent's ref, period and evidence). Supply columns are kept in step with
 * transfers and retirements: `supply` is what circulates (minted minus burned), and
 * issued_amount = supply + claimed_amount + retired_amount + split_amount always.
 * `status`: `active` while supply > 0, `retired` once everything left circulation, `revoked` after
 * `CertificateRevoked` (whatever the supply), `provisional` while `awaiting_serials` and not revoked: what
 * the registry's `isProvisional` answers (a provisional certificate cannot move, so its supply is whole).
 */
export const chainCertificates = sqliteTable(
  "chain_certificates",
  {
    id: text("id").primaryKey(),
    kind: integer("kind").notNull(),
    /** The id without its kind byte: registry-wide, increasing, so it orders certificates by creation. */
    serial: integer("serial").notNull(),
    /** Reservation id for D-RECs, device id for the GC kinds (bytes32). */
    ref: text("ref").notNull(),
    periodStart: integer("period_start").notNull(),
    periodEnd: integer("period_end").notNull(),
    /** The evidence commitment (Merkle root of per-device contributions). */
    evidence: text("evidence").notNull(),
    origin: text("origin").$type<"issued" | "split">().notNull(),
    parentId: text("parent_id"),
    /** The voucher that minted it (null for split children). */
    voucherNonce: text("voucher_nonce"),
    issuedAmount: text("issued_amount").notNull(),
    supply: text("supply").notNull(),
    claimedAmount: text("claimed_amount").notNull(),
    /** Cancelled, cancelled for storage and exported amounts. */
    retiredAmount: text("retired_amount").notNull(),
    /** Burned by splits of this certificate. */
    splitAmount: text("split_amount").notNull(),
    status: text("status").$type<"active" | "retired" | "revoked" | "provisional">().notNull(),
    revokedReasonHash: text("revoked_reason_hash"),
    revokedBlock: integer("revoked_block"),
    /**
     * A D-REC of an I-REC reservation whose serials the issuer has not recorded yet. Kept through a
     * revocation, so rolling the revocation back restores `provisional`. Split children never await
     * serials: only an active certificate can be split.
     */
    awaitingSerials: integer("awaiting_serials", { mode: "boolean" }).notNull().default(false),
    /** The serial range the external standard's registry (I-REC) issued, from `StandardSerialsRecorded`. */
    standardFirstSerial: text("standard_first_serial"),
    standardLastSerial: text("standard_last_serial"),
    serialsBlock: integer("serials_block"),
    blockNumber: integer("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    transactionHash: text("transaction_hash").notNull(),
  },
  (t) => [
    uniqueIndex("chain_certificates_serial").on(t.serial),
    index("chain_certificates_kind_serial").on(t.kind, t.serial),
    index("chain_certificates_ref_serial").on(t.ref, t.serial),
    index("chain_certificates_parent").on(t.parentId),
    index("chain_certificates_status_serial").on(t.status, t.serial),
    index("chain_certificates_period").on(t.periodStart),
    index("chain_certificates_period_end").on(t.periodEnd),
    index("chain_certificates_origin_serial").on(t.origin, t.serial),
    index("chain_certificates_block").on(t.blockNumber),
    // Partial: only revoked certificates have an entry, so issuance does not pay for it.
    index("chain_certificates_revoked_block").on(t.revokedBlock).where(isNotNull(t.revokedBlock)),
    index("chain_certificates_serials_block").on(t.serialsBlock).where(isNotNull(t.serialsBlock)),
  ],
);

/**
 * Balance and claimed amount per holder and certificate. A row exists once the holder appeared in a
 * transfer of that id (it stays, at zero, after the holder parted with everything).
 */
export const chainBalances = sqliteTable(
  "chain_balances",
  {
    holder: text("holder").notNull(),
    certificateId: text("certificate_id").notNull(),
    /** Copied from the certificate so a holder's rows page in certificate order from one index. */
    serial: integer("serial").notNull(),
    amount: text("amount").notNull(),
    claimed: text("claimed").notNull(),
  },
  (t) => [primaryKey({ columns: [t.holder, t.certificateId] }), index("chain_balances_holder_serial").on(t.holder, t.serial), index("chain_balances_certificate").on(t.certificateId, t.holder)],
);

/**
 * Every element of every ERC-1155 transfer (`TransferSingle`, and each id of a `TransferBatch` at its
 * `batch_index`), whichever function emitted it. Mints come from and burns go to the zero address.
 * `action` says why it moved: `issuance` (voucher mint), `split` (parent burn or child mint),
 * `retirement` (burn by claim/retireBatch, with the `reason`), `transfer` (holder to holder).
 */
export const chainTransfers = sqliteTable(
  "chain_transfers",
  {
    blockNumber: integer("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    batchIndex: integer("batch_index").notNull(),
    transactionHash: text("transaction_hash").notNull(),
    operator: text("operator").notNull(),
    fromAddress: text("from_address").notNull(),
    toAddress: text("to_address").notNull(),
    certificateId: text("certificate_id").notNull(),
    amount: text("amount").notNull(),
    action: text("action").$type<"issuance" | "split" | "retirement" | "transfer">().notNull(),
    reason: integer("reason"),
  },
  (t) => [
    primaryKey({ columns: [t.blockNumber, t.logIndex, t.batchIndex] }),
    index("chain_transfers_from").on(t.fromAddress, t.blockNumber, t.logIndex),
    index("chain_transfers_to").on(t.toAddress, t.blockNumber, t.logIndex),
    index("chain_transfers_certificate").on(t.certificateId, t.blockNumber, t.logIndex),
  ],
);

/** Every `Retired` event: claims (reason 0, with beneficiary) and other retirements. */
export const chainRetirements = sqliteTable(
  "chain_retirements",
  {
    blockNumber: integer("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    transactionHash: text("transaction_hash").notNull(),
    holder: text("holder").notNull(),
    certificateId: text("certificate_id").notNull(),
    reason: integer("reason").notNull(),
    amount: text("amount").notNull(),
    beneficiary: text("beneficiary").notNull(),
    detailsHash: text("details_hash").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.blockNumber, t.logIndex] }),
    index("chain_retirements_holder").on(t.holder, t.blockNumber, t.logIndex),
    index("chain_retirements_certificate").on(t.certificateId, t.blockNumber, t.logIndex),
    index("chain_retirements_reason").on(t.reason, t.blockNumber, t.logIndex),
  ],
);

/** Every `Split`: `amount` of `parent_id` burned from `holder`; the children are certificates whose `parent_id` is this parent. */
export const chainSplits = sqliteTable(
  "chain_splits",
  {
    blockNumber: integer("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    transactionHash: text("transaction_hash").notNull(),
    parentId: text("parent_id").notNull(),
    holder: text("holder").notNull(),
    amount: text("amount").notNull(),
    childIds: text("child_ids", { mode: "json" }).$type<string[]>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.blockNumber, t.logIndex] }), index("chain_splits_parent").on(t.parentId), index("chain_splits_holder").on(t.holder)],
);

/** Vouchers used on chain: `redeemed` (minted ids first_id.. first_id + count - 1) or `invalidated`. */
export const chainVouchers = sqliteTable(
  "chain_vouchers",
  {
    nonce: text("nonce").primaryKey(),
    status: text("status").$type<"redeemed" | "invalidated">().notNull(),
    recipient: text("recipient"),
    firstId: text("first_id"),
    count: integer("count"),
    blockNumber: integer("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    transactionHash: text("transaction_hash").notNull(),
  },
  (t) => [index("chain_vouchers_recipient").on(t.recipient), index("chain_vouchers_block").on(t.blockNumber)],
);

/**
 * Reservations from `ReservationCreated`; `ended_at`/`end_reason` (0 ended, 1 target reached) from
 * `ReservationEnded`. Frequency: 0 hourly, 1 daily, 2 weekly, 3 monthly, 4 quarterly. Standard: 0 D-REC,
 * 1 I-REC. Issued Wh is the sum of the D-REC certificates whose ref is the reservation.
 */
export const chainReservations = sqliteTable(
  "chain_reservations",
  {
    reservationId: text("reservation_id").primaryKey(),
    buyer: text("buyer").notNull(),
    start: integer("start").notNull(),
    end: integer("end").notNull(),
    frequency: integer("frequency").notNull(),
    standard: integer("standard").notNull(),
    targetWh: text("target_wh").notNull(),
    canExceedTarget: integer("can_exceed_target", { mode: "boolean" }).notNull(),
    endedAt: integer("ended_at"),
    endReason: integer("end_reason"),
    endedBlock: integer("ended_block"),
    blockNumber: integer("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    transactionHash: text("transaction_hash").notNull(),
  },
  (t) => [index("chain_reservations_buyer").on(t.buyer), index("chain_reservations_block").on(t.blockNumber), index("chain_reservations_ended_block").on(t.endedBlock).where(isNotNull(t.endedBlock))],
);

/**
 * One row per `DeviceAdded` (keyed by that log); `removed_block`/`released_at` are filled by the matching
 * `DeviceRemoved`. A device of an ended reservation with no removal was released at the reservation's `ended_at`.
 */
export const chainReservationDevices = sqliteTable(
  "chain_reservation_devices",
  {
    blockNumber: integer("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    reservationId: text("reservation_id").notNull(),
    device: text("device").notNull(),
    removedBlock: integer("removed_block"),
    releasedAt: integer("released_at"),
  },
  (t) => [
    primaryKey({ columns: [t.blockNumber, t.logIndex] }),
    index("chain_reservation_devices_reservation").on(t.reservationId),
    index("chain_reservation_devices_device").on(t.device, t.blockNumber),
    index("chain_reservation_devices_removed_block").on(t.removedBlock).where(isNotNull(t.removedBlock)),
  ],
);

/**
 * A reservation's on-chain log in order: ReservationCreated, DeviceAdded, DeviceRemoved, ReservationEnded,
 * and the CertificateIssued events of D-RECs issued against it. `args` as in chain_raw_logs.
 */
export const chainReservationEvents = sqliteTable(
  "chain_reservation_events",
  {
    blockNumber: integer("block_number").notNull(),
    logIndex: integer("log_index").notNull(),
    transactionHash: text("transaction_hash").notNull(),
    reservationId: text("reservation_id").notNull(),
    eventName: text("event_name").notNull(),
    args: text("args", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.blockNumber, t.logIndex] }), index("chain_reservation_events_reservation").on(t.reservationId, t.blockNumber, t.logIndex)],
);
