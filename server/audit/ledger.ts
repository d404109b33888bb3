import { zeroAddress, type Address, type DecodeEventLogReturnType, type Hex } from "viem";
import type { AUDITED_EVENTS } from "./registryAbi";

/**
 * What the audit re-derives from the registry's logs alone, folded event by event so logs can be fetched
 * range by range and dropped. Nothing here comes from the mirror.
 */
export type AuditedEvent = DecodeEventLogReturnType<typeof AUDITED_EVENTS>;

/** A certificate minted by a voucher, as its `CertificateIssued` event describes it. */
export interface IssuedCertificate {
  id: bigint;
  kind: number;
  /** The reservation id for D-RECs, the device for the GC families. */
  ref: Hex;
  amount: bigint;
  start: bigint;
  end: bigint;
  evidence: Hex;
  /** The `to` of the first mint of this id. */
  recipient?: Address;
}

/** Amounts of one id as the logs record them. */
export interface IdFlows {
  id: bigint;
  /** The `CertificateIssued` amount, or for a split child its amount in the `Split` event. */
  issued: bigint;
  minted: bigint;
  burned: bigint;
  /** Retired amounts indexed by `RetirementReason` (0 claimed, 1 cancelled, 2 for storage, 3 exported, 4 split). */
  retired: bigint[];
  /** Burned from this id by splits (sum of the children's amounts). */
  splitAway: bigint;
}

/** One holder's position in one id, as the logs record it. */
export interface LoggedHolding {
  holder: Address;
  id: bigint;
  balance: bigint;
  /** Sum of this holder's `Retired` claims of the id. */
  claimed: bigint;
}

export interface ReservationRecord {
  id: Hex;
  buyer: Address;
  start: bigint;
  end: bigint;
  /** Set once ended; the effective end of the window from then on. */
  endedAt?: bigint;
  /** Every device ever added, keyed lower-case; `releasedAt` is set while it stands removed. */
  devices: Map<string, { releasedAt?: bigint }>;
}

export interface Ledger {
  certificates: Map<bigint, IssuedCertificate>;
  /** Split children and the parent each came from. */
  splitParents: Map<bigint, bigint>;
  flows: Map<bigint, IdFlows>;
  holdings: Map<string, LoggedHolding>;
  revoked: Set<bigint>;
  /** Keyed by lower-case reservation id. */
  reservations: Map<string, ReservationRecord>;
}

export const KIND_SHIFT = 248n;
const RETIREMENT_REASON_COUNT = 5;
export const CLAIMED = 0;

export function emptyLedger(): Ledger {
  return { certificates: new Map(), splitParents: new Map(), flows: new Map(), holdings: new Map(), revoked: new Set(), reservations: new Map() };
}

export function holdingKey(holder: string, id: bigint): string {
  return `${holder.toLowerCase()}:${id}`;
}

/** Folds one registry event (in log order) into the ledger. */
export function applyEvent(ledger: Ledger, event: AuditedEvent): void {
  switch (event.eventName) {
    case "CertificateIssued": {
      const { id, ref, amount, start, end, evidence } = event.args;
      ledger.certificates.set(id, { id, kind: Number(id >> KIND_SHIFT), ref, amount, start, end, evidence });
      flowsOf(ledger, id).issued += amount;
      return;
    }
    case "Split": {
      const { parentId, childIds, amounts } = event.args;
      childIds.forEach((child, i) => {
        ledger.splitParents.set(child, parentId);
        flowsOf(ledger, child).issued += amounts[i];
        flowsOf(ledger, parentId).splitAway += amounts[i];
      });
      return;
    }
    case "Retired": {
      const { holder, id, reason, amount } = event.args;
      flowsOf(ledger, id).retired[reason] += amount;
      if (reason === CLAIMED) holdingOf(ledger, holder, id).claimed += amount;
      return;
    }
    case "TransferSingle":
      return applyTransfer(ledger, event.args.from, event.args.to, [event.args.id], [event.args.value]);
    case "TransferBatch":
      return applyTransfer(ledger, event.args.from, event.args.to, event.args.ids, event.args.values);
    case "CertificateRevoked":
      ledger.revoked.add(event.args.id);
      return;
    case "ReservationCreated": {
      const { reservationId, buyer, start, end } = event.args;
      ledger.reservations.set(reservationId.toLowerCase(), { id: reservationId, buyer, start: BigInt(start), end: BigInt(end), devices: new Map() });
      return;
    }
    case "DeviceAdded":
      ledger.reservations.get(event.args.reservationId.toLowerCase())?.devices.set(event.args.device.toLowerCase(), {});
      return;
    case "DeviceRemoved":
      ledger.reservations.get(event.args.reservationId.toLowerCase())?.devices.set(event.args.device.toLowerCase(), { releasedAt: event.args.releasedAt });
      return;
    case "ReservationEnded": {
      const reservation = ledger.reservations.get(event.args.reservationId.toLowerCase());
      if (reservation) reservation.endedAt = event.args.endedAt;
      return;
    }
  }
}

/** What left circulation for any reason but a claim (cancelled, for storage, exported). */
export function retiredUnclaimed(flows: IdFlows): bigint {
  return flows.retired.reduce((sum, amount, reason) => (reason === CLAIMED ? sum : sum + amount), 0n);
}

/** Balances and claimed amounts of positions, summed per id. */
export function totalsPerId(positions: Iterable<{ id: bigint; balance: bigint; claimed: bigint }>): Map<bigint, { balance: bigint; claimed: bigint }> {
  const totals = new Map<bigint, { balance: bigint; claimed: bigint }>();
  for (const { id, balance, claimed } of positions) {
    const total = totals.get(id);
    if (total) {
      total.balance += balance;
      total.claimed += claimed;
    } else {
      totals.set(id, { balance, claimed });
    }
  }
  return totals;
}

function applyTransfer(ledger: Ledger, from: Address, to: Address, ids: readonly bigint[], values: readonly bigint[]): void {
  ids.forEach((id, i) => {
    const value = values[i];
    if (from === zeroAddress) {
      flowsOf(ledger, id).minted += value;
      const certificate = ledger.certificates.get(id);
      if (certificate && certificate.recipient === undefined) certificate.recipient = to;
    } else {
      holdingOf(ledger, from, id).balance -= value;
    }
    if (to === zeroAddress) flowsOf(ledger, id).burned += value;
    else holdingOf(ledger, to, id).balance += value;
  });
}

function flowsOf(ledger: Ledger, id: bigint): IdFlows {
  let flows = ledger.flows.get(id);
  if (!flows) {
    flows = { id, issued: 0n, minted: 0n, burned: 0n, retired: new Array<bigint>(RETIREMENT_REASON_COUNT).fill(0n), splitAway: 0n };
    ledger.flows.set(id, flows);
  }
  return flows;
}

function holdingOf(ledger: Ledger, holder: Address, id: bigint): LoggedHolding {
  const key = holdingKey(holder, id);
  let holding = ledger.holdings.get(key);
  if (!holding) {
    holding = { holder, id, balance: 0n, claimed: 0n };
    ledger.holdings.set(key, holding);
  }
  return holding;
}
