// The compiled set a request is evaluated with must not depend on which request came first:
// the worker pool caches compiled sets by digest, and the admission set (without the policies
// that read `bundle`) is another set than the one evaluations use.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admissionReview, deploymentObject, type Json, setupApp, type TestApp } from "../test/harness.js";
import { createEvaluator, type Evaluator } from "./index.js";

const needsQuota = (message: string) => ({
  apiVersion: "celgate.dev/v1",
  kind: "Policy",
  metadata: { name: "needs-quota", labels: { practice: "resource-quotas" } },
  spec: {
    severity: "medium",
    action: "warn",
    match: { kinds: ["Deployment"] },
    validations: [{ expression: "bundle.exists(o, o.kind == 'ResourceQuota')", message }],
  },
});

const review = (uid: string) => admissionReview(uid, deploymentObject("web", { owner: "team" }));

const policiesOf = (report: Json) => report.results.map((r: Json) => `${r.policy}:${r.outcome}`).sort();

describe("the compiled set does not depend on the order of requests (worker threads)", () => {
  let t: TestApp;
  let evaluator: Evaluator;
  beforeAll(async () => {
    evaluator = createEvaluator({ threads: 1, timeoutMs: 10_000 });
    t = await setupApp("pglite", { evaluator });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await evaluator?.close();
  });

  async function evaluation() {
    const res = await t.call("POST", "/v1/evaluations", {
      body: { resources: [deploymentObject("web", { owner: "team" })], now: "2026-11-29T10:00:00Z" },
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function admission(uid: string) {
    const res = await t.call("POST", "/v1/admission", { body: review(uid) });
    expect(res.status).toBe(200);
    const id = res.body.response.auditAnnotations["celgate.dev/evaluation"];
    return (await t.call("GET", `/v1/evaluations/${id}`)).body;
  }

  it("admission first, then evaluations: evaluations still run the bundle policies", async () => {
    expect((await t.call("POST", "/v1/policies", { body: needsQuota("no quota (1)") })).status).toBe(201);
    const admitted = await admission("order-1");
    expect(policiesOf(admitted)).not.toContain("needs-quota:fail");
    const evaluated = await evaluation();
    expect(policiesOf(evaluated)).toContain("needs-quota:fail");
    expect(evaluated.policySet.policies).toBe(admitted.policySet.policies + 1);
    // each names the set it evaluated
    expect(evaluated.policySet.digest).not.toBe(admitted.policySet.digest);
    const again = await admission("order-1b");
    expect(again.policySet).toEqual(admitted.policySet);
  });

  it("evaluations first, then admission (after a policy change): admission leaves the bundle policies out", async () => {
    const current = await t.request("GET", "/v1/policies/needs-quota");
    const etag = current.headers.get("etag") ?? "";
    const updated = await t.call("PUT", "/v1/policies/needs-quota", {
      body: needsQuota("no quota (2)"),
      headers: { "if-match": etag },
    });
    expect(updated.status).toBe(200);
    const evaluated = await evaluation();
    expect(evaluated.results.find((r: Json) => r.policy === "needs-quota")?.violations[0].message).toBe(
      "no quota (2)",
    );
    const admitted = await admission("order-2");
    expect(policiesOf(admitted)).not.toContain("needs-quota:fail");
    expect(admitted.policySet.policies).toBe(evaluated.policySet.policies - 1);
    const again = await evaluation();
    expect(policiesOf(again)).toEqual(policiesOf(evaluated));
    expect(again.policySet).toEqual(evaluated.policySet);
  });

  it("a replay of an added policy lists only that policy's changes and leaves the live set alone", async () => {
    const added = {
      apiVersion: "celgate.dev/v1",
      kind: "Policy",
      metadata: { name: "two-replicas" },
      spec: {
        match: { kinds: ["Deployment"] },
        validations: [{ expression: "object.spec.replicas >= 3", message: "three replicas" }],
      },
    };
    const evaluated = await evaluation();
    // newest first: the admission review is replayed first, then the evaluation
    const admitted = await admission("order-3");
    const replay = await t.call("POST", "/v1/replays", {
      body: { policies: [added], evaluations: [admitted.id, evaluated.id] },
    });
    expect(replay.status).toBe(200);
    expect(
      replay.body.changes.map((c: Json) => `${c.evaluation}:${c.policy}:${c.before}->${c.after}`),
    ).toEqual([`${admitted.id}:two-replicas:skip->fail`, `${evaluated.id}:two-replicas:skip->fail`]);
    // the candidate, created for real, is evaluated whole: bundle policies included
    expect((await t.call("POST", "/v1/policies", { body: added })).status).toBe(201);
    const after = await evaluation();
    expect(after.policySet.policies).toBe(evaluated.policySet.policies + 1);
    expect(after.policySet.digest).toBe(replay.body.policySet.digest);
    expect(policiesOf(after)).toEqual([...policiesOf(evaluated), "two-replicas:fail"].sort());
    const admittedAfter = await admission("order-4");
    expect(policiesOf(admittedAfter)).toEqual([...policiesOf(admitted), "two-replicas:fail"].sort());
  });
});
