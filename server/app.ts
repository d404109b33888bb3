import { OpenAPIHono } from "@hono/zod-openapi";
import { problem, validationHook } from "./http/problem";
import { registerHealth, type HealthDeps } from "./health/route";

export type AppDeps = HealthDeps;

/** The HTTP API: every route is declared with zod schemas, which also produce `/openapi.json`. */
export function createApp(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });
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
