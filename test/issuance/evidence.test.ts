import { expect } from "chai";
import { concat, encodeAbiParameters, keccak256, parseAbiParameters, type Hex } from "viem";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  buildEvidenceTree,
  evidenceLeafProblems,
  evidenceRoot,
  InvalidEvidenceError,
  verifyEvidenceProof,
  type EvidenceLeaf,
} from "../../server/issuance/evidence";

const device = (n: number): Hex => `0x${n.toString(16).padStart(64, "0")}`;
const leaf = (n: number, start: bigint, wh: bigint): EvidenceLeaf => ({ deviceId: device(n), start, end: start + 3600n, wh });

/** OpenZeppelin's standard leaf, computed independently: keccak256(bytes.concat(keccak256(abi.encode(...)))). */
function standardLeafHash(l: EvidenceLeaf): Hex {
  return keccak256(keccak256(encodeAbiParameters(parseAbiParameters("bytes32, uint64, uint64, uint256"), [l.deviceId, l.start, l.end, l.wh])));
}

/** MerkleProof's commutative pair hash: the smaller hash first. */
function pairHash(a: Hex, b: Hex): Hex {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

describe("evidence commitment (per-device leaves, OpenZeppelin standard Merkle tree)", () => {
  const leaves = [leaf(1, 1_700_000_000n, 500n), leaf(2, 1_700_000_000n, 250n), leaf(1, 1_700_003_600n, 125n)];

  it("has the same root as OpenZeppelin's StandardMerkleTree over the same values, in any order", () => {
    const many = Array.from({ length: 37 }, (_, i) => leaf(i % 5, 1_700_000_000n + BigInt(i) * 3600n, BigInt(i + 1)));
    const standard = StandardMerkleTree.of(
      many.map((l) => [l.deviceId, l.start, l.end, l.wh]),
      ["bytes32", "uint64", "uint64", "uint256"],
    );
    expect(evidenceRoot(many)).to.equal(standard.root);
    expect(evidenceRoot([...many].reverse())).to.equal(standard.root);
  });

  it("hashes leaves and pairs exactly as OpenZeppelin's MerkleProof expects", () => {
    const [a, b] = leaves;
    expect(evidenceRoot([a])).to.equal(standardLeafHash(a));
    expect(evidenceRoot([a, b])).to.equal(pairHash(standardLeafHash(a), standardLeafHash(b)));
  });

  it("gives the same root whatever order the leaves are published in", () => {
    expect(evidenceRoot([...leaves].reverse())).to.equal(evidenceRoot(leaves));
  });

  it("changes the root when any field of any leaf changes", () => {
    const root = evidenceRoot(leaves);
    const variants: EvidenceLeaf[] = [
      { ...leaves[1], wh: leaves[1].wh + 1n },
      { ...leaves[1], start: leaves[1].start + 1n },
      { ...leaves[1], end: leaves[1].end + 1n },
      { ...leaves[1], deviceId: device(3) },
    ];
    for (const changed of variants) expect(evidenceRoot([leaves[0], changed, leaves[2]])).to.not.equal(root);
  });

  it("proves each of a device's leaves, and the proofs verify against the root only", () => {
    const tree = buildEvidenceTree(leaves);
    const proofs = tree.proofsFor(device(1));
    expect(proofs.map((p) => p.leaf)).to.deep.equal([leaves[0], leaves[2]]);
    for (const { leaf: l, proof } of proofs) {
      expect(verifyEvidenceProof(tree.root, l, proof)).to.equal(true);
      expect(verifyEvidenceProof(tree.root, { ...l, wh: l.wh + 1n }, proof)).to.equal(false);
      expect(verifyEvidenceProof(evidenceRoot([leaves[1]]), l, proof)).to.equal(false);
    }
    expect(tree.proofsFor(device(9))).to.deep.equal([]);
  });

  it("matches device ids whatever their hex case", () => {
    const upper = { ...leaves[1], deviceId: leaves[1].deviceId.toUpperCase().replace("0X", "0x") as Hex };
    expect(evidenceRoot([upper])).to.equal(evidenceRoot([leaves[1]]));
    expect(buildEvidenceTree(leaves).proofsFor(upper.deviceId)).to.have.length(1);
  });

  it("answers false, not an exception, for a malformed proof or leaf", () => {
    const root = evidenceRoot(leaves);
    expect(verifyEvidenceProof(root, leaves[0], ["0x1234"])).to.equal(false);
    expect(verifyEvidenceProof(root, { ...leaves[0], wh: -1n }, [])).to.equal(false);
  });

  it("names what is wrong with a malformed leaf, and refuses to build a tree of one or of none", () => {
    expect(evidenceLeafProblems(leaves[0])).to.deep.equal([]);
    expect(evidenceLeafProblems({ deviceId: "0x12", start: 10n, end: 10n, wh: 0n })).to.deep.equal([
      "deviceId must be a 0x-prefixed 32-byte hex string",
      "start must be before end",
      "wh must be a positive uint256",
    ]);
    expect(evidenceLeafProblems({ ...leaves[0], end: 2n ** 64n })).to.deep.equal(["start and end must be uint64 unix seconds"]);
    expect(() => buildEvidenceTree([])).to.throw(InvalidEvidenceError, /at least one leaf/);
    expect(() => buildEvidenceTree([leaves[0], { ...leaves[1], wh: 0n }])).to.throw(InvalidEvidenceError, /leaf 1: wh must be a positive uint256/);
  });
});
