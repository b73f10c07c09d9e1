import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupApp, type TestApp } from "../test/harness.js";
import { createEvaluator, type Evaluator } from "./index.js";

/** Every pair runs into its budget: a policy that makes an evaluation slow. */
const HOSTILE = {
  apiVersion: "celgate.dev/v1",
  kind: "Policy",
  metadata: { name: "hostile" },
  spec: {
    validations: [{ expression: "object.data.all(a, object.data.all(b, object.data.all(c, a != '')))" }],
  },
};

/** A service on PGlite with one evaluator thread and the hostile policy stored. */
async function hostileApp(timeoutMs: number): Promise<{ t: TestApp; evaluator: Evaluator }> {
  const evaluator = createEvaluator({ threads: 1, timeoutMs });
  const t = await setupApp("pglite", { evaluator });
  const created = await t.call("POST", "/v1/policies", { body: HOSTILE });
  expect(created.status).toBe(201);
  return { t, evaluator };
}

/** `n` ConfigMaps of 1,000 keys each: the hostile policy runs each pair into its budget. */
function configMaps(n: number) {
  const data = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
  return Array.from({ length: n }, (_, i) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `m${i}`, namespace: "shop" },
    data,
  }));
}

/**
 * A hostile policy makes one request slow (every pair runs into its budget); with the evaluator
 * on worker threads, the service answers other requests meanwhile.
 */
describe("serving while a hostile policy is evaluated", () => {
  let t: TestApp;
  let evaluator: Evaluator;
  beforeAll(async () => {
    ({ t, evaluator } = await hostileApp(3000));
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await evaluator?.close();
  });

  it("keeps answering health checks, and the slow evaluation ends in error outcomes within its timeout", async () => {
    const resources = configMaps(100);
    const started = Date.now();
    const slow = t.call("POST", "/v1/evaluations", {
      body: { resources, policies: ["hostile"], dryRun: true },
    });
    const latencies: number[] = [];
    let done = false;
    void slow.then(() => {
      done = true;
    });
    while (!done && Date.now() - started < 20_000) {
      const t0 = Date.now();
      const res = await t.request("GET", "/healthz", { token: null });
      expect(res.status).toBe(200);
      latencies.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
    const { status, body } = await slow;
    const elapsed = Date.now() - started;
    expect(status).toBe(200);
    expect(body.summary.error).toBe(100);
    expect(elapsed).toBeLessThan(15_000);
    // health checks were answered all along, not queued behind the evaluation
    // (evaluated in process, there is one sample that waited for the whole evaluation)
    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(elapsed / 2);
  }, 60_000);
});

/**
 * With one evaluator thread (the default on 2 cores), the evaluations sent while a long one runs
 * are not held behind it: a standby worker takes them once the thread has been on it for a second.
 */
describe("serving other evaluations while a hostile policy is evaluated", () => {
  let t: TestApp;
  let evaluator: Evaluator;
  beforeAll(async () => {
    ({ t, evaluator } = await hostileApp(8000));
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await evaluator?.close();
  });

  it("answers them before the slow one ends, on a standby worker beside the one thread", async () => {
    const resources = configMaps(250);
    let slowAt = 0;
    const slow = t
      .call("POST", "/v1/evaluations", { body: { resources, policies: ["hostile"], dryRun: true } })
      .then((r) => {
        slowAt = Date.now();
        return r;
      });
    await new Promise((r) => setTimeout(r, 500));
    const manifests = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n";
    const others = await Promise.all(
      Array.from({ length: 3 }, () =>
        t
          .call("POST", "/v1/evaluations", { body: { manifests, dryRun: true } })
          .then((r) => ({ r, at: Date.now() })),
      ),
    );
    expect((await slow).status).toBe(200);
    for (const { r, at } of others) {
      expect(r.status).toBe(200);
      expect(r.body.summary.resources).toBe(1);
      expect(at).toBeLessThan(slowAt);
    }
  }, 60_000);
});
