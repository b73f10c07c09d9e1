import {
  compilePolicySet,
  parseManifests,
  parsePolicyDocuments,
  type Resource,
  resourceRef,
} from "@celgate/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toProblemError } from "../lib/errors.js";
import { EvaluationHandOffError, EvaluatorPool } from "./pool.js";

const POLICIES = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: slow}
spec:
  validations: [{expression: "object.data.all(a, object.data.all(b, object.data.all(c, a != '')))"}]
`;
const { set } = compilePolicySet(parsePolicyDocuments(POLICIES, "p.yaml").located.policies);

/** A resource too deep for structured clone: what the input limits keep from ever reaching a worker. */
function unclonable(): Resource[] {
  let data: unknown = 1;
  for (let i = 0; i < 100_000; i++) data = { a: data };
  const object = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "deep" }, data };
  return [{ object, ref: resourceRef(object, { file: "deep.json", line: 1, document: 0 }) }];
}

// The hard timeout is long enough that a loaded machine does not trip it by itself.
const HARD_TIMEOUT_MS = 8000;
const pool = new EvaluatorPool({ size: 1, hardTimeoutMs: HARD_TIMEOUT_MS });
beforeAll(async () => {
  // start the worker before timing anything
  await pool.evaluate(set, {
    resources: parseManifests("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "p.yaml").resources,
  });
}, 60_000);
afterAll(() => pool.close());

describe("EvaluatorPool when an input cannot be handed to a worker", () => {
  it("rejects with a 400 at once and leaves no pending entry or timer behind", async () => {
    const error = await pool.evaluate(set, { resources: unclonable() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EvaluationHandOffError);
    expect(toProblemError(error).status).toBe(400);
    expect(pool.pending).toBe(0);
  });

  it("does not stop the worker later, failing an unrelated evaluation", async () => {
    await pool.evaluate(set, { resources: unclonable() }).catch(() => undefined);
    const failedAt = Date.now();
    // An evaluation still running when the failed hand-off's timer would have fired (8 s after
    // it), and well within its own: with a stray timer, the worker is stopped and it fails (503).
    await new Promise((r) => setTimeout(r, 3000));
    const data = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    const doc = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "m" }, data });
    const started = Date.now();
    const report = await pool.evaluate(set, {
      resources: parseManifests(doc, "m.yaml").resources,
      budget: { perExpression: 1e12, perPolicy: 1e12, timeoutMs: 5500 },
    });
    expect(Date.now() - started).toBeGreaterThan(5000);
    expect(Date.now() - failedAt).toBeGreaterThan(HARD_TIMEOUT_MS);
    expect(report.summary.error).toBe(1);
    expect(pool.pending).toBe(0);
  }, 30_000);
});
