// Two places know how a report's decision follows from its results: the engine decides it
// (core, report/outcome.ts: decide) and the SDK refuses a report whose decision is milder than
// its failing results demand (contracts, decision.ts: reportContradiction, which the SDK applies
// to every report it receives), because the SDK may not load the engine. These
// tests hold the two to one rule over every shape of result: the SDK takes every report the
// engine decides, and refuses each milder decision that a failing result forbids. (It does not
// check error results, whose weight depends on a failurePolicy the wire report does not carry.)
import { describe, expect, it } from "vitest";
import { decide, summarise } from "../../packages/core/src/index.js";
import { createClient, isUnexpectedResponseError } from "../../packages/sdk/src/index.js";

type Outcome = "pass" | "fail" | "error" | "skip" | "waived";
type Action = "deny" | "warn" | "audit";
type FailurePolicy = "Fail" | "Ignore";

interface Shape {
  outcome: Outcome;
  action: Action;
  failurePolicy: FailurePolicy;
}

const SHAPES: Shape[] = [];
for (const outcome of ["pass", "fail", "error", "skip", "waived"] as const)
  for (const action of ["deny", "warn", "audit"] as const)
    for (const failurePolicy of ["Fail", "Ignore"] as const) SHAPES.push({ outcome, action, failurePolicy });

/** Every list of one or two results. */
const CASES: Shape[][] = [...SHAPES.map((s) => [s]), ...SHAPES.flatMap((a) => SHAPES.map((b) => [a, b]))];

function wireReport(shapes: Shape[], decision: string) {
  const results = shapes.map((s, i) => ({
    resource: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: `web-${i}` },
    policy: `p-${i}`,
    severity: "high",
    action: s.action,
    outcome: s.outcome,
    violations: s.outcome === "fail" ? [{ message: "bad" }] : [],
    error: s.outcome === "error" ? "boom" : null,
    exception: s.outcome === "waived" ? "x" : null,
  }));
  return {
    apiVersion: "celgate.dev/v1",
    kind: "EvaluationReport",
    id: "ev_1",
    decision,
    evaluatedAt: "2026-01-01T00:00:00Z",
    policySet: { digest: "sha256:00", policies: shapes.length },
    summary: summarise(shapes, shapes.length),
    results,
  };
}

/** The SDK's evaluate() given `body` as the service's answer: the decision it returns, or "refused". */
async function sdkTakes(body: unknown): Promise<string> {
  const client = createClient({
    baseUrl: "http://celgate.invalid",
    token: "t",
    retries: 0,
    fetch: async () =>
      new Response(JSON.stringify(body), { status: 201, headers: { "content-type": "application/json" } }),
  });
  try {
    return (await client.evaluate({ manifests: "kind: Pod" })).decision;
  } catch (error) {
    if (isUnexpectedResponseError(error) && error.reason === "inconsistent-report") return "refused";
    throw error;
  }
}

const RANK = { allow: 0, warn: 1, deny: 2 } as const;

describe("a report's decision: the engine and the SDK", () => {
  it("the SDK takes every decision the engine makes, and any stricter one", async () => {
    for (const shapes of CASES) {
      const decided = decide(shapes);
      for (const decision of ["allow", "warn", "deny"] as const) {
        if (RANK[decision] < RANK[decided]) continue;
        expect([shapes, decision, await sdkTakes(wireReport(shapes, decision))]).toEqual([
          shapes,
          decision,
          decision,
        ]);
      }
    }
  });

  it("the SDK refuses a milder decision whenever a failing result makes the engine's", async () => {
    let refusals = 0;
    for (const shapes of CASES) {
      // what failing results alone make the decision (errors are the engine's to weigh)
      const fromFailures = decide(shapes.filter((s) => s.outcome === "fail"));
      for (const decision of ["allow", "warn"] as const) {
        if (RANK[decision] >= RANK[fromFailures]) continue;
        expect([shapes, decision, await sdkTakes(wireReport(shapes, decision))]).toEqual([
          shapes,
          decision,
          "refused",
        ]);
        refusals++;
      }
    }
    expect(refusals).toBeGreaterThan(100);
  });
});
