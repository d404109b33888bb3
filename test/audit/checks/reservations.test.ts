import { expect } from "chai";
import { checkReservations } from "../../../server/audit/checks/reservations";
import type { IssuedCertificate, ReservationRecord } from "../../../server/audit/ledger";
import type { EvidenceLeaf } from "../../../server/issuance/evidence";
import { ALICE, BOB, HOUR, T0, bytes32, certificate, idOf, leaf } from "../support";

/** The contract refuses to mint a D-REC outside its reservation or to anyone but its buyer, so these faults are planted in the check's input. */
describe("audit check 5: every D-REC lies inside its on-chain reservation and went to its buyer", () => {
  const reservationId = bytes32("reservation");
  const [d1, d2] = [bytes32("device-1"), bytes32("device-2")];
  const reservation = (): ReservationRecord => ({
    id: reservationId,
    buyer: BOB,
    start: T0,
    end: T0 + 24n * HOUR,
    devices: new Map<string, { releasedAt?: bigint }>([[d1, {}], [d2, { releasedAt: T0 + 2n * HOUR }]]),
  });
  const drec = (overrides: Partial<IssuedCertificate> = {}) => certificate({ id: idOf(0, 1), ref: reservationId, recipient: BOB, start: T0, end: T0 + HOUR, ...overrides });
  const run = (certificates: IssuedCertificate[], record = reservation(), verified: [bigint, EvidenceLeaf[]][] = []) =>
    checkReservations(certificates, new Map([[reservationId, record]]), new Map(verified));

  it("finds nothing for a D-REC inside the window, minted to the buyer, from the reservation's devices", () => {
    const c = drec();
    expect(run([c], reservation(), [[c.id, [leaf(d1, T0, T0 + HOUR, 1n), leaf(d2, T0, T0 + HOUR, 1n)]]])).to.deep.equal([]);
  });

  it("finds a D-REC outside the window, including past the moment the reservation ended", () => {
    expect(run([drec({ start: T0 - 1n })]).map((f) => f.code)).to.deep.equal(["drec-outside-reservation"]);
    const ended = { ...reservation(), endedAt: T0 + HOUR / 2n };
    const findings = run([drec()], ended);
    expect(findings.map((f) => [f.code, f.period])).to.deep.equal([["drec-outside-reservation", { start: T0.toString(), end: (T0 + HOUR).toString() }]]);
  });

  it("finds a D-REC minted to someone other than the buyer, or naming no known reservation", () => {
    expect(run([drec({ recipient: ALICE })]).map((f) => [f.code, f.holder])).to.deep.equal([["drec-not-to-buyer", ALICE]]);
    expect(run([drec({ ref: bytes32("unknown") })]).map((f) => f.code)).to.deep.equal(["reservation-unknown"]);
  });

  it("finds evidence from a device the reservation never held, or from after the device's release", () => {
    const c = drec({ end: T0 + 3n * HOUR });
    const findings = run([c], reservation(), [[c.id, [leaf(bytes32("stranger"), T0, T0 + HOUR, 1n), leaf(d2, T0 + 2n * HOUR, T0 + 3n * HOUR, 1n)]]]);
    expect(findings.map((f) => [f.code, f.device])).to.deep.equal([
      ["device-not-in-reservation", bytes32("stranger")],
      ["device-released", d2],
    ]);
  });

  it("ignores the GC kinds, whose ref is a device", () => {
    expect(run([certificate({ id: idOf(1, 2), ref: d1, recipient: ALICE })])).to.deep.equal([]);
  });
});
