// An evaluation's fixed clock (`now`) becomes its history row's evaluatedAt: a time the column
// cannot hold is a 400 naming `now`, not a 400 naming nothing, and one a driver would read back
// as another time (a year below 100 as 19xx) is refused rather than listed wrong; on both
// databases, recorded or dry run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, deploymentYaml, setupApp, type TestApp } from "../../../test/harness.js";

describe.each(BACKENDS)("the evaluation clock on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  const evaluate = (now: string, dryRun = false) =>
    t.call("POST", "/v1/evaluations", {
      token: t.tokens.evaluator,
      body: { manifests: deploymentYaml("web"), now, ...(dryRun ? { dryRun } : {}) },
    });

  it.each(["0000-01-01T00:00:00Z", "0050-01-01T00:00:00Z", "0099-12-31T23:59:59Z", "1969-12-31T23:59:59Z"])(
    "refuses now=%s naming it, and records nothing",
    async (now) => {
      for (const dryRun of [false, true]) {
        const res = await evaluate(now, dryRun);
        expect(res.status, JSON.stringify(res.body)).toBe(400);
        expect(res.body.errors).toEqual([expect.objectContaining({ path: "now" })]);
        expect(res.body.detail).toContain(now);
      }
      expect((await t.call("GET", "/v1/evaluations")).body.items).toEqual([]);
    },
  );

  it("lists a clock of the range as the report says", async () => {
    for (const now of ["1970-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"]) {
      const res = await evaluate(now);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.evaluatedAt).toBe(now);
      const listed = await t.call("GET", "/v1/evaluations?limit=1");
      expect(listed.body.items[0]).toMatchObject({ id: res.body.id, evaluatedAt: now });
    }
  });
});

describe.each(BACKENDS)("times in queries and token expiries on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  it("refuses a query bound PostgreSQL cannot hold (year 0) naming the parameter, and takes the year 1", async () => {
    const q = encodeURIComponent("0000-01-01T00:00:00Z");
    for (const [path, field] of [
      [`/v1/evaluations?since=${q}`, "since"],
      [`/v1/evaluations?until=${q}`, "until"],
      [`/v1/evaluations/stats?since=${q}`, "since"],
      [`/v1/audit?until=${q}`, "until"],
    ] as const) {
      const res = await t.call("GET", path);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.errors, path).toEqual([expect.objectContaining({ path: field })]);
    }
    for (const since of ["0001-01-01T00:00:00Z", "0050-01-01T00:00:00Z"])
      expect((await t.call("GET", `/v1/evaluations?since=${encodeURIComponent(since)}`)).status).toBe(200);
  });

  it.each(["0000-01-01T00:00:00Z", "0050-01-01T00:00:00Z"])(
    "refuses a token expiring at %s, naming expiresAt",
    async (time) => {
      const token = await t.call("POST", "/v1/tokens", {
        body: { name: "old", role: "viewer", expiresAt: time },
      });
      expect(token.status, JSON.stringify(token.body)).toBe(400);
      expect(token.body.errors).toEqual([expect.objectContaining({ path: "expiresAt" })]);
    },
  );
});
