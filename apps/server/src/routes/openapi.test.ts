import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schemaKeys } from "../lib/validate.js";
import { type Json, setupApp, type TestApp } from "../test/harness.js";
import { ROUTES } from "./index.js";

// The document is produced from the same route descriptions the validators are built from;
// these tests hold the two together from both ends: what the schemas accept is in the
// document, and what the document does not name is refused.

const PARTS = [
  ["query", "query"],
  ["headers", "header"],
  ["params", "path"],
] as const;

/** A concrete path for a route: every `{param}` filled in. */
const concrete = (path: string) =>
  path.replace(/\{(\w+)\}/g, (_, name) => (name === "digest" ? `sha256:${"a".repeat(64)}` : "x"));

describe("the OpenAPI document is what the routes enforce", () => {
  let t: TestApp;
  let doc: Json;
  beforeAll(async () => {
    t = await setupApp("pglite");
    doc = (await t.call("GET", "/openapi.json", { token: null })).body;
  });
  afterAll(() => t.close());

  it("names every query option, header and path parameter that a route's schemas accept", () => {
    const missing: string[] = [];
    const seen: Record<string, string[]> = { query: [], header: [], path: [] };
    for (const def of ROUTES) {
      const { method, path, request } = def.openapi;
      const operation = doc.paths[path]?.[method];
      expect(operation, `${method} ${path} is in the document`).toBeDefined();
      const parameters: { in: string; name: string }[] = operation.parameters ?? [];
      for (const [part, where] of PARTS) {
        for (const name of schemaKeys(request?.[part])) {
          seen[where]!.push(`${path} ${name}`);
          if (!parameters.some((p) => p.in === where && p.name.toLowerCase() === name.toLowerCase()))
            missing.push(`${method.toUpperCase()} ${path}: ${where} ${name}`);
        }
      }
    }
    expect(missing).toEqual([]);
    // the lists come from the schemas; they are not empty, so the check above checked something
    expect(seen.query!.length).toBeGreaterThan(10);
    expect(seen.header!.length).toBeGreaterThan(3);
    expect(seen.path!.length).toBeGreaterThan(5);
  });

  it("declares every media type a route's body accepts, and every response it may give", () => {
    for (const def of ROUTES) {
      const { method, path, request, responses } = def.openapi;
      const operation = doc.paths[path][method];
      const declared = Object.keys(request?.body?.content ?? {});
      expect(Object.keys(operation.requestBody?.content ?? {}), `${method} ${path}`).toEqual(declared);
      expect(Object.keys(operation.responses).sort(), `${method} ${path}`).toEqual(
        Object.keys(responses).sort(),
      );
    }
  });

  it("describes ?limit= and a version number as the bounded integers the routes read", () => {
    const param = (path: string, name: string) =>
      doc.paths[path].get.parameters.find((p: { name: string }) => p.name === name);
    for (const path of ["/v1/policies", "/v1/tokens", "/v1/evaluations", "/v1/policies/{name}/versions"])
      expect(param(path, "limit"), path).toEqual({
        in: "query",
        name: "limit",
        required: false,
        schema: { type: "integer", minimum: 1, maximum: 500, default: 50 },
      });
    expect(param("/v1/policies/{name}/versions/{n}", "n").schema).toEqual({
      type: "integer",
      minimum: 1,
      maximum: 2_147_483_647,
    });
  });

  it("refuses a query option that the document does not name, with a 400 naming it", async () => {
    for (const def of ROUTES) {
      if (def.roles === "public") continue;
      const { method, path } = def.openapi;
      const res = await t.call(method.toUpperCase(), `${concrete(path)}?dryrun=true`);
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.body.type).toBe("https://celgate.dev/problems/bad-request");
      expect(res.body.errors).toEqual([expect.objectContaining({ path: "dryrun" })]);
      expect(res.body.detail).toContain("unknown query option");
    }
  });
});
