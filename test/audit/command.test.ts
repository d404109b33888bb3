import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { and, eq } from "drizzle-orm";
import { chainBalances } from "../../indexer/store/schema";
import { auditCommand, EXIT } from "../../server/audit/command";
import { loadAuditConfig } from "../../server/audit/config";
import { ConfigError } from "../../server/config";
import { openDatabase } from "../../server/db/database";
import { startLocalChain, type LocalChain } from "../../scripts/local/hardhatNode";
import { auditWorld, type AuditWorld } from "./world";

describe("audit command settings", () => {
  it("defaults to the local stack's chain and database", () => {
    expect(loadAuditConfig({})).to.deep.equal({ rpcUrl: "http://127.0.0.1:8545", registryAddress: undefined, deployBlock: undefined, databasePath: "data/registry.db" });
    expect(loadAuditConfig({ CHAIN_PORT: "9545" }).rpcUrl).to.equal("http://127.0.0.1:9545");
  });

  it("reads the main job's variables, and names each bad one", () => {
    const env = { RPC_URL: "https://rpc.example", REGISTRY_ADDRESS: `0x${"ab".repeat(20)}`, REGISTRY_DEPLOY_BLOCK: "12", DATABASE_PATH: "/tmp/x.db" };
    expect(loadAuditConfig(env)).to.deep.equal({ rpcUrl: "https://rpc.example", registryAddress: env.REGISTRY_ADDRESS, deployBlock: 12n, databasePath: "/tmp/x.db" });
    try {
      loadAuditConfig({ RPC_URL: "nope", REGISTRY_ADDRESS: "0x12", REGISTRY_DEPLOY_BLOCK: "-1" });
      expect.fail("expected a ConfigError");
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => p.split(":")[0])).to.deep.equal(["RPC_URL", "REGISTRY_ADDRESS", "REGISTRY_DEPLOY_BLOCK"]);
    }
  });
});

describe("npm run audit against a chain over JSON-RPC", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-audit-"));
  const databasePath = path.join(dir, "registry.db");
  let chain: LocalChain;
  let world: AuditWorld;
  before(async () => {
    chain = await startLocalChain("127.0.0.1", 0);
    world = await auditWorld(databasePath);
  });
  after(async () => {
    await world.close();
    await chain.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(env: NodeJS.ProcessEnv) {
    let output = "";
    const code = await auditCommand(env, (text) => (output += text), world.evidence);
    return { code, output };
  }

  it("exits 0 on a clean chain and prints each check as passing", async () => {
    const { code, output } = await run({ RPC_URL: chain.rpcUrl, DATABASE_PATH: databasePath });
    expect(output.match(/: PASS$/gm)).to.have.length(5);
    expect(output).to.contain(`Audit of registry ${(await world.d.registry.getAddress()).toLowerCase()}`).and.contain("Result: no findings.");
    expect(code).to.equal(EXIT.clean);
  });

  it("exits 1 and prints the finding with the id and holder when the mirror was changed", async () => {
    const { database, d, ids } = world;
    const where = and(eq(chainBalances.holder, d.buyer.address.toLowerCase()), eq(chainBalances.certificateId, ids.drec.toString()));
    const row = database.db.select().from(chainBalances).where(where).get()!;
    database.db.update(chainBalances).set({ amount: "0" }).where(where).run();
    try {
      const { code, output } = await run({ RPC_URL: chain.rpcUrl, DATABASE_PATH: databasePath });
      expect(output).to.contain("1. The mirror equals the chain (balances and claimed balances against the contract's views, certificate rows): FAIL (1 finding)");
      expect(output).to.contain(`[balance-mismatch] The mirror has a balance of 0 Wh of D-REC #${ids.drec} for ${d.buyer.address}; the chain has ${row.amount} Wh.`);
      expect(output).to.contain(`(id ${ids.drec}; holder ${d.buyer.address})`).and.contain("Result: 1 finding.");
      expect(code).to.equal(EXIT.findings);
    } finally {
      database.db.update(chainBalances).set({ amount: row.amount }).where(where).run();
    }
  });

  it("exits 2, naming the variable, when it cannot audit", async () => {
    const empty = openDatabase(path.join(dir, "empty.db"));
    empty.close();
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ CHAIN_PORT: "many" }, /CHAIN_PORT: /],
      [{ RPC_URL: chain.rpcUrl, DATABASE_PATH: path.join(dir, "missing.db") }, /^DATABASE_PATH: .*missing\.db does not exist/],
      [{ RPC_URL: "http://127.0.0.1:9", DATABASE_PATH: databasePath }, /^RPC_URL: no chain answers at http:\/\/127\.0\.0\.1:9/],
      [{ RPC_URL: chain.rpcUrl, DATABASE_PATH: databasePath, REGISTRY_ADDRESS: `0x${"01".repeat(20)}` }, /^DATABASE_PATH: the database mirrors registry 0x/],
      [{ RPC_URL: chain.rpcUrl, DATABASE_PATH: path.join(dir, "empty.db") }, /^REGISTRY_ADDRESS: not set/],
      [{ RPC_URL: chain.rpcUrl, DATABASE_PATH: path.join(dir, "empty.db"), REGISTRY_ADDRESS: `0x${"01".repeat(20)}` }, /^REGISTRY_ADDRESS: 0x0101.* has no contract code/],
    ];
    for (const [env, message] of cases) {
      const { code, output } = await run(env);
      expect(output, JSON.stringify(env)).to.match(message);
      expect(code, JSON.stringify(env)).to.equal(EXIT.cannotAudit);
    }
  });
});
