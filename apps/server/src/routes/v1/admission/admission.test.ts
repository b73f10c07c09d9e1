import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, deploymentObject, setupApp, type TestApp } from "../../../test/harness.js";

const review = (uid: string, object: Record<string, unknown> | null, operation = "CREATE") => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid,
    kind: { group: "apps", version: "v1", kind: "Deployment" },
    resource: { group: "apps", version: "v1", resource: "deployments" },
    namespace: "shop",
    operation,
    userInfo: { username: "alice", groups: ["dev"] },
    object,
    oldObject: null,
    dryRun: false,
  },
});

const scanned = {
  ref: "registry.example/shop/web:1.0",
  scan: { scanner: "t", scannedAt: "2026-01-01T00:00:00Z", vulnerabilities: [] },
};

describe.each(BACKENDS)("admission webhook on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
    await t.call("PUT", `/v1/images/sha256:${"c".repeat(64)}`, {
      body: { ...scanned, ref: `registry.example/shop/web:1.0` },
    });
  });
  afterAll(() => t.close());

  it("denies with a status message, echoing the uid, and records it", async () => {
    const res = await t.call("POST", "/v1/admission", {
      body: review("uid-1", deploymentObject("web", { replicas: 1 })),
      token: t.tokens.evaluator,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "uid-1", allowed: false, status: { code: 403, reason: "Forbidden" } },
    });
    expect(res.body.response.status.message).toContain("owner-label: the owner label is missing");
    expect(res.body.response.warnings).toEqual(["min-replicas: replicas must be at least 2"]);
    const id = res.body.response.auditAnnotations["celgate.dev/evaluation"];
    const history = await t.call("GET", "/v1/evaluations?source=admission");
    expect(history.body.items[0]).toMatchObject({
      id,
      source: "admission",
      decision: "deny",
      context: { operation: "CREATE", user: "alice", uid: "uid-1" },
    });
  });

  it("allows with warnings for warn-action policies", async () => {
    const res = await t.call("POST", "/v1/admission", {
      body: review("uid-2", deploymentObject("web", { owner: "shop", replicas: 1 })),
    });
    expect(res.body.response).toMatchObject({
      uid: "uid-2",
      allowed: true,
      warnings: ["min-replicas: replicas must be at least 2"],
    });
    expect(res.body.response.status).toBeUndefined();
  });

  it("uses the request namespace when the object has none", async () => {
    const object = deploymentObject("nsless", { owner: "x" });
    delete (object.metadata as { namespace?: string }).namespace;
    const res = await t.call("POST", "/v1/admission", { body: review("uid-3", object) });
    const report = await t.call(
      "GET",
      `/v1/evaluations/${res.body.response.auditAnnotations["celgate.dev/evaluation"]}`,
    );
    expect(report.body.results[0].resource.namespace).toBe("shop");
  });

  it("allows deletions without evaluating and rejects malformed reviews", async () => {
    const del = await t.call("POST", "/v1/admission", { body: review("uid-4", null, "DELETE") });
    expect(del.body.response).toEqual({ uid: "uid-4", allowed: true });
    const bad = await t.call("POST", "/v1/admission", {
      body: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" },
    });
    expect(bad.status).toBe(400);
  });
});
