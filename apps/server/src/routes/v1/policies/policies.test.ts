import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, setupApp, type TestApp } from "../../../test/harness.js";

const policyYaml = (
  name: string,
  opts: { replicas?: number; labels?: string; expression?: string } = {},
) => `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: ${name}
  labels:
    practice: ${opts.labels ?? "testing"}
spec:
  severity: low
  action: deny
  match:
    kinds: [Deployment]
  validations:
    - expression: "${opts.expression ?? `object.spec.?replicas.orValue(1) <= ${opts.replicas ?? 10}`}"
      message: too many replicas
`;

const policyJson = (name: string) => ({
  apiVersion: "celgate.dev/v1",
  kind: "Policy",
  metadata: { name, labels: { practice: "json" } },
  spec: { severity: "info", action: "audit", validations: [{ expression: "true" }] },
});

describe.each(BACKENDS)("policies on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend, { bodyLimit: 64 * 1024 });
  });
  afterAll(() => t.close());

  it("lists the repository's policies as source repository", async () => {
    const { status, body } = await t.call("GET", "/v1/policies", { token: t.tokens.viewer });
    expect(status).toBe(200);
    expect(body.items.map((p: { name: string }) => p.name)).toEqual([
      "images-scanned",
      "min-replicas",
      "owner-label",
    ]);
    expect(body.items.every((p: { source: string }) => p.source === "repository")).toBe(true);
    expect(body.nextCursor).toBeNull();
  });

  it("creates from YAML and JSON, reads with an ETag", async () => {
    const created = await t.call("POST", "/v1/policies", {
      yaml: policyYaml("max-replicas"),
      token: t.tokens.author,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: "max-replicas",
      source: "api",
      version: 1,
      updatedBy: "test author",
      labels: { practice: "testing" },
    });
    expect(created.headers.get("etag")).toBe('"v1"');
    expect(created.headers.get("location")).toBe("/v1/policies/max-replicas");
    const json = await t.call("POST", "/v1/policies", { body: policyJson("json-policy") });
    expect(json.status).toBe(201);
    const read = await t.call("GET", "/v1/policies/max-replicas", { token: t.tokens.viewer });
    expect(read.status).toBe(200);
    expect(read.headers.get("etag")).toBe('"v1"');
    expect(read.body.document.spec.validations[0].message).toBe("too many replicas");
  });

  it("refuses a duplicate name with 409", async () => {
    await t.call("POST", "/v1/policies", { yaml: policyYaml("dup") });
    const again = await t.call("POST", "/v1/policies", { yaml: policyYaml("dup") });
    expect(again.status).toBe(409);
    expect(again.headers.get("content-type")).toContain("application/problem+json");
  });

  it("replaces only with a current If-Match: 428 without, 412 stale", async () => {
    await t.call("POST", "/v1/policies", { yaml: policyYaml("etagged") });
    const noMatch = await t.call("PUT", "/v1/policies/etagged", {
      yaml: policyYaml("etagged", { replicas: 5 }),
    });
    expect(noMatch.status).toBe(428);
    const ok = await t.call("PUT", "/v1/policies/etagged", {
      yaml: policyYaml("etagged", { replicas: 5 }),
      headers: { "if-match": '"v1"' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(2);
    expect(ok.headers.get("etag")).toBe('"v2"');
    const stale = await t.call("PUT", "/v1/policies/etagged", {
      yaml: policyYaml("etagged", { replicas: 6 }),
      headers: { "if-match": '"v1"' },
    });
    expect(stale.status).toBe(412);
    const renamed = await t.call("PUT", "/v1/policies/etagged", {
      yaml: policyYaml("other"),
      headers: { "if-match": '"v2"' },
    });
    expect(renamed.status).toBe(400);
    const missing = await t.call("PUT", "/v1/policies/nope", {
      yaml: policyYaml("nope"),
      headers: { "if-match": '"v1"' },
    });
    expect(missing.status).toBe(404);
  });

  it("lets exactly one of two concurrent PUTs with the same If-Match win", async () => {
    await t.call("POST", "/v1/policies", { yaml: policyYaml("raced") });
    const results = await Promise.all(
      [3, 4, 5, 6].map((n) =>
        t.call("PUT", "/v1/policies/raced", {
          yaml: policyYaml("raced", { replicas: n }),
          headers: { "if-match": '"v1"' },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412]);
    const versions = await t.call("GET", "/v1/policies/raced/versions");
    expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
  });

  it("refuses writes to repository policies with 409 and a reason", async () => {
    const put = await t.call("PUT", "/v1/policies/owner-label", {
      yaml: policyYaml("owner-label"),
      headers: { "if-match": '"v1"' },
    });
    expect(put.status).toBe(409);
    expect(put.body.detail).toContain("repository");
    expect((await t.call("DELETE", "/v1/policies/owner-label")).status).toBe(409);
    expect((await t.call("POST", "/v1/policies", { yaml: policyYaml("owner-label") })).status).toBe(409);
  });

  it("deletes, keeps the versions, and recreates with the next version", async () => {
    await t.call("POST", "/v1/policies", { yaml: policyYaml("doomed") });
    expect((await t.call("DELETE", "/v1/policies/doomed", { headers: { "if-match": '"v9"' } })).status).toBe(
      412,
    );
    expect((await t.call("DELETE", "/v1/policies/doomed", { token: t.tokens.author })).status).toBe(204);
    expect((await t.call("GET", "/v1/policies/doomed")).status).toBe(404);
    const versions = await t.call("GET", "/v1/policies/doomed/versions", { token: t.tokens.viewer });
    expect(versions.body.items).toMatchObject([
      { version: 2, change: "delete", actor: "test author", document: null },
      { version: 1, change: "create", actor: "admin (CELGATE_ADMIN_TOKEN)" },
    ]);
    const v1 = await t.call("GET", "/v1/policies/doomed/versions/1");
    expect(v1.body.document.metadata.name).toBe("doomed");
    expect((await t.call("GET", "/v1/policies/doomed/versions/7")).status).toBe(404);
    const again = await t.call("POST", "/v1/policies", { yaml: policyYaml("doomed") });
    expect(again.body.version).toBe(3);
  });

  it("pages versions with a cursor", async () => {
    await t.call("POST", "/v1/policies", { yaml: policyYaml("paged") });
    for (let v = 1; v <= 3; v++)
      await t.call("PUT", "/v1/policies/paged", {
        yaml: policyYaml("paged", { replicas: v }),
        headers: { "if-match": `"v${v}"` },
      });
    const first = await t.call("GET", "/v1/policies/paged/versions?limit=3");
    expect(first.body.items.map((v: { version: number }) => v.version)).toEqual([4, 3, 2]);
    const second = await t.call("GET", `/v1/policies/paged/versions?limit=3&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((v: { version: number }) => v.version)).toEqual([1]);
    expect(second.body.nextCursor).toBeNull();
  });

  it("filters with ?select= label selectors and paginates", async () => {
    const sel = await t.call(
      "GET",
      `/v1/policies?select=${encodeURIComponent("practice in (ownership,availability)")}`,
    );
    expect(sel.body.items.map((p: { name: string }) => p.name)).toEqual(["min-replicas", "owner-label"]);
    const bad = await t.call("GET", `/v1/policies?select=${encodeURIComponent("practice in (")}`);
    expect(bad.status).toBe(400);
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { name: string }[]; nextCursor: string | null } } = await t.call(
        "GET",
        `/v1/policies?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      names.push(...page.body.items.map((p) => p.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    expect((await t.call("GET", "/v1/policies?limit=501")).status).toBe(400);
    expect((await t.call("GET", "/v1/policies?cursor=garbage")).status).toBe(400);
  });

  it("reports compile errors with 422 and their position, syntax errors with 400", async () => {
    const bad = await t.call("POST", "/v1/policies", {
      yaml: policyYaml("broken", { expression: "object.spec.replicas +" }),
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0]).toMatchObject({
      path: "spec.validations[0].expression",
      line: expect.any(Number),
    });
    const yaml = await t.call("POST", "/v1/policies", {
      yaml: "apiVersion: celgate.dev/v1\nkind: Policy\nmetadata: {name: x\n",
    });
    expect(yaml.status).toBe(400);
    expect(yaml.body.errors[0].line).toBeGreaterThanOrEqual(3);
    const json = await t.call("POST", "/v1/policies", {
      raw: '{\n  "apiVersion": "celgate.dev/v1",\n  "kind": }',
    });
    expect(json.status).toBe(400);
    expect(json.body.errors[0]).toMatchObject({ line: 3, column: 11 });
    expect(json.body.detail).toContain("line 3, column 11");
    const schema = await t.call("POST", "/v1/policies", {
      body: { ...policyJson("bad-schema"), spec: { validations: [] } },
    });
    expect(schema.status).toBe(422);
    const two = await t.call("POST", "/v1/policies", {
      yaml: `${policyYaml("one")}---\n${policyYaml("two")}`,
    });
    expect(two.status).toBe(400);
    const form = await t.call("POST", "/v1/policies", {
      raw: "a=b",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
  });

  it("refuses a body over the limit with 413", async () => {
    const big = await t.call("POST", "/v1/policies", {
      yaml: `# ${"x".repeat(70 * 1024)}\n${policyYaml("big")}`,
    });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ status: 413, title: "Payload too large" });
  });

  it("validates without saving", async () => {
    const ok = await t.call("POST", "/v1/policies:validate", {
      yaml: `${policyYaml("v-one")}---\n${policyYaml("v-two")}`,
      token: t.tokens.evaluator,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      valid: true,
      policies: [
        { name: "v-one", valid: true },
        { name: "v-two", valid: true },
      ],
      diagnostics: [],
    });
    const bad = await t.call("POST", "/v1/policies:validate", {
      yaml: policyYaml("v-bad", { expression: "object.nope(" }),
    });
    expect(bad.body.valid).toBe(false);
    expect(bad.body.diagnostics[0]).toMatchObject({
      path: "spec.validations[0].expression",
      line: expect.any(Number),
    });
    // the same typed check as celgate validate: object from the Deployment schema
    const typo = await t.call("POST", "/v1/policies:validate", {
      yaml: policyYaml("v-typo", { expression: "object.spec.replicaz <= 10" }),
    });
    expect(typo.body.valid).toBe(false);
    expect(typo.body.diagnostics[0]).toMatchObject({
      code: "cel-type",
      path: "spec.validations[0].expression",
      line: 13,
      column: 32,
    });
    expect(typo.body.diagnostics[0].message).toMatch(/^no such field replicaz in object\.spec/);
    const list = await t.call("POST", "/v1/policies:validate", {
      body: [policyJson("j1"), policyJson("j2")],
    });
    expect(list.body.policies.map((p: { name: string }) => p.name)).toEqual(["j1", "j2"]);
    expect((await t.call("GET", "/v1/policies/v-one")).status).toBe(404);
  });

  it("writes an audit row for every change, in the same transaction", async () => {
    await t.call("POST", "/v1/policies", { yaml: policyYaml("audited"), token: t.tokens.author });
    await t.call("PUT", "/v1/policies/audited", {
      yaml: policyYaml("audited", { replicas: 3 }),
      headers: { "if-match": '"v1"' },
    });
    await t.call("DELETE", "/v1/policies/audited");
    const audit = await t.call("GET", "/v1/audit?targetKind=policy&targetName=audited", {
      token: t.tokens.viewer,
    });
    expect(audit.body.items.map((a: { action: string; actor: string }) => [a.action, a.actor])).toEqual([
      ["policy.delete", "admin (CELGATE_ADMIN_TOKEN)"],
      ["policy.update", "admin (CELGATE_ADMIN_TOKEN)"],
      ["policy.create", "test author"],
    ]);
    // A refused change leaves no audit row.
    await t.call("POST", "/v1/policies", { yaml: policyYaml("dup") });
    const dup = await t.call("GET", "/v1/audit?targetName=dup");
    expect(dup.body.items).toHaveLength(1);
  });
});
