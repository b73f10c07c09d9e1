import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupApp, type TestApp } from "../test/harness.js";

/** Hostile request bodies end as clear 4xx answers or error outcomes, never a 500 or a hang. */
describe("hostile inputs to POST /v1/evaluations", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp("pglite");
    const created = await t.call("POST", "/v1/policies", {
      body: {
        apiVersion: "celgate.dev/v1",
        kind: "Policy",
        metadata: { name: "everything" },
        spec: { validations: [{ expression: "has(object.metadata)" }] },
      },
    });
    expect(created.status).toBe(201);
  }, 120_000);
  afterAll(() => t?.close());

  it("a resource nested 100,000 levels deep", async () => {
    const deep = `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`;
    const raw = `{"resources":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"data":${deep}}],"dryRun":true}`;
    const res = await t.call("POST", "/v1/evaluations", { raw });
    expect(res.status).toBeLessThan(500);
    // the resource is refused as too deep: an error outcome, so the decision is deny
    if (res.status === 200) {
      const report = res.body as {
        decision: string;
        results: { policy: string; outcome: string; error: string }[];
      };
      expect(report.decision).toBe("deny");
      expect(report.results.find((r) => r.policy === "everything")).toMatchObject({ outcome: "error" });
    } else expect(res.headers.get("content-type")).toContain("application/problem+json");
  });

  it("YAML manifests nested deeply, and an alias bomb", async () => {
    const deepYaml = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: ${"[".repeat(50_000)}${"]".repeat(50_000)}\n`;
    const deep = await t.call("POST", "/v1/evaluations", { body: { manifests: deepYaml, dryRun: true } });
    expect(deep.status).toBeLessThan(500);
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]",
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]",
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]",
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]",
      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]",
      "g: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]",
    ].join("\n");
    const started = Date.now();
    const res = await t.call("POST", "/v1/evaluations", {
      body: { manifests: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n${bomb}\n`, dryRun: true },
    });
    expect(res.status).toBeLessThan(500);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
