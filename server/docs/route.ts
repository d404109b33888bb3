import fs from "node:fs";
import path from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import getAbsoluteFSPath from "swagger-ui-dist/absolute-path";
import type { AppEnv } from "../http/env";
import { problem } from "../http/problem";

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
};

// Everything is served by the API itself so the page works offline; `validatorUrl: null` stops Swagger UI
// from sending the document to the public validator at swagger.io.
const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Energy attribute certificate registry: API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });
  </script>
</body>
</html>
`;

/** Interactive docs: Swagger UI from the installed `swagger-ui-dist`, pointed at `/openapi.json`. */
export function registerDocs(app: OpenAPIHono<AppEnv>): void {
  const folder = getAbsoluteFSPath();
  // Assets are looked up by exact file name among the package folder's own files, so no request
  // (`..`, encoded slashes, absolute paths) can name anything outside it.
  const assets = new Set(
    fs
      .readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isFile() && Object.hasOwn(CONTENT_TYPES, path.extname(entry.name)))
      .map((entry) => entry.name),
  );

  app.get("/docs", (c) => c.html(PAGE));
  app.get("/docs/assets/:file", async (c) => {
    const file = c.req.param("file");
    if (!assets.has(file)) return problem(c, 404, "Not found", "No such documentation asset.");
    return c.body(await fs.promises.readFile(path.join(folder, file)), 200, {
      "content-type": CONTENT_TYPES[path.extname(file)],
      "cache-control": "public, max-age=86400",
      "x-content-type-options": "nosniff",
    });
  });
}
