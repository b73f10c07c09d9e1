import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, setupApp, type TestApp } from "../../test/harness.js";

describe.each(BACKENDS)("system routes on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  it("answers liveness and readiness without a token", async () => {
    expect((await t.call("GET", "/healthz", { token: null })).body).toEqual({ status: "ok" });
    const ready = await t.call("GET", "/readyz", { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: "ready",
      checks: { database: true, policies: true },
      policies: 3,
    });
  });

  it("echoes a given X-Request-Id and generates one otherwise", async () => {
    const given = await t.request("GET", "/healthz", { headers: { "x-request-id": "req-123" } });
    expect(given.headers.get("x-request-id")).toBe("req-123");
    const generated = await t.request("GET", "/healthz", {
      headers: { "x-request-id": "bad id with spaces" },
    });
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("serves Prometheus metrics", async () => {
    await t.call("GET", "/v1/policies");
    const res = await t.request("GET", "/metrics", { token: null });
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain('celgate_http_requests_total{method="GET",route="/v1/policies",status="200"}');
    expect(text).toContain("# TYPE celgate_http_request_duration_seconds histogram");
    expect(text).toMatch(/celgate_policies 3/);
  });

  it("serves an OpenAPI 3.1 document generated from the contracts, and a docs page", async () => {
    const { status, body } = await t.call("GET", "/openapi.json", { token: null });
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        "/v1/policies",
        "/v1/policies/{name}",
        "/v1/policies:validate",
        "/v1/evaluations",
        "/v1/admission",
      ]),
    );
    expect(body.components.schemas).toHaveProperty("EvaluationReport");
    expect(body.components.schemas).toHaveProperty("Problem");
    expect(body.components.securitySchemes.bearer.scheme).toBe("bearer");
    const docs = await t.request("GET", "/docs", { token: null });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("/openapi.json");
  });

  it("answers unknown routes with a problem", async () => {
    const { status, body, headers } = await t.call("GET", "/v1/nope");
    expect(status).toBe(404);
    expect(headers.get("content-type")).toContain("application/problem+json");
    expect(body).toMatchObject({ status: 404, title: "Not found", requestId: expect.any(String) });
  });
});
