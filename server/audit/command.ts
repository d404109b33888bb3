import fs from "node:fs";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { http } from "viem";
import { readDeployment } from "../../indexer/store/deployment";
import { connectChain } from "../chain/clients";
import { ConfigError } from "../config";
import type { Db } from "../db/database";
import { loadAuditConfig } from "./config";
import type { EvidenceSource } from "./evidenceSource";
import { publishedEvidence } from "../issuance/evidenceStore";
import { readMirror } from "./mirrorReader";
import { formatReport } from "./report";
import { runAudit } from "./runner";

/** Exit codes of `npm run audit`. */
export const EXIT = { clean: 0, findings: 1, cannotAudit: 2 } as const;

/** The audit cannot start: a bad setting, or a database, chain or registry that is not there. */
export class AuditSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuditSetupError";
  }
}

/**
 * `npm run audit`: audits the registry, prints the report, and returns the exit code: 0 without findings,
 * 1 with findings, 2 when the audit cannot run (configuration, or a database, chain or registry it cannot
 * reach). Evidence is what the API publishes (the engine's leaves in the same database) unless `evidence` is given.
 */
export async function auditCommand(env: NodeJS.ProcessEnv, print: (text: string) => void, evidence?: EvidenceSource): Promise<number> {
  try {
    const config = loadAuditConfig(env);
    if (!fs.existsSync(config.databasePath)) throw new AuditSetupError(`DATABASE_PATH: ${config.databasePath} does not exist; point it at the database the indexer keeps.`);
    // Opened without migrating: the audit reads the mirror and writes nothing.
    const sqlite = new Database(config.databasePath, { fileMustExist: true });
    try {
      sqlite.pragma("busy_timeout = 5000");
      const db = drizzle(sqlite) as Db;
      const clients = await connectChain(http(config.rpcUrl)).catch((error: unknown) => {
        throw new AuditSetupError(`RPC_URL: no chain answers at ${config.rpcUrl} (${error instanceof Error ? error.message.split("\n")[0] : String(error)}).`);
      });
      const deployment = readDeployment(db);
      const registryAddress = config.registryAddress ?? deployment?.registryAddress;
      if (!registryAddress) throw new AuditSetupError("REGISTRY_ADDRESS: not set, and the database does not say which registry it mirrors.");
      if (deployment && (deployment.registryAddress.toLowerCase() !== registryAddress.toLowerCase() || deployment.chainId !== clients.chain.id)) {
        throw new AuditSetupError(
          `DATABASE_PATH: the database mirrors registry ${deployment.registryAddress} on chain ${deployment.chainId}, not ${registryAddress} on chain ${clients.chain.id}.`,
        );
      }
      const code = await clients.publicClient.getCode({ address: registryAddress });
      if (!code || code === "0x") throw new AuditSetupError(`REGISTRY_ADDRESS: ${registryAddress} has no contract code on the chain at ${config.rpcUrl}.`);

      const report = await runAudit({
        client: clients.publicClient,
        registryAddress,
        deployBlock: deployment?.deployBlock ?? config.deployBlock ?? 0n,
        mirror: () => readMirror(db),
        evidence: evidence ?? publishedEvidence(db),
      });
      print(formatReport(report));
      return report.passed ? EXIT.clean : EXIT.findings;
    } finally {
      sqlite.close();
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof AuditSetupError) {
      print(error.message);
      return EXIT.cannotAudit;
    }
    throw error;
  }
}
