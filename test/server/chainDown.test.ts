import { expect } from "chai";
import { createPublicClient, http } from "viem";
import { createTestApi, seedOrganisation, tableSnapshot } from "../support/api";

describe("when the chain's node does not answer", () => {
  it("answers 503 naming the chain, not 500, and records nothing", async () => {
    const reference = await createTestApi();
    // Nothing listens on port 1: every RPC call fails at the HTTP level.
    const unreachable = createPublicClient({ chain: reference.chain.clients.chain, transport: http("http://127.0.0.1:1", { retryCount: 0 }) });
    const api = await createTestApi({ publicClient: unreachable });
    const admin = seedOrganisation(api, "admin");
    const before = tableSnapshot(api);
    const response = await api.request("POST", "/issuance/runs", { token: admin.token });
    expect(response.status).to.equal(503);
    expect(((await response.json()) as { title: string }).title).to.equal("Chain unavailable");
    expect(tableSnapshot(api)).to.deep.equal(before);
    api.close();
    reference.close();
  });
});
