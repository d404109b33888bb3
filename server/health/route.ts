import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { PublicClient } from "viem";
import type { Db } from "../db/database";
import type { AppEnv } from "../http/env";
import { readCheckpoint } from "../../indexer/store/checkpoint";

const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    chain: z.object({
      status: z.enum(["ok", "unreachable"]),
      chainId: z.number().int().nullable(),
      latestBlock: z.string().nullable().openapi({ description: "Decimal block number" }),
    }),
    registryAddress: z.string(),
    database: z.object({ status: z.enum(["ok", "error"]) }),
    indexer: z.object({
      checkpointBlock: z.string().nullable().openapi({ description: "Last block fully mirrored" }),
      lagBlocks: z.string().nullable(),
    }),
  })
  .openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["system"],
  summary: "Liveness of the chain connection, the database and the indexer",
  responses: {
    200: { description: "Every part answers", content: { "application/json": { schema: HealthSchema } } },
    503: { description: "A part does not answer", content: { "application/json": { schema: HealthSchema } } },
  },
});

export interface HealthDeps {
  publicClient: PublicClient;
  registryAddress: `0x${string}`;
  db: Db;
}

export function registerHealth(app: OpenAPIHono<AppEnv>, deps: HealthDeps): void {
  app.openapi(healthRoute, async (c) => {
    const [chainId, latestBlock] = await Promise.all([
      deps.publicClient.getChainId().catch(() => null),
      deps.publicClient.getBlockNumber({ cacheTime: 0 }).catch(() => null),
    ]);
    let databaseOk = true;
    let checkpoint: bigint | null = null;
    try {
      deps.db.run(sql`select 1`);
      checkpoint = readCheckpoint(deps.db)?.blockNumber ?? null;
    } catch {
      databaseOk = false;
    }
    const chainOk = chainId !== null && latestBlock !== null;
    const body = {
      status: chainOk && databaseOk ? ("ok" as const) : ("degraded" as const),
      chain: { status: chainOk ? ("ok" as const) : ("unreachable" as const), chainId, latestBlock: latestBlock?.toString() ?? null },
      registryAddress: deps.registryAddress,
      database: { status: databaseOk ? ("ok" as const) : ("error" as const) },
      indexer: {
        checkpointBlock: checkpoint?.toString() ?? null,
        lagBlocks: checkpoint !== null && latestBlock !== null ? (latestBlock - checkpoint).toString() : null,
      },
    };
    return body.status === "ok" ? c.json(body, 200) : c.json(body, 503);
  });
}
