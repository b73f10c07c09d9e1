// History's context filters are conditions no index serves: one query holds a bounded number.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, deploymentYaml, setupApp, type TestApp } from "../../../test/harness.js";
import { MAX_CONTEXT_FILTERS } from "./list.js";

describe.each(BACKENDS)("context filters of the history on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
    const res = await t.call("POST", "/v1/evaluations", {
      token: t.tokens.evaluator,
      body: { manifests: deploymentYaml("web"), context: { a: "1", b: "2" } },
    });
    expect(res.status).toBe(201);
  });
  afterAll(() => t.close());

  const query = (n: number) =>
    Array.from({ length: n }, (_, i) => (i < 2 ? `context.${"ab"[i]}=${i + 1}` : `context.k${i}=`)).join("&");

  it("takes up to the limit", async () => {
    const two = await t.call("GET", `/v1/evaluations?${query(2)}`, { token: t.tokens.viewer });
    expect(two.status).toBe(200);
    expect(two.body.items).toHaveLength(1);
    const most = await t.call("GET", `/v1/evaluations?${query(MAX_CONTEXT_FILTERS)}`, {
      token: t.tokens.viewer,
    });
    expect(most.status, JSON.stringify(most.body)).toBe(200);
  });

  it("refuses more with a 400 naming the count", async () => {
    for (const n of [MAX_CONTEXT_FILTERS + 1, 1_500]) {
      const res = await t.call("GET", `/v1/evaluations?${query(n)}`, { token: t.tokens.viewer });
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(400);
      expect(res.body.errors).toEqual([
        expect.objectContaining({
          path: "context",
          message: `at most ${MAX_CONTEXT_FILTERS} context.<key> filters in one query, not ${n}`,
        }),
      ]);
    }
  });
});
