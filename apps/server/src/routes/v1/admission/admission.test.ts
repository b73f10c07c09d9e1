import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY_DIR } from "../../../env.js";
import {
  admissionReview,
  BACKENDS,
  deploymentObject,
  setupApp,
  type TestApp,
} from "../../../test/harness.js";
import { ROUTES } from "../../index.js";

const review = (uid: string, object: Record<string, unknown> | null, operation = "CREATE") =>
  admissionReview(uid, object, { operation });

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

  it("evaluates the admitted object itself, never as a list of its items", async () => {
    // a custom resource whose kind ends in List and that has items: the API server admits it
    const object = {
      apiVersion: "example.com/v1",
      kind: "AllowList",
      metadata: { name: "allowed", namespace: "shop" },
      items: [deploymentObject("inner", { owner: "shop", replicas: 3 })],
    };
    const res = await t.call("POST", "/v1/admission", { body: review("uid-list", object) });
    expect(res.status).toBe(200);
    const id = res.body.response.auditAnnotations["celgate.dev/evaluation"];
    const report = await t.call("GET", `/v1/evaluations/${id}`);
    expect(report.body.summary.resources).toBe(1);
    const kinds = new Set(report.body.results.map((r: { resource: { kind: string } }) => r.resource.kind));
    expect([...kinds].filter((k) => k !== "AllowList")).toEqual([]);
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

describe.each(BACKENDS)(
  "admission webhook without a token (CELGATE_ADMISSION_AUTH=none) on %s",
  (backend) => {
    let t: TestApp;
    beforeAll(async () => {
      // The built-in library: its bundle policies are what admission must leave out.
      t = await setupApp(backend, { admissionAuth: "none", policyDir: DEFAULT_POLICY_DIR });
    });
    afterAll(() => t.close());

    it("accepts a review without a token and records it as admission-webhook", async () => {
      const res = await t.call("POST", "/v1/admission", {
        body: review("anon-1", deploymentObject("web", { owner: "shop" })),
        token: null,
      });
      expect(res.status).toBe(200);
      expect(res.body.response).toMatchObject({ uid: "anon-1", allowed: false });
      const history = await t.call("GET", "/v1/evaluations?source=admission");
      expect(history.body.items[0]).toMatchObject({
        id: res.body.response.auditAnnotations["celgate.dev/evaluation"],
        actor: "admission-webhook",
      });
    });

    it("leaves out the policies that read the bundle, which CI still applies", async () => {
      const namespace = {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: "payments",
          labels: {
            "kubernetes.io/metadata.name": "payments",
            "pod-security.kubernetes.io/enforce": "restricted",
            owner: "payments",
          },
        },
      };
      const res = await t.call("POST", "/v1/admission", {
        body: {
          apiVersion: "admission.k8s.io/v1",
          kind: "AdmissionReview",
          request: {
            uid: "ns-1",
            kind: { group: "", version: "v1", kind: "Namespace" },
            name: "payments",
            operation: "CREATE",
            object: namespace,
          },
        },
      });
      expect(res.body.response, JSON.stringify(res.body)).toMatchObject({ uid: "ns-1", allowed: true });
      const recorded = await t.call(
        "GET",
        `/v1/evaluations/${res.body.response.auditAnnotations["celgate.dev/evaluation"]}`,
      );
      const policies = recorded.body.results.map((r: { policy: string }) => r.policy);
      expect(policies).not.toContain("namespace-has-resource-quota");
      const all = await t.call("GET", "/v1/policies?limit=500");
      expect(recorded.body.policySet.policies).toBeLessThan(all.body.items.length);

      const ci = await t.call("POST", "/v1/evaluations", {
        body: { resources: [namespace], dryRun: true },
        token: t.tokens.evaluator,
      });
      expect(ci.body.decision).toBe("deny");
      expect(ci.body.results).toContainEqual(
        expect.objectContaining({ policy: "namespace-has-resource-quota", outcome: "fail" }),
      );
      // each report names the set it evaluated: the admission set is a subset with its own digest
      expect(ci.body.policySet.digest).not.toBe(recorded.body.policySet.digest);
      expect(ci.body.policySet.policies).toBeGreaterThan(recorded.body.policySet.policies);
    });

    it("still checks a token that is sent, and the role of a valid one", async () => {
      const body = review("anon-2", deploymentObject("web", { owner: "shop" }));
      expect((await t.call("POST", "/v1/admission", { body, token: "cg_not-a-token" })).status).toBe(401);
      expect((await t.call("POST", "/v1/admission", { body, token: t.tokens.viewer })).status).toBe(403);
      const ok = await t.call("POST", "/v1/admission", { body, token: t.tokens.evaluator });
      expect(ok.status).toBe(200);
      const id = ok.body.response.auditAnnotations["celgate.dev/evaluation"];
      expect((await t.call("GET", `/v1/evaluations?source=admission&limit=1`)).body.items[0]).toMatchObject({
        id,
        actor: "test evaluator",
      });
    });

    it("opens no other route: every other /v1 route still answers 401 without a token", async () => {
      const others = ROUTES.filter(
        (r) => r.roles !== "public" && !(r.openapi.method === "post" && r.openapi.path === "/v1/admission"),
      );
      expect(others.length).toBeGreaterThanOrEqual(23);
      for (const r of others) {
        const method = r.openapi.method.toUpperCase();
        const path = r.openapi.path.replace(/\{(\w+)\}/g, "x");
        const body = method === "POST" || method === "PUT" ? {} : undefined;
        const res = await t.call(method, path, { token: null, body });
        expect(res.status, `${method} ${path}`).toBe(401);
      }
      // Neighbours of the admission path, and other methods on it, are not opened either.
      for (const [method, path] of [
        ["GET", "/v1/admission"],
        ["PUT", "/v1/admission"],
        ["POST", "/v1/admission/"],
        ["POST", "/v1/admission/x"],
        ["POST", "/v1/admissions"],
        ["POST", "/v1/ADMISSION"],
      ] as const)
        expect(
          (await t.call(method, path, { token: null, ...(method === "GET" ? {} : { body: {} }) })).status,
          `${method} ${path}`,
        ).toBe(401);
    });
  },
);
