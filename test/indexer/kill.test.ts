import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import { openDatabase } from "../../server/db/database";
import { startLocalChain, type LocalChain } from "../../scripts/local/hardhatNode";
import { closeWorld, dumpMirror, freshMirror, indexerWorld, mixedActivity, type IndexerWorld } from "./support";

const ROOT = path.join(__dirname, "..", "..");

/**
 * `npm run indexer` as a real process, killed with SIGKILL while it backfills: whatever moment the kill
 * lands on, the restarted process must end with the same mirror as a fresh reindex.
 */
describe("indexer process killed mid-backfill", () => {
  let world: IndexerWorld;
  let chain: LocalChain;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "indexer-kill-"));
  const databasePath = path.join(dir, "registry.db");

  before(async () => {
    world = await indexerWorld();
    for (const label of ["one", "two", "three"]) await mixedActivity(world, label);
    chain = await startLocalChain("127.0.0.1", 0);
  });
  after(async () => {
    await chain.close();
    closeWorld(world);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function startIndexer(): ChildProcess {
    return spawn(process.execPath, ["--require", "ts-node/register", path.join(ROOT, "indexer", "main.ts")], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        RPC_URL: chain.rpcUrl,
        REGISTRY_ADDRESS: world.address,
        REGISTRY_DEPLOY_BLOCK: world.deployBlock.toString(),
        DATABASE_PATH: databasePath,
        // One block per range: many commits, so the kills land among them.
        INDEXER_MAX_RANGE: "1",
        INDEXER_POLL_MS: "50",
      },
    });
  }

  /** The committed checkpoint block as another connection sees it (0 before the first commit). */
  function committedBlock(): number {
    if (!fs.existsSync(databasePath)) return 0;
    const reader = new Database(databasePath, { readonly: true, fileMustExist: true });
    try {
      const row = reader.prepare("SELECT block_number FROM chain_checkpoint").get() as { block_number: number } | undefined;
      return row?.block_number ?? 0;
    } catch {
      return 0; // the schema is not there yet
    } finally {
      reader.close();
    }
  }

  async function waitFor(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it("resumes after each SIGKILL with nothing lost and nothing applied twice", async () => {
    const head = Number(await world.client.getBlockNumber({ cacheTime: 0 }));
    const kills: number[] = [];
    for (let i = 0; i < 3; i++) {
      const child = startIndexer();
      const before = committedBlock();
      // Kill as soon as this process has committed something of its own: mid-backfill, at no chosen point.
      await waitFor(() => committedBlock() > before, "a commit");
      child.kill("SIGKILL");
      await once(child, "exit");
      kills.push(committedBlock());
    }
    expect(kills[kills.length - 1]).to.be.lessThan(head, "the kills happened before the backfill finished");

    const last = startIndexer();
    await waitFor(() => committedBlock() === head, "the backfill to finish");
    last.kill("SIGTERM");
    await once(last, "exit");
    const database = openDatabase(databasePath);
    try {
      expect(dumpMirror(database)).to.deep.equal(await freshMirror(world));
    } finally {
      database.close();
    }
  });
});
