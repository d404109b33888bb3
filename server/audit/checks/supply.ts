import { describeId, type Finding } from "../findings";
import { CLAIMED, retiredUnclaimed, totalsPerId, type IdFlows } from "../ledger";

/** A (holder, id) position by the contract's views (`balance`, `claimed`) and by the logs (`logged…`). */
export interface HoldingState {
  holder: string;
  id: bigint;
  balance: bigint;
  claimed: bigint;
  loggedBalance: bigint;
  loggedClaimed: bigint;
}

const REASON_NAMES = ["claimed", "cancelled", "cancelled for storage", "exported", "split"];

/**
 * Check 2: for every id, what was issued is exactly what is held, claimed, retired for another reason
 * or split away. Held and claimed come from the contract's views; each view must also agree with what the
 * logs say for that holder, and every mint and burn must have the issuance or retirement record behind it.
 */
export function checkSupply(flows: Iterable<IdFlows>, holdings: readonly HoldingState[]): Finding[] {
  const findings: Finding[] = [];
  const totals = totalsPerId(holdings);
  for (const h of holdings) {
    const subject = { certificateIds: [h.id.toString()], holder: h.holder };
    if (h.balance !== h.loggedBalance) {
      findings.push({ code: "balance-differs-from-logs", message: `The contract's balance of ${describeId(h.id)} for ${h.holder} is ${h.balance} Wh; the holder's transfer logs add up to ${h.loggedBalance} Wh.`, ...subject });
    }
    if (h.claimed !== h.loggedClaimed) {
      findings.push({ code: "claimed-differs-from-logs", message: `The contract's claimed balance of ${describeId(h.id)} for ${h.holder} is ${h.claimed} Wh; the holder's Retired claims add up to ${h.loggedClaimed} Wh.`, ...subject });
    }
  }

  for (const f of flows) {
    const certificateIds = [f.id.toString()];
    const idHeld = totals.get(f.id)?.balance ?? 0n;
    const idClaimed = totals.get(f.id)?.claimed ?? 0n;
    const accounted = idHeld + idClaimed + retiredUnclaimed(f) + f.splitAway;
    if (f.issued !== accounted) {
      const parts = f.retired.map((amount, reason) => (reason === CLAIMED || amount === 0n ? undefined : `${amount} ${REASON_NAMES[reason]}`)).filter(Boolean);
      findings.push({
        code: "supply-not-conserved",
        message: `${describeId(f.id)}: issued ${f.issued} Wh, but held ${idHeld} + claimed ${idClaimed}${parts.length ? ` + retired (${parts.join(", ")})` : ""} + split away ${f.splitAway} = ${accounted} Wh.`,
        certificateIds,
      });
    }
    if (f.minted !== f.issued) {
      findings.push({ code: "mint-without-issuance", message: `${describeId(f.id)}: ${f.minted} Wh were minted, but its issuance records (CertificateIssued or Split) account for ${f.issued} Wh.`, certificateIds });
    }
    const recorded = f.retired.reduce((sum, amount) => sum + amount, 0n) + f.splitAway;
    if (f.burned !== recorded) {
      findings.push({ code: "burn-without-record", message: `${describeId(f.id)}: ${f.burned} Wh were burned, but Retired and Split events account for ${recorded} Wh.`, certificateIds });
    }
  }
  return findings;
}
