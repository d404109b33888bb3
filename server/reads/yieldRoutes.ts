import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";

import { requireOrganisationType, requirePermission } from "../auth/authenticate";
import type { Db } from "../db/database";
import { isCountryCode } from "../devices/catalogue";
import { principalOf, type AppEnv } from "../http/env";
import { json, problemResponses, SECURED } from "../http/openapi";
import { countryYields } from "./schema";
import { countryYield, DEFAULT_COUNTRY_YIELDS, DEFAULT_YIELD_KWH_PER_KW_YEAR, yieldOverrides } from "./yields";

const CountryParam = z.object({
  countryCode: z
    .string()
    .refine(isCountryCode, "must be an ISO 3166-1 alpha-2 country code")
    .openapi({ param: { name: "countryCode", in: "path" }, example: "KE" }),
});

const YieldSchema = z
  .object({
    countryCode: z.string(),
    yieldKwhPerKwYear: z.number(),
    source: z.enum(["default", "administrator"]),
    updatedAt: z.string().nullable(),
  })
  .openapi("CountryYield");

const YieldTableSchema = z
  .object({ fallbackKwhPerKwYear: z.number().openapi({ description: "For countries listed nowhere" }), countries: z.array(YieldSchema) })
  .openapi("YieldTable");

const YieldBody = z.strictObject({ yieldKwhPerKwYear: z.number().positive().max(8_760).openapi({ description: "kWh per kW of capacity per year (at most 8,760: full output all year)" }) });

/** Only platform administrators edit the yields every developer's reads are checked against. */
const requirePlatformAdmin = requireOrganisationType("admin");

const listRoute = createRoute({
  method: "get",
  path: "/reads/yields",
  tags: ["reads"],
  summary: "Specific yields per country used by the maximum-energy check",
  security: SECURED,
  middleware: [requirePermission("reads", "READ")] as const,
  responses: { 200: json(YieldTableSchema, "Defaults and administrator overrides"), ...problemResponses(401, 403) },
});

const putRoute = createRoute({
  method: "put",
  path: "/reads/yields/{countryCode}",
  tags: ["reads"],
  summary: "Set a country's yield (platform administrators)",
  security: SECURED,
  middleware: [requirePermission("reads", "UPDATE"), requirePlatformAdmin] as const,
  request: { params: CountryParam, body: { required: true, content: { "application/json": { schema: YieldBody } } } },
  responses: { 200: json(YieldSchema, "The yield now in force"), ...problemResponses(400, 401, 403) },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/reads/yields/{countryCode}",
  tags: ["reads"],
  summary: "Return a country to the built-in default yield (platform administrators)",
  security: SECURED,
  middleware: [requirePermission("reads", "DELETE"), requirePlatformAdmin] as const,
  request: { params: CountryParam },
  responses: { 200: json(YieldSchema, "The yield now in force"), ...problemResponses(400, 401, 403) },
});

export function registerYields(app: OpenAPIHono<AppEnv>, deps: { db: Db; clock: () => Date }): void {
  const { db } = deps;
  const inForce = (countryCode: string) => {
    const row = db.select().from(countryYields).where(eq(countryYields.countryCode, countryCode)).get();
    return {
      countryCode,
      yieldKwhPerKwYear: countryYield(countryCode, yieldOverrides(db)),
      source: row ? ("administrator" as const) : ("default" as const),
      updatedAt: row?.updatedAt ?? null,
    };
  };

  app.openapi(listRoute, (c) => {
    const countries = new Set([...Object.keys(DEFAULT_COUNTRY_YIELDS), ...db.select({ code: countryYields.countryCode }).from(countryYields).all().map((r) => r.code)]);
    return c.json({ fallbackKwhPerKwYear: DEFAULT_YIELD_KWH_PER_KW_YEAR, countries: [...countries].sort().map(inForce) }, 200);
  });

  app.openapi(putRoute, (c) => {
    const { countryCode } = c.req.valid("param");
    const values = { countryCode, yieldKwhPerKwYear: c.req.valid("json").yieldKwhPerKwYear, updatedAt: deps.clock().toISOString(), updatedBy: principalOf(c).userId };
    db.insert(countryYields).values(values).onConflictDoUpdate({ target: countryYields.countryCode, set: values }).run();
    return c.json(inForce(countryCode), 200);
  });

  app.openapi(deleteRoute, (c) => {
    const { countryCode } = c.req.valid("param");
    db.delete(countryYields).where(eq(countryYields.countryCode, countryCode)).run();
    return c.json(inForce(countryCode), 200);
  });
}
