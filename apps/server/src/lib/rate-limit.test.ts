import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admissionReview, BACKENDS, deploymentObject, setupApp, type TestApp } from "../test/harness.js";
import { TokenBuckets } from "./rate-limit.js";

describe("TokenBuckets", () => {
  it("lets a burst through, then one request per 1/rate seconds, and says how long to wait", () => {
    const b = new TokenBuckets({ perSecond: 2, burst: 3 });
    expect([b.take("a", 0), b.take("a", 0), b.take("a", 0)]).toEqual([0, 0, 0]);
    expect(b.take("a", 0)).toBe(1);
    expect(b.take("b", 0)).toBe(0);
    expect(b.take("a", 500)).toBe(0);
    expect(b.take("a", 500)).toBe(1);
    // a long pause refills up to the burst, not beyond
    for (let i = 0; i < 3; i++) expect(b.take("a", 60_000)).toBe(0);
    expect(b.take("a", 60_000)).toBe(1);
  });

  it("waits at least 1 s and rounds up for slow rates", () => {
    const b = new TokenBuckets({ perSecond: 0.1, burst: 1 });
    expect(b.take("a", 0)).toBe(0);
    expect(b.take("a", 0)).toBe(10);
  });

  it("keeps a bounded number of callers, forgetting refilled buckets first", () => {
    const b = new TokenBuckets({ perSecond: 1, burst: 1 }, { maxKeys: 100 });
    for (let i = 0; i < 1000; i++) b.take(`k${i}`, i);
    expect(b.size).toBeLessThanOrEqual(100);
  });
});

const review = (uid: string) => admissionReview(uid, deploymentObject(`web-${uid}`));

describe.each(BACKENDS)("rate limits on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    // slow enough that no token refills during a test
    t = await setupApp(backend, { admissionAuth: "none", rateLimit: { perSecond: 0.05, burst: 3 } });
  });
  afterAll(() => t.close());

  it("answers 429 problem details with Retry-After once a token used its burst; other tokens go on", async () => {
    for (let i = 0; i < 3; i++)
      expect((await t.call("GET", "/v1/policies", { token: t.tokens.viewer })).status).toBe(200);
    const limited = await t.call("GET", "/v1/policies", { token: t.tokens.viewer });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("content-type")).toContain("application/problem+json");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.body).toMatchObject({
      status: 429,
      title: "Too many requests",
      requestId: expect.any(String),
    });
    expect(limited.body.detail).toMatch(/0.05 requests per second/);
    expect((await t.call("GET", "/v1/policies", { token: t.tokens.author })).status).toBe(200);
    // public routes are not limited
    for (let i = 0; i < 5; i++) expect((await t.call("GET", "/healthz", { token: null })).status).toBe(200);
    const metrics = await (await t.request("GET", "/metrics", { token: null })).text();
    expect(metrics).toContain('celgate_rate_limited_total{caller="token"} 1');
  });

  it("limits the unauthenticated admission webhook by source address", async () => {
    const admit = (address: string, uid: string) =>
      t.call("POST", "/v1/admission", { token: null, body: review(uid), remoteAddress: address });
    for (let i = 0; i < 3; i++) {
      const r = await admit("203.0.113.7", `a${i}`);
      expect(r.status).toBe(200);
      expect(r.body.response.uid).toBe(`a${i}`);
    }
    const limited = await admit("203.0.113.7", "a3");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).not.toBeNull();
    expect(limited.body.detail).toMatch(/this address may send/);
    // another address, and a token on the same route, have their own buckets
    expect((await admit("203.0.113.8", "b0")).status).toBe(200);
    const withToken = await t.call("POST", "/v1/admission", {
      token: t.tokens.evaluator,
      body: review("c0"),
      remoteAddress: "203.0.113.7",
    });
    expect(withToken.status).toBe(200);
    // nothing past the limit was recorded
    const history = await t.call("GET", "/v1/evaluations?limit=500", { token: t.tokens.admin });
    expect(history.body.items.filter((e: { actor: string }) => e.actor === "admission-webhook")).toHaveLength(
      4,
    );
  });
});
