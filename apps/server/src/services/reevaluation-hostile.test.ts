import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Evaluator } from "../evaluator/index.js";
import { Metrics } from "../lib/metrics.js";
import {
  admissionReview,
  BACKENDS,
  capturingLogger,
  deploymentObject,
  emptyRepository,
  setupApp,
  type TestApp,
} from "../test/harness.js";
import { rowsOf } from "./changes.js";
import { Reevaluator } from "./reevaluation.js";

const policy = (expression: string) => `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: replicas-gate
spec:
  severity: high
  action: deny
  match:
    kinds: [Deployment]
  validations:
    - expression: "${expression}"
      message: replicas refused
`;

/** The service's evaluator, whose first evaluation waits until `open()`; `reached` says it is waiting. */
function gated(inner: Evaluator) {
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  let reached!: () => void;
  const waiting = new Promise<void>((r) => {
    reached = r;
  });
  let first = true;
  const evaluator: Evaluator = {
    async evaluate(set, input) {
      if (first) {
        first = false;
        reached();
        await gate;
      }
      return inner.evaluate(set, input);
    },
    evaluateFinished: (set, input, versions) => inner.evaluateFinished(set, input, versions),
    close: () => Promise.resolve(),
  };
  return { evaluator, open, waiting };
}

describe.each(BACKENDS)("a policy changed during a re-evaluation on %s", (backend) => {
  let t: TestApp;
  const { logger } = capturingLogger();

  beforeAll(async () => {
    t = await setupApp(backend, {
      ...emptyRepository("reevaluation-race"),
    });
  });
  afterAll(() => t.close());

  it("stores no verdict, finding or webhook event of the replaced set", async () => {
    const admitted = await t.call("POST", "/v1/admission", {
      body: admissionReview("u1", deploymentObject("web", { owner: "x" })),
    });
    expect(admitted.body.response.allowed).toBe(true);
    await t.services.reevaluation.drain();
    const hook = await t.call("POST", "/v1/webhooks", {
      body: { url: "http://127.0.0.1:9/hook", events: ["finding.opened", "finding.resolved"] },
    });
    expect(hook.status).toBe(201);

    // a policy that fails every Deployment, replaced while its re-evaluation is under way by one
    // that passes them: the set in force never fails web
    const created = await t.call("POST", "/v1/policies", { yaml: policy("false") });
    expect(created.status).toBe(201);
    const { evaluator, open, waiting } = gated(t.services.evaluator);
    const reevaluator = new Reevaluator(
      t.database.db,
      t.services.runtime,
      t.services.images,
      evaluator,
      t.services.findings,
      logger,
      new Metrics(),
      { batchSize: 1, concurrency: 1, retryMs: 0 },
    );
    const running = reevaluator.drain();
    await waiting; // the change was claimed and evaluated with the set that fails web
    const replaced = await t.call("PUT", "/v1/policies/replicas-gate", {
      yaml: policy("true"),
      headers: { "if-match": created.headers.get("etag")! },
    });
    expect(replaced.status).toBe(200);
    open();
    expect(await running).toBe(2); // both changes done, none failed

    const found = rowsOf(
      await t.database.db.execute(sql`select status from findings where policy = 'replicas-gate'`),
    );
    expect(found).toEqual([]); // not even one opened and resolved again
    const [entry] = rowsOf(
      await t.database.db.execute(sql`select failing from inventory where name = 'web'`),
    );
    expect(entry?.failing).toEqual([]);
    const deliveries = rowsOf(await t.database.db.execute(sql`select event from webhook_deliveries`));
    expect(deliveries).toEqual([]);
    const changes = rowsOf(
      await t.database.db.execute(
        sql`select error from reevaluation_changes where subject = 'replicas-gate' order by id`,
      ),
    );
    expect(changes).toEqual([{ error: null }, { error: null }]);
  });
});

describe.each(BACKENDS)("an inventory entry that no longer reads on %s", (backend) => {
  let t: TestApp;
  const { logger, lines } = capturingLogger();

  beforeAll(async () => {
    t = await setupApp(backend, {
      ...emptyRepository("reevaluation-unreadable"),
    });
  });
  afterAll(() => t.close());

  it("is skipped and named in the log; the change re-evaluates the others and is done", async () => {
    for (const name of ["alpha", "broken", "gamma", "omega"]) {
      const r = await t.call("POST", "/v1/admission", {
        body: admissionReview(`u-${name}`, deploymentObject(name, { owner: "x" })),
      });
      expect(r.body.response.allowed).toBe(true);
    }
    await t.services.reevaluation.drain();
    // written by an older version, or by hand: an object that is not a mapping, a baseline that
    // is not a list of policy names
    await t.database.db.execute(sql`update inventory set object = 'null'::jsonb where name = 'broken'`);
    await t.database.db.execute(sql`update inventory set failing = '{"p": 1}'::jsonb where name = 'gamma'`);
    expect((await t.call("POST", "/v1/policies", { yaml: policy("false") })).status).toBe(201);
    const reevaluator = new Reevaluator(
      t.database.db,
      t.services.runtime,
      t.services.images,
      t.services.evaluator,
      t.services.findings,
      logger,
      new Metrics(),
      { maxAttempts: 1, retryMs: 0 },
    );
    expect(await reevaluator.drain()).toBe(1);
    const [change] = rowsOf(
      await t.database.db.execute(
        sql`select error, done_at from reevaluation_changes where subject = 'replicas-gate'`,
      ),
    );
    expect(change).toMatchObject({ error: null });
    expect(change?.done_at).not.toBeNull();
    const open = rowsOf(
      await t.database.db.execute(
        sql`select name from findings where policy = 'replicas-gate' and status = 'open' order by name`,
      ),
    );
    expect(open).toEqual([{ name: "alpha" }, { name: "omega" }]);
    const logged = lines.join("");
    for (const name of ["broken", "gamma"]) expect(logged).toContain(`"name":"${name}"`);
    expect(logged).toContain("an inventory entry no longer reads");
  });
});
