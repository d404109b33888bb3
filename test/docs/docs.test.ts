import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import getAbsoluteFSPath from "swagger-ui-dist/absolute-path";
import { createTestApi, type TestApi } from "../support/api";

describe("GET /docs: interactive API docs served offline", () => {
  let api: TestApi;
  before(async () => {
    api = await createTestApi();
  });
  after(() => api.close());

  it("returns an HTML page that loads Swagger UI from the API itself and points it at /openapi.json", async () => {
    const response = await api.request("GET", "/docs");
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.match(/^text\/html/);
    const html = await response.text();
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(references).to.include.members(["/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"]);
    expect(references.every((ref) => ref.startsWith("/docs/assets/"))).to.equal(true);
    expect(html).to.include('url: "/openapi.json"');
    expect(html).to.include("validatorUrl: null");
    expect(html).to.not.match(/https?:\/\//);

    for (const ref of references) {
      expect((await api.request("GET", ref)).status, ref).to.equal(200);
    }
  });

  it("serves the Swagger UI bundle as JavaScript and its stylesheet as CSS, byte for byte", async () => {
    const bundle = await api.request("GET", "/docs/assets/swagger-ui-bundle.js");
    expect(bundle.status).to.equal(200);
    expect(bundle.headers.get("content-type")).to.equal("text/javascript; charset=utf-8");
    expect(bundle.headers.get("x-content-type-options")).to.equal("nosniff");
    const onDisk = fs.readFileSync(path.join(getAbsoluteFSPath(), "swagger-ui-bundle.js"));
    expect(Buffer.from(await bundle.arrayBuffer()).equals(onDisk)).to.equal(true);
    const css = await api.request("GET", "/docs/assets/swagger-ui.css");
    expect(css.headers.get("content-type")).to.equal("text/css; charset=utf-8");
  });

  it("leaks no file outside the Swagger UI assets, however the path is spelled", async () => {
    const attempts = [
      "/docs/assets/../../package.json",
      "/docs/assets/..%2F..%2Fpackage.json",
      "/docs/assets/%2e%2e%2f%2e%2e%2fpackage.json",
      "/docs/assets/%2E%2E/%2E%2E/package.json",
      "/docs/assets/..%5C..%5Cpackage.json",
      "/docs/assets/%252e%252e%252fpackage.json",
      "/docs/assets/%2Fetc%2Fpasswd",
      "/docs/assets/package.json",
      "/docs/assets/swagger-ui-bundle.js%00.json",
      "/docs/assets/",
    ];
    for (const attempt of attempts) {
      const response = await api.request("GET", attempt);
      expect(response.status, attempt).to.equal(404);
      const body = await response.text();
      expect(body, attempt).to.not.include('"name"');
      expect(body, attempt).to.not.include("root:");
    }
  });

  it("publishes in /openapi.json only patterns a client can use as written, and they mean what the server checks", async () => {
    const document = await (await api.request("GET", "/openapi.json")).json();
    const patterns: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        for (const [key, value] of Object.entries(node)) {
          if (key === "pattern" && typeof value === "string") patterns.push(value);
          else walk(value);
        }
      }
    };
    walk(document);
    expect(patterns.length).to.be.greaterThan(0);
    for (const pattern of patterns) expect(() => new RegExp(pattern, "u"), pattern).to.not.throw();
    const signupName = new RegExp(document.components.schemas.SignUp?.properties?.firstName?.pattern ?? patterns.find((p) => p.includes("\\u0000"))!, "u");
    expect(["Ada Lovelace", "Wanjiru Kamau", "Zoë", "李"].every((name) => signupName.test(name))).to.equal(true);
    expect(["a\nb", "tab\there", "c1\u0085"].some((name) => signupName.test(name))).to.equal(false);
  });
});
