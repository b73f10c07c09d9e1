// Fail closed: the service never decides with fewer policies than it should. A broken embedded
// database, a stored policy that does not compile, an empty set, a lost generation counter and
// a repository that does not load whole all end as refusals (503, unready), never as "allow".
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPglite } from "./db/client.js";
import { policies, state } from "./db/schema.js";
import { createLogger } from "./lib/logger.js";
import { Metrics } from "./lib/metrics.js";
import { createServices } from "./services/index.js";
import { RepositoryError } from "./services/policies.js";
import { bumpGeneration } from "./services/policy-set.js";
import { admissionReview, BACKENDS, deploymentObject, setupApp, type TestApp } from "./test/harness.js";

const review = (object: Record<string, unknown>) => admissionReview("uid-fc", object);

describe("a broken embedded database (PGlite engine trap)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp("pglite");
  });
  afterAll(() => t.close());

  it("refuses everything after the trap instead of serving empty state", async () => {
    const good = await t.call("POST", "/v1/evaluations", {
      body: { resources: [deploymentObject("web", { owner: "team" })] },
    });
    expect(good.status).toBe(201);
    // The engine in the database worker traps at its next call. (PGlite 0.3 went on answering
    // every query with no rows afterwards; the worker is stopped instead, and nothing is asked.)
    await t.database.engine!.instance.injectTrap();
    const failed = await t.call("POST", "/v1/evaluations", {
      body: { resources: [deploymentObject("web", { owner: "team" })] },
    });
    expect(failed.status, JSON.stringify(failed.body)).toBe(503);

    expect(t.database.broken()).toMatch(/memory access out of bounds/);
    const ready = await t.call("GET", "/readyz", { token: null });
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: "unready", checks: { database: false } });
    expect(ready.body.reason).toMatch(/cannot be trusted/);
    // A valid token is not "unknown" (401) because the tokens table reads empty: the answer is 503.
    const list = await t.call("GET", "/v1/policies");
    expect(list.status).toBe(503);
    expect(list.headers.get("content-type")).toContain("application/problem+json");
    const admission = await t.call("POST", "/v1/admission", { body: review(deploymentObject("web")) });
    expect(admission.status).toBe(503);
    expect(JSON.stringify(admission.body)).not.toContain('"allowed":true');
    const dry = await t.call("POST", "/v1/evaluations", {
      body: { resources: [deploymentObject("web")], dryRun: true },
    });
    expect(dry.status).toBe(503);
  });
});

describe("a file-backed embedded database is reopened after a trap", () => {
  it("serves again, with its state, once the files are reopened", async () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-pglite-"));
    const database = await openPglite(dir);
    const logger = createLogger("silent");
    const services = createServices({ database, logger, metrics: new Metrics(), policyPollMs: 0 });
    try {
      const { token } = await services.tokens.create("test", { name: "t", role: "viewer" });
      await services.policies.syncRepository(
        new URL("./test/fixtures/policies", import.meta.url).pathname,
        logger,
      );
      const before = (await services.runtime.get()).set.policies.length;
      expect(before).toBeGreaterThan(0);
      const instance = database.engine!.instance;
      await instance.injectTrap();
      await expect(services.tokens.authenticate(token)).rejects.toThrow();
      expect(database.broken()).not.toBeNull();
      const deadline = Date.now() + 20_000;
      while (database.broken() !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(database.broken()).toBeNull();
      expect(database.engine!.instance).not.toBe(instance);
      expect(await database.ping()).toBe(true);
      expect(await services.tokens.authenticate(token)).toMatchObject({ role: "viewer" });
      services.runtime.invalidate();
      expect((await services.runtime.get()).set.policies.length).toBe(before);
    } finally {
      await database.close();
    }
  }, 60_000);
});

describe.each(BACKENDS)("the policy set fails closed on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  const evaluate = () =>
    t.call("POST", "/v1/evaluations", { body: { resources: [deploymentObject("web", { owner: "team" })] } });

  it("refuses to evaluate while a stored policy does not compile, and recovers when it is removed", async () => {
    expect((await evaluate()).status).toBe(201);
    await t.database.db.transaction(async (tx) => {
      await tx.insert(policies).values({
        name: "broken",
        source: "api",
        version: 1,
        etag: '"1"',
        labels: {},
        // written past the API, as a damaged or hand-edited row would be: not a valid document
        document: sql`${JSON.stringify({
          apiVersion: "celgate.dev/v1",
          kind: "Policy",
          metadata: { name: "broken" },
          spec: { validations: [{ expression: "object.spec.replicas >" }] },
        })}::jsonb`,
        updatedBy: "test",
      });
      await bumpGeneration(tx);
    });
    const res = await evaluate();
    expect(res.status).toBe(503);
    expect(res.body.detail).toMatch(/broken/);
    const admission = await t.call("POST", "/v1/admission", { body: review(deploymentObject("web")) });
    expect(admission.status).toBe(503);
    const ready = await t.call("GET", "/readyz", { token: null });
    expect(ready.status).toBe(503);
    expect(ready.body.reason).toMatch(/do not compile \(broken/);

    const removed = await t.call("DELETE", "/v1/policies/broken");
    expect(removed.status).toBe(204);
    expect((await evaluate()).status).toBe(201);
    expect((await t.call("GET", "/readyz", { token: null })).status).toBe(200);
  });

  it("refuses when the database lost its generation counter", async () => {
    await t.database.db.delete(state).where(sql`${state.key} = 'policy_generation'`);
    t.services.runtime.invalidate();
    const res = await evaluate();
    expect(res.status).toBe(503);
    expect(res.body.detail).toMatch(/lost its state/);
    expect((await t.call("GET", "/readyz", { token: null })).status).toBe(503);
    await t.database.db.insert(state).values({ key: "policy_generation", value: 100 });
    t.services.runtime.invalidate();
    expect((await evaluate()).status).toBe(201);
  });
});

describe.each(BACKENDS)("an empty policy set on %s", (backend) => {
  const empty = mkdtempSync(join(tmpdir(), "celgate-empty-"));
  it("refuses evaluations and admission unless the operator allowed it", async () => {
    const t = await setupApp(backend, { policyDir: empty });
    try {
      const res = await t.call("POST", "/v1/evaluations", { body: { resources: [deploymentObject("web")] } });
      expect(res.status).toBe(503);
      expect(res.body.detail).toMatch(/no policies are in force/);
      const admission = await t.call("POST", "/v1/admission", { body: review(deploymentObject("web")) });
      expect(admission.status).toBe(503);
      const ready = await t.call("GET", "/readyz", { token: null });
      expect(ready.status).toBe(503);
    } finally {
      await t.close();
    }
    const allowed = await setupApp(backend, { policyDir: empty, allowEmptyPolicySet: true });
    try {
      const res = await allowed.call("POST", "/v1/evaluations", {
        body: { resources: [deploymentObject("web")] },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ decision: "allow", policySet: { policies: 0 } });
    } finally {
      await allowed.close();
    }
  });

  it("does not start on a repository that does not load whole", async () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-badrepo-"));
    writeFileSync(
      join(dir, "good.yaml"),
      "apiVersion: celgate.dev/v1\nkind: Policy\nmetadata: {name: good}\nspec:\n  validations: [{expression: 'true'}]\n",
    );
    writeFileSync(
      join(dir, "bad.yaml"),
      "apiVersion: celgate.dev/v1\nkind: Policy\nmetadata: {name: bad}\nspec:\n  validations: [{expression: 'object.spec.('}]\n",
    );
    await expect(setupApp(backend, { policyDir: dir })).rejects.toThrow(RepositoryError);
    await expect(setupApp(backend, { policyDir: dir })).rejects.toThrow(/bad\.yaml/);
  });

  it("does not start on a policy repository that is not there, which would delete the repository's policies", async () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-norepo-"));
    const file = join(dir, "policies.yaml");
    writeFileSync(file, "");
    for (const [policyDir, reason] of [
      [join(dir, "missing"), /CELGATE_POLICY_DIR: the policy repository .*missing cannot be read \(ENOENT\)/],
      [file, /CELGATE_POLICY_DIR: the policy repository .*policies\.yaml is not a folder/],
    ] as const) {
      const error = await setupApp(backend, { policyDir }).then(
        (t) => t.close().then(() => undefined),
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(RepositoryError);
      expect((error as Error).message).toMatch(reason);
    }
  });
});
