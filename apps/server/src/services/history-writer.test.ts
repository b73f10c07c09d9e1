// Group commit of history rows, through real requests: concurrent evaluations are written
// together, each answered only once its own row is committed, one row's failure is its own.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, deploymentObject, setupApp, type TestApp } from "../test/harness.js";

describe.each(BACKENDS)("group commit of history on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  const evaluate = (context: Record<string, string>, headers: Record<string, string> = {}) =>
    t.call("POST", "/v1/evaluations", {
      body: { resources: [deploymentObject("web", { owner: "team" })], context },
      headers,
    });

  /** Sends the requests while the writer holds its rows, waits until all are waiting, then lets them go as one batch. */
  async function asOneBatch<T>(requests: (() => Promise<T>)[]): Promise<T[]> {
    const writer = t.services.evaluations.history;
    const release = writer.hold();
    try {
      const answers = requests.map((r) => r());
      const deadline = Date.now() + 30_000;
      while (writer.waiting < requests.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      expect(writer.waiting).toBe(requests.length);
      release();
      return await Promise.all(answers);
    } finally {
      release();
    }
  }

  async function historyCount(run: string): Promise<number> {
    const res = await t.call("GET", `/v1/evaluations?limit=500&context.run=${run}`);
    expect(res.status).toBe(200);
    return res.body.items.length;
  }

  it("writes concurrent evaluations in one statement, one row each, each readable once answered", async () => {
    const before = t.services.evaluations.history.stats.statements;
    const answers = await asOneBatch(
      Array.from({ length: 12 }, (_, i) => () => evaluate({ run: "batch", n: String(i) })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(201));
    // one statement for the twelve (the statement count moved by exactly one)
    expect(t.services.evaluations.history.stats.statements - before).toBe(1);
    expect(await historyCount("batch")).toBe(12);
    const ids = new Set(answers.map((a) => a.body.id as string));
    expect(ids.size).toBe(12);
    for (const a of answers.slice(0, 3)) {
      const stored = await t.call("GET", `/v1/evaluations/${a.body.id}`);
      expect(stored.status).toBe(200);
      expect(stored.body).toEqual(a.body);
    }
  });

  it("records an Idempotency-Key once when its retries land in the same batch", async () => {
    const key = { "idempotency-key": "batch-key-1" };
    const answers = await asOneBatch([
      ...Array.from({ length: 5 }, () => () => evaluate({ run: "idem" }, key)),
      () => evaluate({ run: "idem-free" }),
    ]);
    const same = answers.slice(0, 5);
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(201));
    expect(new Set(same.map((a) => a.body.id)).size).toBe(1);
    // exactly one was written; the other four answer with its report
    expect(same.filter((a) => a.headers.get("idempotent-replayed") === "true").length).toBe(4);
    expect(await historyCount("idem")).toBe(1);
    expect(await historyCount("idem-free")).toBe(1);
    // a retry after the batch is a replay of the same row; another body under the key is refused
    const retry = await evaluate({ run: "idem" }, key);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.id).toBe(same[0]!.body.id);
    expect((await evaluate({ run: "idem", other: "body" }, key)).status).toBe(422);
    expect(await historyCount("idem")).toBe(1);
  });

  it("fails only the request whose row fails; the others of its batch are written and answered 201", async () => {
    // a constraint only the poisoned row breaks (NOT VALID: existing rows are not checked)
    await t.database.db.execute(
      sql`alter table evaluations add constraint test_poison check (context->>'poison' is null) not valid`,
    );
    try {
      const splitsBefore = t.services.evaluations.history.stats.splits;
      const answers = await asOneBatch(
        Array.from(
          { length: 8 },
          (_, i) => () => evaluate(i === 3 ? { run: "poison", poison: "yes" } : { run: "poison" }),
        ),
      );
      expect(answers[3]!.status).toBeGreaterThanOrEqual(400);
      expect(answers[3]!.body.id).toBeUndefined();
      expect(answers.filter((_, i) => i !== 3).map((a) => a.status)).toEqual(Array(7).fill(201));
      expect(t.services.evaluations.history.stats.splits).toBe(splitsBefore + 1);
      expect(await historyCount("poison")).toBe(7);
      for (const a of answers.filter((_, i) => i !== 3))
        expect((await t.call("GET", `/v1/evaluations/${a.body.id}`)).status).toBe(200);
    } finally {
      await t.database.db.execute(sql`alter table evaluations drop constraint test_poison`);
    }
  });
});
