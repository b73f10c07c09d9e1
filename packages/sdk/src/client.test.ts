// The SDK against the real service, started in-process over PGlite (one per file).
import { readFileSync } from "node:fs";
import { EvaluationReportSchema, NOTICE_KINDS, reportContradiction } from "@celgate/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture } from "../../../test/support/fixtures.js";
import { type CelgateClient, createClient, paginate } from "./client.js";
import { ApiError, DeployBlockedError, isSelectionError, NetworkError, SelectionError } from "./errors.js";
import { verifyReceipt } from "./receipts/verify.js";
import { startTestService, type TestService } from "./testing/service.js";
import type { FetchLike } from "./transport.js";

const TRIVY_WEB = fixture("image-scans", "trivy-web.json");
const DIGEST = `sha256:${"a1".repeat(32)}`;

const deployment = (
  name: string,
  o: { owner?: string; replicas?: number; image?: string } = {},
) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: shop
${o.owner ? `  labels:\n    owner: ${o.owner}\n` : ""}spec:
  replicas: ${o.replicas ?? 2}
  template:
    spec:
      containers:
        - name: app
          image: ${o.image ?? "registry.example/shop/web:1.0"}
`;

const policyYaml = (
  name: string,
  expression = "object.spec.?replicas.orValue(1) <= 10",
) => `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: ${name}
  labels:
    practice: testing
spec:
  severity: low
  action: deny
  match:
    kinds: [Deployment]
  validations:
    - expression: "${expression}"
      message: too many replicas
`;

let service: TestService;
let admin: CelgateClient;
const tokens: Record<"author" | "evaluator" | "viewer", string> = { author: "", evaluator: "", viewer: "" };
const as = (token: string, extra: Partial<Parameters<typeof createClient>[0]> = {}) =>
  createClient({ baseUrl: service.baseUrl, token, retryBaseMs: 20, ...extra });

/** Expects `promise` to reject with an ApiError of that status and problem type. */
async function expectProblem(promise: Promise<unknown>, status: number, type: string): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(ApiError.is(error), `expected an ApiError, got ${String(error)}`).toBe(true);
  const e = error as ApiError;
  expect(e.status).toBe(status);
  expect(e.problem.status).toBe(status);
  expect(e.problem.type).toBe(`https://celgate.dev/problems/${type}`);
  expect(e.type).toBe(type);
  expect(e.requestId).toMatch(/\S/);
  expect(e.problem.title).toMatch(/\S/);
  return e;
}

beforeAll(async () => {
  service = await startTestService({ bodyLimit: "64kib" });
  admin = as(service.adminToken);
  for (const role of ["author", "evaluator", "viewer"] as const)
    tokens[role] = (await admin.tokens.create({ name: `sdk ${role}`, role })).token;
});

afterAll(async () => {
  await service?.close();
});

describe("system", () => {
  it("answers health and readiness without a token", async () => {
    const anonymous = createClient({ baseUrl: service.baseUrl });
    expect(await anonymous.health()).toEqual({ status: "ok" });
    expect(await anonymous.ready()).toMatchObject({
      status: "ready",
      checks: { database: true, policies: true },
      policies: 2,
    });
  });
});

describe("whoami and role", () => {
  it("names each token, its role and what it may do, and refuses an unknown token", async () => {
    expect(await admin.whoami()).toEqual({
      id: expect.any(String),
      name: expect.any(String),
      role: "admin",
      actions: ["read", "evaluate", "validate", "author", "admin"],
    });
    expect(await as(tokens.viewer).whoami()).toEqual({
      id: expect.stringMatching(/^tok_/),
      name: "sdk viewer",
      role: "viewer",
      actions: ["read"],
    });
    expect(await as(tokens.author).whoami()).toMatchObject({ actions: ["read", "validate", "author"] });
    expect(await admin.role()).toBe("admin");
    for (const role of ["author", "evaluator", "viewer"] as const)
      expect(await as(tokens[role]).role()).toBe(role);
    await expectProblem(as("cg_not-a-token-at-all-000000").role(), 401, "unauthorized");
    await expectProblem(as("cg_not-a-token-at-all-000000").whoami(), 401, "unauthorized");
  });
});

describe("images.list", () => {
  it("lists pushed facts in brief, and the stale ones", async () => {
    const digest = `sha256:${"c3".repeat(32)}`;
    const old = new Date(Date.now() - 10 * 86_400_000).toISOString();
    await as(tokens.evaluator).images.push({
      ref: `registry.example/sdk/list@${digest}`,
      digest,
      scan: { scanner: "trivy", scannedAt: old, vulnerabilities: [{ id: "CVE-1", severity: "high" }] },
    });
    const all = await as(tokens.viewer).images.list({ repository: "registry.example/sdk/list" });
    expect(all.items).toEqual([
      expect.objectContaining({ key: digest, scannedAt: old, summary: expect.objectContaining({ high: 1 }) }),
    ]);
    const stale = await admin.images.list({ stale: "7d", limit: 500 });
    expect(stale.items.map((i) => i.key)).toContain(digest);
    const fresh = await admin.images.list({ stale: "30d", limit: 500 });
    expect(fresh.items.map((i) => i.key)).not.toContain(digest);
  });
});

describe("policies", () => {
  it("lists the repository's policies, with a selector and page by page", async () => {
    const all = await admin.policies.list();
    expect(all.items.map((p) => [p.name, p.source])).toEqual([
      ["min-replicas", "repository"],
      ["owner-label", "repository"],
    ]);
    const selected = await admin.policies.list({ select: "practice=ownership" });
    expect(selected.items.map((p) => p.name)).toEqual(["owner-label"]);
    const names: string[] = [];
    for await (const p of paginate((cursor) =>
      admin.policies.list({ limit: 1, ...(cursor ? { cursor } : {}) }),
    ))
      names.push(p.name);
    expect(names).toEqual(["min-replicas", "owner-label"]);
  });

  it("creates, reads, replaces with If-Match, versions, validates and removes", async () => {
    const author = as(tokens.author);
    const created = await author.policies.create(policyYaml("max-replicas"));
    expect(created).toMatchObject({
      name: "max-replicas",
      source: "api",
      version: 1,
      updatedBy: "sdk author",
    });
    const read = await author.policies.get("max-replicas");
    expect(read.etag).toBe(created.etag);
    const doc = { ...read.document, spec: { ...read.document.spec, severity: "high" } };
    const updated = await author.policies.update("max-replicas", doc, { ifMatch: read.etag });
    expect(updated.version).toBe(2);
    const versions = await author.policies.versions("max-replicas");
    expect(versions.items.map((v) => [v.version, v.change])).toEqual([
      [2, "update"],
      [1, "create"],
    ]);
    expect((await author.policies.version("max-replicas", 1)).document?.spec.severity).toBe("low");
    const valid = await author.policies.validate([doc]);
    expect(valid).toMatchObject({ valid: true, policies: [{ name: "max-replicas", valid: true }] });
    const invalid = await author.policies.validate(policyYaml("broken", "object.spec +"));
    expect(invalid.valid).toBe(false);
    expect(invalid.diagnostics[0]).toMatchObject({ path: "spec.validations[0].expression" });
    await author.policies.remove("max-replicas", { ifMatch: updated.etag });
    await expectProblem(author.policies.get("max-replicas"), 404, "not-found");
  });
});

describe("evaluations", () => {
  it("evaluates manifests, records them with their context, reads them back and filters history", async () => {
    const client = as(tokens.evaluator);
    const report = await client.evaluate({
      manifests: `${deployment("web")}---\n${deployment("api", { owner: "team-a" })}`,
      context: { environment: "prod", commit: "c0ffee" },
    });
    expect(report).toMatchObject({
      apiVersion: "celgate.dev/v1",
      kind: "EvaluationReport",
      decision: "deny",
    });
    expect(report.id).toMatch(/^ev_/);
    expect(report.summary).toMatchObject({ resources: 2, fail: 1, pass: 3 });
    expect(report.results.find((r) => r.outcome === "fail")).toMatchObject({
      policy: "owner-label",
      resource: { kind: "Deployment", name: "web", source: { line: 1, document: 0 } },
      policyVersion: 1,
    });
    expect(await client.evaluations.get(report.id!)).toEqual(report);
    const history = await client.evaluations.list({ context: { commit: "c0ffee" } });
    expect(history.items).toHaveLength(1);
    expect(history.items[0]).toMatchObject({
      id: report.id,
      decision: "deny",
      source: "api",
      actor: "sdk evaluator",
    });
    expect(
      (await client.evaluations.list({ decision: "deny", name: "web", kind: "Deployment" })).items.map(
        (i) => i.id,
      ),
    ).toContain(report.id);
  });

  it("the service emits only the notice kinds it declares: its answer passes the strict EvaluationReportSchema", async () => {
    // clients read notices of any kind (EvaluationReportReadSchema); the service must still
    // write only NOTICE_KINDS, which its OpenAPI document lists. Asked raw, past the SDK's reading.
    const response = await fetch(`${service.baseUrl}/v1/evaluations`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.evaluator}`, "content-type": "application/json" },
      body: JSON.stringify({
        manifests: `just: a note\n---\n${deployment("web", { owner: "team-a" })}`,
        images: [
          {
            ref: `registry.example/unused@${DIGEST}`,
            scan: { scanner: "trivy", scannedAt: "2026-11-20T10:00:00Z", vulnerabilities: [] },
          },
        ],
        dryRun: true,
      }),
    });
    const body = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(200);
    const kinds = EvaluationReportSchema.parse(body).notices?.map((n) => n.kind);
    expect(kinds).toEqual(expect.arrayContaining(["skipped-document", "unused-image-facts"]));
    for (const kind of kinds ?? []) expect(NOTICE_KINDS).toContain(kind);
  });

  it("the service's reports hold to the contract a client checks them by (reportContradiction)", async () => {
    // a passing, a failing (deny and warn) and a skipped pair, with skips listed and not, recorded
    // and read back: what the SDK refuses from a hostile service, the real one never answers
    const c = as(tokens.evaluator);
    const manifests = [
      deployment("good", { owner: "team-a" }),
      deployment("bad", { replicas: 1 }),
      "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: shop }\n",
    ].join("---\n");
    for (const includeSkipped of [true, false]) {
      const raw = await fetch(`${service.baseUrl}/v1/evaluations`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.evaluator}`, "content-type": "application/json" },
        body: JSON.stringify({ manifests, includeSkipped }),
      });
      const body = EvaluationReportSchema.parse(await raw.json());
      expect(reportContradiction(body)).toBeUndefined();
      expect(body).toMatchObject({ decision: "deny", summary: { resources: 3, pass: 2, fail: 2, skip: 2 } });
      expect(body.results.filter((r) => r.outcome === "skip")).toHaveLength(includeSkipped ? 2 : 0);
      const read = await c.evaluations.get(body.id!);
      expect(read.results).toEqual(body.results);
      await expect(c.evaluate({ manifests, includeSkipped, dryRun: true })).resolves.toMatchObject({
        decision: "deny",
      });
    }
  });

  it("reads a recorded evaluation's receipt and the keys it verifies with (both checked shapes)", async () => {
    const client = as(tokens.evaluator);
    const manifests = deployment("receipted", { owner: "a" });
    const report = await client.evaluate({ manifests });
    const id = report.id ?? "";
    expect(id).toMatch(/\S/);
    const receipt = await client.evaluations.receipt(id);
    expect(receipt).toEqual(report.receipt);
    // the keys need no token
    const keys = await createClient({ baseUrl: service.baseUrl }).keys.list();
    expect(keys.keys.length).toBeGreaterThan(0);
    const verified = await verifyReceipt(receipt, { keys, evaluationId: id });
    expect(verified).toMatchObject({ valid: true, ok: true });
  });

  it("does not record a dry run, and records the source it is given", async () => {
    const client = as(tokens.evaluator);
    const dry = await client.evaluate({
      manifests: deployment("dry", { owner: "x" }),
      dryRun: true,
      context: { run: "dry" },
    });
    expect(dry.id).toBeUndefined();
    expect((await client.evaluations.list({ context: { run: "dry" } })).items).toHaveLength(0);
    await client.evaluate(
      { manifests: deployment("cli", { owner: "x" }), context: { run: "cli" } },
      { source: "cli" },
    );
    expect((await client.evaluations.list({ context: { run: "cli" } })).items.map((i) => i.source)).toEqual([
      "cli",
    ]);
  });

  it("counts history per period, source and decision, as the history list has it", async () => {
    const viewer = as(tokens.viewer);
    await as(tokens.evaluator).evaluate(
      { manifests: deployment("counted", { owner: "x" }) },
      { source: "cli" },
    );
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const until = new Date(Date.now() + 60_000).toISOString();
    const stats = await viewer.evaluations.stats({ since, until, bucket: "hour" });
    expect(stats).toMatchObject({ bucket: "hour", since, until });
    const listed = await viewer.evaluations.list({ since, until, limit: 500 });
    expect(listed.nextCursor).toBeNull();
    expect(stats.total).toBe(listed.items.length);
    const cli = await viewer.evaluations.stats({ since, until, source: "cli" });
    expect(cli.bucket).toBe("day");
    expect(cli.rows.every((r) => r.source === "cli")).toBe(true);
    expect(cli.total).toBe(listed.items.filter((e) => e.source === "cli").length);
    expect(cli.total).toBeGreaterThanOrEqual(1);
    await expectProblem(
      viewer.evaluations.stats({ since: "2000-01-01T00:00:00Z", bucket: "hour" }),
      400,
      "bad-request",
    );
  });

  it("preflight returns an allowed report and throws DeployBlockedError on deny", async () => {
    const client = as(tokens.evaluator);
    const ok = await client.preflight({ manifests: deployment("good", { owner: "team-a" }) });
    expect(ok.decision).toBe("allow");
    const error = await client.preflight({ manifests: deployment("bad") }).catch((e: unknown) => e);
    expect(DeployBlockedError.is(error)).toBe(true);
    const blocked = error as DeployBlockedError;
    expect(blocked.report.decision).toBe("deny");
    expect(blocked.summary).toContain("Deployment shop/bad (manifests:1)");
    expect(blocked.summary).toContain(
      "owner-label [medium, deny]: the owner label is missing (metadata.labels)",
    );
    // warn-level findings block only when asked
    await expect(
      client.preflight({ manifests: deployment("one", { owner: "a", replicas: 1 }) }),
    ).resolves.toMatchObject({
      decision: "warn",
    });
    await expect(
      client.preflight({ manifests: deployment("one", { owner: "a", replicas: 1 }) }, { failOn: "warn" }),
    ).rejects.toSatisfy(
      (e: unknown) => DeployBlockedError.is(e) && e.summary.includes("replicas must be at least 2"),
    );
  });

  it("preflight throws SelectionError (never allows) when select or policies match no policy", async () => {
    const client = as(tokens.evaluator);
    const manifests = deployment("good", { owner: "team-a" });
    for (const input of [
      { manifests, select: "practice=nothing" },
      { manifests, policies: ["no-such-policy"] },
    ]) {
      const error = await client.preflight(input).catch((e: unknown) => e);
      expect(isSelectionError(error), String(error)).toBe(true);
      expect(error instanceof SelectionError && error instanceof ApiError).toBe(true);
      const e = error as SelectionError;
      expect(e.status).toBe(400);
      expect(e.type).toBe("selection-matches-nothing");
      expect(e.problem.errors?.[0]?.code).toMatch(/^(selector-matches-nothing|unknown-policy)$/);
      await expect(client.evaluate(input)).rejects.toSatisfy(isSelectionError);
    }
  });

  it("records a retried evaluation once when the first answer was lost on the way back", async () => {
    let lost = 0;
    // The request reaches the service and is recorded; the answer never arrives.
    const losing: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      if (init.method === "POST" && lost === 0) {
        lost++;
        await response.arrayBuffer();
        throw Object.assign(new TypeError("fetch failed"), {
          cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
        });
      }
      return response;
    };
    const client = as(tokens.evaluator, { fetch: losing });
    const report = await client.evaluate({
      manifests: deployment("once", { owner: "a" }),
      context: { run: "lost-answer" },
    });
    expect(lost).toBe(1);
    const history = await client.evaluations.list({ context: { run: "lost-answer" } });
    expect(history.items.map((i) => i.id)).toEqual([report.id]);
  });

  it("retries across a restart of the service and records the evaluation once", async () => {
    const client = as(tokens.evaluator, { retries: 8, retryBaseMs: 100, retryMaxMs: 400, timeoutMs: 5000 });
    await service.stop();
    await expect(createClient({ baseUrl: service.baseUrl, retries: 0 }).health()).rejects.toBeInstanceOf(
      NetworkError,
    );
    const pending = client.evaluate({
      manifests: deployment("restart", { owner: "a" }),
      context: { run: "restart" },
    });
    await new Promise((r) => setTimeout(r, 300));
    await service.restart();
    const report = await pending;
    expect(report.decision).toBe("allow");
    const history = await client.evaluations.list({ context: { run: "restart" } });
    expect(history.items.map((i) => i.id)).toEqual([report.id]);
    expect(await client.evaluations.get(report.id!)).toEqual(report);
  });

  it("gives up with a NetworkError naming the URL when the service stays down", async () => {
    const client = createClient({ baseUrl: "http://127.0.0.1:9", token: "x", retries: 1, retryBaseMs: 10 });
    const error = await client.evaluate({ manifests: deployment("x") }).catch((e: unknown) => e);
    expect(NetworkError.is(error)).toBe(true);
    expect((error as NetworkError).message).toContain("POST http://127.0.0.1:9/v1/evaluations");
    expect((error as NetworkError).attempts).toBe(2);
  });
});

describe("images, exceptions, replays, tokens, audit", () => {
  it("stores a Trivy report under a digest and reads it back normalised", async () => {
    const client = as(tokens.evaluator);
    const trivy = JSON.parse(readFileSync(TRIVY_WEB, "utf8"));
    const stored = await client.images.put(DIGEST, trivy);
    expect(stored).toMatchObject({ digest: DIGEST, updatedBy: "sdk evaluator" });
    expect(stored.facts).toMatchObject({
      repository: "example/shop-web",
      tag: "1.4.2",
      digest: DIGEST,
    });
    expect(stored.facts.scan?.summary.medium).toBe(4);
    expect(await as(tokens.viewer).images.get(DIGEST)).toEqual(stored);
    await expectProblem(client.images.get(`sha256:${"b2".repeat(32)}`), 404, "not-found");
  });

  it("pushes facts that name no digest; the service keys them by name and tag", async () => {
    const client = as(tokens.evaluator);
    const trivy = JSON.parse(readFileSync(TRIVY_WEB, "utf8"));
    const pushed = await client.images.push(trivy);
    expect(pushed.images).toHaveLength(1);
    expect(pushed.images[0]).toMatchObject({ key: "ghcr.io/example/shop-web:1.4.2" });
    await expectProblem(as(tokens.viewer).images.push(trivy), 403, "forbidden");
  });

  it("manages exceptions: create, list expiring, replace with If-Match, remove", async () => {
    const author = as(tokens.author);
    const expires = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const doc = {
      apiVersion: "celgate.dev/v1" as const,
      kind: "PolicyException" as const,
      metadata: { name: "legacy-web" },
      spec: {
        policies: ["owner-label"],
        match: { names: ["legacy-*"] },
        reason: "migrating",
        owner: "ops@example.com",
        expires,
      },
    };
    const created = await author.exceptions.create(doc);
    expect(created).toMatchObject({ name: "legacy-web", version: 1, expired: false });
    expect((await author.exceptions.list({ expiring: "7d" })).items.map((e) => e.name)).toEqual([
      "legacy-web",
    ]);
    expect((await author.exceptions.list({ expiring: "1d" })).items).toEqual([]);
    const waived = await as(tokens.evaluator).evaluate({ manifests: deployment("legacy-app") });
    expect(waived.results.find((r) => r.policy === "owner-label")).toMatchObject({
      outcome: "waived",
      exception: "legacy-web",
    });
    const got = await author.exceptions.get("legacy-web");
    const replaced = await author.exceptions.update(
      "legacy-web",
      { ...doc, spec: { ...doc.spec, reason: "still migrating" } },
      { ifMatch: got.etag },
    );
    expect(replaced.version).toBe(2);
    await author.exceptions.remove("legacy-web");
    await expectProblem(author.exceptions.get("legacy-web"), 404, "not-found");
  });

  it("replays recorded inputs against a candidate policy", async () => {
    const result = await as(tokens.author).replays.run({
      policies: [
        {
          apiVersion: "celgate.dev/v1",
          kind: "Policy",
          metadata: { name: "owner-label" },
          spec: {
            severity: "medium",
            action: "deny",
            match: { kinds: ["Deployment"] },
            validations: [{ expression: "true" }],
          },
        },
      ],
      limit: 50,
    });
    expect(result.evaluations).toBeGreaterThan(0);
    expect(
      result.changes.some((c) => c.policy === "owner-label" && c.before === "fail" && c.after === "pass"),
    ).toBe(true);
  });

  it("lists, creates and revokes tokens; a revoked token gets 401", async () => {
    const created = await admin.tokens.create({ name: "short-lived", role: "viewer" });
    expect(created.token).toMatch(/\S{16,}/);
    const listed = await admin.tokens.list({ limit: 500 });
    expect(listed.items.map((t) => t.name)).toContain("short-lived");
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect((await as(created.token).policies.list()).items.length).toBe(2);
    const revoked = await admin.tokens.revoke(created.id);
    expect(revoked.revokedAt).not.toBeNull();
    await expectProblem(as(created.token).policies.list(), 401, "unauthorized");
  });

  it("reads the audit log of changes", async () => {
    const audit = await as(tokens.viewer).audit.list({ targetKind: "policy", targetName: "max-replicas" });
    expect(audit.items.map((a) => [a.action, a.actor])).toEqual([
      ["policy.delete", "sdk author"],
      ["policy.update", "sdk author"],
      ["policy.create", "sdk author"],
    ]);
  });
});

describe("every problem the service answers with is a typed ApiError", () => {
  it("401 without a valid token", async () => {
    await expectProblem(createClient({ baseUrl: service.baseUrl }).policies.list(), 401, "unauthorized");
    await expectProblem(as("not-a-token").evaluations.list(), 401, "unauthorized");
  });

  it("403 for a role that may not", async () => {
    const e = await expectProblem(
      as(tokens.viewer).evaluate({ manifests: deployment("x") }),
      403,
      "forbidden",
    );
    expect(e.problem.detail).toContain("viewer");
    await expectProblem(as(tokens.evaluator).tokens.list(), 403, "forbidden");
  });

  it("404 for what does not exist", async () => {
    await expectProblem(admin.policies.get("nope"), 404, "not-found");
    await expectProblem(admin.evaluations.get("ev_nope"), 404, "not-found");
  });

  it("409 for a duplicate name and for a write to a repository policy", async () => {
    await admin.policies.create(policyYaml("dup"));
    await expectProblem(admin.policies.create(policyYaml("dup")), 409, "conflict");
    const e = await expectProblem(admin.policies.remove("owner-label"), 409, "conflict");
    expect(e.problem.detail).toContain("repository");
  });

  it("412 for a stale If-Match, 428 without one", async () => {
    const p = await admin.policies.create(policyYaml("etag-test"));
    await admin.policies.update("etag-test", policyYaml("etag-test", "true"), { ifMatch: p.etag });
    await expectProblem(
      admin.policies.update("etag-test", policyYaml("etag-test"), { ifMatch: p.etag }),
      412,
      "precondition-failed",
    );
    await expectProblem(
      admin.policies.update("etag-test", policyYaml("etag-test")),
      428,
      "precondition-required",
    );
  });

  it("413 for a body over the limit", async () => {
    const big = `# ${"x".repeat(70 * 1024)}\n${deployment("big")}`;
    await expectProblem(as(tokens.evaluator).evaluate({ manifests: big }), 413, "payload-too-large");
  });

  it("400 with the offending paths for an invalid body or query", async () => {
    const client = as(tokens.evaluator);
    const e = await expectProblem(
      client.evaluate({ manifests: deployment("x"), resources: [] }),
      400,
      "invalid-body",
    );
    expect(e.problem.errors?.[0]?.path).toBe("manifests");
    const yaml = await expectProblem(
      client.evaluate({ manifests: "kind: [unclosed\n" }),
      400,
      "invalid-body",
    );
    expect(yaml.problem.errors?.[0]).toMatchObject({ line: expect.any(Number) });
    await expectProblem(
      client.evaluate({ manifests: deployment("x"), select: "pss in (" }),
      400,
      "bad-request",
    );
    await expectProblem(client.policies.list({ limit: 501 }), 400, "bad-request");
  });

  it("422 for a policy that does not compile and for a reused Idempotency-Key", async () => {
    const e = await expectProblem(
      admin.policies.create(policyYaml("broken", "object.spec +")),
      422,
      "unprocessable",
    );
    expect(e.problem.errors?.[0]).toMatchObject({
      path: "spec.validations[0].expression",
      line: expect.any(Number),
    });
    const client = as(tokens.evaluator);
    await client.evaluate({ manifests: deployment("k1", { owner: "a" }) }, { idempotencyKey: "key-422" });
    await expectProblem(
      client.evaluate({ manifests: deployment("k2", { owner: "a" }) }, { idempotencyKey: "key-422" }),
      422,
      "unprocessable",
    );
  });
});

describe("inventory, findings, webhooks", () => {
  it("keeps evaluations that state context.cluster and deployed, lists findings, manages webhooks", async () => {
    const client = as(tokens.evaluator);
    await client.evaluate({
      manifests: deployment("inv-web", { owner: "a" }),
      context: { cluster: "sdk-cluster", deployed: true },
    });
    // without deployed: true it is history only, not inventory
    await client.evaluate({
      manifests: deployment("inv-ci", { owner: "a" }),
      context: { cluster: "sdk-cluster" },
    });
    const viewer = as(tokens.viewer);
    const inv = await viewer.inventory.list({ cluster: "sdk-cluster", object: true });
    expect(inv.items.map((e) => e.name)).toEqual(["inv-web"]);
    expect(inv.items[0]).toMatchObject({
      kind: "Deployment",
      namespace: "shop",
      source: "evaluation",
      failing: [],
    });
    expect(inv.items[0]?.object).toMatchObject({ metadata: { name: "inv-web" } });
    expect((await viewer.inventory.list({ cluster: "sdk-cluster", failing: true })).items).toEqual([]);
    expect(await viewer.findings.list({ cluster: "sdk-cluster", status: "all" })).toEqual({
      items: [],
      nextCursor: null,
    });
    await expectProblem(viewer.findings.list({ severity: "urgent" as never }), 400, "bad-request");

    const hook = await admin.webhooks.create({
      url: "https://hooks.example/celgate",
      events: ["finding.opened"],
    });
    expect(hook.secret.length).toBeGreaterThanOrEqual(32);
    const listed = await admin.webhooks.list();
    expect(listed.items.map((w) => w.id)).toContain(hook.id);
    expect(JSON.stringify(listed)).not.toContain(hook.secret);
    await expectProblem(viewer.webhooks.list(), 403, "forbidden");
    await admin.webhooks.remove(hook.id);
    await expectProblem(admin.webhooks.remove(hook.id), 404, "not-found");
  });
});
