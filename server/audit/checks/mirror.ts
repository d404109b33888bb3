import { describeId, type Finding } from "../findings";
import { holdingKey, retiredUnclaimed, totalsPerId, type Ledger } from "../ledger";

/** One holder's position in one id according to the contract's views at the audited block. */
export interface ChainHolding {
  holder: string;
  id: bigint;
  balance: bigint;
  claimed: bigint;
}

export interface MirrorAmount {
  holder: string;
  id: bigint;
  amount: bigint;
}

export interface BlockRef {
  blockNumber: bigint;
  blockHash: `0x${string}`;
}

/**
 * What one id's certificate row says. Amounts: `supply` circulates, `claimed` was claimed, `retired` left
 * for other reasons, `splitAway` went to split children. Attributes the chain side does not derive for an id
 * (a split child's inherited ref, period and evidence) are left undefined there and not compared.
 */
export interface CertificateFacts {
  id: bigint;
  ref?: string;
  start?: bigint;
  end?: bigint;
  evidence?: string;
  parentId: bigint | null;
  issued: bigint;
  supply: bigint;
  claimed: bigint;
  retired: bigint;
  splitAway: bigint;
  revoked: boolean;
  /** Waiting for its I-REC serials, as the registry's `isProvisional` answers. */
  provisional: boolean;
}

/** The mirror's balances, claimed balances and certificate rows as of its checkpoint, read together. */
export interface MirrorSnapshot {
  checkpoint?: BlockRef;
  balances: MirrorAmount[];
  claimed: MirrorAmount[];
  certificates: CertificateFacts[];
}

/**
 * Check 1: the mirror holds exactly the chain's balances and claimed balances, and one certificate row per
 * id with the chain's attributes and amounts. `holdings` covers every (holder, id) the logs name; a mirror
 * row for any other pair must be zero. `audited` is the block the chain side was read at, which should be
 * the mirror's checkpoint.
 */
export function checkMirror(holdings: readonly ChainHolding[], certificates: readonly CertificateFacts[], mirror: MirrorSnapshot, audited: BlockRef): Finding[] {
  const findings: Finding[] = [];
  const { checkpoint } = mirror;
  if (!checkpoint) {
    findings.push({ code: "mirror-not-synced", message: "The mirror has no checkpoint: it has not stored any block yet." });
  } else if (checkpoint.blockNumber !== audited.blockNumber || checkpoint.blockHash.toLowerCase() !== audited.blockHash.toLowerCase()) {
    findings.push({
      code: "mirror-checkpoint-mismatch",
      message: `The mirror's checkpoint is block ${checkpoint.blockNumber} (${checkpoint.blockHash}), but the chain was audited at block ${audited.blockNumber} (${audited.blockHash}): the mirror is ahead of the chain or on a block the chain no longer has.`,
    });
  }
  compare("balance", holdings.map((h) => ({ holder: h.holder, id: h.id, amount: h.balance })), mirror.balances, findings);
  compare("claimed balance", holdings.map((h) => ({ holder: h.holder, id: h.id, amount: h.claimed })), mirror.claimed, findings);
  compareCertificates(certificates, mirror.certificates, findings);
  return findings;
}

/**
 * The chain's side of each certificate row: attributes and amounts from the ledger, what circulates and
 * what was claimed from the contract's views (summed over `holdings`, which covers every position), and
 * which ids `isProvisional` names (`provisional`).
 */
export function chainCertificateFacts(ledger: Ledger, holdings: readonly ChainHolding[], provisional: ReadonlySet<bigint>): CertificateFacts[] {
  const totals = totalsPerId(holdings);
  return [...ledger.flows.values()].map((f) => {
    const issued = ledger.certificates.get(f.id);
    return {
      id: f.id,
      ref: issued?.ref,
      start: issued?.start,
      end: issued?.end,
      evidence: issued?.evidence,
      parentId: ledger.splitParents.get(f.id) ?? null,
      issued: f.issued,
      supply: totals.get(f.id)?.balance ?? 0n,
      claimed: totals.get(f.id)?.claimed ?? 0n,
      retired: retiredUnclaimed(f),
      splitAway: f.splitAway,
      revoked: ledger.revoked.has(f.id),
      provisional: provisional.has(f.id),
    };
  });
}

const CERTIFICATE_FIELDS = ["ref", "start", "end", "evidence", "parentId", "issued", "supply", "claimed", "retired", "splitAway", "revoked", "provisional"] as const;

function compareCertificates(chain: readonly CertificateFacts[], mirror: readonly CertificateFacts[], findings: Finding[]): void {
  const rows = new Map(mirror.map((row) => [row.id, row]));
  for (const facts of chain) {
    const row = rows.get(facts.id);
    rows.delete(facts.id);
    const certificateIds = [facts.id.toString()];
    if (!row) {
      findings.push({ code: "certificate-missing", message: `The mirror has no row for ${describeId(facts.id)}, which the chain minted.`, certificateIds });
      continue;
    }
    const differences = CERTIFICATE_FIELDS.filter((field) => facts[field] !== undefined && text(facts[field]) !== text(row[field])).map(
      (field) => `${field} ${text(row[field])} (chain: ${text(facts[field])})`,
    );
    if (differences.length > 0) {
      findings.push({ code: "certificate-mismatch", message: `The mirror's row for ${describeId(facts.id)} differs from the chain: ${differences.join(", ")}.`, certificateIds });
    }
  }
  for (const row of rows.values()) {
    findings.push({ code: "certificate-unknown", message: `The mirror has a row for ${describeId(row.id)}, which the chain never minted.`, certificateIds: [row.id.toString()] });
  }
}

function text(value: string | bigint | boolean | null | undefined): string {
  return value === null || value === undefined ? "none" : String(value).toLowerCase();
}

function compare(what: "balance" | "claimed balance", chain: MirrorAmount[], mirror: readonly MirrorAmount[], findings: Finding[]): void {
  const mirrored = sumByHolding(mirror);
  const code = what === "balance" ? "balance-mismatch" : "claimed-mismatch";
  const report = (holder: string, id: bigint, onChain: bigint, inMirror: bigint) =>
    findings.push({
      code,
      message: `The mirror has a ${what} of ${inMirror} Wh of ${describeId(id)} for ${holder}; the chain has ${onChain} Wh.`,
      certificateIds: [id.toString()],
      holder,
    });
  for (const { holder, id, amount } of chain) {
    const key = holdingKey(holder, id);
    const inMirror = mirrored.get(key)?.amount ?? 0n;
    mirrored.delete(key);
    if (inMirror !== amount) report(holder, id, amount, inMirror);
  }
  for (const { holder, id, amount } of mirrored.values()) {
    if (amount !== 0n) report(holder, id, 0n, amount);
  }
}

function sumByHolding(rows: readonly MirrorAmount[]): Map<string, MirrorAmount> {
  const sums = new Map<string, MirrorAmount>();
  for (const row of rows) {
    const key = holdingKey(row.holder, row.id);
    const sum = sums.get(key);
    if (sum) sum.amount += row.amount;
    else sums.set(key, { ...row });
  }
  return sums;
}
