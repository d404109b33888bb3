import { expect } from "chai";
import { checkSupply, type HoldingState } from "../../../server/audit/checks/supply";
import type { IdFlows } from "../../../server/audit/ledger";
import { ALICE, BOB, idOf } from "../support";

describe("audit check 2: supply is conserved for every id", () => {
  const id = idOf(1, 1);
  // 1,000 issued: 100 claimed, 50 cancelled, 25 exported, 500 split away, 325 held by two holders.
  const flows = (): IdFlows => ({ id, issued: 1_000n, minted: 1_000n, burned: 675n, retired: [100n, 50n, 0n, 25n, 0n], splitAway: 500n });
  const holdings = (): HoldingState[] => [
    { holder: ALICE, id, balance: 25n, claimed: 0n, loggedBalance: 25n, loggedClaimed: 0n },
    { holder: BOB, id, balance: 300n, claimed: 100n, loggedBalance: 300n, loggedClaimed: 100n },
  ];

  it("finds nothing when issued = held + claimed + retired by reason + split away", () => {
    expect(checkSupply([flows()], holdings())).to.deep.equal([]);
  });

  it("finds an id whose held amount does not account for its issuance", () => {
    const h = holdings();
    h[0].balance = h[0].loggedBalance = 26n;
    const findings = checkSupply([flows()], h);
    expect(findings.map((f) => [f.code, f.certificateIds])).to.deep.equal([["supply-not-conserved", [id.toString()]]]);
    expect(findings[0].message).to.equal(`GC #1: issued 1000 Wh, but held 326 + claimed 100 + retired (50 cancelled, 25 exported) + split away 500 = 1001 Wh.`);
  });

  it("finds a view that disagrees with the holder's logged transfers or claims", () => {
    const h = holdings();
    h[1].loggedBalance = 299n;
    h[1].loggedClaimed = 99n;
    expect(checkSupply([flows()], h).map((f) => [f.code, f.holder])).to.deep.equal([
      ["balance-differs-from-logs", BOB],
      ["claimed-differs-from-logs", BOB],
    ]);
  });

  it("finds mints without an issuance record and burns without a retirement or split record", () => {
    const f = { ...flows(), minted: 1_001n, burned: 676n };
    expect(checkSupply([f], holdings()).map((x) => x.code)).to.deep.equal(["mint-without-issuance", "burn-without-record"]);
  });
});
