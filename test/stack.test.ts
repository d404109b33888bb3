import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadConfig } from "../server/config";
import { openDatabase } from "../server/db/database";
import { readDeployment } from "../indexer/store/deployment";
import { startStack } from "../scripts/stack";
import { http, parseAbi } from "viem";
import { connectChain } from "../server/chain/clients";

describe("the main job's stack (local mode)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-stack-"));
  const databasePath = path.join(dir, "registry.db");
  const config = () => loadConfig({ PORT: "0", CHAIN_PORT: "0", DATABASE_PATH: databasePath, INDEXER_POLL_MS: "100" });
  const quiet = () => undefined;

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs chain, registry, database, indexer and API together, and stops cleanly", async () => {
    const stack = await startStack(config(), quiet);
    let stopped = false;
    try {
      const response = await fetch(`${stack.apiUrl}/health`);
      expect(response.status).to.equal(200);
      const health = await response.json();
      expect(health.status).to.equal("ok");
      expect(health.chain.chainId).to.equal(31337);
      expect(health.registryAddress).to.equal(stack.registryAddress);
      expect(health.indexer.checkpointBlock).to.equal(health.chain.latestBlock);

      const rpc = await fetch(stack.rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getCode", params: [stack.registryAddress, "latest"] }),
      });
      expect(((await rpc.json()) as { result: string }).result.length).to.be.greaterThan(2);

      await stack.stop();
      stopped = true;
      await fetch(`${stack.apiUrl}/health`).then(
        () => expect.fail("the API still answers after stop"),
        (error: Error) => expect(error.message).to.match(/fetch failed/),
      );
    } finally {
      if (!stopped) await stack.stop();
    }
  });

  it("with PORT=0, names the port it got in the registry's token URIs and in emailed links", async () => {
    const lines: string[] = [];
    const stack = await startStack(config(), (line) => lines.push(line));
    try {
      const { publicClient } = await connectChain(http(stack.rpcUrl));
      const uri = await publicClient.readContract({ address: stack.registryAddress, abi: parseAbi(["function uri(uint256 id) view returns (string)"]), functionName: "uri", args: [1n] });
      expect(uri).to.equal(`${stack.apiUrl}/metadata/1`);
      const signup = await fetch(`${stack.apiUrl}/auth/signup`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ firstName: "Port", lastName: "Zero", email: "port-zero@example.org", type: "buyer", organisationName: "Port Zero", address: "1 Loopback Lane", password: "correct horse battery staple", passwordConfirmation: "correct horse battery staple" }),
      });
      expect(signup.status, await signup.clone().text()).to.equal(201);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const mail = lines.find((line) => line.startsWith("mail") && line.includes("port-zero@example.org"));
      expect(mail).to.include(`link=${stack.apiUrl}/`);
      expect(lines.some((line) => line.startsWith("indexer   mirrored to block"))).to.equal(true);
    } finally {
      await stack.stop();
    }
  });

  it("starts from a fresh database bound to the newly deployed registry on a second start", async () => {
    const first = await startStack(config(), quiet);
    await first.stop();
    const second = await startStack(config(), quiet);
    await second.stop();
    expect(second.registryAddress).to.not.equal(first.registryAddress);
    const database = openDatabase(databasePath);
    try {
      expect(readDeployment(database.db)?.registryAddress).to.equal(second.registryAddress.toLowerCase());
    } finally {
      database.close();
    }
  });
});
