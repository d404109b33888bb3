import { expect } from "chai";
import { createPublicClient, http } from "viem";
import { createApp } from "../../server/app";
import { openDatabase, type RegistryDatabase } from "../../server/db/database";
import { startFollower } from "../../indexer/follower";
import { createTestApi, type TestApi } from "../support/api";
import type { DeployedOnHardhat } from "../support/chain";

describe("GET /health", () => {
  let api: TestApi;
  let deployed: DeployedOnHardhat;
  let database: RegistryDatabase;

  beforeEach(async () => {
    api = await createTestApi();
    deployed = api.chain;
    database = api.database;
  });
  afterEach(() => database.close());

  const appFor = (publicClient = deployed.clients.publicClient) => createApp({ ...api.deps, publicClient, db: database.db });

  it("reports chain id, registry, latest block, database and indexer checkpoint", async () => {
    const latest = await deployed.clients.publicClient.getBlockNumber({ cacheTime: 0 });
    const before = await (await appFor().request("/health")).json();
    expect(before).to.deep.include({ status: "ok", registryAddress: deployed.address });
    expect(before.chain).to.deep.equal({ status: "ok", chainId: 31337, latestBlock: latest.toString() });
    expect(before.database).to.deep.equal({ status: "ok" });
    expect(before.indexer).to.deep.equal({ checkpointBlock: null, lagBlocks: null });

    const follower = startFollower({
      client: deployed.clients.publicClient,
      db: database.db,
      registryAddress: deployed.address,
      deployBlock: deployed.blockNumber,
      confirmations: 0,
      pollIntervalMs: 60_000,
    });
    await follower.syncOnce();
    await follower.stop();
    const after = await (await appFor().request("/health")).json();
    expect(after.indexer).to.deep.equal({ checkpointBlock: latest.toString(), lagBlocks: "0" });
  });

  it("answers 503 naming the chain when the RPC endpoint does not answer", async () => {
    const unreachable = createPublicClient({ chain: deployed.clients.chain, transport: http("http://127.0.0.1:1", { retryCount: 0 }) });
    const response = await appFor(unreachable as typeof deployed.clients.publicClient).request("/health");
    expect(response.status).to.equal(503);
    const body = await response.json();
    expect(body.status).to.equal("degraded");
    expect(body.chain).to.deep.equal({ status: "unreachable", chainId: null, latestBlock: null });
    expect(body.database.status).to.equal("ok");
  });

  it("answers 503 naming the database when SQLite fails", async () => {
    const app = appFor();
    database.close();
    const response = await app.request("/health");
    expect(response.status).to.equal(503);
    const body = await response.json();
    expect(body.database.status).to.equal("error");
    expect(body.chain.status).to.equal("ok");
    database = openDatabase(":memory:");
  });

  it("serves an OpenAPI document that describes /health, and problem details for unknown routes", async () => {
    const doc = await (await appFor().request("/openapi.json")).json();
    expect(doc.openapi).to.equal("3.1.0");
    expect(doc.paths["/health"].get.responses).to.have.keys("200", "503");
    const missing = await appFor().request("/no-such-route");
    expect(missing.status).to.equal(404);
    expect(missing.headers.get("content-type")).to.match(/application\/problem\+json/);
    expect(await missing.json()).to.include({ status: 404, title: "Not found" });
  });
});
