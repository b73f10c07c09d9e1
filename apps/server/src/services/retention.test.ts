import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openPostgres } from "../db/client.js";
import { sha256Hex } from "../lib/ids.js";
import { createLogger } from "../lib/logger.js";
import { Metrics } from "../lib/metrics.js";
import {
  BACKENDS,
  createPostgresDatabase,
  deploymentYaml,
  FIXTURE_POLICY_DIR,
  setupApp,
  type TestApp,
} from "../test/harness.js";
import { createServices } from "./index.js";
import { RetentionService } from "./retention.js";

const DAY = 86_400_000;
const silent = createLogger("silent");

function rowsOf(result: unknown): Record<string, unknown>[] {
  return (result as { rows: Record<string, unknown>[] }).rows;
}

async function count(database: Database, query: ReturnType<typeof sql>): Promise<number> {
  return Number(rowsOf(await database.db.execute(query))[0]?.n);
}

/** Evaluations whose input (or image facts) row is missing: must always be 0. */
const DANGLING = sql`select count(*) as n from evaluations e
  where not exists (select 1 from inputs i where i.hash = e.input_hash)
     or (e.images_hash is not null and not exists (select 1 from inputs i where i.hash = e.images_hash))`;

async function backdate(database: Database, ids: string[], days: number): Promise<void> {
  await database.db.execute(
    sql`update evaluations set recorded_at = now() - ${`${days} days`}::interval
        where id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`,
  );
}

describe.each(BACKENDS)("history retention on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  const record = async (name: string, images?: unknown[]) => {
    const r = await t.call("POST", "/v1/evaluations", {
      body: { manifests: deploymentYaml(name), ...(images ? { images } : {}) },
    });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };

  it("deletes evaluations past the retention and the inputs only they referred to; keeps the rest", async () => {
    const facts = [
      {
        ref: "registry.example/shop/web:1.0",
        scan: { scanner: "t", scannedAt: "2026-01-01T00:00:00Z", vulnerabilities: [] },
      },
    ];
    const oldA = await record("a");
    const oldB = await record("b", facts);
    const oldC = await record("c");
    const keptA = await record("a", facts); // same manifests as oldA (one input row) and image facts as oldB
    const fresh = await record("d");
    await backdate(t.database, [oldA, oldB, oldC], 100);
    await backdate(t.database, [keptA], 30);
    const inputsBefore = await count(t.database, sql`select count(*) as n from inputs`);

    const retention = new RetentionService(t.database, silent, t.services.metrics, {
      retentionMs: 90 * DAY,
      batchSize: 1,
      pauseMs: 0,
    });
    const pruned = await retention.prune();
    expect(pruned).toEqual({ evaluations: 3, inputs: 2 }); // b's and c's manifests
    for (const id of [oldA, oldB, oldC])
      expect((await t.call("GET", `/v1/evaluations/${id}`)).status).toBe(404);
    for (const id of [keptA, fresh]) expect((await t.call("GET", `/v1/evaluations/${id}`)).status).toBe(200);
    expect(await count(t.database, sql`select count(*) as n from inputs`)).toBe(inputsBefore - 2);
    expect(await count(t.database, DANGLING)).toBe(0);
    // the kept evaluation can still be replayed on its stored inputs
    const inputs = await t.services.evaluations.inputsOf([keptA]);
    expect(inputs.get(keptA)?.input.images).toHaveLength(1);
    // nothing left to do
    expect(await retention.prune()).toEqual({ evaluations: 0, inputs: 0 });
    const metrics = t.services.metrics.render();
    expect(metrics).toContain('celgate_history_pruned_total{table="evaluations"} 3');
  });

  it("prunes in the background once started, and stops cleanly", async () => {
    const old = await record("background");
    await backdate(t.database, [old], 2);
    const retention = new RetentionService(t.database, silent, new Metrics(), {
      retentionMs: DAY,
      intervalMs: 50,
    });
    retention.start();
    const deadline = Date.now() + 10_000;
    while ((await t.call("GET", `/v1/evaluations/${old}`)).status !== 404 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await retention.stop();
    expect((await t.call("GET", `/v1/evaluations/${old}`)).status).toBe(404);
  });
});

describe.runIf(BACKENDS.includes("postgres"))("history retention with replicas on one PostgreSQL", () => {
  let drop: () => Promise<void>;
  let replicas: Database[] = [];
  beforeAll(async () => {
    const created = await createPostgresDatabase();
    drop = created.drop;
    replicas = [
      await openPostgres(created.url, { poolSize: 4 }),
      await openPostgres(created.url, { poolSize: 4 }),
    ];
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    await drop?.();
  });

  it("lets two replicas prune at once while evaluations reusing old inputs are recorded: no error, nothing dangling", async () => {
    const [a, b] = replicas as [Database, Database];
    // 600 old evaluations over 30 inputs, inserted directly; the inputs are real manifests,
    // stored under their content hash as recording stores them
    const texts = Array.from({ length: 30 }, (_, i) => deploymentYaml(`old${i}`));
    const hashes = texts.map((text) => `sha256:${sha256Hex(text)}`);
    await a.db.execute(sql`insert into inputs (hash, kind, text)
      select h, 'manifests', t from jsonb_to_recordset(${JSON.stringify(texts.map((t, i) => ({ h: hashes[i], t })))}::jsonb)
        as x(h text, t text)`);
    await a.db.execute(sql`insert into evaluations (id, recorded_at, evaluated_at, actor, token_id, source, context,
        policy_set_digest, policy_count, policy_versions, decision, summary, report, input_hash, resources, images, policies)
      select 'ev_old' || g, now() - interval '200 days', now() - interval '200 days', 't', 't', 'api', '{}'::jsonb,
        'sha256:d', 0, '{}'::jsonb, 'allow', '{}'::jsonb, '{}'::jsonb, ${JSON.stringify(hashes)}::jsonb ->> (g % 30),
        '[]'::jsonb, '{}'::text[], '{}'::text[]
      from generate_series(1, 600) g`);
    const services = createServices({ database: b, logger: silent, metrics: new Metrics(), policyPollMs: 0 });
    await services.tokens.seedAdmin("retention-admin-token-0123456789");
    await services.policies.syncRepository(FIXTURE_POLICY_DIR, silent);
    const principal = { tokenId: "t", name: "t", role: "evaluator" as const };
    // new evaluations whose manifests equal the old inputs' text: they reuse those input rows
    const recording = Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        services.evaluations.run(
          principal,
          { manifests: i % 2 ? (texts[i] as string) : deploymentYaml(`new${i}`) },
          { source: "api" },
        ),
      ),
    );
    const options = { retentionMs: 90 * DAY, batchSize: 25, pauseMs: 0 };
    const [ra, rb] = await Promise.all([
      new RetentionService(a, silent, new Metrics(), options).prune(),
      new RetentionService(b, silent, new Metrics(), options).prune(),
      recording,
    ]);
    // each round's lock lets one replica through; whatever was skipped, a further round finishes
    const rest = await new RetentionService(a, silent, new Metrics(), options).prune();
    expect(ra.evaluations + rb.evaluations + rest.evaluations).toBe(600);
    expect(await count(a, sql`select count(*) as n from evaluations where id like 'ev_old%'`)).toBe(0);
    expect(await count(a, sql`select count(*) as n from evaluations`)).toBe(30);
    expect(await count(a, DANGLING)).toBe(0);
    // the old inputs nothing refers to any more are gone
    expect(
      await count(
        a,
        sql`select count(*) as n from inputs i where not exists (select 1 from evaluations e where e.input_hash = i.hash)`,
      ),
    ).toBe(0);
  }, 60_000);
});
