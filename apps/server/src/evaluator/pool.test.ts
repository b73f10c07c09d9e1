import {
  compilePolicySet,
  evaluate,
  parseManifests,
  parsePolicyDocuments,
  resourcesFromObjects,
  subsetOf,
} from "@celgate/core";
import { afterAll, describe, expect, it } from "vitest";
import { EvaluationTooLargeError, EvaluatorPool, EvaluatorUnavailableError } from "./pool.js";

const POLICIES = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: replicas}
spec:
  validations: [{expression: "object.spec.?replicas.orValue(1) > 1", message: one replica}]
---
apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: slow}
spec:
  validations: [{expression: "object.data.all(a, object.data.all(b, object.data.all(c, a != '')))"}]
`;

const { set } = compilePolicySet(parsePolicyDocuments(POLICIES, "p.yaml").located.policies);
const pool = new EvaluatorPool({ size: 2 });
afterAll(() => pool.close());

describe("EvaluatorPool", () => {
  it("returns the same report as evaluating in process", async () => {
    const { resources } = parseManifests(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 1}\n",
      "d.yaml",
    );
    const input = { resources, now: new Date("2026-11-29T00:00:00Z"), policies: ["replicas"] };
    const remote = await pool.evaluate(set, input);
    expect(remote).toEqual(evaluate(set, input));
    expect(remote.results[0]).toMatchObject({ outcome: "fail", violations: [{ message: "one replica" }] });
  });

  it("caches a subset under its own digest, and refuses documents that do not give the digest sent", async () => {
    const { resources } = parseManifests(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 1}\n",
      "d.yaml",
    );
    const input = { resources, now: new Date("2026-11-29T00:00:00Z") };
    const onlyReplicas = subsetOf(set, (p) => p.name === "replicas");
    const solo = new EvaluatorPool({ size: 1 });
    try {
      // the subset first, then the whole set, on the same worker: each is evaluated as itself
      expect((await solo.evaluate(onlyReplicas, input)).policySet).toEqual({
        digest: onlyReplicas.digest,
        policies: 1,
      });
      expect((await solo.evaluate(set, input)).policySet).toEqual({ digest: set.digest, policies: 2 });
      // a set whose digest does not name its policies is never cached under that digest
      const mislabelled = { ...onlyReplicas, digest: `sha256:${"0".repeat(64)}` };
      await expect(solo.evaluate(mislabelled, input)).rejects.toBeInstanceOf(EvaluatorUnavailableError);
      await expect(solo.evaluate(mislabelled, input)).rejects.toThrow(/compile to policy set sha256:/);
    } finally {
      await solo.close();
    }
  });

  it("keeps the event loop free while a long evaluation runs", async () => {
    const data = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    const doc = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "m" }, data });
    const { resources } = parseManifests(Array.from({ length: 3 }, () => doc).join("\n---\n"), "m.yaml");
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(Date.now()), 20);
    const started = Date.now();
    const report = await pool.evaluate(set, {
      resources,
      policies: ["slow"],
      budget: { perExpression: 1e12, perPolicy: 1e12, timeoutMs: 300 },
    });
    clearInterval(timer);
    const elapsed = Date.now() - started;
    expect(report.summary.error).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(800);
    // the interval kept firing while the worker evaluated: the main thread was not blocked
    const gaps = ticks.slice(1).map((t, i) => t - ticks[i]!);
    expect(ticks.length).toBeGreaterThan(10);
    expect(Math.max(...gaps)).toBeLessThan(elapsed / 2);
  });

  it("evaluates many requests concurrently and compiles a set once per worker", async () => {
    const { resources } = parseManifests("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "p.yaml");
    const reports = await Promise.all(
      Array.from({ length: 20 }, () => pool.evaluate(set, { resources, policies: ["replicas"] })),
    );
    expect(new Set(reports.map((r) => r.decision))).toEqual(new Set(["deny"]));
  });
});

describe("EvaluatorPool when a worker hangs", () => {
  it("stops the worker after the hard timeout, answers 503, and serves the next request on a fresh one", async () => {
    const { toProblemError } = await import("../lib/errors.js");
    const small = new EvaluatorPool({ size: 1, hardTimeoutMs: 4000 });
    try {
      const data = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
      const doc = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "m" }, data });
      const slow = parseManifests(doc, "m.yaml").resources;
      const hung = small.evaluate(set, {
        resources: slow,
        policies: ["slow"],
        budget: { perExpression: 1e12, perPolicy: 1e12, timeoutMs: 20_000 },
      });
      const error = await hung.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EvaluatorUnavailableError);
      expect((error as Error).message).toBe("the evaluation took too long");
      expect(toProblemError(error).status).toBe(503);

      const { resources } = parseManifests("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "p.yaml");
      const next = await small.evaluate(set, { resources, policies: ["replicas"] });
      expect(next.decision).toBe("deny");
    } finally {
      await small.close();
    }
  });
});

describe("EvaluatorPool when an evaluation needs more memory than a worker may use", () => {
  it("fails that evaluation alone, retries the others that shared its worker, and keeps serving", async () => {
    const small = new EvaluatorPool({ size: 1, memoryMb: 48 });
    try {
      const data = Object.fromEntries(Array.from({ length: 400_000 }, (_, i) => [`key-${i}`, `value-${i}`]));
      const huge = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "huge" }, data };
      const { resources: tiny } = parseManifests(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
        "p.yaml",
      );
      const [big, other] = await Promise.allSettled([
        small.evaluate(set, {
          resources: resourcesFromObjects([huge], "r").resources,
          policies: ["replicas"],
        }),
        small.evaluate(set, { resources: tiny, policies: ["replicas"] }),
      ]);
      expect(big.status).toBe("rejected");
      expect((big as PromiseRejectedResult).reason).toBeInstanceOf(EvaluationTooLargeError);
      expect(other).toMatchObject({ status: "fulfilled", value: { decision: "deny" } });
      const next = await small.evaluate(set, { resources: tiny, policies: ["replicas"] });
      expect(next.decision).toBe("deny");
    } finally {
      await small.close();
    }
  }, 60_000);
});

describe("EvaluatorPool with a long evaluation on its one worker", () => {
  const data = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
  const slowDoc = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "m" }, data });
  const slowInput = () => ({
    resources: parseManifests(slowDoc, "m.yaml").resources,
    policies: ["slow"],
    budget: { perExpression: 1e12, perPolicy: 1e12, timeoutMs: 6000 },
  });
  const tiny = () => ({
    resources: parseManifests("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "p.yaml").resources,
    policies: ["replicas"],
  });

  /** Starts the long evaluation, waits until it holds the worker, then sends five short ones. */
  async function shortOnesDuringALongOne(pool: EvaluatorPool) {
    await pool.evaluate(set, tiny()); // the worker is up and has the set
    let slowDone = 0;
    const slow = pool.evaluate(set, slowInput()).then((r) => {
      slowDone = Date.now();
      return r;
    });
    await new Promise((r) => setTimeout(r, 400));
    const sent = Date.now();
    const short = await Promise.all(
      Array.from({ length: 5 }, () => pool.evaluate(set, tiny()).then((r) => ({ r, at: Date.now() }))),
    );
    const slowReport = await slow;
    return { short, sent, slowDone, slowReport };
  }

  it("serves the evaluations after it on a standby worker, then stops that worker when idle", async () => {
    const pool = new EvaluatorPool({ size: 1, heldAfterMs: 150, standbyIdleMs: 500 });
    try {
      const { short, slowDone, slowReport } = await shortOnesDuringALongOne(pool);
      expect(slowReport.summary.error).toBe(1); // it ran to its 6 s deadline
      for (const { r, at } of short) {
        expect(r.decision).toBe("deny");
        // answered while the long one still ran, not after it
        expect(at).toBeLessThan(slowDone);
      }
      const deadline = Date.now() + 10_000;
      while (pool.workers > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(pool.workers).toBe(1);
      expect(pool.pending).toBe(0);
      // and the pool still serves
      expect((await pool.evaluate(set, tiny())).decision).toBe("deny");
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("drops a standby worker that hangs past the hard timeout, replaces the other, and keeps serving", async () => {
    const pool = new EvaluatorPool({ size: 1, heldAfterMs: 100, hardTimeoutMs: 2500 });
    try {
      await pool.evaluate(set, tiny());
      const hung = { ...slowInput(), budget: { perExpression: 1e12, perPolicy: 1e12, timeoutMs: 30_000 } };
      const first = pool.evaluate(set, hung).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 300));
      // the one thread is held: this one goes to a standby worker, which hangs too
      const second = pool.evaluate(set, hung).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 100));
      expect(pool.workers).toBe(2);
      for (const error of await Promise.all([first, second])) {
        expect(error).toBeInstanceOf(EvaluatorUnavailableError);
        expect((error as Error).message).toBe("the evaluation took too long");
      }
      // the standby one is gone, not replaced; the pool's own thread is new and serves
      expect(pool.workers).toBe(1);
      expect((await pool.evaluate(set, tiny())).decision).toBe("deny");
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("without a standby worker, they wait for it", async () => {
    const pool = new EvaluatorPool({ size: 1, standby: 0, heldAfterMs: 150 });
    try {
      const { short, slowDone } = await shortOnesDuringALongOne(pool);
      for (const { at } of short) expect(at).toBeGreaterThanOrEqual(slowDone);
      expect(pool.workers).toBe(1);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
