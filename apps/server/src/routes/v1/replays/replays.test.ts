import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, deploymentYaml, type Json, setupApp, type TestApp } from "../../../test/harness.js";

const stricter = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: min-replicas
spec:
  severity: high
  action: deny
  match:
    kinds: [Deployment]
  validations:
    - expression: "object.spec.?replicas.orValue(1) >= 3"
      message: at least three replicas
`;

describe.each(BACKENDS)("replays on %s", (backend) => {
  let t: TestApp;
  const ids: string[] = [];
  beforeAll(async () => {
    t = await setupApp(backend);
    for (const [name, replicas] of [
      ["two", 2],
      ["three", 3],
    ] as const) {
      const res = await t.call("POST", "/v1/evaluations", {
        body: {
          manifests: deploymentYaml(name, { owner: "x", replicas }),
          images: [
            {
              ref: "registry.example/shop/web:1.0",
              scan: { scanner: "t", scannedAt: "2026-01-01T00:00:00Z", vulnerabilities: [] },
            },
          ],
        },
      });
      ids.push(res.body.id);
    }
  });
  afterAll(() => t.close());

  it("reports which outcomes and decisions candidate policies would change", async () => {
    const res = await t.call("POST", "/v1/replays", { body: { policies: stricter }, token: t.tokens.author });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ evaluations: 2, resources: 2, changed: 1 });
    expect(res.body.changes).toEqual([
      expect.objectContaining({
        evaluation: ids[0],
        policy: "min-replicas",
        before: "pass",
        after: "fail",
        resource: expect.objectContaining({ name: "two" }),
      }),
    ]);
    expect(res.body.decisions).toEqual([{ evaluation: ids[0], before: "allow", after: "deny" }]);
  });

  it("replays chosen evaluations, removals, and records nothing", async () => {
    const res = await t.call("POST", "/v1/replays", {
      body: { remove: ["owner-label", "images-scanned"], evaluations: [ids[1]] },
    });
    expect(res.body.evaluations).toBe(1);
    expect(res.body.changes.every((c: Json) => c.after === "skip")).toBe(true);
    expect((await t.call("GET", "/v1/evaluations")).body.items).toHaveLength(2);
    expect((await t.call("POST", "/v1/replays", { body: { evaluations: ["ev_nope"] } })).status).toBe(404);
    const broken = await t.call("POST", "/v1/replays", {
      body: { policies: stricter.replace(">= 3", ">=") },
    });
    expect(broken.status).toBe(422);
  });
});
