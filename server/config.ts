import path from "node:path";
import { z } from "zod";
import { readRules, type ReadRules } from "./reads/rules";
import { passwordProblems } from "./auth/passwordRules";
import { parseMasterKey } from "./wallets/vault";

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
  INDEXER_REORG_WINDOW: z.coerce.number().int().min(1).default(64),
  INDEXER_MAX_RANGE: z.coerce.number().int().min(1).default(10_000),
  ISSUANCE_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
  READ_DEGRADATION_PER_YEAR: z.coerce.number().min(0).max(1).default(0.005),
  READ_SAFETY_MARGIN: z.coerce.number().min(0).max(10).default(0.25),
  SESSION_TTL_MINUTES: z.coerce.number().int().min(1).max(525_600).default(720),
  INVITATION_TTL_HOURS: z.coerce.number().int().min(1).max(8_760).default(168),
  PUBLIC_URL: z.url().optional(),
  PLATFORM_ADMIN_EMAIL: z.email().toLowerCase().optional(),
  PLATFORM_ADMIN_PASSWORD: z.string().optional(),
  MASTER_KEY: z
    .string()
    .refine((value) => parseMasterKey(value) !== undefined, "must be 32 bytes, as 64 hex digits (0x optional) or base64")
    .optional(),
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
  /** Polling, confirmation depth, how far below the head headers are checked for reorgs, and the longest eth_getLogs range. */
  indexer: { pollIntervalMs: number; confirmations: number; reorgWindow: number; maxRange: number };
  /** Meter-read validation: yearly degradation and the safety margin above the maximum-energy formula. */
  readRules: ReadRules;
  /** How often the issuance engine runs inside the server. */
  issuanceIntervalMs: number;
  /** Session and invitation lifetimes, and the base URL of links in emails. */
  accounts: AccountSettings;
  /** The first platform administrator, created at start when no administration organisation exists yet. */
  platformAdmin?: { email: string; password: string };
  /** Seals managed-wallet keys at rest; required outside local mode, where sealed keys must outlive a restart. */
  masterKey?: Buffer;
}

export interface AccountSettings {
  sessionTtlMinutes: number;
  invitationTtlHours: number;
  publicUrl: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Reads the environment; every problem is named by its variable so the operator knows what to fix. The
 * indexer on its own (`npm run indexer`) deploys nothing, seals no keys and sends no emails: it needs no deploy
 * keys, MASTER_KEY or PUBLIC_URL.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, job: "main" | "indexer" = "main"): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const e = parsed.data;
  const local = e.RPC_URL === undefined;
  const problems: string[] = [];
  if (!local && e.REGISTRY_ADDRESS === undefined && job === "main") {
    for (const name of ["ADMIN_PRIVATE_KEY", "ISSUER_PRIVATE_KEY", "RECORDER_PRIVATE_KEY"] as const) {
      if (e[name] === undefined) problems.push(`${name}: required to deploy a registry on RPC_URL (or set REGISTRY_ADDRESS to reuse one)`);
    }
  }
  if (!local && e.MASTER_KEY === undefined && job === "main") {
    problems.push("MASTER_KEY: required with RPC_URL to seal managed-wallet keys (32 bytes as hex or base64); only local mode generates one");
  }
  if ((e.PLATFORM_ADMIN_EMAIL === undefined) !== (e.PLATFORM_ADMIN_PASSWORD === undefined)) {
    problems.push("PLATFORM_ADMIN_EMAIL, PLATFORM_ADMIN_PASSWORD: set both or neither");
  }
  if (e.PLATFORM_ADMIN_PASSWORD !== undefined) {
    for (const reason of passwordProblems(e.PLATFORM_ADMIN_PASSWORD, { email: e.PLATFORM_ADMIN_EMAIL })) problems.push(`PLATFORM_ADMIN_PASSWORD: ${reason}`);
  }
  if (!local && e.PUBLIC_URL === undefined && job === "main") {
    problems.push("PUBLIC_URL: required with RPC_URL; links in emails must point where users reach the API, not at its bind address");
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
    metadataBaseUrl: e.METADATA_BASE_URL ?? defaultMetadataBaseUrl(e.HOST, e.PORT),
    indexer: { pollIntervalMs: e.INDEXER_POLL_MS, confirmations: e.INDEXER_CONFIRMATIONS, reorgWindow: e.INDEXER_REORG_WINDOW, maxRange: e.INDEXER_MAX_RANGE },
    readRules: readRules(e.READ_DEGRADATION_PER_YEAR, e.READ_SAFETY_MARGIN),
    issuanceIntervalMs: e.ISSUANCE_INTERVAL_MS,
    accounts: {
      sessionTtlMinutes: e.SESSION_TTL_MINUTES,
      invitationTtlHours: e.INVITATION_TTL_HOURS,
      publicUrl: (e.PUBLIC_URL ?? defaultPublicUrl(e.HOST, e.PORT)).replace(/\/+$/, ""),
    },
    platformAdmin: e.PLATFORM_ADMIN_EMAIL && e.PLATFORM_ADMIN_PASSWORD ? { email: e.PLATFORM_ADMIN_EMAIL, password: e.PLATFORM_ADMIN_PASSWORD } : undefined,
    masterKey: e.MASTER_KEY === undefined ? undefined : parseMasterKey(e.MASTER_KEY),
  };
}

const defaultPublicUrl = (host: string, port: number) => `http://${host}:${port}`;
const defaultMetadataBaseUrl = (host: string, port: number) => `${defaultPublicUrl(host, port)}/metadata/`;

/**
 * The configuration once the API listens on `port`. With PORT=0 the port is known only then, so the URLs
 * left at their defaults (emailed links, each token's `uri`) are made to name it; URLs set explicitly stay.
 */
export function listeningOn(config: Config, port: number): Config {
  const { host, port: configured } = config.api;
  if (configured !== 0) return config;
  const rebound = (url: string, defaultFor: (host: string, port: number) => string) => (url === defaultFor(host, 0) ? defaultFor(host, port) : url);
  return {
    ...config,
    api: { host, port },
    metadataBaseUrl: rebound(config.metadataBaseUrl, defaultMetadataBaseUrl),
    accounts: { ...config.accounts, publicUrl: rebound(config.accounts.publicUrl, defaultPublicUrl) },
  };
}
