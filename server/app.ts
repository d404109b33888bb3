import { OpenAPIHono } from "@hono/zod-openapi";
import type { PublicClient } from "viem";
import type { Db } from "./db/database";
import type { AppEnv } from "./http/env";
import { problem, validationHook } from "./http/problem";
import { authenticate } from "./auth/authenticate";
import { registerHealth } from "./health/route";

export interface AppDeps {
  db: Db;
  publicClient: PublicClient;
  registryAddress: `0x${string}`;
  /** Injected so tests can move time (token expiry, invitation expiry). */
  clock: () => Date;
}

export type App = OpenAPIHono<AppEnv>;

/** The HTTP API: every route is declared with zod schemas, which also produce `/openapi.json`. */
export function createApp(deps: AppDeps): App {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", description: "Session token from POST /auth/login" });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", { type: "apiKey", in: "header", name: "X-API-Key", description: "Organisation API key (eak_…)" });
  app.use("*", authenticate(deps.db, deps.clock));

  registerHealth(app, deps);

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Energy attribute certificate registry", version: "0.1.0" },
  });
  app.notFound((c) => problem(c, 404, "Not found", `No route for ${c.req.method} ${c.req.path}.`));
  app.onError((error, c) => {
    console.error(error);
    return problem(c, 500, "Internal error", "The server failed to handle the request; it has been logged.");
  });
  return app;
}
