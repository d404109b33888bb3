import type { DecodedEvent, EventArgs, EventValue } from "../decode/decodeLog";

/** A registry log as the indexer keeps it, with its decoded event (absent for a log the ABI does not describe). */
export interface ChainLog {
  blockNumber: number;
  logIndex: number;
  blockHash: string;
  transactionHash: string;
  transactionIndex: number;
  topics: string[];
  data: string;
  event?: DecodedEvent;
}

/** Where an event sits on the chain; every derived row carries it. */
export interface LogPosition {
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
}

export type TransferAction = "issuance" | "split" | "retirement" | "transfer";

/** What one event changes in the mirror, in terms of the tables of ./schema.ts. */
export type Change =
  | { type: "certificateIssued"; at: LogPosition; id: bigint; ref: string; amount: bigint; start: number; end: number; evidence: string }
  | { type: "voucherRedeemed"; at: LogPosition; nonce: bigint; recipient: string; firstId: bigint; count: number }
  | { type: "voucherInvalidated"; at: LogPosition; nonce: bigint }
  | { type: "certificateRevoked"; at: LogPosition; id: bigint; reasonHash: string }
  | { type: "standardSerialsRecorded"; at: LogPosition; id: bigint; firstSerial: string; lastSerial: string }
  | TransferChange
  | { type: "retired"; at: LogPosition; holder: string; id: bigint; reason: number; amount: bigint; beneficiary: string; detailsHash: string }
  | { type: "split"; at: LogPosition; parentId: bigint; holder: string; childIds: bigint[]; amounts: bigint[] }
  | {
      type: "reservationCreated";
      at: LogPosition;
      reservationId: string;
      buyer: string;
      start: number;
      end: number;
      frequency: number;
      standard: number;
      targetWh: bigint;
      canExceedTarget: boolean;
    }
  | { type: "deviceAdded"; at: LogPosition; reservationId: string; device: string }
  | { type: "deviceRemoved"; at: LogPosition; reservationId: string; device: string; releasedAt: number }
  | { type: "reservationEnded"; at: LogPosition; reservationId: string; reason: number; endedAt: number }
  | { type: "reservationLog"; at: LogPosition; reservationId: string; event: DecodedEvent };

/** One element of a `TransferSingle` (batch index 0) or `TransferBatch`. */
export interface TransferChange {
  type: "transfer";
  at: LogPosition;
  batchIndex: number;
  operator: string;
  from: string;
  to: string;
  id: bigint;
  amount: bigint;
  action: TransferAction;
  /** The retirement reason of a burn by claim or retireBatch. */
  reason: number | null;
}

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const KIND_SHIFT = 248n;
const SERIAL_MASK = (1n << KIND_SHIFT) - 1n;
/** `CertificateKind.DRec`: its certificates reference a reservation. */
export const DREC_KIND = 0;

export const kindOf = (id: bigint): number => Number(id >> KIND_SHIFT);
export const serialOf = (id: bigint): number => Number(id & SERIAL_MASK);

const big = (args: EventArgs, name: string) => args[name] as bigint;
const str = (args: EventArgs, name: string) => args[name] as string;
const bigs = (args: EventArgs, name: string) => args[name] as readonly EventValue[] as bigint[];

/**
 * The mirror changes a range of logs makes, in log order. `logs` must hold whole transactions (a range of
 * whole blocks does): a transfer's action depends on the events around it in its transaction. A burn is
 * a split when the `Split` of that id follows it, otherwise a retirement paired in order with the
 * `Retired` events that follow; a mint is a split when a preceding `Split` in the transaction named the id.
 */
export function deriveChanges(logs: readonly ChainLog[]): Change[] {
  const changes: Change[] = [];
  let transaction: string | undefined;
  let splitChildren = new Set<bigint>();
  let awaitingReason: TransferChange[] = [];
  for (let i = 0; i < logs.length; i++) {
    const log = logs[i];
    if (log.transactionHash !== transaction) {
      transaction = log.transactionHash;
      splitChildren = new Set();
      awaitingReason = [];
    }
    const event = log.event;
    if (!event) continue;
    const at: LogPosition = { blockNumber: log.blockNumber, logIndex: log.logIndex, transactionHash: log.transactionHash };
    const a = event.args;
    switch (event.eventName) {
      case "CertificateIssued": {
        const id = big(a, "id");
        const ref = str(a, "ref");
        changes.push({ type: "certificateIssued", at, id, ref, amount: big(a, "amount"), start: Number(big(a, "start")), end: Number(big(a, "end")), evidence: str(a, "evidence") });
        if (kindOf(id) === DREC_KIND) changes.push({ type: "reservationLog", at, reservationId: ref, event });
        break;
      }
      case "VoucherRedeemed":
        changes.push({ type: "voucherRedeemed", at, nonce: big(a, "nonce"), recipient: str(a, "recipient"), firstId: big(a, "firstId"), count: Number(big(a, "count")) });
        break;
      case "VoucherInvalidated":
        changes.push({ type: "voucherInvalidated", at, nonce: big(a, "nonce") });
        break;
      case "CertificateRevoked":
        changes.push({ type: "certificateRevoked", at, id: big(a, "id"), reasonHash: str(a, "reasonHash") });
        break;
      case "StandardSerialsRecorded":
        changes.push({ type: "standardSerialsRecorded", at, id: big(a, "id"), firstSerial: str(a, "firstSerial"), lastSerial: str(a, "lastSerial") });
        break;
      case "TransferSingle":
      case "TransferBatch": {
        const ids = event.eventName === "TransferSingle" ? [big(a, "id")] : bigs(a, "ids");
        const values = event.eventName === "TransferSingle" ? [big(a, "value")] : bigs(a, "values");
        const from = str(a, "from");
        const to = str(a, "to");
        const next = logs[i + 1];
        const splitFollows = next?.transactionHash === log.transactionHash && next.event?.eventName === "Split";
        ids.forEach((id, batchIndex) => {
          let action: TransferAction = "transfer";
          if (from === ZERO_ADDRESS) action = splitChildren.has(id) ? "split" : "issuance";
          else if (to === ZERO_ADDRESS) action = splitFollows && big(next!.event!.args, "parentId") === id ? "split" : "retirement";
          const change: TransferChange = { type: "transfer", at, batchIndex, operator: str(a, "operator"), from, to, id, amount: values[batchIndex], action, reason: null };
          if (action === "retirement") awaitingReason.push(change);
          changes.push(change);
        });
        break;
      }
      case "Retired": {
        const id = big(a, "id");
        const reason = Number(big(a, "reason"));
        const burn = awaitingReason.shift();
        if (burn && burn.id === id) burn.reason = reason;
        changes.push({ type: "retired", at, holder: str(a, "holder"), id, reason, amount: big(a, "amount"), beneficiary: str(a, "beneficiary"), detailsHash: str(a, "detailsHash") });
        break;
      }
      case "Split": {
        const childIds = bigs(a, "childIds");
        for (const child of childIds) splitChildren.add(child);
        changes.push({ type: "split", at, parentId: big(a, "parentId"), holder: str(a, "holder"), childIds, amounts: bigs(a, "amounts") });
        break;
      }
      case "ReservationCreated": {
        const reservationId = str(a, "reservationId");
        changes.push({
          type: "reservationCreated",
          at,
          reservationId,
          buyer: str(a, "buyer"),
          start: Number(big(a, "start")),
          end: Number(big(a, "end")),
          frequency: Number(big(a, "frequency")),
          standard: Number(big(a, "standard")),
          targetWh: big(a, "targetWh"),
          canExceedTarget: a.canExceedTarget as boolean,
        });
        changes.push({ type: "reservationLog", at, reservationId, event });
        break;
      }
      case "DeviceAdded": {
        const reservationId = str(a, "reservationId");
        changes.push({ type: "deviceAdded", at, reservationId, device: str(a, "device") });
        changes.push({ type: "reservationLog", at, reservationId, event });
        break;
      }
      case "DeviceRemoved": {
        const reservationId = str(a, "reservationId");
        changes.push({ type: "deviceRemoved", at, reservationId, device: str(a, "device"), releasedAt: Number(big(a, "releasedAt")) });
        changes.push({ type: "reservationLog", at, reservationId, event });
        break;
      }
      case "ReservationEnded": {
        const reservationId = str(a, "reservationId");
        changes.push({ type: "reservationEnded", at, reservationId, reason: Number(big(a, "reason")), endedAt: Number(big(a, "endedAt")) });
        changes.push({ type: "reservationLog", at, reservationId, event });
        break;
      }
      // Roles, pause, allowlists, approvals, URIs and the hold period live in chain_raw_logs only.
    }
  }
  return changes;
}
