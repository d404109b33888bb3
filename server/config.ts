import path from "node:path";
import { z } from "zod";

const hexKey = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key");
// 0 asks the OS for any free port (tests use it).
const port = z.coerce.number().int().min(0).max(65_535);

const envSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port.default(3000),
  CHAIN_HOST: z.string().min(1).default("127.0.0.1"),
  CHAIN_PORT: port.default(8545),
  RPC_URL: z.url().optional(),
  REGISTRY_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address")
    .optional(),
  REGISTRY_DEPLOY_BLOCK: z.coerce.bigint().min(0n).optional(),
  ADMIN_PRIVATE_KEY: hexKey.optional(),
  ISSUER_PRIVATE_KEY: hexKey.optional(),
  RECORDER_PRIVATE_KEY: hexKey.optional(),
  DATABASE_PATH: z.string().min(1).default(path.join("data", "registry.db")),
  METADATA_BASE_URL: z.url().optional(),
  INDEXER_POLL_MS: z.coerce.number().int().min(50).default(1000),
  INDEXER_CONFIRMATIONS: z.coerce.number().int().min(0).default(0),
});

export type Hex = `0x${string}`;

export interface Config {
  /** Local mode: the project starts its own Hardhat chain and deploys a fresh registry. */
  local: boolean;
  api: { host: string; port: number };
  chain: { rpcUrl?: string; localHost: string; localPort: number; registryAddress?: Hex; registryDeployBlock?: bigint };
  keys: { admin?: Hex; issuer?: Hex; recorder?: Hex };
  databasePath: string;
  metadataBaseUrl: string;
  indexer: { pollIntervalMs: number; confirmations: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads the environment; every problem is named by its variable so the operator knows what to fix. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const e = parsed.data;
  const local = e.RPC_URL === undefined;
  const problems: string[] = [];
  if (!local && e.REGISTRY_ADDRESS === undefined) {
    for (const name of ["ADMIN_PRIVATE_KEY", "ISSUER_PRIVATE_KEY", "RECORDER_PRIVATE_KEY"] as const) {
      if (e[name] === undefined) problems.push(`${name}: required to deploy a registry on RPC_URL (or set REGISTRY_ADDRESS to reuse one)`);
    }
  }
  if (local && e.REGISTRY_ADDRESS !== undefined) {
    problems.push("REGISTRY_ADDRESS: only meaningful with RPC_URL; the local chain is new at every start");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    local,
    api: { host: e.HOST, port: e.PORT },
    chain: { rpcUrl: e.RPC_URL, localHost: e.CHAIN_HOST, localPort: e.CHAIN_PORT, registryAddress: e.REGISTRY_ADDRESS as Hex | undefined, registryDeployBlock: e.REGISTRY_DEPLOY_BLOCK },
    keys: { admin: e.ADMIN_PRIVATE_KEY as Hex | undefined, issuer: e.ISSUER_PRIVATE_KEY as Hex | undefined, recorder: e.RECORDER_PRIVATE_KEY as Hex | undefined },
    databasePath: e.DATABASE_PATH,
    metadataBaseUrl: e.METADATA_BASE_URL ?? `http://${e.HOST}:${e.PORT}/metadata/`,
    indexer: { pollIntervalMs: e.INDEXER_POLL_MS, confirmations: e.INDEXER_CONFIRMATIONS },
  };
}
