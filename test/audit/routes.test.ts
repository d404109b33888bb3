import { expect } from "chai";
import { syncIndexer } from "../support/indexing";
import { chainBalances } from "../../indexer/store/schema";
import type { AuditReport } from "../../server/audit/report";
import { aclMatrix, CALLERS, type CallerName, type Expectation } from "../support/acl";
import { createTestApi, seedOrganisation, type TestApi } from "../support/api";

const auditorsAndAdmins = Object.fromEntries(
  CALLERS.map((c) => [c, c === "anonymous" ? 401 : c === "auditor" || c === "platformAdmin" ? "ok" : 403]),
) as Record<CallerName, Expectation>;

aclMatrix("audit ACL matrix", [{ method: "GET", label: "/audit/report", path: () => "/audit/report", expect: auditorsAndAdmins }]);

describe("GET /audit/report", () => {
  let api: TestApi;
  let token: string;
  before(async () => {
    api = await createTestApi();
    token = seedOrganisation(api, "auditor").token;
    await syncIndexer(api);
  });
  after(() => api.close());

  async function report(): Promise<AuditReport> {
    const response = await api.request("GET", "/audit/report", { token });
    expect(response.status).to.equal(200);
    return (await response.json()) as AuditReport;
  }

  it("answers the audit of the registry the API serves, at the mirror's checkpoint, every check passing", async () => {
    const body = await report();
    expect(body).to.deep.include({ passed: true, registryAddress: api.chain.address });
    expect(body.checks.map((check) => [check.name, check.passed])).to.deep.equal([
      ["mirror", true],
      ["supply", true],
      ["evidence", true],
      ["doubleCertification", true],
      ["reservations", true],
    ]);
    const head = await api.chain.clients.publicClient.getBlockNumber();
    expect(body.block.number).to.equal(head.toString());
  });

  it("reports a mirror row the chain does not back, with the id and holder as text", async () => {
    const holder = "0x00000000000000000000000000000000000000aa";
    api.database.db.insert(chainBalances).values({ holder, certificateId: "7", serial: 7, amount: "5", claimed: "0" }).run();
    const body = await report();
    expect(body.passed).to.equal(false);
    expect(body.checks[0].findings).to.deep.equal([
      { code: "balance-mismatch", message: `The mirror has a balance of 5 Wh of D-REC #7 for ${holder}; the chain has 0 Wh.`, certificateIds: ["7"], holder },
    ]);
  });
});
