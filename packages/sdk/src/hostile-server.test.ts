// The client against real HTTP servers on 127.0.0.1 that misbehave: whatever they do, a deploy
// tool asking "may I deploy this?" gets a report it can trust or an error, never an allow by
// default. Each server answers every request with the handler the test gives it.

import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { createClient } from "./client.js";
import { ApiError, NetworkError, UnexpectedResponseError } from "./errors.js";
import { findingAnswer } from "./testing/findings.js";
import { closeServers, type Handler, serve } from "./testing/http-server.js";
import type { Finding, Page, PolicyResource, Readiness, Token } from "./types.js";

afterEach(async () => {
  await closeServers();
});

const answer =
  (status: number, body: string, type = "application/json"): Handler =>
  (_req, res) => {
    res.writeHead(status, { "content-type": type });
    res.end(body);
  };

const failing = (action: "deny" | "warn" | "audit", outcome = "fail") => ({
  resource: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
  policy: `p-${action}`,
  severity: "high",
  action,
  outcome,
  violations: outcome === "fail" ? [{ message: "bad" }] : [],
  error: outcome === "error" ? "boom" : null,
  exception: null,
});

function report(decision: unknown, results: ReturnType<typeof failing>[] = []) {
  const count = (o: string) => results.filter((r) => r.outcome === o).length;
  return {
    apiVersion: "celgate.dev/v1",
    kind: "EvaluationReport",
    id: "ev_1",
    decision,
    evaluatedAt: "2026-01-01T00:00:00Z",
    policySet: { digest: "sha256:00", policies: 3 },
    summary: { resources: 1, pass: 0, fail: count("fail"), error: count("error"), skip: 0, waived: 0 },
    results,
  };
}

/** A summary of one resource with these counts, every other count 0. */
const counted = (counts: Partial<Record<"pass" | "fail" | "error" | "skip" | "waived", number>>) => ({
  resources: 1,
  pass: 0,
  fail: 0,
  error: 0,
  skip: 0,
  waived: 0,
  ...counts,
});

const client = (url: string, extra: Record<string, unknown> = {}) =>
  createClient({ baseUrl: url, token: "t", timeoutMs: 300, retries: 1, retryBaseMs: 1, ...extra });

/** What a call threw; fails the test if it resolved (a resolved preflight is an allow). */
async function refusal(call: Promise<unknown>): Promise<Error> {
  const outcome = await call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if ("value" in outcome) throw new Error(`resolved (taken as allowed): ${JSON.stringify(outcome.value)}`);
  return outcome.error as Error;
}

describe("the connection misbehaves", () => {
  it("a reset in the middle of the body is a NetworkError", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "5000" });
      res.write('{"apiVersion":"celgate.dev/v1","decision":"allow"');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    const error = await refusal(client(s.url).preflight({ manifests: "a: 1" }));
    expect(NetworkError.is(error)).toBe(true);
    expect((error as NetworkError).timedOut).toBe(false);
  });

  it("headers and then no body end in a timeout within the deadline", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("{");
    });
    const started = Date.now();
    const error = await refusal(client(s.url, { deadlineMs: 400 }).preflight({ manifests: "a: 1" }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toMatchObject({ name: "NetworkError", timedOut: true });
    expect(error.message).toContain("timed out");
  });

  it("a redirect is not followed (to another host or anywhere): NetworkError, the target never asked", async () => {
    const other = await serve(answer(201, JSON.stringify(report("allow"))));
    const s = await serve((_req, res) => {
      res.writeHead(307, { location: `${other.url}/v1/evaluations` });
      res.end();
    });
    const error = await refusal(client(s.url).preflight({ manifests: "a: 1" }));
    expect(NetworkError.is(error)).toBe(true);
    expect(error.message).toContain("redirect");
    expect(other.seen).toEqual([]);
  });

  it("5xx after every retry and 4xx are ApiErrors with their status", async () => {
    const down = await serve(answer(503, "busy", "text/plain"));
    expect(await refusal(client(down.url).preflight({ manifests: "a: 1" }))).toMatchObject({
      name: "ApiError",
      status: 503,
    });
    expect(down.seen).toHaveLength(2);
    const gone = await serve(answer(404, "<html>no</html>", "text/html"));
    expect(await refusal(client(gone.url).preflight({ manifests: "a: 1" }))).toMatchObject({ status: 404 });
  });
});

describe("a success status with a body that is not a trustworthy report", () => {
  it.each([
    ["an HTML page", "<html><body>Welcome to nginx</body></html>", "text/html", "not-json"],
    ["JSON cut short", JSON.stringify(report("allow")).slice(0, 60), "application/json", "not-json"],
    ["an empty JSON object", "{}", "application/json", "not-a-report"],
  ])("%s: preflight and evaluations.get throw UnexpectedResponseError", async (_name, body, type, reason) => {
    const s = await serve(answer(200, body, type));
    const c = client(s.url);
    for (const call of [() => c.preflight({ manifests: "a: 1" }), () => c.evaluations.get("ev_1")]) {
      const error = await refusal(call());
      expect(UnexpectedResponseError.is(error)).toBe(true);
      // still an ApiError, so a caller's existing ApiError branch refuses on it
      expect(ApiError.is(error)).toBe(true);
      expect(error).toMatchObject({ reason, status: 200, type: "unexpected-response" });
    }
  });

  it("refuses any other call's answer that is not JSON rather than hand back its text", async () => {
    const s = await serve(answer(200, "<html>login</html>", "text/html"));
    const error = await refusal(client(s.url).policies.get("run-as-non-root"));
    expect(error).toMatchObject({ name: "UnexpectedResponseError", reason: "not-json" });
    expect(error.message).toContain("not JSON (content type text/html");
  });

  it.each([
    ["missing", undefined],
    ["Allow", "Allow"],
    ["empty", ""],
    ["null", null],
    ["with a trailing space", "allow "],
    ["a number", 1],
  ])("a decision %s is not a report", async (_name, decision) => {
    const body = report(decision) as Record<string, unknown>;
    if (decision === undefined) delete body.decision;
    const s = await serve(answer(201, JSON.stringify(body)));
    const error = await refusal(client(s.url).preflight({ manifests: "a: 1" }));
    expect(error).toMatchObject({ name: "UnexpectedResponseError", reason: "not-a-report" });
    expect((error as ApiError).problem.detail).toContain("decision");
  });

  it.each([
    ["allow with a failing deny-action result", report("allow", [failing("deny")]), "which makes it deny"],
    ["warn with a failing deny-action result", report("warn", [failing("deny")]), "which makes it deny"],
    ["allow with a failing warn-action result", report("allow", [failing("warn")]), "which makes it warn"],
    [
      "allow whose summary counts failures it does not list",
      { ...report("allow"), summary: { resources: 1, pass: 0, fail: 3, error: 0, skip: 0, waived: 0 } },
      "summary counts 3 fail results but it lists 0",
    ],
    [
      "allow whose summary counts errors it does not list",
      { ...report("allow"), summary: { resources: 1, pass: 0, fail: 0, error: 1, skip: 0, waived: 0 } },
      "summary counts 1 error results",
    ],
    [
      "allow listing a failure its summary does not count",
      {
        ...report("allow", [failing("audit")]),
        summary: { resources: 1, pass: 0, fail: 0, error: 0, skip: 0, waived: 0 },
      },
      "summary counts 0 fail results but it lists 1",
    ],
    [
      "allow with a deny-action failure relabelled waived, naming no exception",
      {
        ...report("allow"),
        results: [{ ...failing("deny"), outcome: "waived" }],
        summary: counted({ waived: 1 }),
      },
      "results[0] (p-deny on Deployment shop/web) is waived but names no exception",
    ],
    [
      "allow whose summary counts passes it does not list (a service lists every pass)",
      { ...report("allow"), summary: counted({ pass: 5 }) },
      "its summary counts 5 pass results but it lists 0",
    ],
    [
      "allow whose summary counts waived results it does not list",
      { ...report("allow"), summary: counted({ waived: 2 }) },
      "its summary counts 2 waived results but it lists 0",
    ],
    [
      "allow listing some of its skips (skips are listed all or none)",
      { ...report("allow"), results: [failing("deny", "skip")], summary: counted({ skip: 3 }) },
      "it lists 1 skip results but its summary counts 3",
    ],
    [
      "allow with a negative count",
      { ...report("allow"), summary: counted({ error: -1 }) },
      "its summary.error is -1, below 0",
    ],
    [
      "allow whose results name more resources than its summary counts",
      {
        ...report("allow", [
          failing("audit"),
          { ...failing("audit"), resource: { ...failing("audit").resource, name: "db" } },
        ]),
        summary: counted({ fail: 2 }),
      },
      "its results name 2 resources but its summary.resources is 1",
    ],
  ])(
    "a report whose decision is %s is refused, by preflight and evaluations.get",
    async (_name, body, why) => {
      const s = await serve(answer(201, JSON.stringify(body)));
      const c = client(s.url);
      for (const call of [
        () => c.preflight({ manifests: "a: 1" }),
        () => c.evaluate({ manifests: "a: 1" }),
        () => c.evaluations.get("ev_1"),
      ]) {
        const error = await refusal(call());
        expect(error).toMatchObject({ name: "UnexpectedResponseError", reason: "inconsistent-report" });
        expect((error as ApiError).problem.detail).toContain(why);
      }
    },
  );

  it("keeps reports whose decision is as strict as their results, or stricter", async () => {
    const bodies = [
      report("allow", [failing("audit")]),
      // an erroring policy under failurePolicy Ignore does not count; the wire report cannot tell
      report("allow", [failing("deny", "error")]),
      report("warn", [failing("warn"), failing("audit")]),
      // stricter than the results: the safe direction
      report("deny", [failing("warn")]),
    ];
    const s = await serve((_req, res) => answer(201, JSON.stringify(bodies.shift()))(_req, res));
    const c = client(s.url);
    await expect(c.evaluate({ manifests: "a: 1" })).resolves.toMatchObject({ decision: "allow" });
    await expect(c.preflight({ manifests: "a: 1" })).resolves.toMatchObject({ decision: "allow" });
    await expect(c.preflight({ manifests: "a: 1" })).resolves.toMatchObject({ decision: "warn" });
    await expect(c.evaluate({ manifests: "a: 1" })).resolves.toMatchObject({ decision: "deny" });
  });

  it("keeps an allow whose deny-action failure is waived by a named exception, its skips all listed", async () => {
    const body = {
      ...report("allow"),
      results: [{ ...failing("deny"), outcome: "waived", exception: "legacy" }, failing("warn", "skip")],
      summary: counted({ waived: 1, skip: 1 }),
    };
    const s = await serve(answer(201, JSON.stringify(body)));
    await expect(client(s.url).preflight({ manifests: "a: 1" })).resolves.toMatchObject({
      decision: "allow",
    });
  });

  it("deeply nested JSON is refused as not a report, without exhausting the stack", async () => {
    const depth = 200_000;
    const body = `{"apiVersion":"celgate.dev/v1","kind":"EvaluationReport","decision":"allow","results":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    const s = await serve(answer(201, body));
    const error = await refusal(client(s.url).preflight({ manifests: "a: 1" }));
    expect(error).toMatchObject({ name: "UnexpectedResponseError", reason: "not-a-report" });
  });
});

describe("a newer service's informational values are kept; what a decision rests on is not loosened", () => {
  // a notice kind this SDK does not know (a service of a later version added it): informational
  const newNotice = { kind: "policy-deprecated", message: "p-deny is deprecated; use p-deny-v2" };

  it("evaluate, preflight and evaluations.get return a report with a notice of an unknown kind, kept as sent", async () => {
    const body = { ...report("allow", [failing("audit")]), notices: [newNotice] };
    const s = await serve(answer(201, JSON.stringify(body)));
    const c = client(s.url);
    for (const call of [
      () => c.evaluate({ manifests: "a: 1" }),
      () => c.preflight({ manifests: "a: 1" }),
      () => c.evaluations.get("ev_1"),
    ])
      await expect(call()).resolves.toMatchObject({ decision: "allow", notices: [newNotice] });
  });

  it("preflight still decides by the decision: a deny with an unknown notice kind is blocked", async () => {
    const body = { ...report("deny", [failing("deny")]), notices: [newNotice] };
    const s = await serve(answer(201, JSON.stringify(body)));
    const error = await refusal(client(s.url).preflight({ manifests: "a: 1" }));
    expect(error.name).toBe("DeployBlockedError");
  });

  it.each([
    ["a notice with no kind", { notices: [{ message: "m" }] }, "notices[0].kind"],
    ["a notice kind that is not a string", { notices: [{ kind: 7, message: "m" }] }, "notices[0].kind"],
    ["a notice kind that is empty", { notices: [{ kind: "", message: "m" }] }, "notices[0].kind"],
    ["a notice of an unknown kind with no message", { notices: [{ kind: "new" }] }, "notices[0].message"],
    ["an unknown outcome", { results: [{ ...failing("deny"), outcome: "unknown" }] }, "results[0].outcome"],
    ["an unknown action", { results: [{ ...failing("deny"), action: "block" }] }, "results[0].action"],
    ["an unknown severity", { results: [{ ...failing("deny"), severity: "urgent" }] }, "results[0].severity"],
    ["an unknown decision", { decision: "quarantine" }, "decision"],
  ])("%s is still refused as not a report", async (_name, change, field) => {
    const body = { ...report("allow"), ...change };
    const s = await serve(answer(201, JSON.stringify(body)));
    const error = await refusal(client(s.url).preflight({ manifests: "a: 1" }));
    expect(error).toMatchObject({ name: "UnexpectedResponseError", reason: "not-a-report" });
    expect((error as ApiError).problem.detail).toContain(`(${field}: `);
  });

  it("findings.list keeps a finding of a cause or resolution it does not know; its severity stays checked", async () => {
    const newer = {
      ...findingAnswer("high"),
      cause: "image-deleted",
      status: "resolved",
      resolution: "moved",
    };
    const s = await serve(answer(200, JSON.stringify({ items: [newer], nextCursor: null })));
    await expect(client(s.url).findings.list({ status: "all" })).resolves.toEqual({
      items: [newer],
      nextCursor: null,
    });
    const t = await serve(
      answer(200, JSON.stringify({ items: [{ ...newer, severity: "urgent" }], nextCursor: null })),
    );
    const error = await refusal(client(t.url).findings.list());
    expect((error as ApiError).problem.detail).toContain("(items[0].severity: ");
  });

  it("whoami and role work against a service older than whoami's id; the role stays checked", async () => {
    const older = { name: "ci", role: "evaluator", actions: ["read", "evaluate"] };
    const s = await serve(answer(200, JSON.stringify(older)));
    await expect(client(s.url).whoami()).resolves.toEqual(older);
    await expect(client(s.url).role()).resolves.toBe("evaluator");
    const t = await serve(answer(200, JSON.stringify({ ...older, role: "root" })));
    expect(((await refusal(client(t.url).role())) as ApiError).problem.detail).toContain("(role: ");
  });
});

describe("every other call refuses an answer that is not the shape the contracts give it", () => {
  const token = {
    id: "tok_1",
    name: "ci",
    role: "evaluator",
    createdAt: "2026-01-01T00:00:00Z",
    createdBy: "admin",
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
  };
  const webhook = {
    id: "wh_1",
    url: "https://hooks.example/celgate",
    events: ["finding.opened"],
    description: null,
    createdAt: "2026-01-01T00:00:00Z",
    createdBy: "admin",
  };
  // a severity a `--fail-on high` would not count: taken as is, a critical finding passes by
  const finding = findingAnswer("CRITICAL");
  const page = (items: unknown) => ({ items, nextCursor: null });
  const doc = { apiVersion: "celgate.dev/v1", kind: "Policy", metadata: { name: "p" }, spec: {} } as const;
  const exception = { ...doc, kind: "PolicyException" } as const;

  // [call, what it is asked, the wrong answer, the field the refusal names]
  const cases: [string, (c: ReturnType<typeof client>) => Promise<unknown>, unknown, string][] = [
    ["policies.list", (c) => c.policies.list(), page([{}]), "items[0].name"],
    ["policies.get", (c) => c.policies.get("p"), { name: "p", source: "elsewhere" }, "source"],
    ["policies.create", (c) => c.policies.create(doc), "created", "the body"],
    ["policies.update", (c) => c.policies.update("p", doc, { ifMatch: "x" }), {}, "name"],
    ["policies.versions", (c) => c.policies.versions("p"), { items: "none", nextCursor: null }, "items"],
    ["policies.version", (c) => c.policies.version("p", 1), { name: "p", version: "1" }, "version"],
    ["policies.tests", (c) => c.policies.tests("p"), { policy: 7 }, "policy"],
    [
      "policies.runTests",
      (c) => c.policies.runTests("p"),
      { policy: "p", source: "api", version: 1, ok: true, passed: "all" },
      "passed",
    ],
    // "yes" is truthy: taken as is, a caller checking `result.valid` would save a broken policy
    ["policies.validate", (c) => c.policies.validate(doc), { valid: "yes" }, "valid"],
    ["evaluations.list", (c) => c.evaluations.list(), page([{ id: 1 }]), "items[0].id"],
    [
      "evaluations.stats",
      (c) => c.evaluations.stats(),
      { since: "2026-01-01", until: "2026-01-02", bucket: "week" },
      "bucket",
    ],
    [
      "evaluations.receipt",
      (c) => c.evaluations.receipt("ev_1"),
      { payload: "e30=", payloadType: "application/vnd.in-toto+json", signatures: [] },
      "signatures",
    ],
    ["keys.list", (c) => c.keys.list(), { keys: [{ kty: "RSA" }] }, "keys[0].kty"],
    ["images.put", (c) => c.images.put("sha256:ab", {}), { digest: "sha256:ab" }, "facts"],
    ["images.push", (c) => c.images.push({}), { images: {} }, "images"],
    ["images.get", (c) => c.images.get("sha256:ab"), null, "the body"],
    ["images.list", (c) => c.images.list(), { items: [], nextCursor: 5 }, "nextCursor"],
    ["exceptions.list", (c) => c.exceptions.list(), page([{}]), "items[0].name"],
    [
      "exceptions.get",
      (c) => c.exceptions.get("e"),
      // "no" is truthy: taken as is, an expired waiver would read as expired and a live one too
      { name: "e", version: 1, etag: "x", expires: "2026-01-01T00:00:00Z", expired: "no" },
      "expired",
    ],
    ["exceptions.create", (c) => c.exceptions.create(exception), [], "the body"],
    ["exceptions.update", (c) => c.exceptions.update("e", exception), {}, "name"],
    ["replays.run", (c) => c.replays.run({}), { policySet: null }, "policySet"],
    ["tokens.list", (c) => c.tokens.list(), page([{ ...token, role: "root" }]), "items[0].role"],
    // no secret: the one answer that shows it, and a caller would store `undefined`
    ["tokens.create", (c) => c.tokens.create({ name: "ci", role: "evaluator" }), token, "token"],
    ["tokens.revoke", (c) => c.tokens.revoke("tok_1"), { ...token, revokedAt: 5 }, "revokedAt"],
    [
      "audit.list",
      (c) => c.audit.list(),
      // a kind a newer service added is kept (see below); one that is not a string is not
      page([{ id: "a", at: "t", actor: "x", action: "y", targetKind: 7 }]),
      "items[0].targetKind",
    ],
    ["inventory.list", (c) => c.inventory.list(), page([{ cluster: 1 }]), "items[0].cluster"],
    ["findings.list", (c) => c.findings.list(), page([finding]), "items[0].severity"],
    ["webhooks.list", (c) => c.webhooks.list(), page([{ ...webhook, events: [7] }]), "items[0].events[0]"],
    [
      "webhooks.create",
      (c) => c.webhooks.create({ url: webhook.url, events: ["finding.opened"] }),
      webhook,
      "secret",
    ],
    ["whoami", (c) => c.whoami(), { id: "tok_ci", name: "ci", role: "superuser", actions: [] }, "role"],
    ["role", (c) => c.role(), { id: "tok_ci", name: "ci", role: "superuser", actions: [] }, "role"],
    ["health", (c) => c.health(), { status: "up" }, "status"],
    ["ready", (c) => c.ready(), { status: "ready" }, "checks"],
  ];

  it.each(cases)(
    "%s: UnexpectedResponseError (wrong-shape) naming the call and the field",
    async (call, ask, body, field) => {
      const s = await serve(answer(200, JSON.stringify(body)));
      const error = await refusal(ask(client(s.url)));
      expect(UnexpectedResponseError.is(error)).toBe(true);
      // still an ApiError, so a caller's existing ApiError branch refuses on it
      expect(ApiError.is(error)).toBe(true);
      expect(error).toMatchObject({ reason: "wrong-shape", status: 200, type: "unexpected-response" });
      const detail = (error as ApiError).problem.detail ?? "";
      expect(detail).toMatch(
        new RegExp(`^${call.replace(".", "\\.")}: the answer is not a well-formed \\w+ \\(`),
      );
      expect(detail).toContain(`(${field}: `);
    },
  );

  it("names a key that is not a plain name as JSON, so it cannot pass for the path around it", async () => {
    const policy = {
      name: "p",
      source: "api",
      version: 1,
      etag: '"v1"',
      // a label key chosen to read as another path, and a value that is not text
      labels: { "x].role": 5 },
      document: doc,
      createdAt: "2026-01-01T00:00:00Z",
      updatedAt: "2026-01-01T00:00:00Z",
      updatedBy: "admin",
    };
    const s = await serve(answer(200, JSON.stringify(policy)));
    const error = await refusal(client(s.url).policies.get("p"));
    expect((error as ApiError).problem.detail).toContain('(labels["x].role"]: ');
  });

  it("refuses an unready answer (503) of the wrong shape too", async () => {
    const s = await serve(
      answer(503, JSON.stringify({ status: "ready", checks: { database: "yes", policies: true } })),
    );
    const error = await refusal(client(s.url).ready());
    expect(error).toMatchObject({ reason: "wrong-shape", status: 503 });
    expect((error as ApiError).problem.detail).toContain("(checks.database: ");
  });

  it("takes a well-formed answer, and returns it as the contracts describe it", async () => {
    const s = await serve(answer(200, JSON.stringify(page([token]))));
    await expect(client(s.url).tokens.list()).resolves.toEqual(page([token]));
    // and typed as the contracts' shapes, not any (checked by tsc)
    const c = client(s.url);
    expectTypeOf(c.tokens.list).returns.resolves.toEqualTypeOf<Page<Token>>();
    expectTypeOf(c.policies.get).returns.resolves.toEqualTypeOf<PolicyResource>();
    expectTypeOf(c.findings.list).returns.resolves.toEqualTypeOf<Page<Finding>>();
    expectTypeOf(c.ready).returns.resolves.toEqualTypeOf<Readiness>();
    const unready = { status: "unready", checks: { database: false, policies: true }, reason: "down" };
    const t = await serve(answer(503, JSON.stringify(unready)));
    await expect(client(t.url).ready()).resolves.toEqual(unready);
  });
});

describe("informational values a newer service added are kept as sent; a wrong type is still refused", () => {
  const page = (items: unknown[]) => ({ items, nextCursor: null });
  const at = "2026-01-01T00:00:00Z";
  const summary = {
    id: "ev_1",
    evaluatedAt: at,
    recordedAt: at,
    decision: "allow",
    source: "gitops",
    actor: "ci",
    context: {},
    policySet: { digest: "sha256:00", policies: 3 },
    summary: { resources: 1, pass: 1, fail: 0, error: 0, skip: 0, waived: 0 },
  };
  const stats = {
    since: at,
    until: at,
    bucket: "day",
    total: 2,
    rows: [{ start: at, source: "gitops", decision: "allow", count: 2 }],
  };
  const audit = {
    id: "a",
    at,
    actor: "x",
    action: "cluster.rename",
    targetKind: "cluster",
    targetName: "c",
    detail: null,
  };
  const inventory = {
    cluster: "c",
    namespace: "shop",
    kind: "Deployment",
    name: "web",
    apiVersion: "apps/v1",
    source: "gitops",
    evaluationId: null,
    images: [],
    failing: [],
    recordedAt: at,
    updatedAt: at,
    evaluatedAt: at,
  };
  const version = { name: "p", version: 2, change: "rename", source: "api", actor: "x", at, document: null };
  const webhook = {
    id: "wh_1",
    url: "https://hooks.example/celgate",
    events: ["finding.opened", "all"],
    description: null,
    createdAt: at,
    createdBy: "admin",
  };

  // [call, the well-formed answer with a value this client does not know, a wrong type of that field, the field]
  const cases: [string, (c: ReturnType<typeof client>) => Promise<unknown>, unknown, unknown, string][] = [
    [
      "evaluations.list",
      (c) => c.evaluations.list(),
      page([summary]),
      page([{ ...summary, source: 1 }]),
      "items[0].source",
    ],
    [
      "evaluations.stats",
      (c) => c.evaluations.stats(),
      stats,
      { ...stats, rows: [{ ...stats.rows[0], source: null }] },
      "rows[0].source",
    ],
    [
      "audit.list",
      (c) => c.audit.list(),
      page([audit]),
      page([{ ...audit, targetKind: "" }]),
      "items[0].targetKind",
    ],
    [
      "inventory.list",
      (c) => c.inventory.list(),
      page([inventory]),
      page([{ ...inventory, source: ["api"] }]),
      "items[0].source",
    ],
    [
      "policies.versions",
      (c) => c.policies.versions("p"),
      page([version]),
      page([{ ...version, change: 3 }]),
      "items[0].change",
    ],
    ["policies.version", (c) => c.policies.version("p", 2), version, { ...version, change: "" }, "change"],
    [
      "webhooks.list",
      (c) => c.webhooks.list(),
      page([webhook]),
      page([{ ...webhook, events: "all" }]),
      "items[0].events",
    ],
    [
      "webhooks.create",
      (c) => c.webhooks.create({ url: webhook.url, events: ["finding.opened"] }),
      { ...webhook, secret: "s".repeat(32) },
      { ...webhook, events: [null], secret: "s".repeat(32) },
      "events[0]",
    ],
  ];

  it.each(cases)(
    "%s keeps the value it does not know, refuses a wrong type",
    async (_call, ask, newer, wrong, field) => {
      const s = await serve(answer(200, JSON.stringify(newer)));
      await expect(ask(client(s.url))).resolves.toEqual(newer);
      const t = await serve(answer(200, JSON.stringify(wrong)));
      const error = await refusal(ask(client(t.url)));
      expect(error).toMatchObject({ reason: "wrong-shape" });
      expect((error as ApiError).problem.detail).toContain(`(${field}: `);
    },
  );

  it("what a decision or access rests on stays strict: an unknown decision in history or stats is refused", async () => {
    const s = await serve(
      answer(200, JSON.stringify(page([{ ...summary, source: "api", decision: "quarantine" }]))),
    );
    expect(((await refusal(client(s.url).evaluations.list())) as ApiError).problem.detail).toContain(
      "(items[0].decision: ",
    );
    const t = await serve(
      answer(
        200,
        JSON.stringify({ ...stats, rows: [{ ...stats.rows[0], source: "api", decision: "maybe" }] }),
      ),
    );
    expect(((await refusal(client(t.url).evaluations.stats())) as ApiError).problem.detail).toContain(
      "(rows[0].decision: ",
    );
  });
});

describe("text from the service cannot act on a terminal or forge a log line", () => {
  // ESC rewrites a terminal; a newline then `::error::` is a GitHub Actions workflow command in
  // a CI log; U+202E makes text read in another order than it is stored
  const RAW = ["\u001b", "\u0007", "\n", "\r", "\u202e", "\u2066", "\u009b"];
  const hostile = "a\u001b[2J\u0007\r\n::error::owned\u202eyned\u2066\u009b";
  /** No raw character of RAW (but the newlines between `lines` lines), and the hostile text escaped. */
  const expectClean = (text: string, lines = 1) => {
    expect(text.split("\n")).toHaveLength(lines);
    for (const raw of RAW.filter((r) => r !== "\n")) expect(text, JSON.stringify(raw)).not.toContain(raw);
    expect(text).toContain("a\\u001b[2J\\u0007\\u000d\\u000a::error::owned\\u202eyned\\u2066\\u009b");
  };

  it("an error answer's title and detail appear escaped in the message; problem keeps them as sent", async () => {
    const problem = { type: "about:blank", title: hostile, status: 400, detail: hostile, requestId: "r1" };
    const s = await serve(answer(400, JSON.stringify(problem), "application/problem+json"));
    const error = await refusal(client(s.url).policies.get("p"));
    expect(ApiError.is(error)).toBe(true);
    expectClean(error.message);
    expect((error as ApiError).problem.title).toBe(hostile);
  });

  it("a body that is not JSON, quoted by the parser's message, appears escaped", async () => {
    const s = await serve(answer(200, `<html>${hostile}</html>`, "text/html"));
    const error = await refusal(client(s.url).policies.get("p"));
    expect(error).toMatchObject({ reason: "not-json" });
    for (const raw of RAW) expect(error.message, JSON.stringify(raw)).not.toContain(raw);
  });

  it("a blocked deployment's message and summary show the report's names and messages escaped, a line each", async () => {
    const result = {
      ...failing("deny"),
      resource: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: hostile },
      policy: hostile,
      violations: [{ message: hostile, fieldPath: hostile }],
    };
    const s = await serve(answer(201, JSON.stringify(report("deny", [result]))));
    const error = await refusal(client(s.url).preflight({ manifests: "a: 1" }));
    expect(error.name).toBe("DeployBlockedError");
    // the decision line, the resource, the finding
    expectClean(error.message, 3);
    expectClean((error as unknown as { summary: string }).summary, 3);
  });
});

describe("a name that would ask another route is refused before anything is sent", () => {
  it.each([
    ["policies.get", (c: ReturnType<typeof client>) => c.policies.get("..")],
    ["policies.remove", (c: ReturnType<typeof client>) => c.policies.remove(".")],
    ["evaluations.get", (c: ReturnType<typeof client>) => c.evaluations.get("")],
    ["evaluations.receipt", (c: ReturnType<typeof client>) => c.evaluations.receipt("..")],
    ["tokens.revoke", (c: ReturnType<typeof client>) => c.tokens.revoke(".")],
    ["exceptions.update", (c: ReturnType<typeof client>) => c.exceptions.update("..", "kind: x")],
  ])("%s: TypeError, and the service is never asked", async (_call, ask) => {
    const s = await serve(answer(200, "{}"));
    const error = await refusal(ask(client(s.url)));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/not a name: (""|"\.\.?")/);
    expect(s.seen).toEqual([]);
  });

  it("a name with dots and slashes in it is sent as one encoded segment", async () => {
    const s = await serve(answer(404, "{}"));
    await refusal(client(s.url).policies.get("../a/..b"));
    expect(s.seen).toEqual(["GET /v1/policies/..%2Fa%2F..b"]);
  });
});

describe("a huge answer stops being read at maxResponseBytes", () => {
  it("an endless body is cut off at the cap: UnexpectedResponseError, and the server stops being read", async () => {
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("[");
      const pump = () => {
        while (written < 400 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end("]");
      };
      res.socket?.on("close", () => res.destroy());
      pump();
    });
    const error = await refusal(
      client(s.url, { maxResponseBytes: 1024 * 1024, timeoutMs: 10_000 }).preflight({ manifests: "a: 1" }),
    );
    expect(error).toMatchObject({ name: "UnexpectedResponseError", reason: "too-large" });
    expect(error.message).toContain("longer than 1048576 bytes");
    // the client hung up: far less than the 400 MB on offer was sent (socket buffers aside)
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it("a Content-Length over the default cap (64 MiB) is refused before reading", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(300 * 1024 * 1024) });
      res.write("{");
    });
    const error = await refusal(client(s.url, { timeoutMs: 10_000 }).evaluations.get("ev_1"));
    expect(error).toMatchObject({ reason: "too-large" });
    expect(error.message).toContain(`longer than ${64 * 1024 * 1024} bytes`);
  });
});

describe("options that would silently disable a bound are refused", () => {
  it.each([
    ["timeoutMs", Number.NaN],
    ["timeoutMs", -1],
    ["deadlineMs", Number.NaN],
    ["maxResponseBytes", 0],
    ["maxResponseBytes", Number.NaN],
  ])("%s: %s", (option, value) => {
    expect(() => createClient({ baseUrl: "http://127.0.0.1:1", [option]: value })).toThrow(
      new RegExp(`createClient: ${option} must be`),
    );
  });
});
