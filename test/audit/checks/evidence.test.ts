import { expect } from "chai";
import { checkEvidence } from "../../../server/audit/checks/evidence";
import { evidenceRoot, type EvidenceLeaf } from "../../../server/issuance/evidence";
import { HOUR, T0, bytes32, certificate, idOf, leaf } from "../support";

describe("audit check 3: each certificate's commitment matches its published evidence", () => {
  const [d1, d2] = [bytes32("device-1"), bytes32("device-2")];
  const drecLeaves = [leaf(d1, T0, T0 + HOUR, 600n), leaf(d2, T0, T0 + HOUR / 2n, 300n), leaf(d2, T0 + HOUR / 2n, T0 + HOUR, 100n)];
  const drec = certificate({ id: idOf(0, 1), ref: bytes32("reservation"), amount: 1_000n, evidence: evidenceRoot(drecLeaves) });
  const gcLeaves = [leaf(d1, T0 + HOUR, T0 + 2n * HOUR, 400n)];
  const gc = certificate({ id: idOf(1, 2), ref: d1, amount: 400n, start: T0 + HOUR, end: T0 + 2n * HOUR, evidence: evidenceRoot(gcLeaves) });

  const run = (entries: [bigint, EvidenceLeaf[] | undefined][], certificates = [drec, gc]) => checkEvidence(certificates, new Map(entries));
  const codes = (entries: [bigint, EvidenceLeaf[] | undefined][], certificates = [drec, gc]) => run(entries, certificates).findings.map((f) => f.code);

  it("finds nothing when the published leaves hash to each on-chain root, and hands them on as verified", () => {
    const { findings, verified } = run([[drec.id, drecLeaves], [gc.id, gcLeaves]]);
    expect(findings).to.deep.equal([]);
    expect([...verified]).to.deep.equal([[drec.id, drecLeaves], [gc.id, gcLeaves]]);
  });

  it("catches tampered evidence (one leaf's Wh changed) and does not treat it as verified", () => {
    const tampered = drecLeaves.map((l, i) => (i === 1 ? { ...l, wh: l.wh + 1n } : l));
    const { findings, verified } = run([[drec.id, tampered], [gc.id, gcLeaves]]);
    expect(findings.map((f) => [f.code, f.certificateIds])).to.deep.equal([["evidence-root-mismatch", [drec.id.toString()]]]);
    expect(findings[0].message).to.contain(drec.evidence);
    expect([...verified.keys()]).to.deep.equal([gc.id]);
  });

  it("catches evidence missing for a certificate, published empty, or with a malformed leaf", () => {
    expect(codes([[gc.id, gcLeaves]])).to.deep.equal(["evidence-missing"]);
    expect(codes([[drec.id, []], [gc.id, gcLeaves]])).to.deep.equal(["evidence-missing"]);
    const malformed = run([[drec.id, drecLeaves], [gc.id, [{ ...gcLeaves[0], end: gcLeaves[0].start }]]]).findings;
    expect(malformed.map((f) => [f.code, f.device])).to.deep.equal([["evidence-malformed", d1]]);
  });

  it("catches committed leaves that do not add up to the certificate's amount", () => {
    const short = [leaf(d1, T0 + HOUR, T0 + 2n * HOUR, 399n)];
    const certificates = [{ ...gc, evidence: evidenceRoot(short) }];
    expect(codes([[gc.id, short]], certificates)).to.deep.equal(["evidence-amount-mismatch"]);
  });

  it("catches a leaf outside the certificate's period, and a GC leaf for another device than the GC's", () => {
    const stray = [leaf(d2, T0, T0 + 2n * HOUR, 400n)];
    const certificates = [{ ...gc, evidence: evidenceRoot(stray) }];
    const findings = run([[gc.id, stray]], certificates).findings;
    expect(findings.map((f) => [f.code, f.device, f.period])).to.deep.equal([
      ["evidence-outside-period", d2, { start: T0.toString(), end: (T0 + 2n * HOUR).toString() }],
      ["evidence-other-device", d2, { start: T0.toString(), end: (T0 + 2n * HOUR).toString() }],
    ]);
  });
});
