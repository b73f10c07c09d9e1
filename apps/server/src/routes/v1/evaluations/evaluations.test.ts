import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BACKENDS,
  deploymentObject,
  deploymentYaml,
  type Json,
  setupApp,
  type TestApp,
} from "../../../test/harness.js";

const DIGEST = `sha256:${"b".repeat(64)}`;
const scannedImage = (ref: string) => ({
  ref,
  scan: { scanner: "trivy 0.58.0", scannedAt: "2026-11-20T10:00:00Z", vulnerabilities: [] },
});

describe.each(BACKENDS)("evaluations on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  it("evaluates YAML manifests, records the report and returns it with an id", async () => {
    const manifests = `${deploymentYaml("web", { owner: "shop", replicas: 1 })}---\n${deploymentYaml("api")}`;
    const res = await t.call("POST", "/v1/evaluations", {
      token: t.tokens.evaluator,
      body: { manifests, context: { environment: "prod", commit: "abc123" } },
    });
    expect(res.status).toBe(201);
    const report = res.body;
    expect(report).toMatchObject({
      apiVersion: "celgate.dev/v1",
      kind: "EvaluationReport",
      decision: "deny",
      id: expect.stringMatching(/^ev_/),
    });
    expect(res.headers.get("location")).toBe(`/v1/evaluations/${report.id}`);
    expect(report.policySet).toMatchObject({ digest: expect.stringMatching(/^sha256:/), policies: 3 });
    expect(report.summary.resources).toBe(2);
    const ownerFail = report.results.find(
      (r: Json) => r.policy === "owner-label" && r.resource.name === "api",
    );
    expect(ownerFail).toMatchObject({
      outcome: "fail",
      action: "deny",
      policyVersion: 1,
      resource: { source: { line: expect.any(Number) } },
    });
    expect(
      report.results.find((r: Json) => r.policy === "min-replicas" && r.resource.name === "web").outcome,
    ).toBe("fail");
    const stored = await t.call("GET", `/v1/evaluations/${report.id}`, { token: t.tokens.viewer });
    expect(stored.status).toBe(200);
    expect(stored.body).toEqual(report);
    // the history list gives the summary as the report does, in the report's key order
    const listed = (
      await t.call("GET", "/v1/evaluations?limit=500", { token: t.tokens.viewer })
    ).body.items.find((i: Json) => i.id === report.id);
    expect(JSON.stringify(listed.summary)).toBe(JSON.stringify(report.summary));
  });

  it("keeps each file's name and lines when manifests come as a list of files", async () => {
    const files = [
      { file: "k8s/web.yaml", text: `# web\n${deploymentYaml("web", { owner: "shop" })}` },
      {
        file: "k8s/api.yaml",
        text: `${deploymentYaml("one", { owner: "shop" })}---\n${deploymentYaml("api", { replicas: 1 })}`,
      },
      { file: "k8s/worker.json", text: JSON.stringify(deploymentObject("worker", { owner: "x" }), null, 2) },
    ];
    const res = await t.call("POST", "/v1/evaluations", { body: { manifests: files } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.summary.resources).toBe(4);
    const sourceOf = (name: string) =>
      res.body.results.find((r: Json) => r.resource.name === name && r.policy === "owner-label").resource
        .source;
    expect(sourceOf("web")).toEqual({ file: "k8s/web.yaml", line: 1, document: 0 });
    expect(sourceOf("one")).toEqual({ file: "k8s/api.yaml", line: 1, document: 0 });
    expect(sourceOf("api")).toMatchObject({ file: "k8s/api.yaml", document: 1 });
    expect(sourceOf("api").line).toBeGreaterThanOrEqual(15);
    expect(sourceOf("worker")).toMatchObject({ file: "k8s/worker.json", line: 1 });
    // Recorded as sent: a replay on the stored inputs changes nothing.
    const replay = await t.call("POST", "/v1/replays", { body: { evaluations: [res.body.id] } });
    expect(replay.status, JSON.stringify(replay.body)).toBe(200);
    expect(replay.body.decisions).toEqual([]);
    expect(replay.body.changes).toEqual([]);

    const broken = await t.call("POST", "/v1/evaluations", {
      body: { manifests: [files[0], { file: "k8s/bad.yaml", text: "kind: [\n" }] },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.detail).toContain("k8s/bad.yaml");
  });

  it("accepts resources as JSON objects and a raw YAML body", async () => {
    const json = await t.call("POST", "/v1/evaluations", {
      body: {
        resources: [deploymentObject("ok", { owner: "x" })],
        images: [scannedImage("registry.example/shop/web:1.0")],
      },
    });
    expect(json.status).toBe(201);
    expect(json.body.decision).toBe("allow");
    const yaml = await t.call("POST", "/v1/evaluations?dryRun=true", {
      yaml: deploymentYaml("raw", { owner: "x" }),
    });
    expect(yaml.status).toBe(200);
    expect(yaml.body.id).toBeUndefined();
    expect(yaml.body.summary.resources).toBe(1);
  });

  it("reads resources with items as kubectl reads a list, unless they are reported as deployed", async () => {
    const basket = {
      apiVersion: "example.com/v1",
      kind: "AllowList",
      metadata: { name: "allowed", namespace: "shop" },
      items: [deploymentObject("inner", { owner: "x" })],
    };
    const kindsOf = (body: { results: { resource: { kind: string } }[] }) =>
      [...new Set(body.results.map((r) => r.resource.kind))].sort();
    // to deploy: its items, as kubectl applies them
    const toDeploy = await t.call("POST", "/v1/evaluations", { body: { resources: [basket], dryRun: true } });
    expect(toDeploy.status).toBe(200);
    expect(kindsOf(toDeploy.body)).toEqual(["Deployment"]);
    // deployed (inventory): the object as it is in the cluster, never a list
    const deployed = await t.call("POST", "/v1/evaluations", {
      body: { resources: [basket], context: { cluster: "prod", deployed: true }, dryRun: true },
    });
    expect(deployed.status).toBe(200);
    expect(deployed.body.summary.resources).toBe(1);
    expect(kindsOf(deployed.body).filter((k) => k !== "AllowList")).toEqual([]);
  });

  it("takes select, dryRun and includeSkipped from the query with a YAML body, and refuses other query parameters", async () => {
    const yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\n";
    const query = "dryRun=true&select=practice%3Davailability";
    const plain = await t.call("POST", `/v1/evaluations?${query}`, { yaml });
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ policySet: { policies: 1 }, results: [] });
    expect(plain.body.summary.skip).toBe(1);
    const skipped = await t.call("POST", `/v1/evaluations?${query}&includeSkipped=true`, { yaml });
    expect(skipped.body.results).toMatchObject([{ outcome: "skip" }]);
    for (const query of ["now=2026-11-29T00:00:00Z", "context.environment=prod", "dryrun=true"]) {
      const res = await t.call("POST", `/v1/evaluations?dryRun=true&${query}`, { yaml });
      expect(res.status, query).toBe(400);
      expect(res.body.detail, query).toContain(query.split("=")[0]);
    }
    const before = await t.call("GET", "/v1/evaluations?limit=500");
    const json = await t.call("POST", "/v1/evaluations?dryRun=true", { body: { manifests: yaml } });
    expect(json.status).toBe(400);
    expect(json.body.detail).toContain("in the body, not the query");
    const after = await t.call("GET", "/v1/evaluations?limit=500");
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it("does not record a dryRun", async () => {
    const before = await t.call("GET", "/v1/evaluations?context.run=dry");
    const res = await t.call("POST", "/v1/evaluations", {
      body: { manifests: deploymentYaml("dry"), dryRun: true, context: { run: "dry" } },
    });
    expect(res.status).toBe(200);
    expect(res.body.id).toBeUndefined();
    const after = await t.call("GET", "/v1/evaluations?context.run=dry");
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it("uses image facts from the image store for images referenced by digest", async () => {
    const image = `registry.example/shop/web@${DIGEST}`;
    const manifests = deploymentYaml("digested", { owner: "x", image });
    const unscanned = await t.call("POST", "/v1/evaluations", { body: { manifests, dryRun: true } });
    expect(unscanned.body.results.find((r: Json) => r.policy === "images-scanned").outcome).toBe("fail");
    const put = await t.call("PUT", `/v1/images/${DIGEST}`, {
      token: t.tokens.evaluator,
      body: scannedImage(image),
    });
    expect(put.status).toBe(201);
    const scanned = await t.call("POST", "/v1/evaluations", { body: { manifests, dryRun: true } });
    expect(scanned.body.results.find((r: Json) => r.policy === "images-scanned").outcome).toBe("pass");
  });

  it("honours params, select and policies", async () => {
    const manifests = deploymentYaml("tuned", { owner: "x", replicas: 2 });
    const strict = await t.call("POST", "/v1/evaluations", {
      body: { manifests, dryRun: true, params: { "min-replicas": { min: 3 } }, policies: ["min-replicas"] },
    });
    expect(strict.body.results).toHaveLength(1);
    expect(strict.body.results[0]).toMatchObject({ policy: "min-replicas", outcome: "fail" });
    expect(strict.body.results[0].violations[0].message).toBe("replicas must be at least 3");
    const selected = await t.call("POST", "/v1/evaluations", {
      body: { manifests, dryRun: true, select: "practice=ownership" },
    });
    expect(selected.body.results.map((r: Json) => r.policy)).toEqual(["owner-label"]);
    const skipped = await t.call("POST", "/v1/evaluations", {
      body: { manifests, dryRun: true, select: "practice=ownership", includeSkipped: false },
    });
    expect(skipped.body.summary.pass).toBe(1);
    expect((await t.call("POST", "/v1/evaluations", { body: { manifests, select: "a in (" } })).status).toBe(
      400,
    );
    expect(
      (await t.call("POST", "/v1/evaluations", { body: { manifests, policies: ["nope"] } })).status,
    ).toBe(400);
  });

  it("refuses a selection that matches no policy (400), recording nothing", async () => {
    const manifests = deploymentYaml("unselected", { owner: "x" });
    const before = (await t.call("GET", "/v1/evaluations?name=unselected")).body.items.length;
    const none = await t.call("POST", "/v1/evaluations", { body: { manifests, select: "practice=nothing" } });
    expect(none.status).toBe(400);
    expect(none.body.type).toBe("https://celgate.dev/problems/selection-matches-nothing");
    expect(none.body.errors).toEqual([
      {
        path: "select",
        code: "selector-matches-nothing",
        message: `no policy's labels match the selector "practice=nothing"`,
      },
    ]);
    // both given: the selector must match one of the named policies
    const crossed = await t.call("POST", "/v1/evaluations", {
      body: { manifests, dryRun: true, select: "practice=ownership", policies: ["min-replicas"] },
    });
    expect(crossed.status).toBe(400);
    expect(crossed.body.errors[0]).toMatchObject({ path: "select", code: "selector-matches-nothing" });
    const unknown = await t.call("POST", "/v1/evaluations", {
      body: { manifests, dryRun: true, policies: ["owner-label", "nope"] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      { path: "policies", code: "unknown-policy", message: "policy nope is not in the policy set" },
    ]);
    expect((await t.call("GET", "/v1/evaluations?name=unselected")).body.items.length).toBe(before);
  });

  it("refuses params for a policy the set does not have (400), as the CLI's --param does", async () => {
    const manifests = deploymentYaml("typo", { owner: "x" });
    const res = await t.call("POST", "/v1/evaluations", {
      body: { manifests, params: { "min-replica": { min: 3 }, "min-replicas": { min: 2 } } },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: "params.min-replica", message: "no policy named min-replica" }]);
    expect((await t.call("GET", "/v1/evaluations?name=typo")).body.items).toHaveLength(0);
  });

  it("refuses a param the policy neither declares nor reads (400 naming it and the policy's params), recording nothing", async () => {
    const manifests = deploymentYaml("keytypo", { owner: "x" });
    const res = await t.call("POST", "/v1/evaluations", {
      body: { manifests, params: { "min-replicas": { minimum: 3 } } },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const message =
      'policy min-replicas has no param "minimum": its params are min (declared under spec.params or read by its expressions)';
    expect(res.body.detail).toBe(message);
    expect(res.body.errors).toEqual([
      { path: "params.min-replicas.minimum", code: "unknown-param", message },
    ]);
    expect((await t.call("GET", "/v1/evaluations?name=keytypo")).body.items).toHaveLength(0);
    // the declared key is taken, as before
    const ok = await t.call("POST", "/v1/evaluations", {
      body: { manifests, dryRun: true, params: { "min-replicas": { min: 3 } } },
    });
    expect(ok.status).toBe(200);
  });

  it("refuses a context over 16 KiB of JSON (400 naming context), recording nothing; one at the limit is kept whole", async () => {
    // every history row keeps its context, and each page of the list carries it: megabytes of
    // context made a page of hundreds of megabytes
    const manifests = deploymentYaml("ctx", { owner: "x" });
    const big = { note: "x".repeat(16 * 1024) };
    const res = await t.call("POST", "/v1/evaluations", { body: { manifests, context: big } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      expect.objectContaining({ path: "context", message: expect.stringMatching(/at most 16384/) }),
    ]);
    expect((await t.call("GET", "/v1/evaluations?name=ctx")).body.items).toHaveLength(0);
    // multi-byte characters count as their UTF-8 bytes
    const wide = { note: "é".repeat(8 * 1024) };
    expect((await t.call("POST", "/v1/evaluations", { body: { manifests, context: wide } })).status).toBe(
      400,
    );
    const fits = { note: "x".repeat(16 * 1024 - 20) };
    const ok = await t.call("POST", "/v1/evaluations", { body: { manifests, context: fits } });
    expect(ok.status).toBe(201);
    const list = await t.call("GET", "/v1/evaluations?name=ctx");
    expect(list.body.items.map((i: Json) => i.context)).toEqual([fits]);
  });

  it("returns the same report and id for a retried Idempotency-Key, and stores one row", async () => {
    const body = { manifests: deploymentYaml("idem", { owner: "x" }), context: { idem: "1" } };
    const headers = { "idempotency-key": "deploy-42" };
    const first = await t.call("POST", "/v1/evaluations", { body, headers });
    const second = await t.call("POST", "/v1/evaluations", { body, headers });
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
    const concurrent = await Promise.all(
      [1, 2, 3, 4].map(() =>
        t.call("POST", "/v1/evaluations", {
          body: { ...body, context: { idem: "2" } },
          headers: { "idempotency-key": "deploy-43" },
        }),
      ),
    );
    expect(new Set(concurrent.map((r) => r.body.id)).size).toBe(1);
    for (const idem of ["1", "2"])
      expect((await t.call("GET", `/v1/evaluations?context.idem=${idem}`)).body.items).toHaveLength(1);
    const other = await t.call("POST", "/v1/evaluations", {
      body: { ...body, context: { idem: "3" } },
      headers,
    });
    expect(other.status).toBe(422);
  });

  it("filters history and pages it with a cursor", async () => {
    const tag = `f${Date.now()}`;
    await t.call("POST", "/v1/evaluations", {
      body: {
        manifests: deploymentYaml("alpha", { namespace: "ns-a", owner: "x" }),
        context: { tag, environment: "prod" },
      },
    });
    await t.call("POST", "/v1/evaluations", {
      body: {
        manifests: deploymentYaml("beta", { namespace: "ns-b" }),
        context: { tag, environment: "staging" },
      },
    });
    await t.call("POST", "/v1/evaluations", {
      token: t.tokens.evaluator,
      headers: { "x-celgate-source": "cli" },
      body: {
        resources: [deploymentObject("gamma", { namespace: "ns-a", image: "nginx:1.27" })],
        context: { tag, environment: "prod" },
      },
    });
    const q = async (query: string) =>
      (await t.call("GET", `/v1/evaluations?context.tag=${tag}&${query}`, { token: t.tokens.viewer })).body;
    expect((await q("")).items).toHaveLength(3);
    expect((await q("namespace=ns-a")).items).toHaveLength(2);
    expect((await q("namespace=ns-a&name=gamma")).items).toHaveLength(1);
    expect((await q("namespace=ns-b&name=gamma")).items).toHaveLength(0);
    expect((await q("kind=Deployment")).items).toHaveLength(3);
    expect((await q("context.environment=prod")).items).toHaveLength(2);
    expect((await q("decision=deny")).items.every((e: Json) => e.decision === "deny")).toBe(true);
    expect((await q("source=cli")).items).toMatchObject([{ source: "cli", actor: "test evaluator" }]);
    expect((await q("image=nginx:1.27")).items).toHaveLength(1);
    expect((await q("policy=owner-label")).items).toHaveLength(3);
    const since = new Date(Date.now() - 60_000).toISOString();
    expect((await q(`since=${since}`)).items).toHaveLength(3);
    expect((await q(`until=${since}`)).items).toHaveLength(0);
    const page1 = await q("limit=2");
    expect(page1.items).toHaveLength(2);
    expect(page1.items[0].context.tag).toBe(tag);
    const page2 = await q(`limit=2&cursor=${page1.nextCursor}`);
    expect(page2.items).toHaveLength(1);
    expect(page2.nextCursor).toBeNull();
    expect([...page1.items, ...page2.items].map((e: Json) => e.id)).toEqual([
      ...new Set([...page1.items, ...page2.items].map((e: Json) => e.id)),
    ]);
    expect((await t.call("GET", "/v1/evaluations?decision=maybe")).status).toBe(400);
  });

  it("stores each input once per content hash", async () => {
    const manifests = deploymentYaml("shared-input", { owner: "x" });
    for (let i = 0; i < 3; i++)
      await t.call("POST", "/v1/evaluations", { body: { manifests, context: { i } } });
    const { sql } = await import("drizzle-orm");
    const rows = await t.database.db.execute(
      sql`select count(*)::int as n from inputs where text = ${manifests}`,
    );
    expect((rows as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(1);
  });

  it("rejects malformed manifests and requests with line and column", async () => {
    const yaml = await t.call("POST", "/v1/evaluations", {
      body: { manifests: "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n" },
    });
    expect(yaml.status).toBe(400);
    expect(yaml.body.errors[0]).toMatchObject({ line: expect.any(Number) });
    const both = await t.call("POST", "/v1/evaluations", { body: { manifests: "", resources: [] } });
    expect(both.status).toBe(400);
    const unknown = await t.call("POST", "/v1/evaluations", {
      body: { manifests: deploymentYaml("x"), surprise: 1 },
    });
    expect(unknown.status).toBe(400);
    const json = await t.call("POST", "/v1/evaluations", { raw: '{"manifests": "a",\n "dryRun": tru}' });
    expect(json.status).toBe(400);
    expect(json.body.errors[0]).toMatchObject({ line: 2, column: 15 });
    expect(JSON.stringify(json.body)).not.toMatch(/at .*\.ts:\d+|stack|select |insert /i);
    expect((await t.call("GET", "/v1/evaluations/ev_nope")).status).toBe(404);
  });
});
