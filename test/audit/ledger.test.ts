import { expect } from "chai";
import { applyEvent, emptyLedger, holdingKey, type AuditedEvent } from "../../server/audit/ledger";
import { ALICE, BOB, HOUR, T0, batchEvent, burnEvent, bytes32, idOf, issuedEvent, mintEvent, retiredEvent, splitEvent, transferEvent } from "./support";

describe("audit ledger (state re-derived from registry events)", () => {
  const gc = idOf(1, 1);
  const drec = idOf(0, 2);
  const [childA, childB] = [idOf(1, 3), idOf(1, 4)];

  function fold(events: AuditedEvent[]) {
    const ledger = emptyLedger();
    for (const event of events) applyEvent(ledger, event);
    return ledger;
  }

  const history: AuditedEvent[] = [
    issuedEvent({ id: gc, ref: bytes32("device"), amount: 1_000n, start: T0, end: T0 + HOUR, evidence: bytes32(7) }),
    issuedEvent({ id: drec, ref: bytes32("reservation"), amount: 500n, start: T0, end: T0 + HOUR, evidence: bytes32(8) }),
    batchEvent("0x0000000000000000000000000000000000000000", ALICE, [gc, drec], [1_000n, 500n]),
    transferEvent(ALICE, BOB, gc, 400n),
    retiredEvent(BOB, gc, 0, 100n),
    burnEvent(BOB, gc, 100n),
    retiredEvent(ALICE, drec, 3, 50n),
    burnEvent(ALICE, drec, 50n),
    splitEvent(gc, ALICE, [childA, childB], [200n, 300n]),
    burnEvent(ALICE, gc, 500n),
    batchEvent("0x0000000000000000000000000000000000000000", ALICE, [childA, childB], [200n, 300n]),
    transferEvent(ALICE, BOB, childA, 200n),
    { eventName: "CertificateRevoked", args: { id: childB, reasonHash: bytes32(1) } },
  ];

  it("records each voucher certificate with its kind (from the id) and the first mint's recipient", () => {
    const ledger = fold(history);
    expect([...ledger.certificates.keys()]).to.deep.equal([gc, drec]);
    expect(ledger.certificates.get(gc)).to.deep.include({ kind: 1, ref: bytes32("device"), amount: 1_000n, evidence: bytes32(7), recipient: ALICE });
    expect(ledger.certificates.get(drec)).to.deep.include({ kind: 0, recipient: ALICE });
  });

  it("keeps the issued, minted, burned, retired-by-reason and split amounts of every id", () => {
    const ledger = fold(history);
    expect(ledger.flows.get(gc)).to.deep.equal({ id: gc, issued: 1_000n, minted: 1_000n, burned: 600n, retired: [100n, 0n, 0n, 0n, 0n], splitAway: 500n });
    expect(ledger.flows.get(drec)).to.deep.equal({ id: drec, issued: 500n, minted: 500n, burned: 50n, retired: [0n, 0n, 0n, 50n, 0n], splitAway: 0n });
    expect(ledger.flows.get(childA)).to.deep.include({ issued: 200n, minted: 200n, burned: 0n });
    expect([...ledger.splitParents]).to.deep.equal([[childA, gc], [childB, gc]]);
    expect([...ledger.revoked]).to.deep.equal([childB]);
  });

  it("keeps each holder's balance and claims from transfers and Retired events", () => {
    const ledger = fold(history);
    const position = (holder: string, id: bigint) => ledger.holdings.get(holdingKey(holder, id));
    expect(position(ALICE, gc)).to.deep.include({ balance: 100n, claimed: 0n });
    expect(position(BOB, gc)).to.deep.include({ balance: 300n, claimed: 100n });
    expect(position(ALICE, drec)).to.deep.include({ balance: 450n, claimed: 0n });
    expect(position(BOB, childA)).to.deep.include({ balance: 200n });
    expect(position(ALICE, childB)).to.deep.include({ balance: 300n });
    expect(ledger.holdings.size).to.equal(6);
  });

  it("follows a reservation's devices and its end", () => {
    const id = bytes32("reservation");
    const ledger = fold([
      { eventName: "ReservationCreated", args: { reservationId: id, buyer: BOB, start: 100, end: 200, frequency: 1, standard: 0, targetWh: 10n, canExceedTarget: false } },
      { eventName: "DeviceAdded", args: { reservationId: id, device: bytes32("d1") } },
      { eventName: "DeviceAdded", args: { reservationId: id, device: bytes32("d2") } },
      { eventName: "DeviceRemoved", args: { reservationId: id, device: bytes32("d2"), releasedAt: 150n } },
      { eventName: "ReservationEnded", args: { reservationId: id, reason: 0, endedAt: 180n } },
      mintEvent(BOB, drec, 1n),
    ]);
    const reservation = ledger.reservations.get(id)!;
    expect(reservation).to.deep.include({ buyer: BOB, start: 100n, end: 200n, endedAt: 180n });
    expect([...reservation.devices]).to.deep.equal([
      [bytes32("d1"), {}],
      [bytes32("d2"), { releasedAt: 150n }],
    ]);
  });
});
