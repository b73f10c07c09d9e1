// Service benchmark: requests per second and p50/p99 latency of POST /v1/evaluations (one
// Deployment, recorded in history) under concurrent load on loopback, next to a bare Hono JSON
// endpoint in the same run, on PGlite and on PostgreSQL; then the count of history rows, which
// must equal the count of 2xx answers. Needs `pnpm build` first.
//
//   node bench/service.js            prints a table
//   import { runServiceBench } from "./service.js"   returns the rows
//
// Options (environment): BENCH_SECONDS (5), BENCH_CONCURRENCY (32),
// BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres; "off" skips PostgreSQL).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SERVER_MAIN = join(ROOT, "apps/server/dist/main.js");
const BARE_MAIN = join(ROOT, "apps/server/dist/bench/bare.js");
const requireFromServer = createRequire(join(ROOT, "apps/server/package.json"));
const TOKEN = `bench-${randomBytes(16).toString("hex")}`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web, owner: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: registry.example/shop/web:1.4.2
          resources: {limits: {cpu: 500m, memory: 256Mi}, requests: {cpu: 100m, memory: 128Mi}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
`;

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startProcess(main, env, readyPath) {
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", HOST: "127.0.0.1", PORT: String(port), ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${main} exited: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`${main} not ready: ${stderr}`);
    const status = await request(port, "GET", readyPath).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

function request(port, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent,
        headers: {
          ...headers,
          ...(body ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

/** Closed-loop load: `concurrency` workers send requests back to back for `seconds`. */
async function load(port, path, body, headers, { seconds, concurrency }) {
  const latencies = [];
  let ok = 0;
  let failed = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const r = await request(port, "POST", path, body, headers);
        if (r.status >= 200 && r.status < 300) ok++;
        else failed++;
      } catch {
        failed++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { requests: latencies.length, ok, failed, rps: ok / elapsed, p50: pct(50), p99: pct(99) };
}

async function countHistory(port, runId) {
  let n = 0;
  let cursor = null;
  do {
    const path = `/v1/evaluations?limit=500&context.run=${runId}${cursor ? `&cursor=${cursor}` : ""}`;
    const r = await request(port, "GET", path, undefined, { authorization: `Bearer ${TOKEN}` });
    if (r.status !== 200) throw new Error(`history: ${r.status} ${r.body}`);
    const page = JSON.parse(r.body);
    n += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return n;
}

const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Runs the service benchmark and returns one row per target: bare Hono, the service on PGlite,
 * the service on PostgreSQL (skipped when unreachable or BENCH_POSTGRES_URL=off).
 */
export async function runServiceBench(options = {}) {
  const seconds = options.seconds ?? Number(process.env.BENCH_SECONDS ?? 5);
  const concurrency = options.concurrency ?? Number(process.env.BENCH_CONCURRENCY ?? 32);
  const pgBase =
    options.postgresUrl ?? process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const cfg = { seconds, concurrency };
  const rows = [];

  const bareServer = await startBare();
  try {
    const body = JSON.stringify({ manifests: DEPLOYMENT, context: { run: "bare" } });
    await load(bareServer.port, "/echo", body, {}, { seconds: 1, concurrency });
    const r = await load(bareServer.port, "/echo", body, {}, cfg);
    rows.push({
      target: "bare Hono JSON endpoint",
      backend: "-",
      concurrency,
      seconds,
      requests: r.requests,
      ok: r.ok,
      rps: round(r.rps),
      p50Ms: round(r.p50, 2),
      p99Ms: round(r.p99, 2),
      historyRows: null,
      historyMatches: null,
      ratioToBare: 1,
    });
  } finally {
    await bareServer.stop();
  }
  const bareRps = rows[0].rps;

  const backends = [{ name: "pglite" }];
  if (pgBase !== "off") backends.push({ name: "postgres" });
  for (const backend of backends) {
    const cleanup = [];
    let env;
    try {
      if (backend.name === "pglite") {
        const dir = mkdtempSync(join(tmpdir(), "celgate-bench-"));
        cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
        env = { CELGATE_DATA_DIR: dir };
      } else {
        const pg = requireFromServer("pg");
        const name = `celgate_bench_${randomBytes(4).toString("hex")}`;
        const admin = new pg.Client({ connectionString: pgBase });
        await admin.connect();
        await admin.query(`create database ${name}`);
        await admin.end();
        cleanup.push(async () => {
          const c = new pg.Client({ connectionString: pgBase });
          await c.connect();
          await c.query(`drop database if exists ${name} with (force)`);
          await c.end();
        });
        const url = new URL(pgBase);
        url.pathname = `/${name}`;
        env = { DATABASE_URL: url.toString() };
      }
    } catch (err) {
      rows.push({
        target: "POST /v1/evaluations",
        backend: backend.name,
        skipped: String(err.message ?? err),
      });
      for (const c of cleanup.reverse()) await c();
      continue;
    }
    const server = await startProcess(SERVER_MAIN, { ...env, CELGATE_ADMIN_TOKEN: TOKEN }, "/readyz");
    try {
      const headers = { authorization: `Bearer ${TOKEN}` };
      const warm = JSON.stringify({ manifests: DEPLOYMENT, context: { run: "warmup" } });
      await load(server.port, "/v1/evaluations", warm, headers, { seconds: 1, concurrency });
      const runId = `bench-${randomBytes(4).toString("hex")}`;
      const body = JSON.stringify({ manifests: DEPLOYMENT, context: { run: runId } });
      const r = await load(server.port, "/v1/evaluations", body, headers, cfg);
      const history = await countHistory(server.port, runId);
      rows.push({
        target: "POST /v1/evaluations",
        backend: backend.name,
        concurrency,
        seconds,
        requests: r.requests,
        ok: r.ok,
        rps: round(r.rps),
        p50Ms: round(r.p50, 2),
        p99Ms: round(r.p99, 2),
        historyRows: history,
        historyMatches: history === r.ok,
        ratioToBare: round(r.rps / bareRps, 3),
      });
    } finally {
      await server.stop();
      for (const c of cleanup.reverse()) await c();
    }
  }
  agent.destroy();
  return rows;
}

async function startBare() {
  const port = await freePort();
  const child = spawn(process.execPath, [BARE_MAIN], {
    env: { PATH: process.env.PATH ?? "", PORT: String(port) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => String(d).includes("listening") && resolve());
    child.once("exit", () => reject(new Error("bare server exited")));
  });
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await runServiceBench();
  console.table(rows);
  if (rows.some((r) => r.historyMatches === false)) {
    console.error("history rows differ from the count of 2xx answers");
    process.exit(1);
  }
}
