import { expect } from "chai";
import { checkDoubleCertification } from "../../../server/audit/checks/doubleCertification";
import type { EvidenceLeaf } from "../../../server/issuance/evidence";
import { HOUR, T0, bytes32, certificate, idOf, leaf } from "../support";

describe("audit check 4: no device-period is certified twice", () => {
  const [d1, d2] = [bytes32("device-1"), bytes32("device-2")];
  const gc = (serial: number, device: `0x${string}`, start: bigint, end: bigint) => certificate({ id: idOf(1, serial), ref: device, start, end });
  const run = (certificates: ReturnType<typeof certificate>[], verified: [bigint, EvidenceLeaf[]][] = [], revoked: bigint[] = []) =>
    checkDoubleCertification(certificates, new Map(verified), new Set(revoked));

  it("finds two GC certificates of one device whose hours overlap, naming both ids and the overlap", () => {
    const a = gc(1, d1, T0, T0 + 2n * HOUR);
    const b = gc(2, d1, T0 + HOUR, T0 + 3n * HOUR);
    const findings = run([a, b]);
    expect(findings).to.have.length(1);
    expect(findings[0]).to.deep.include({
      code: "device-period-certified-twice",
      certificateIds: [a.id.toString(), b.id.toString()],
      device: d1,
      period: { start: (T0 + HOUR).toString(), end: (T0 + 2n * HOUR).toString() },
    });
  });

  it("accepts back-to-back periods, other devices, and a GC's ref and its own leaf claiming the same hour", () => {
    const a = gc(1, d1, T0, T0 + HOUR);
    const b = gc(2, d1, T0 + HOUR, T0 + 2n * HOUR);
    const c = gc(3, d2, T0, T0 + HOUR);
    expect(run([a, b, c], [[a.id, [leaf(d1, T0, T0 + HOUR, 1_000n)]]])).to.deep.equal([]);
  });

  it("finds a D-REC's device leaf overlapping a GC of that device, once however many sources claim it", () => {
    const drec = certificate({ id: idOf(0, 1), ref: bytes32("reservation") });
    const g = gc(2, d1, T0, T0 + HOUR);
    const findings = run([drec, g], [[drec.id, [leaf(d2, T0, T0 + HOUR, 1n), leaf(d1, T0, T0 + HOUR, 1n)]], [g.id, [leaf(d1, T0, T0 + HOUR, 1_000n)]]]);
    expect(findings.map((f) => [f.certificateIds, f.device])).to.deep.equal([[[drec.id.toString(), g.id.toString()], d1]]);
  });

  it("finds two overlapping leaves of one device inside one certificate", () => {
    const drec = certificate({ id: idOf(0, 1), ref: bytes32("reservation") });
    const findings = run([drec], [[drec.id, [leaf(d1, T0, T0 + HOUR, 1n), leaf(d1, T0 + HOUR / 2n, T0 + HOUR, 1n)]]]);
    expect(findings.map((f) => [f.certificateIds, f.message])).to.deep.equal([[[drec.id.toString()], `Device ${d1}'s generation over [2023-11-14T22:43:20Z, 2023-11-14T23:13:20Z) is counted twice in D-REC #1 (two of its leaves overlap).`]]);
  });

  it("leaves a revoked certificate out: revocation withdraws the double certification", () => {
    const a = gc(1, d1, T0, T0 + HOUR);
    const b = gc(2, d1, T0, T0 + HOUR);
    expect(run([a, b], [], [b.id])).to.deep.equal([]);
  });
});
