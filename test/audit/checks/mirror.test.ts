import { expect } from "chai";
import { chainCertificateFacts, checkMirror, type CertificateFacts, type ChainHolding, type MirrorSnapshot } from "../../../server/audit/checks/mirror";
import { applyEvent, emptyLedger } from "../../../server/audit/ledger";
import { ALICE, BOB, HOUR, T0, batchEvent, bytes32, idOf, issuedEvent, mintEvent, retiredEvent, burnEvent, splitEvent } from "../support";

describe("audit check 1: the mirror equals the chain", () => {
  const id = idOf(1, 1);
  const block = { blockNumber: 42n, blockHash: bytes32("block-42") };
  const holdings: ChainHolding[] = [
    { holder: ALICE, id, balance: 600n, claimed: 0n },
    { holder: BOB, id, balance: 300n, claimed: 100n },
  ];
  const certificates: CertificateFacts[] = [
    { id, ref: bytes32("device"), start: T0, end: T0 + HOUR, evidence: bytes32(9), parentId: null, issued: 1_000n, supply: 900n, claimed: 100n, retired: 0n, splitAway: 0n, revoked: false, provisional: false },
  ];
  const faithful = (): MirrorSnapshot => ({
    checkpoint: { ...block },
    // The indexer stores addresses lower-case.
    balances: holdings.map((h) => ({ holder: h.holder.toLowerCase(), id: h.id, amount: h.balance })),
    claimed: holdings.map((h) => ({ holder: h.holder.toLowerCase(), id: h.id, amount: h.claimed })),
    certificates: certificates.map((c) => ({ ...c })),
  });
  const check = (mirror: MirrorSnapshot) => checkMirror(holdings, certificates, mirror, block);

  it("finds nothing when every balance, claimed balance and certificate row matches at the audited block", () => {
    expect(check(faithful())).to.deep.equal([]);
  });

  it("names the holder and id of a changed balance row and of a changed claimed amount", () => {
    const mirror = faithful();
    mirror.balances[1].amount = 301n;
    mirror.claimed[1].amount = 0n;
    const findings = check(mirror);
    expect(findings.map((f) => [f.code, f.holder, f.certificateIds])).to.deep.equal([
      ["balance-mismatch", BOB, [id.toString()]],
      ["claimed-mismatch", BOB, [id.toString()]],
    ]);
    expect(findings[0].message).to.equal(`The mirror has a balance of 301 Wh of GC #1 for ${BOB}; the chain has 300 Wh.`);
  });

  it("counts a missing row as zero and flags a non-zero row for a position the chain never had", () => {
    const mirror = faithful();
    mirror.balances.shift();
    mirror.balances.push({ holder: "0x00000000000000000000000000000000000000cc", id, amount: 5n }, { holder: "0x00000000000000000000000000000000000000dd", id, amount: 0n });
    expect(check(mirror).map((f) => [f.code, f.holder])).to.deep.equal([
      ["balance-mismatch", ALICE],
      ["balance-mismatch", "0x00000000000000000000000000000000000000cc"],
    ]);
  });

  it("finds a certificate row that differs from the chain, one missing, and one the chain never minted", () => {
    const changed = faithful();
    changed.certificates[0] = { ...changed.certificates[0], supply: 901n, evidence: bytes32(8) };
    const [finding] = check(changed);
    expect(finding).to.deep.equal({
      code: "certificate-mismatch",
      message: `The mirror's row for GC #1 differs from the chain: evidence ${bytes32(8)} (chain: ${bytes32(9)}), supply 901 (chain: 900).`,
      certificateIds: [id.toString()],
    });
    const replaced = faithful();
    replaced.certificates[0] = { ...replaced.certificates[0], id: idOf(1, 2) };
    expect(check(replaced).map((f) => [f.code, f.certificateIds])).to.deep.equal([
      ["certificate-missing", [id.toString()]],
      ["certificate-unknown", [idOf(1, 2).toString()]],
    ]);
  });

  it("finds a row whose provisional status differs from isProvisional, either way", () => {
    for (const [inMirror, onChain] of [
      [true, false],
      [false, true],
    ]) {
      const chain = certificates.map((c) => ({ ...c, provisional: onChain }));
      const mirror = { ...faithful(), certificates: certificates.map((c) => ({ ...c, provisional: inMirror })) };
      expect(checkMirror(holdings, chain, mirror, block)).to.deep.equal([
        {
          code: "certificate-mismatch",
          message: `The mirror's row for GC #1 differs from the chain: provisional ${inMirror} (chain: ${onChain}).`,
          certificateIds: [id.toString()],
        },
      ]);
    }
  });

  it("reports a mirror without a checkpoint, or at another block than the one audited", () => {
    expect(check({ ...faithful(), checkpoint: undefined }).map((f) => f.code)).to.deep.equal(["mirror-not-synced"]);
    const forked = { ...faithful(), checkpoint: { blockNumber: 42n, blockHash: bytes32("orphaned") } };
    expect(check(forked).map((f) => f.code)).to.deep.equal(["mirror-checkpoint-mismatch"]);
  });

  it("derives the chain's rows from the logs and views (isProvisional among them), leaving a split child's inherited attributes out", () => {
    const [parent, child] = [idOf(1, 1), idOf(1, 2)];
    const ledger = emptyLedger();
    for (const event of [
      issuedEvent({ id: parent, ref: bytes32("device"), amount: 1_000n, start: T0, end: T0 + HOUR, evidence: bytes32(9) }),
      mintEvent(ALICE, parent, 1_000n),
      retiredEvent(ALICE, parent, 0, 100n),
      retiredEvent(ALICE, parent, 3, 50n),
      burnEvent(ALICE, parent, 150n),
      splitEvent(parent, ALICE, [child], [200n]),
      burnEvent(ALICE, parent, 200n),
      batchEvent("0x0000000000000000000000000000000000000000", ALICE, [child], [200n]),
    ]) {
      applyEvent(ledger, event);
    }
    const views: ChainHolding[] = [
      { holder: ALICE, id: parent, balance: 650n, claimed: 100n },
      { holder: ALICE, id: child, balance: 200n, claimed: 0n },
    ];
    // A set naming the child stands for a view that says so; the facts follow the view, not the logs.
    expect(chainCertificateFacts(ledger, views, new Set([child]))).to.deep.equal([
      {
        id: parent,
        ref: bytes32("device"),
        start: T0,
        end: T0 + HOUR,
        evidence: bytes32(9),
        parentId: null,
        issued: 1_000n,
        supply: 650n,
        claimed: 100n,
        retired: 50n,
        splitAway: 200n,
        revoked: false,
        provisional: false,
      },
      { id: child, ref: undefined, start: undefined, end: undefined, evidence: undefined, parentId: parent, issued: 200n, supply: 200n, claimed: 0n, retired: 0n, splitAway: 0n, revoked: false, provisional: true },
    ]);
  });
});
