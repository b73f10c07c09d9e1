/**
 * Section 8: continuous re-evaluation. An inventory of N deployed objects (10,000; 2,000 with
 * --quick) is recorded through the service's own verbs (evaluations with context.cluster and
 * context.deployed), then one policy change that concerns every one of them is re-evaluated
 * in the background, the way the service does it (its Reevaluator, on its bounded share of the
 * evaluator workers), while concurrent single-object evaluations run. Reported: the time to
 * re-evaluate the inventory, entries per second, findings opened, and the latency of the
 * concurrent evaluations before and during the re-evaluation. On PGlite, and on PostgreSQL
 * when it is reachable (BENCH_POSTGRES_URL, "off" skips it). In process: no HTTP.
 */
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { openPglite, openPostgres } from "../../apps/server/src/db/client.js";
import { createEvaluator } from "../../apps/server/src/evaluator/index.js";
import { createLogger } from "../../apps/server/src/lib/logger.js";
import { Metrics } from "../../apps/server/src/lib/metrics.js";
import { createServices, type Services } from "../../apps/server/src/services/index.js";
import type { Context } from "../context.js";
import { num, table } from "../lib/table.js";

/** The PostgreSQL client, resolved where the service depends on it (the bench does not). */
interface PgClient {
  connect(): Promise<void>;
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
}
const pg = createRequire(new URL("../../apps/server/package.json", import.meta.url))("pg") as {
  Client: new (options: { connectionString: string; connectionTimeoutMillis?: number }) => PgClient;
};

/** Objects per recording evaluation: small, as the library's `bundle` policies scan the whole bundle per object. */
const CHUNK = 200;
const CLIENTS = 4;
const PRINCIPAL = { tokenId: "bench", name: "bench", role: "admin" as const };

const POLICY = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: bench-replicas-at-most-five
spec:
  severity: medium
  action: audit
  match: { kinds: [Deployment] }
  validations:
    - expression: "object.spec.?replicas.orValue(1) <= 5"
      message: at most five replicas
`;

function deployment(i: number) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: `app-${i}`, namespace: `team-${i % 50}`, labels: { app: `app-${i}`, owner: "bench" } },
    spec: {
      replicas: (i % 10) + 1,
      selector: { matchLabels: { app: `app-${i}` } },
      template: {
        metadata: { labels: { app: `app-${i}` } },
        spec: {
          containers: [
            {
              name: "app",
              image: `registry.example/team-${i % 50}/app:1.${i % 7}`,
              resources: {
                limits: { cpu: "500m", memory: "256Mi" },
                requests: { cpu: "100m", memory: "128Mi" },
              },
            },
          ],
        },
      },
    },
  };
}

interface Latencies {
  count: number;
  p50: number;
  p99: number;
}

function summarise(samples: number[]): Latencies {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { count: s.length, p50: at(0.5), p99: at(0.99) };
}

/** Single-object evaluations from CLIENTS loops until `until` resolves; their latencies in ms. */
async function load(services: Services, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const samples: number[] = [];
  let n = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (!done) {
        const started = performance.now();
        await services.evaluations.run(
          PRINCIPAL,
          { resources: [deployment(1_000_000 + n++)], context: { bench: "load" } },
          { source: "api" },
        );
        samples.push(performance.now() - started);
      }
    }),
  );
  return samples;
}

async function postgresUrl(): Promise<string | null> {
  const base = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  if (base === "off") return null;
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const name = `celgate_bench_${randomBytes(6).toString("hex")}`;
    await client.query(`create database ${name}`);
    const u = new URL(base);
    u.pathname = `/${name}`;
    return u.toString();
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

async function dropDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  u.pathname = "/postgres";
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  await client.query(`drop database if exists ${name} with (force)`);
  await client.end();
}

async function runOn(ctx: Context, backend: "pglite" | "postgres", url: string | null, objects: number) {
  const database = backend === "pglite" ? await openPglite("memory://") : await openPostgres(url!);
  const threads = Math.max(1, availableParallelism());
  const evaluator = createEvaluator({ threads, timeoutMs: 30_000 });
  const share = Math.max(1, Math.floor(threads / 4));
  const services = createServices({
    database,
    logger: createLogger("silent"),
    metrics: new Metrics(),
    policyPollMs: 250,
    evaluator,
    reevaluation: { concurrency: share, batchSize: 50 },
  });
  try {
    await services.tokens.seedAdmin(undefined);
    await services.policies.syncRepository(ctx.paths.policies, createLogger("silent"));
    ctx.progress(`${backend}: recording an inventory of ${num(objects)} deployments`);
    for (let i = 0; i < objects; i += CHUNK) {
      const resources = Array.from({ length: Math.min(CHUNK, objects - i) }, (_, k) => deployment(i + k));
      await services.evaluations.run(
        PRINCIPAL,
        { resources, context: { cluster: "bench", deployed: true } },
        { source: "api" },
      );
    }
    // settle what setup queued (the repository's policies)
    await services.reevaluation.drain();
    ctx.progress(`${backend}: concurrent evaluations without re-evaluation`);
    const baseline = summarise(
      await load(services, new Promise((r) => setTimeout(r, ctx.quick ? 2000 : 5000))),
    );
    await services.policies.create("bench", POLICY);
    ctx.progress(`${backend}: one policy change, re-evaluated while evaluations run`);
    const started = performance.now();
    let seconds = 0;
    const reevaluation = services.reevaluation.drain().then(() => {
      seconds = (performance.now() - started) / 1000;
    });
    const during = summarise(await load(services, reevaluation));
    const opened = await database.db.execute("select count(*)::int as n from findings where status = 'open'");
    const findings = Number((opened as unknown as { rows: { n: number }[] }).rows[0]?.n ?? 0);
    return {
      backend,
      objects,
      threads,
      share,
      seconds,
      perSecond: objects / seconds,
      findings,
      baseline,
      during,
    };
  } finally {
    await evaluator.close();
    await database.close();
  }
}

export async function reevaluationSection(ctx: Context) {
  const objects = ctx.quick ? 2_000 : 10_000;
  const rows = [await runOn(ctx, "pglite", null, objects)];
  const url = await postgresUrl();
  if (url) {
    try {
      rows.push(await runOn(ctx, "postgres", url, objects));
    } finally {
      await dropDatabase(url).catch(() => {});
    }
  } else ctx.print("  PostgreSQL: unreachable or BENCH_POSTGRES_URL=off; PGlite only");
  ctx.print(
    table(
      [
        { header: "database", align: "left" },
        { header: "objects" },
        { header: "workers (share)" },
        { header: "re-evaluation s" },
        { header: "objects/s" },
        { header: "findings" },
        { header: "eval p50 ms before" },
        { header: "p99 before" },
        { header: "p50 during" },
        { header: "p99 during" },
      ],
      rows.map((r) => [
        r.backend,
        num(r.objects),
        `${r.threads} (${r.share})`,
        num(r.seconds, 2),
        num(r.perSecond),
        num(r.findings),
        num(r.baseline.p50, 1),
        num(r.baseline.p99, 1),
        num(r.during.p50, 1),
        num(r.during.p99, 1),
      ]),
    ),
  );
  ctx.print(
    `  one policy change that concerns every object; ${CLIENTS} concurrent single-object evaluations (recorded) before and during`,
  );
  return { rows };
}
