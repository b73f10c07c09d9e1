import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEvaluator } from "../../../evaluator/index.js";
import {
  BACKENDS,
  deploymentYaml,
  type Json,
  minReplicasPolicy,
  STRICTER_MIN_REPLICAS,
  setupApp,
  type TestApp,
} from "../../../test/harness.js";

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
    const res = await t.call("POST", "/v1/replays", {
      body: { policies: STRICTER_MIN_REPLICAS },
      token: t.tokens.author,
    });
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
      body: { policies: STRICTER_MIN_REPLICAS.replace(">= 3", ">=") },
    });
    expect(broken.status).toBe(422);
  });

  it("replays at each evaluation's recorded time without reading its recorded report", async () => {
    const recorded = await t.call("GET", `/v1/evaluations/${ids[1]}`);
    const at: string = recorded.body.evaluatedAt;
    // fails only when evaluated at exactly the recorded time: the outcome changes iff the replay uses it
    const atRecordedTime = minReplicasPolicy(`now != timestamp('${at}')`, "evaluated at the recorded time");
    const replay = () =>
      t.call("POST", "/v1/replays", {
        body: { policies: atRecordedTime, evaluations: [ids[1]] },
        token: t.tokens.author,
      });
    const first = await replay();
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ evaluations: 1, changed: 1 });
    expect(first.body.changes).toEqual([
      expect.objectContaining({ evaluation: ids[1], policy: "min-replicas", before: "pass", after: "fail" }),
    ]);
    // With the report column out of reach, a replay that still selected it would fail (500).
    await t.database.db.execute(sql`alter table evaluations rename column report to report_hidden`);
    try {
      const second = await replay();
      expect(second.status).toBe(200);
      expect(second.body).toEqual(first.body);
    } finally {
      await t.database.db.execute(sql`alter table evaluations rename column report_hidden to report`);
    }
  });
});

// A slow candidate: six validations of about 160,000 iterations each per Deployment, each inside
// the expression budget and all inside the policy's. Over the 400 Deployments replayed below it
// is several seconds of work however fast the engine gets (2026-12-06: the 80 Deployments this
// test replayed before took about 0.9 s, compiled, on a quiet machine, at the edge of the
// replay's limit of 1 s; each evaluation stops at the replay's deadline, so more work costs the
// test no time).
const slow = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: slow-candidate
spec:
  match:
    kinds: [Deployment]
  validations:
${Array.from({ length: 6 }, (_, n) => `    - expression: "${"L"}.all(i, ${"L"}.all(j, i + j >= ${-n}))"`).join("\n")}
`.replaceAll("L", `[${Array.from({ length: 400 }, (_, i) => i).join(",")}]`);

/** Evaluations of ten Deployments recorded for the replay to go through. */
const RECORDED = 40;

describe.each(BACKENDS)("replay limits on %s", (backend) => {
  let t: TestApp;
  const evaluator = createEvaluator({ threads: 2, timeoutMs: 10_000 });
  beforeAll(async () => {
    t = await setupApp(backend, { evaluator, services: { replays: { timeoutMs: 1000 } } });
    // RECORDED x 10 Deployments: several seconds of candidate work, over the replay's limit of 1 s.
    const bundle = "abcdefghij"
      .split("")
      .map((n) => deploymentYaml(n, { owner: "x" }))
      .join("---\n");
    for (let i = 0; i < RECORDED; i++)
      expect((await t.call("POST", "/v1/evaluations", { body: { manifests: bundle } })).status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    await evaluator.close();
  });

  it("stops a replay at its time limit, one at a time, while evaluations keep being served", async () => {
    const replay = t.call("POST", "/v1/replays", { body: { policies: slow }, token: t.tokens.author });
    await new Promise((r) => setTimeout(r, 150));
    const second = await t.call("POST", "/v1/replays", { body: {}, token: t.tokens.admin });
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("5");
    expect(second.body.detail).toContain("already running");

    const latencies: number[] = [];
    let done = false;
    void replay.then(() => {
      done = true;
    });
    while (!done) {
      const started = performance.now();
      const res = await t.call("POST", "/v1/evaluations", {
        body: { manifests: deploymentYaml("live", { owner: "x" }) },
        token: t.tokens.evaluator,
      });
      expect(res.status).toBe(201);
      latencies.push(performance.now() - started);
    }
    const ended = await replay;
    expect(ended.status).toBe(503);
    expect(ended.body.type).toMatch(/replay-timeout$/);
    expect(ended.body.detail).toContain("CELGATE_REPLAY_TIMEOUT_MS");
    // The replay holds one worker; the other served evaluations meanwhile, promptly.
    expect(latencies.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...latencies)).toBeLessThan(1500);

    const audit = await t.call("GET", "/v1/audit?targetKind=replay");
    expect(audit.body.items[0]).toMatchObject({
      actor: "test author",
      detail: { outcome: "timed-out", candidateCount: 1, candidatePolicies: ["slow-candidate"] },
    });
    expect(audit.body.items[0].detail.evaluations).toBeLessThan(RECORDED);
    // The slot is free again.
    expect((await t.call("POST", "/v1/replays", { body: { evaluations: [] } })).status).toBe(200);
  });
});

describe.each(BACKENDS)("a replay of stored inputs that no longer read on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  /** Records an evaluation of one Deployment; returns its id. */
  async function recorded(name: string): Promise<string> {
    const res = await t.call("POST", "/v1/evaluations", {
      body: { manifests: deploymentYaml(name, { owner: "x" }) },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  it("is refused (422) naming the evaluation and what no longer reads, never blamed on the request or a 500", async () => {
    const manifests = await recorded("unparsable");
    // stored by an older engine that read it, or changed by hand: the request itself is fine
    await t.database.db.execute(
      sql`update inputs set text = 'a: [' where hash = (select input_hash from evaluations where id = ${manifests})`,
    );
    const broken = await t.call("POST", "/v1/replays", {
      body: { policies: STRICTER_MIN_REPLICAS, evaluations: [manifests] },
    });
    expect(broken.status).toBe(422);
    expect(broken.body.detail).toContain(`evaluation ${manifests}: its stored input no longer reads`);
    expect(broken.body.detail).toContain("malformed YAML");

    const context = await recorded("contextless");
    await t.database.db.execute(sql`update evaluations set context = 'null'::jsonb where id = ${context}`);
    const lost = await t.call("POST", "/v1/replays", {
      body: { policies: STRICTER_MIN_REPLICAS, evaluations: [context] },
    });
    expect(lost.status).toBe(422);
    expect(lost.body.detail).toContain(`evaluation ${context}: its stored context is not a mapping`);
    // the replay slot is free again, and a readable evaluation still replays
    const fine = await recorded("fine");
    const ok = await t.call("POST", "/v1/replays", {
      body: { policies: STRICTER_MIN_REPLICAS, evaluations: [fine] },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.evaluations).toBe(1);
  });
});
