import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate` writes a new migration after a schema change; the server applies them at start.
export default defineConfig({
  dialect: "sqlite",
  schema: ["./indexer/store/schema.ts", "./server/**/schema.ts"],
  out: "./server/db/migrations",
});
