// Group commit of history rows, through real requests: concurrent evaluations are written
// together, each answered only once its own row is committed, one row's failure is its own.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluate } from "@celgate/core";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { type Database, openPglite, openPostgres } from "../db/client.js";
import { finishReport } from "../evaluator/finish.js";
import type { Evaluator } from "../evaluator/index.js";
import { createLogger } from "../lib/logger.js";
import { Metrics } from "../lib/metrics.js";
import {
  BACKENDS,
  createPostgresDatabase,
  deploymentObject,
  deploymentYaml,
  FIXTURE_POLICY_DIR,
  type Json,
  setupApp,
  type TestApp,
} from "../test/harness.js";
import { TcpProxy } from "../test/process.js";
import { createServices, type Services } from "./index.js";

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

  it("stores every column of rows of different shapes written in one statement as each request gave it", async () => {
    const digest = `sha256:${"c".repeat(64)}`;
    const image = `registry.example/shop/web@${digest}`;
    // characters a hand-made statement must carry through: quotes, backslashes, a comma, braces, non-ASCII
    const awkward = `it's "quoted", {braced} \\ back\\slash ünïcode`;
    const yaml = `${deploymentYaml("web", { owner: "team", replicas: 1, image })}`;
    const bodies = [
      {
        manifests: yaml,
        context: { run: "shapes", note: awkward },
        params: { "min-replicas": { min: 3 } },
        select: "practice in (availability, ownership)",
        policies: ["min-replicas", "owner-label"],
        images: [
          {
            ref: image,
            scan: { scanner: "trivy 0.58.0", scannedAt: "2026-11-20T10:00:00Z", vulnerabilities: [] },
          },
        ],
      },
      {
        manifests: [
          { file: "k8s/a.yaml", text: deploymentYaml("a", { owner: awkward.replace(/[^a-z]/g, "") }) },
          { file: "k8s/b.json", text: JSON.stringify(deploymentObject("b", { owner: "x" })) },
        ],
        context: { run: "shapes" },
      },
      { resources: [deploymentObject("c", { owner: "x" })], context: { run: "shapes", n: 3 } },
    ];
    const answers = await asOneBatch(
      bodies.map(
        (body, i) => () =>
          t.call("POST", "/v1/evaluations", {
            body,
            headers: {
              "idempotency-key": `shapes-${i}-${backend}`,
              "x-celgate-source": i === 1 ? "cli" : "api",
            },
          }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    const { rows } = (await t.database.db.execute(
      sql`select e.id, e.evaluated_at, e.actor, e.token_id, e.source, e.context, e.params, e.selector,
            e.policy_names, e.policy_set_digest, e.policy_count, e.policy_versions, e.decision, e.summary,
            e.report, e.resources, e.images, e.policies, e.idempotency_key, e.request_hash,
            i.kind, i.text, i.data, im.kind as images_kind, im.data as images_data
          from evaluations e join inputs i on i.hash = e.input_hash left join inputs im on im.hash = e.images_hash
          where e.context->>'run' = 'shapes' order by e.seq`,
    )) as unknown as { rows: Json[] };
    expect(rows).toHaveLength(3);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const [i, a] of answers.entries()) {
      const row = byId.get(a.body.id);
      expect(row, `row ${i}`).toBeDefined();
      expect(row.report).toEqual(a.body);
      expect(new Date(row.evaluated_at).toISOString()).toBe(a.body.evaluatedAt);
      expect(row).toMatchObject({
        actor: "admin (CELGATE_ADMIN_TOKEN)",
        source: i === 1 ? "cli" : "api",
        context: bodies[i]!.context,
        policy_set_digest: a.body.policySet.digest,
        policy_count: a.body.policySet.policies,
        decision: a.body.decision,
        summary: a.body.summary,
        idempotency_key: `shapes-${i}-${backend}`,
        request_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(Object.keys(row.policy_versions).length).toBeGreaterThan(0);
    }
    const [first, second, third] = answers.map((a) => byId.get(a.body.id));
    expect(first).toMatchObject({
      params: { "min-replicas": { min: 3 } },
      selector: "practice in (availability, ownership)",
      policy_names: ["min-replicas", "owner-label"],
      resources: [{ kind: "Deployment", namespace: "shop", name: "web" }],
      kind: "manifests",
      text: yaml,
      images_kind: "images",
    });
    expect(first.images).toEqual(expect.arrayContaining([image, digest]));
    expect(first.images_data).toEqual([expect.objectContaining({ ref: image })]);
    expect(second).toMatchObject({
      params: null,
      selector: null,
      policy_names: null,
      kind: "manifest-files",
    });
    expect(second.data).toEqual(bodies[1]!.manifests);
    expect(second.images_kind).toBeNull();
    expect(third).toMatchObject({ kind: "resources", data: bodies[2]!.resources });
    for (const row of [first, second, third])
      expect(row.policies).toEqual([...new Set(byId.get(row.id).report.results.map((r: Json) => r.policy))]);
    // what was stored replays as it was evaluated
    const replay = await t.call("POST", "/v1/replays", {
      body: { evaluations: answers.map((a) => a.body.id) },
    });
    expect(replay.status, JSON.stringify(replay.body)).toBe(200);
    expect(replay.body.changes).toEqual([]);
  });
});

/** Polls until `ready()` holds, for at most 30 s. */
async function until(ready: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 30_000; !ready() && Date.now() < deadline; )
    await new Promise((r) => setTimeout(r, 10));
}

// A request gives its evaluation slot up once its row is taken in by the writer, so with one
// slot the rows of many requests still gather for one statement; the writer's bound on rows
// pending keeps what waits for commit finite, and new evaluations wait past it.
describe.each(BACKENDS)("one evaluation slot, rows pending commit, on %s", (backend) => {
  let t: TestApp;
  let evaluated = 0;
  const counting: Evaluator = {
    evaluate: async (set, input) => {
      evaluated++;
      return evaluate(set, input);
    },
    evaluateFinished: async (set, input, versionsJson) =>
      finishReport(await counting.evaluate(set, input), versionsJson),
    close: async () => {},
  };
  beforeAll(async () => {
    t = await setupApp(backend, {
      evaluator: counting,
      concurrency: { active: 1, queue: 64, maxWaitMs: 60_000 },
      services: { history: { maxPendingRows: 4 } },
    });
  });
  afterAll(() => t.close());

  const gauge = (name: string) =>
    Number(new RegExp(`^${name} (\\d+)$`, "m").exec(t.services.metrics.render())?.[1] ?? Number.NaN);

  it("commits the rows of many requests in batches, holds the bound, and answers all of them", async () => {
    const writer = t.services.evaluations.history;
    const before = { ...writer.stats };
    const release = writer.hold();
    let answers: Promise<{ status: number; body: Json }>[] = [];
    try {
      answers = Array.from({ length: 10 }, (_, i) =>
        t.call("POST", "/v1/evaluations", {
          body: { resources: [deploymentObject(`w${i}`, { owner: "team" })], context: { run: "slot" } },
        }),
      );
      // four rows wait for commit, each request having given its slot up; the fifth is
      // evaluated and keeps the one slot while it waits for room; the other five wait for the slot
      await until(
        () =>
          writer.pending === 4 && writer.waitingForRoom === 1 && gauge("celgate_evaluations_queued") === 5,
      );
      expect([writer.pending, writer.waitingForRoom]).toEqual([4, 1]);
      expect(gauge("celgate_evaluations_in_progress")).toBe(1);
      expect(gauge("celgate_evaluations_queued")).toBe(5);
      expect(evaluated).toBe(5);
      expect(writer.stats.statements).toBe(before.statements); // nothing committed yet
    } finally {
      release();
    }
    const done = await Promise.all(answers);
    expect(done.map((a) => a.status)).toEqual(Array(10).fill(201));
    expect(evaluated).toBe(10);
    const rows = writer.stats.rows - before.rows;
    const statements = writer.stats.statements - before.statements;
    expect(rows).toBe(10);
    expect(statements).toBeLessThan(rows); // batches larger than one row
    expect(writer.stats.largestBatch).toBe(4);
    expect(writer.stats.mostPending).toBe(4); // the bound held
    expect(writer.stats.waitedForRoom - before.waitedForRoom).toBeGreaterThanOrEqual(1);
    expect(writer.pending).toBe(0);
    expect(t.services.metrics.render()).toContain(`celgate_history_rows_total ${writer.stats.rows}`);
    const listed = await t.call("GET", "/v1/evaluations?limit=100&context.run=slot");
    expect(new Set(listed.body.items.map((i: { id: string }) => i.id))).toEqual(
      new Set(done.map((a) => a.body.id)),
    );
  });
});

// The database goes away while rows wait for their commit: every waiting request is answered
// with an error, none with 201, and nothing of theirs is in history once the database is back.
describe.each(BACKENDS)("the database fails while rows wait for commit, on %s", (backend) => {
  let services: Services;
  let database: Database;
  let app: ReturnType<typeof createApp>;
  let cleanup: () => Promise<void> = async () => {};
  const proxy = new TcpProxy("127.0.0.1", 5432);
  const dir = mkdtempSync(join(tmpdir(), "celgate-history-"));
  const ADMIN = "history-admin-token-0123456789";

  beforeAll(async () => {
    if (backend === "postgres") {
      const created = await createPostgresDatabase();
      const port = await proxy.start();
      const url = new URL(created.url);
      url.host = `127.0.0.1:${port}`;
      database = await openPostgres(url.toString(), { poolSize: 4 });
      cleanup = async () => {
        await proxy.cut();
        await database.close();
        await created.drop();
      };
    } else {
      database = await openPglite(dir);
      cleanup = async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      };
    }
    const logger = createLogger("silent");
    services = createServices({ database, logger, metrics: new Metrics(), policyPollMs: 0 });
    await services.tokens.seedAdmin(ADMIN);
    await services.policies.syncRepository(FIXTURE_POLICY_DIR, logger);
    app = createApp({
      services,
      bodyLimit: 1 << 20,
      concurrency: { active: 1, queue: 64, maxWaitMs: 60_000 },
    });
  });
  afterAll(() => cleanup());

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const evaluation = (run: string, i: number) => ({
    resources: [deploymentObject(`d${i}`, { owner: "team" })],
    context: { run },
  });

  it("answers each waiting request with an error and records none of them", async () => {
    expect((await call("POST", "/v1/evaluations", evaluation("before", 0))).status).toBe(201);
    const writer = services.evaluations.history;
    const release = writer.hold();
    let answers: Promise<{ status: number; body: Json }>[] = [];
    try {
      answers = Array.from({ length: 6 }, (_, i) => call("POST", "/v1/evaluations", evaluation("down", i)));
      await until(() => writer.pending === 6);
      expect(writer.pending).toBe(6); // all six evaluated through the one slot, waiting for commit
      if (backend === "postgres") await proxy.cut();
      else await database.close();
    } finally {
      release();
    }
    const done = await Promise.all(answers);
    for (const a of done) {
      expect(a.status).toBe(503);
      expect(a.body.id).toBeUndefined();
    }
    expect(writer.pending).toBe(0);

    // back: the rows of the failed requests are not there, the earlier one is
    let count: (run: string) => Promise<number>;
    if (backend === "postgres") {
      await proxy.start(proxy.port);
      count = async (run) => {
        const rows = await database.db.execute(
          sql`select count(*)::int as n from evaluations where context->>'run' = ${run}`,
        );
        return Number((rows as unknown as { rows: { n: number }[] }).rows[0]!.n);
      };
    } else {
      const reopened = await openPglite(dir);
      const previous = cleanup;
      cleanup = async () => {
        await reopened.close();
        await previous();
      };
      count = async (run) => {
        const rows = await reopened.db.execute(
          sql`select count(*)::int as n from evaluations where context->>'run' = ${run}`,
        );
        return Number((rows as unknown as { rows: { n: number }[] }).rows[0]!.n);
      };
    }
    let down = -1;
    for (const deadline = Date.now() + 10_000; down < 0 && Date.now() < deadline; )
      down = await count("down").catch(() => new Promise<number>((r) => setTimeout(() => r(-1), 100)));
    expect(down).toBe(0);
    expect(await count("before")).toBe(1);
  });
});

// What a history row costs the database (migration 0007): the report compressed with lz4, the
// resource filter's index in jsonb_path_ops, no index on `context` (its filter cannot use one).
describe.each(BACKENDS)("history storage on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  it("compresses reports with lz4 and keeps the resource filter answered by its index", async () => {
    const res = await t.call("POST", "/v1/evaluations", {
      body: { resources: [deploymentObject("stored", { owner: "team" })], context: { run: "storage" } },
    });
    expect(res.status).toBe(201);
    const { rows: columns } = (await t.database.db.execute(
      sql`select attcompression from pg_attribute where attrelid = 'evaluations'::regclass and attname = 'report'`,
    )) as unknown as { rows: { attcompression: string }[] };
    expect(columns).toEqual([{ attcompression: "l" }]);
    const { rows: indexes } = (await t.database.db.execute(
      sql`select indexname, indexdef from pg_indexes where tablename = 'evaluations' and indexdef like '%USING gin%' order by indexname`,
    )) as unknown as { rows: { indexname: string; indexdef: string }[] };
    expect(indexes.map((i) => i.indexname)).toEqual([
      "evaluations_images",
      "evaluations_policies",
      "evaluations_resources",
    ]);
    expect(indexes.find((i) => i.indexname === "evaluations_resources")?.indexdef).toContain(
      "jsonb_path_ops",
    );
    // the filter's query is one the index answers (the planner may not pick it on a tiny table)
    const plan = await t.database.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      const { rows } = (await tx.execute(
        sql`explain select id from evaluations where resources @> ${JSON.stringify([{ kind: "Deployment", name: "stored" }])}::jsonb`,
      )) as unknown as { rows: Record<string, string>[] };
      return rows.map((r) => Object.values(r).join("")).join("\n");
    });
    expect(plan).toContain("evaluations_resources");
    const found = await t.call("GET", "/v1/evaluations?kind=Deployment&name=stored&context.run=storage");
    expect(found.status).toBe(200);
    expect(found.body.items.map((i: Json) => i.id)).toEqual([res.body.id]);
    const stored = await t.call("GET", `/v1/evaluations/${res.body.id}`);
    expect(stored.body).toEqual(res.body);
  });

  it("stores the report as the text answered (json, not jsonb): read back with its keys in order", async () => {
    const posted = await t.request("POST", "/v1/evaluations", {
      body: { resources: [deploymentObject("verbatim", { owner: "team" })], context: { run: "verbatim" } },
    });
    expect(posted.status).toBe(201);
    const answered = await posted.text();
    const { id } = JSON.parse(answered) as { id: string };
    const { rows } = (await t.database.db.execute(
      sql`select attname, format_type(atttypid, atttypmod) as type, attcompression from pg_attribute
          where attrelid = 'evaluations'::regclass and attname in ('report', 'policy_versions') order by attname`,
    )) as unknown as { rows: { attname: string; type: string; attcompression: string }[] };
    // the type change of migration 0008 keeps migration 0007's lz4
    expect(rows).toEqual([
      { attname: "policy_versions", type: "json", attcompression: "l" },
      { attname: "report", type: "json", attcompression: "l" },
    ]);
    // and every other value PostgreSQL may compress is lz4 too (pglz costs several times more)
    const { rows: others } = (await t.database.db.execute(
      sql`select attrelid::regclass::text || '.' || attname as col, attcompression from pg_attribute
          where attrelid in ('evaluations'::regclass, 'inputs'::regclass) and attnum > 0 and not attisdropped
            and attstorage in ('x', 'm') and atttypid not in ('text'::regtype) order by 1`,
    )) as unknown as { rows: { col: string; attcompression: string }[] };
    expect(others.filter((c) => c.attcompression !== "l").map((c) => c.col)).toEqual([]);
    expect(others.map((c) => c.col)).toEqual(
      expect.arrayContaining(["evaluations.policies", "evaluations.policy_versions", "inputs.data"]),
    );
    // jsonb would have reordered the keys (shorter first): the text read back would differ
    const read = await t.request("GET", `/v1/evaluations/${id}`);
    expect(read.status).toBe(200);
    expect(await read.text()).toBe(answered);
  });
});

describe.runIf(BACKENDS.includes("postgres"))("history rows on PostgreSQL", () => {
  it("are written by a named statement, prepared once per connection", async () => {
    const created = await createPostgresDatabase();
    const database = await openPostgres(created.url, { poolSize: 1 });
    try {
      const logger = createLogger("silent");
      const services = createServices({ database, logger, metrics: new Metrics(), policyPollMs: 0 });
      const ADMIN = "history-admin-token-0123456789";
      await services.tokens.seedAdmin(ADMIN);
      await services.policies.syncRepository(FIXTURE_POLICY_DIR, logger);
      const app = createApp({ services, bodyLimit: 1 << 20 });
      for (let i = 0; i < 3; i++) {
        const res = await app.request("/v1/evaluations", {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
          body: JSON.stringify({ resources: [deploymentObject(`p${i}`, { owner: "team" })] }),
        });
        expect(res.status).toBe(201);
      }
      // one connection: the session that wrote the rows answers
      const { rows } = (await database.db.execute(
        sql`select name from pg_prepared_statements where name like 'celgate_history_%'`,
      )) as unknown as { rows: { name: string }[] };
      expect(rows).toEqual([{ name: "celgate_history_1_1" }]);
      expect(services.evaluations.history.stats.rows).toBe(3);
    } finally {
      await database.close();
      await created.drop();
    }
  });
});
