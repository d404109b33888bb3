import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import { encodeAbiParameters, keccak256 } from "viem";

type Hex = `0x${string}`;

/**
 * The evidence behind one certificate: the per-device contributions that add up to its amount. A
 * certificate's on-chain `evidence` is the root of an OpenZeppelin standard Merkle tree over these
 * leaves, and the API publishes the leaves, so anyone can recompute the root or prove one device's
 * contribution (on chain too, with OpenZeppelin's `MerkleProof.verify`).
 *
 * The format, which the issuance engine builds and the audit checks:
 * - `deviceId` is the device's on-chain reference, the same bytes32 that is a GC's `ref` and that the
 *   reservation log's `DeviceAdded` names, so evidence, GC certificates and reservations can be joined.
 * - `[start, end)` is the generation period in unix seconds; it lies inside the certificate's period.
 * - `wh` is the certified energy in Wh, at least 1; a certificate's leaves sum exactly to its amount.
 * - A device may have several leaves (one per read, say); no two of its leaves may overlap, in this
 *   certificate or any other.
 * - Leaf hash: `keccak256(bytes.concat(keccak256(abi.encode(deviceId, start, end, wh))))` with the types
 *   of {@link EVIDENCE_LEAF_ENCODING}; pairs are hashed sorted and leaves are sorted by hash, so the root
 *   does not depend on the order leaves are published in.
 */
export interface EvidenceLeaf {
  deviceId: Hex;
  start: bigint;
  end: bigint;
  wh: bigint;
}

export const EVIDENCE_LEAF_ENCODING = ["bytes32", "uint64", "uint64", "uint256"];

type LeafValues = [Hex, bigint, bigint, bigint];

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const UINT64_LIMIT = 2n ** 64n;
const UINT256_LIMIT = 2n ** 256n;

/** What is wrong with a leaf as published; empty when it is well formed. */
export function evidenceLeafProblems(leaf: EvidenceLeaf): string[] {
  const problems: string[] = [];
  if (!BYTES32.test(leaf.deviceId)) problems.push("deviceId must be a 0x-prefixed 32-byte hex string");
  if (leaf.start < 0n || leaf.end >= UINT64_LIMIT) problems.push("start and end must be uint64 unix seconds");
  if (leaf.start >= leaf.end) problems.push("start must be before end");
  if (leaf.wh < 1n || leaf.wh >= UINT256_LIMIT) problems.push("wh must be a positive uint256");
  return problems;
}

export class InvalidEvidenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidEvidenceError";
  }
}

export interface EvidenceTree {
  /** The commitment a certificate carries on chain. */
  root: Hex;
  /** Every leaf of `deviceId`, each with the proof that it is in the tree (empty if the device has none). */
  proofsFor(deviceId: Hex): { leaf: EvidenceLeaf; proof: Hex[] }[];
}

const LEAF_PARAMETERS = EVIDENCE_LEAF_ENCODING.map((type) => ({ type }));

/**
 * The standard leaf hash, `keccak256(bytes.concat(keccak256(abi.encode(...))))`. Hashed here with viem and
 * given to OpenZeppelin's SimpleMerkleTree, which builds the same tree as its StandardMerkleTree (same node
 * hash, same sorting; a test compares the roots) at about half the cost for a thousand-device certificate.
 */
export function evidenceLeafHash(leaf: EvidenceLeaf): Hex {
  return keccak256(keccak256(encodeAbiParameters(LEAF_PARAMETERS, valuesOf(leaf))));
}

/** Builds the tree of one certificate's leaves; throws {@link InvalidEvidenceError} on none or a malformed one. */
export function buildEvidenceTree(leaves: readonly EvidenceLeaf[]): EvidenceTree {
  if (leaves.length === 0) throw new InvalidEvidenceError("evidence needs at least one leaf");
  leaves.forEach((leaf, index) => {
    const problems = evidenceLeafProblems(leaf);
    if (problems.length > 0) throw new InvalidEvidenceError(`leaf ${index}: ${problems.join("; ")}`);
  });
  const hashes = leaves.map(evidenceLeafHash);
  const tree = SimpleMerkleTree.of(hashes);
  return {
    root: tree.root as Hex,
    proofsFor(deviceId) {
      const wanted = deviceId.toLowerCase();
      return leaves.flatMap((leaf, index) => (leaf.deviceId.toLowerCase() === wanted ? [{ leaf, proof: tree.getProof(hashes[index]) as Hex[] }] : []));
    },
  };
}

/** The root of one certificate's leaves (see {@link buildEvidenceTree}). */
export function evidenceRoot(leaves: readonly EvidenceLeaf[]): Hex {
  return buildEvidenceTree(leaves).root;
}

/** Whether `proof` shows `leaf` is in the tree whose root is `root`; false for any malformed input. */
export function verifyEvidenceProof(root: Hex, leaf: EvidenceLeaf, proof: readonly Hex[]): boolean {
  if (evidenceLeafProblems(leaf).length > 0) return false;
  try {
    return SimpleMerkleTree.verify(root.toLowerCase(), evidenceLeafHash(leaf), [...proof]);
  } catch {
    return false;
  }
}

function valuesOf(leaf: EvidenceLeaf): LeafValues {
  return [leaf.deviceId.toLowerCase() as Hex, leaf.start, leaf.end, leaf.wh];
}
