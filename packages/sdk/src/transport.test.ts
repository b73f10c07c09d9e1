// The retry, backoff and timeout rules, against a scripted fetch (no service needed), and the
// overall deadline against a real TCP server that accepts connections and never answers.
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient } from "./client.js";
import { ApiError, DeployBlockedError, isApiError, NetworkError } from "./errors.js";
import { summarizeReport } from "./summary.js";
import { backoff, buildUrl, retryAfterMs } from "./transport.js";

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  at: number;
}

type Step = Response | Error | ((init: RequestInit) => Promise<Response>);

/** A fetch that plays `steps` in order and records every call. */
function scripted(steps: Step[]) {
  const seen: Seen[] = [];
  const started = Date.now();
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    seen.push({
      url,
      method: String(init.method),
      headers: { ...(init.headers as Record<string, string>) },
      body: init.body as string | undefined,
      at: Date.now() - started,
    });
    const step = steps.shift();
    if (!step) throw new Error("the script ran out of answers");
    if (step instanceof Error) throw step;
    if (typeof step === "function") return step(init);
    return step;
  });
  return { fetch, seen };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

const problem = (
  status: number,
  title: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) =>
  new Response(
    JSON.stringify({
      type: `https://celgate.dev/problems/${title.toLowerCase().replace(/ /g, "-")}`,
      title,
      status,
      requestId: "req-1",
      ...extra,
    }),
    { status, headers: { "content-type": "application/problem+json", ...headers } },
  );

const report = (decision: "allow" | "warn" | "deny", results: unknown[] = []) => ({
  apiVersion: "celgate.dev/v1",
  kind: "EvaluationReport",
  id: "ev_1",
  decision,
  evaluatedAt: "2026-01-01T00:00:00Z",
  policySet: { digest: "sha256:00", policies: 1 },
  summary: { resources: 1, pass: 0, fail: results.length, error: 0, skip: 0, waived: 0 },
  results,
});

/** A stored policy as the service answers with it (the client checks every answer's shape). */
const policy = (name: string) => ({
  name,
  source: "api",
  version: 1,
  etag: '"v1"',
  labels: {},
  document: { apiVersion: "celgate.dev/v1", kind: "Policy", metadata: { name }, spec: {} },
  createdAt: "2026-01-01T00:00:00Z",
  updatedAt: "2026-01-01T00:00:00Z",
  updatedBy: "admin",
});

/** Node's fetch failure shape: a TypeError whose cause carries the errno code. */
const refused = () =>
  Object.assign(new TypeError("fetch failed"), {
    cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
  });
const reset = () =>
  Object.assign(new TypeError("fetch failed"), {
    cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
  });

const fast = { baseUrl: "http://celgate.test/", token: "t0ken", retryBaseMs: 1, retryMaxMs: 50 };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("requests", () => {
  it("sends the bearer token, JSON bodies and encoded path segments", async () => {
    const { fetch, seen } = scripted([json(200, policy("a b/c")), json(201, policy("x"))]);
    const client = createClient({ ...fast, fetch });
    await client.policies.get("a b/c");
    await client.policies.create({
      apiVersion: "celgate.dev/v1",
      kind: "Policy",
      metadata: { name: "x" },
      spec: {},
    });
    expect(seen[0]!.url).toBe("http://celgate.test/v1/policies/a%20b%2Fc");
    expect(seen[0]!.headers.authorization).toBe("Bearer t0ken");
    expect(seen[1]!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(seen[1]!.body!)).toMatchObject({ kind: "Policy" });
  });

  it("sends YAML text as application/yaml and If-Match when given", async () => {
    const { fetch, seen } = scripted([json(200, policy("p"))]);
    await createClient({ ...fast, fetch }).policies.update("p", "kind: Policy\n", { ifMatch: '"v3"' });
    expect(seen[0]!.headers["content-type"]).toBe("application/yaml");
    expect(seen[0]!.headers["if-match"]).toBe('"v3"');
    expect(seen[0]!.method).toBe("PUT");
  });

  it("puts filters and context.* in the query string, leaving out what is unset", async () => {
    const { fetch, seen } = scripted([json(200, { items: [], nextCursor: null })]);
    await createClient({ ...fast, fetch }).evaluations.list({
      decision: "deny",
      limit: 5,
      context: { commit: "abc" },
    });
    expect(seen[0]!.url).toBe("http://celgate.test/v1/evaluations?decision=deny&limit=5&context.commit=abc");
  });

  it("keeps a path prefix of the base URL", () => {
    expect(buildUrl("https://x.example/celgate/", "/v1/audit", { limit: 2, cursor: undefined })).toBe(
      "https://x.example/celgate/v1/audit?limit=2",
    );
  });
});

describe("retries", () => {
  it("retries a GET after a network error and a 503, then answers", async () => {
    const { fetch } = scripted([reset(), problem(503, "Service unavailable"), json(200, { status: "ok" })]);
    const client = createClient({ ...fast, fetch, retries: 2 });
    await expect(client.health()).resolves.toEqual({ status: "ok" });
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it("gives up after `retries` retries with the last error", async () => {
    const { fetch } = scripted([
      problem(502, "Bad gateway"),
      problem(502, "Bad gateway"),
      problem(502, "Bad gateway"),
    ]);
    const error = await createClient({ ...fast, fetch, retries: 2 })
      .policies.list()
      .catch((e: unknown) => e);
    expect(isApiError(error)).toBe(true);
    expect((error as ApiError).status).toBe(502);
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it("does not retry 4xx answers other than 429", async () => {
    for (const status of [400, 401, 403, 404, 409, 412, 413, 422, 428]) {
      const { fetch } = scripted([problem(status, "No")]);
      await expect(createClient({ ...fast, fetch }).policies.get("p")).rejects.toMatchObject({ status });
      expect(fetch).toHaveBeenCalledTimes(1);
    }
  });

  it("never retries a 5xx or a broken connection of a non-idempotent request", async () => {
    const doc = {
      apiVersion: "celgate.dev/v1" as const,
      kind: "Policy" as const,
      metadata: { name: "p" },
      spec: {},
    };
    const a = scripted([problem(500, "Internal server error")]);
    await expect(createClient({ ...fast, fetch: a.fetch }).policies.create(doc)).rejects.toMatchObject({
      status: 500,
    });
    expect(a.fetch).toHaveBeenCalledTimes(1);
    const b = scripted([reset()]);
    await expect(
      createClient({ ...fast, fetch: b.fetch }).tokens.create({ name: "x", role: "viewer" }),
    ).rejects.toBeInstanceOf(NetworkError);
    expect(b.fetch).toHaveBeenCalledTimes(1);
  });

  it("retries a non-idempotent request when the connection was refused (nothing was sent) or on 429", async () => {
    const doc = {
      apiVersion: "celgate.dev/v1" as const,
      kind: "Policy" as const,
      metadata: { name: "p" },
      spec: {},
    };
    const { fetch } = scripted([refused(), problem(429, "Too many requests"), json(201, policy("p"))]);
    await expect(createClient({ ...fast, fetch }).policies.create(doc)).resolves.toEqual(policy("p"));
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it("honours Retry-After in seconds and as an HTTP date", async () => {
    const { fetch, seen } = scripted([
      problem(429, "Too many requests", {}, { "retry-after": "1" }),
      json(200, { status: "ok" }),
    ]);
    const client = createClient({ ...fast, fetch, retryMaxMs: 5000 });
    await client.health();
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(950);
    expect(retryAfterMs("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(
      10_000,
    );
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it("does not wait for a Retry-After longer than retryMaxMs: the 429 comes back at once", async () => {
    const { fetch } = scripted([problem(429, "Too many requests", {}, { "retry-after": "3600" })]);
    const started = Date.now();
    await expect(createClient({ ...fast, fetch }).health()).rejects.toMatchObject({ status: 429 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("backs off exponentially with full jitter, capped", () => {
    const spy = vi.spyOn(Math, "random").mockReturnValue(1);
    const o = { retryBaseMs: 100, retryMaxMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoff(o, n))).toEqual([100, 200, 400, 800, 1000]);
    spy.mockReturnValue(0.5);
    expect(backoff(o, 3)).toBe(200);
    spy.mockReturnValue(0);
    expect(backoff(o, 3)).toBe(0);
  });

  it("waits between attempts as the backoff says", async () => {
    vi.spyOn(Math, "random").mockReturnValue(1);
    const { fetch, seen } = scripted([reset(), reset(), json(200, { status: "ok" })]);
    await createClient({ ...fast, fetch, retryBaseMs: 100, retryMaxMs: 1000 }).health();
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(95);
    expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(195);
  });
});

describe("evaluations and idempotency", () => {
  it("sends one Idempotency-Key, the same on every retry, and a source header when asked", async () => {
    const { fetch, seen } = scripted([
      reset(),
      problem(503, "Service unavailable"),
      json(201, report("allow")),
    ]);
    const client = createClient({ ...fast, fetch });
    const r = await client.evaluate({ manifests: "kind: Pod\n" }, { source: "cli" });
    expect(r.decision).toBe("allow");
    const keys = seen.map((s) => s.headers["idempotency-key"]);
    expect(keys[0]).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(seen[0]!.headers["x-celgate-source"]).toBe("cli");
  });

  it("uses a fresh key per evaluation, or the caller's", async () => {
    const { fetch, seen } = scripted([
      json(201, report("allow")),
      json(201, report("allow")),
      json(201, report("allow")),
    ]);
    const client = createClient({ ...fast, fetch });
    await client.evaluate({ manifests: "" });
    await client.evaluate({ manifests: "" });
    await client.evaluate({ manifests: "" }, { idempotencyKey: "deploy-42" });
    expect(seen[0]!.headers["idempotency-key"]).not.toBe(seen[1]!.headers["idempotency-key"]);
    expect(seen[2]!.headers["idempotency-key"]).toBe("deploy-42");
    expect(seen[0]!.headers["x-celgate-source"]).toBeUndefined();
  });

  it("refuses a 2xx answer that is not a report", async () => {
    const { fetch } = scripted([
      new Response("<html>proxy</html>", { status: 200, headers: { "content-type": "text/html" } }),
    ]);
    await expect(createClient({ ...fast, fetch }).evaluate({ manifests: "" })).rejects.toMatchObject({
      status: 200,
      problem: { title: "Unexpected response" },
    });
  });

  it("refuses a report that breaks the wire schema, naming the field", async () => {
    // an outcome no version of the engine produces: the old duck check let it through
    const broken = report("deny");
    const { fetch } = scripted([
      json(201, {
        ...broken,
        results: [
          {
            resource: { apiVersion: "v1", kind: "Pod", name: "p" },
            policy: "x",
            severity: "high",
            action: "deny",
            outcome: "maybe",
            violations: [],
            error: null,
            exception: null,
          },
        ],
      }),
    ]);
    const error = await createClient({ ...fast, fetch })
      .evaluate({ manifests: "" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).problem.detail).toContain("results[0].outcome");
  });

  it("preflight returns allow and warn reports, throws DeployBlockedError with a summary on deny", async () => {
    const failing = {
      resource: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        namespace: "shop",
        name: "web",
        source: { file: "k8s/web.yaml", line: 3, document: 0 },
      },
      policy: "run-as-non-root",
      severity: "high",
      action: "deny",
      outcome: "fail",
      violations: [
        { message: "container web may run as root", fieldPath: "spec.template.spec.containers[0]" },
      ],
      error: null,
      exception: null,
    };
    const warned = {
      ...failing,
      policy: "min-replicas",
      action: "warn",
      severity: "low",
      violations: [{ message: "too few" }],
    };
    const { fetch } = scripted([
      json(201, report("warn", [warned])),
      json(201, report("deny", [failing, warned])),
      json(201, report("warn", [warned])),
    ]);
    const client = createClient({ ...fast, fetch });
    await expect(client.preflight({ manifests: "" })).resolves.toMatchObject({ decision: "warn" });
    const error = await client.preflight({ manifests: "" }).catch((e: unknown) => e);
    expect(DeployBlockedError.is(error)).toBe(true);
    const blocked = error as DeployBlockedError;
    expect(blocked.report.decision).toBe("deny");
    expect(blocked.summary.split("\n")).toEqual([
      "celgate: deny: 1 policy failed on 1 of 1 resource (evaluation ev_1)",
      "  Deployment shop/web (k8s/web.yaml:3)",
      "    - run-as-non-root [high, deny]: container web may run as root (spec.template.spec.containers[0])",
    ]);
    expect(blocked.message).toBe(blocked.summary);
    await expect(client.preflight({ manifests: "" }, { failOn: "warn" })).rejects.toSatisfy(
      (e: unknown) => DeployBlockedError.is(e) && e.summary.includes("min-replicas [low, warn]: too few"),
    );
  });
});

describe("timeouts and cancellation", () => {
  const hang = (init: RequestInit) =>
    new Promise<Response>((_, reject) => {
      init.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true });
    });

  it("aborts an attempt after timeoutMs and retries idempotent requests", async () => {
    const { fetch } = scripted([hang, hang, json(200, { status: "ok" })]);
    const started = Date.now();
    await expect(createClient({ ...fast, fetch, timeoutMs: 50, deadlineMs: 1000 }).health()).resolves.toEqual(
      {
        status: "ok",
      },
    );
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it("reports a timeout as NetworkError with timedOut", async () => {
    const { fetch } = scripted([hang]);
    const error = await createClient({ ...fast, fetch, timeoutMs: 30, retries: 0 })
      .health()
      .catch((e: unknown) => e);
    expect(NetworkError.is(error)).toBe(true);
    expect(error).toMatchObject({
      timedOut: true,
      attempts: 1,
      method: "GET",
      url: "http://celgate.test/healthz",
    });
    expect((error as Error).message).toContain("timed out");
  });

  it("does not retry a timed-out non-idempotent request", async () => {
    const { fetch } = scripted([hang, json(201, {})]);
    await expect(
      createClient({ ...fast, fetch, timeoutMs: 30 }).exceptions.create("kind: PolicyException\n"),
    ).rejects.toMatchObject({ timedOut: true });
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("stops at once, without retrying, when the caller's signal aborts", async () => {
    const { fetch } = scripted([hang, json(200, {})]);
    const controller = new AbortController();
    const pending = createClient({ ...fast, fetch, timeoutMs: 10_000 }).health({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error("deploy cancelled")), 20);
    await expect(pending).rejects.toThrow("deploy cancelled");
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});

describe("errors", () => {
  it("carries status, problem details and request id; non-problem bodies get a synthesised problem", async () => {
    const { fetch } = scripted([
      problem(404, "Not found", { detail: "no policy named p" }),
      new Response("upstream connect error", {
        status: 418,
        statusText: "I'm a teapot",
        headers: { "x-request-id": "rid-9" },
      }),
    ]);
    const client = createClient({ ...fast, fetch, retries: 0 });
    const a = (await client.policies.get("p").catch((e: unknown) => e)) as ApiError;
    expect(a).toBeInstanceOf(ApiError);
    expect(a).toMatchObject({
      status: 404,
      requestId: "req-1",
      type: "not-found",
      problem: { detail: "no policy named p" },
    });
    expect(a.message).toBe("GET http://celgate.test/v1/policies/p: HTTP 404 Not found: no policy named p");
    const b = (await client.policies.get("p").catch((e: unknown) => e)) as ApiError;
    expect(b).toMatchObject({
      status: 418,
      requestId: "rid-9",
      problem: { type: "about:blank", title: "I'm a teapot", detail: "upstream connect error" },
    });
  });

  it("recognises errors by brand, also from another copy of the SDK", () => {
    const foreign = { [Symbol.for("@celgate/sdk/ApiError")]: true, status: 500 };
    expect(ApiError.is(foreign)).toBe(true);
    expect(foreign instanceof ApiError).toBe(true);
    expect(ApiError.is(new Error("x"))).toBe(false);
    expect(NetworkError.is(foreign)).toBe(false);
  });

  it("names the cause of a network failure", async () => {
    const { fetch } = scripted([refused(), refused(), refused()]);
    const error = (await createClient({ ...fast, fetch })
      .health()
      .catch((e: unknown) => e)) as NetworkError;
    expect(error.message).toBe(
      "GET http://celgate.test/healthz: fetch failed (ECONNREFUSED) (after 3 attempts)",
    );
    expect(error.attempts).toBe(3);
  });
});

describe("DeployBlockedError in logs", () => {
  it("keeps the report as a property that an uncaught error does not print", async () => {
    const { inspect } = await import("node:util");
    const results = Array.from({ length: 300 }, (_, i) => ({
      resource: { apiVersion: "v1", kind: "Pod", namespace: "shop", name: `p${i}` },
      policy: "no-privileged",
      severity: "critical",
      action: "deny",
      outcome: "fail",
      violations: [{ message: `container c${i} is privileged` }],
      error: null,
      exception: null,
    }));
    const report = {
      apiVersion: "celgate.dev/v1",
      kind: "EvaluationReport",
      decision: "deny",
      evaluatedAt: "2026-12-06T00:00:00Z",
      policySet: { digest: "sha256:x", policies: 1 },
      summary: { resources: 300, pass: 0, fail: 300, error: 0, skip: 0, waived: 0 },
      results,
    } as never;
    const error = new DeployBlockedError(report, summarizeReport(report));
    const printed = inspect(error);
    expect(printed.split("\n").length).toBeLessThan(30);
    expect(printed).toContain("celgate: deny: 1 policy failed on 300 of 300 resources");
    expect(printed).not.toContain("c299");
    expect(error.message.split("\n").length).toBeLessThanOrEqual(7);
    expect(error.report.results).toHaveLength(300);
    expect(error.summary).toContain("... and");
    expect(Object.keys(error)).not.toContain("report");
  });
});

describe("the overall deadline, against a service that accepts the connection and never answers", () => {
  /** A real TCP listener on 127.0.0.1 that reads and never writes; returns its URL. */
  async function silentServer() {
    const sockets = new Set<Socket>();
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      connections: () => connections,
      close: async () => {
        for (const socket of sockets) socket.destroy();
        server.close();
        await once(server, "close");
      },
    };
  }

  it("gives up after twice the per-attempt timeout by default, however many retries, and says so", async () => {
    const silent = await silentServer();
    try {
      // before the deadline: 6 attempts of 150 ms each, about a second
      const client = createClient({
        baseUrl: silent.url,
        token: "t",
        timeoutMs: 150,
        retries: 5,
        retryBaseMs: 1,
      });
      const started = Date.now();
      const error = (await client.evaluate({ manifests: "a: 1" }).catch((e: unknown) => e)) as NetworkError;
      const elapsed = Date.now() - started;
      expect(NetworkError.is(error)).toBe(true);
      expect(error.timedOut).toBe(true);
      expect(error.attempts).toBeLessThanOrEqual(2);
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(700);
      expect(error.elapsedMs).toBeGreaterThanOrEqual(290);
      expect(error.elapsedMs).toBeLessThanOrEqual(elapsed);
      expect(error.message).toMatch(
        /^POST http:\/\/127\.0\.0\.1:\d+\/v1\/evaluations: timed out: the service did not answer within 0\.[3-6] s/,
      );
      expect(silent.connections()).toBeGreaterThanOrEqual(1);
    } finally {
      await silent.close();
    }
  });

  it("keeps to an explicit deadline shorter than one attempt", async () => {
    const silent = await silentServer();
    try {
      const client = createClient({ baseUrl: silent.url, token: "t", timeoutMs: 10_000, deadlineMs: 200 });
      const started = Date.now();
      const error = (await client.health().catch((e: unknown) => e)) as NetworkError;
      expect(Date.now() - started).toBeLessThan(1000);
      expect(error).toMatchObject({ timedOut: true, attempts: 1 });
      expect(error.message).toContain("did not answer within 0.2 s");
    } finally {
      await silent.close();
    }
  });

  it("does not start a retry whose wait would end past the deadline", async () => {
    const { fetch } = scripted([json(503, {}), json(200, { status: "ok" })]);
    const client = createClient({ ...fast, fetch, deadlineMs: 50, retryBaseMs: 10_000, retryMaxMs: 10_000 });
    vi.spyOn(Math, "random").mockReturnValue(1);
    const started = Date.now();
    await expect(client.health()).rejects.toMatchObject({ status: 503 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});
