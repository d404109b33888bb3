import path from "node:path";
import { z } from "zod";
import { ConfigError, type Hex } from "../config";

/**
 * The audit command's settings, from the same variables as the main job. Without RPC_URL it audits the
 * local stack (`npm start`) on CHAIN_HOST:CHAIN_PORT; without REGISTRY_ADDRESS it audits the registry the
 * database mirrors.
 */
export interface AuditConfig {
  rpcUrl: string;
  registryAddress?: Hex;
  deployBlock?: bigint;
  databasePath: string;
}

const envSchema = z.object({
  RPC_URL: z.url().optional(),
  CHAIN_HOST: z.string().min(1).default("127.0.0.1"),
  CHAIN_PORT: z.coerce.number().int().min(1).max(65_535).default(8545),
  REGISTRY_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address")
    .optional(),
  REGISTRY_DEPLOY_BLOCK: z.coerce.bigint().min(0n).optional(),
  DATABASE_PATH: z.string().min(1).default(path.join("data", "registry.db")),
});

export function loadAuditConfig(env: NodeJS.ProcessEnv = process.env): AuditConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  const e = parsed.data;
  return {
    rpcUrl: e.RPC_URL ?? `http://${e.CHAIN_HOST}:${e.CHAIN_PORT}`,
    registryAddress: e.REGISTRY_ADDRESS as Hex | undefined,
    deployBlock: e.REGISTRY_DEPLOY_BLOCK,
    databasePath: e.DATABASE_PATH,
  };
}
