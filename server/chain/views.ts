import { ZERO_ADDRESS } from "../../indexer/store/derive";
import type { CertificateView, RetirementView, TransferView } from "./apiSchemas";
import { isoSeconds, KIND_NAMES, nameOf, RETIREMENT_REASONS, type CertificateStatus } from "./names";

/** Rows of the chain_* tables (snake_case, as SQLite returns them) and their API shapes. */

export interface CertificateRow {
  id: string;
  kind: number;
  serial: number;
  ref: string;
  period_start: number;
  period_end: number;
  evidence: string;
  origin: "issued" | "split";
  parent_id: string | null;
  voucher_nonce: string | null;
  issued_amount: string;
  supply: string;
  claimed_amount: string;
  retired_amount: string;
  split_amount: string;
  status: CertificateStatus;
  revoked_reason_hash: string | null;
  revoked_block: number | null;
  standard_first_serial: string | null;
  standard_last_serial: string | null;
  serials_block: number | null;
  block_number: number;
  transaction_hash: string;
}

export function certificateView(row: CertificateRow): CertificateView {
  return {
    id: row.id,
    kind: nameOf(KIND_NAMES, row.kind),
    ref: row.ref,
    periodStart: isoSeconds(row.period_start),
    periodEnd: isoSeconds(row.period_end),
    evidence: row.evidence,
    origin: row.origin,
    parentId: row.parent_id,
    voucherNonce: row.voucher_nonce,
    issuedAmount: row.issued_amount,
    supply: row.supply,
    claimedAmount: row.claimed_amount,
    retiredAmount: row.retired_amount,
    splitAmount: row.split_amount,
    status: row.status,
    revokedReasonHash: row.revoked_reason_hash,
    revokedInBlock: row.revoked_block,
    standardSerials:
      row.serials_block === null ? null : { first: row.standard_first_serial!, last: row.standard_last_serial!, recordedInBlock: row.serials_block },
    createdInBlock: row.block_number,
    transactionHash: row.transaction_hash,
  };
}

export interface TransferRow {
  block_number: number;
  log_index: number;
  batch_index: number;
  transaction_hash: string;
  operator: string;
  from_address: string;
  to_address: string;
  certificate_id: string;
  amount: string;
  action: TransferView["action"];
  reason: number | null;
  /** From chain_blocks, joined by the query. */
  timestamp: number | null;
}

/** A block time from chain_blocks (null when the block was never fetched) as ISO 8601 UTC. */
export const timestampOf = (seconds: number | null) => (seconds === null ? null : isoSeconds(seconds));
const addressOrNull = (address: string) => (address === ZERO_ADDRESS ? null : address);

export function transferView(row: TransferRow): TransferView {
  return {
    blockNumber: row.block_number,
    logIndex: row.log_index,
    batchIndex: row.batch_index,
    transactionHash: row.transaction_hash,
    timestamp: timestampOf(row.timestamp),
    certificateId: row.certificate_id,
    from: addressOrNull(row.from_address),
    to: addressOrNull(row.to_address),
    operator: row.operator,
    amount: row.amount,
    action: row.action,
    reason: row.reason === null ? null : nameOf(RETIREMENT_REASONS, row.reason),
  };
}

export interface RetirementRow {
  block_number: number;
  log_index: number;
  transaction_hash: string;
  holder: string;
  certificate_id: string;
  reason: number;
  amount: string;
  beneficiary: string;
  details_hash: string;
  timestamp: number | null;
}

export function retirementView(row: RetirementRow): RetirementView {
  return {
    blockNumber: row.block_number,
    logIndex: row.log_index,
    transactionHash: row.transaction_hash,
    timestamp: timestampOf(row.timestamp),
    holder: row.holder,
    certificateId: row.certificate_id,
    reason: nameOf(RETIREMENT_REASONS, row.reason),
    amount: row.amount,
    beneficiary: row.beneficiary,
    detailsHash: row.details_hash,
  };
}
