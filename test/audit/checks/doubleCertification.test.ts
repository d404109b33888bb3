import { expect } from "chai";
import { checkDoubleCertification, dischargeKey } from "../../../server/audit/checks/doubleCertification";
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

  describe("SD-GCs, which may split one discharge hour between them", () => {
    const storage = bytes32("battery");
    const sdgc = (serial: number, amount: bigint, start = T0, end = T0 + HOUR) => certificate({ id: idOf(2, serial), ref: storage, amount, start, end });
    const discharged = (wh: bigint) => new Map([[dischargeKey(storage, T0, T0 + HOUR), wh]]);

    it("accepts SD-GCs of one storage device and hour that together hold no more than the published discharge", () => {
      const [a, b] = [sdgc(1, 1_306_300n), sdgc(2, 13_700n)];
      expect(checkDoubleCertification([a, b], new Map([[a.id, [leaf(storage, T0, T0 + HOUR, 1_306_300n)]]]), new Set(), discharged(1_320_000n))).to.deep.equal([]);
    });

    it("finds SD-GCs of one hour holding more than was discharged, naming them all", () => {
      const [a, b] = [sdgc(1, 1_306_300n), sdgc(2, 13_701n)];
      const findings = checkDoubleCertification([a, b], new Map(), new Set(), discharged(1_320_000n));
      expect(findings.map((f) => [f.code, f.certificateIds])).to.deep.equal([["discharge-certified-twice", [a.id.toString(), b.id.toString()]]]);
      expect(findings[0].message).to.include("1320001 Wh, more than the 1320000 Wh");
    });

    it("finds an SD-GC without a published discharge record, and leaves revoked ones out", () => {
      const [a, b] = [sdgc(1, 5n), sdgc(2, 5n, T0 + HOUR, T0 + 2n * HOUR)];
      const findings = checkDoubleCertification([a, b], new Map(), new Set([a.id]), discharged(10n));
      expect(findings.map((f) => [f.code, f.certificateIds, f.period])).to.deep.equal([
        ["discharge-record-missing", [b.id.toString()], { start: (T0 + HOUR).toString(), end: (T0 + 2n * HOUR).toString() }],
      ]);
    });

    it("still finds SD-GCs whose periods overlap without being the same hour, and an SD-GC over a GC of the same device", () => {
      const a = sdgc(1, 5n, T0, T0 + HOUR);
      const b = sdgc(2, 5n, T0 + HOUR / 2n, T0 + HOUR + HOUR / 2n);
      const g = gc(3, storage, T0, T0 + HOUR);
      const all = new Map([
        [dischargeKey(storage, T0, T0 + HOUR), 100n],
        [dischargeKey(storage, T0 + HOUR / 2n, T0 + HOUR + HOUR / 2n), 100n],
      ]);
      const codes = checkDoubleCertification([a, b, g], new Map(), new Set(), all).map((f) => [f.code, f.certificateIds]);
      expect(codes).to.have.deep.members([
        ["device-period-certified-twice", [a.id.toString(), b.id.toString()]],
        ["device-period-certified-twice", [g.id.toString(), a.id.toString()]],
        ["device-period-certified-twice", [g.id.toString(), b.id.toString()]],
      ]);
    });
  });
});
