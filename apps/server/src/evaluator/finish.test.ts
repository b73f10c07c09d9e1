import {
  compilePolicySet,
  evaluate,
  parseManifests,
  parsePolicyDocuments,
  toWireReport,
} from "@celgate/core";
import { afterAll, describe, expect, it } from "vitest";
import { finishReport } from "./finish.js";
import { EvaluatorPool } from "./pool.js";

const POLICIES = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: replicas}
spec:
  validations: [{expression: "object.spec.?replicas.orValue(1) > 1", message: one replica}]
---
apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: owner}
spec:
  validations: [{expression: "has(object.metadata.labels) && 'owner' in object.metadata.labels"}]
---
apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: broken}
spec:
  validations: [{expression: "object.spec.nothing.deeper == 1"}]
---
apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: unversioned}
spec:
  validations: [{expression: "object.kind != 'Secret'"}]
`;
const { set } = compilePolicySet(parsePolicyDocuments(POLICIES, "p.yaml").located.policies);
const { resources } = parseManifests(
  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: shop}\nspec: {replicas: 1}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {owner: x}}\n",
  "d.yaml",
);
const input = { resources, now: new Date("2026-11-29T00:00:00Z"), id: "ev_test" };
// a name an object would answer for itself: versions must be looked up as own entries only
const versionsJson = JSON.stringify({ replicas: 3, owner: 1, constructor: 9 });

describe("finishReport", () => {
  it("gives the text JSON.stringify gives of the wire report, each version right after its policy", () => {
    const wire = toWireReport(evaluate(set, input));
    const finished = finishReport(evaluate(set, input), versionsJson);
    const parsed = JSON.parse(finished.json) as typeof wire;
    // the contract's order (docs/api.md, interfaces.md): policyVersion follows policy, as in the CLI's JSON
    const contract = ["resource", "policy", "policyVersion", "severity", "action", "outcome"];
    const owner = parsed.results.find((r) => r.policy === "owner")!;
    expect(Object.keys(owner)).toEqual([...contract, "violations", "error", "exception"]);
    expect(owner.policyVersion).toBe(1);
    // apart from the versions, the text is that of the wire report
    for (const r of parsed.results) delete r.policyVersion;
    expect(JSON.stringify(parsed)).toBe(JSON.stringify(wire));
    expect(finished.json).toContain(`"policy":"replicas","policyVersion":3,`);
    expect(JSON.parse(finished.json).results[0]).not.toHaveProperty("policyVersion", 9);
    const { results, notices: _notices, ...head } = wire;
    expect(finished.facts).toEqual({
      ...head,
      policies: [...new Set(results.map((r) => r.policy))],
      errors: results.filter((r) => r.outcome === "error").map((r) => r.policy),
      waived: [],
    });
    expect(finished.facts.errors).toEqual(["broken", "broken", "replicas"]);
    expect(finished.facts.policies).toEqual(["broken", "owner", "replicas", "unversioned"]);
    expect(finished.facts.id).toBe("ev_test");
    expect(
      JSON.parse(finished.json).results.find((r: { policy: string }) => r.policy === "unversioned"),
    ).not.toHaveProperty("policyVersion");
  });
  it("names the waived results and their exceptions", () => {
    const { exceptions } = parsePolicyDocuments(
      `apiVersion: celgate.dev/v1
kind: PolicyException
metadata: {name: one-replica-ok}
spec:
  policies: [replicas]
  match: {namespaces: [shop]}
  reason: a test
  expires: 2099-01-31T00:00:00Z
`,
      "e.yaml",
    );
    const report = evaluate(set, { ...input, exceptions });
    const { facts } = finishReport(report, versionsJson);
    expect(facts.waived).toEqual([
      {
        resource: toWireReport(report).results[2]!.resource,
        policy: "replicas",
        outcome: "waived",
        exception: "one-replica-ok",
      },
    ]);
    expect(facts.summary.waived).toBe(1);
  });
});

describe("EvaluatorPool.evaluateFinished", () => {
  const pool = new EvaluatorPool({ size: 1 });
  afterAll(() => pool.close());

  it("answers with the same text and facts as finishing in process", async () => {
    const remote = await pool.evaluateFinished(set, input, versionsJson);
    expect(remote).toEqual(finishReport(evaluate(set, input), versionsJson));
    // the versions are the request's: another snapshot's versions give another text
    const other = await pool.evaluateFinished(set, input, JSON.stringify({ replicas: 4 }));
    expect(other.json).toBe(finishReport(evaluate(set, input), JSON.stringify({ replicas: 4 })).json);
    expect(other.json).not.toBe(remote.json);
    // and the report alone is still answered to those that ask for it
    expect(await pool.evaluate(set, input)).toEqual(evaluate(set, input));
  });
});
