// Service benchmark: requests per second, p50/p99 latency and server CPU per request of
// POST /v1/evaluations (one Deployment, recorded in history) under concurrent load on loopback,
// next to a bare Hono JSON endpoint in the same run, on PGlite and on PostgreSQL; where a
// request's time goes on the server (the service's phase histograms, read from /metrics); then
// the count of history rows, which must equal the count of 2xx answers; /healthz and /readyz
// latency while evaluations run at concurrency 64; the server's peak RSS under eight concurrent
// maximal (3 MiB) evaluations. Needs `pnpm build` first.
//
//   node bench/service.js            prints a table
//   import { runServiceBench } from "./service.js"   returns the rows
//
// Options (environment): BENCH_SECONDS (5), BENCH_CONCURRENCY (16), BENCH_HEALTH_CONCURRENCY (64),
// BENCH_MAXIMAL ("off" skips the eight maximal evaluations), BENCH_PROBES ("off" skips the probe rows),
// BENCH_WARMUP_REQUESTS (2000 evaluations before measuring, or 15 s), BENCH_BACKENDS (pglite,postgres),
// BENCH_SERVER_MAIN (the server build to start), BENCH_SERVER_NODE_ARGS (Node options for the
// server process, space-separated, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), CELGATE_* (passed to the server),
// BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres; "off" skips PostgreSQL).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LeanConnection, requestBytes } from "./lib/lean-http.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// BENCH_SERVER_MAIN: another build of the server to measure (e.g. an older commit's), same bench
const SERVER_MAIN = process.env.BENCH_SERVER_MAIN ?? join(ROOT, "apps/server/dist/main.js");
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
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, main], {
    env: {
      PATH: process.env.PATH ?? "",
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      PORT: String(port),
      ...env,
      // CELGATE_* settings given to the bench reach the server (e.g. CELGATE_MAX_CONCURRENT_EVALUATIONS)
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          ([k]) => k.startsWith("CELGATE_") && k !== "CELGATE_BENCH_POLICIES",
        ),
      ),
    },
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
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user and system) the process has used, every thread; with `mainThread`, its main
 * thread's alone (the event loop: HTTP, the database driver, the service's own work); null off Linux.
 */
function cpuSeconds(pid, mainThread = false) {
  try {
    // the command name may hold spaces: the fields counted after its closing parenthesis
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * Runs `work` and returns its result with the server's CPU per 2xx answer, ms: the process's
 * CPU during the run, less what it uses at rest (its timers and background loops, measured for
 * `idleSeconds` just before) over the same time.
 */
async function withCpu(pid, work, idleSeconds = 2) {
  const i0 = cpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const i1 = cpuSeconds(pid);
  const idleRate = i0 === null || i1 === null ? null : (i1 - i0) / ((performance.now() - t0) / 1000);
  const c0 = cpuSeconds(pid);
  const m0 = cpuSeconds(pid, true);
  const s0 = performance.now();
  const result = await work();
  const c1 = cpuSeconds(pid);
  const m1 = cpuSeconds(pid, true);
  const elapsed = (performance.now() - s0) / 1000;
  const busy = c0 === null || c1 === null || idleRate === null ? null : c1 - c0 - idleRate * elapsed;
  const perRequest = (seconds) =>
    seconds === null || result.ok === 0 ? null : (Math.max(0, seconds) * 1000) / result.ok;
  return {
    ...result,
    cpuMsPerRequest: perRequest(busy),
    // the main thread's share (not less its rest: its timers are a small part of the process's)
    mainCpuMsPerRequest: m0 === null || m1 === null ? null : perRequest(m1 - m0),
    cpuCores: c0 === null || c1 === null ? null : (c1 - c0) / elapsed,
  };
}

/**
 * Sums and counts of the server's histograms, from its /metrics text: name{labels} -> {sum,
 * count}; counters (`*_total`) as name{labels} -> {sum: value, count: 0}.
 */
async function histograms(port) {
  const r = await request(port, "GET", "/metrics");
  const out = new Map();
  for (const line of r.body.split("\n")) {
    const c = /^(\w+_total)(\{[^}]*\})? (\S+)$/.exec(line);
    if (c) {
      out.set(`${c[1]}${c[2] ?? ""}`, { sum: Number(c[3]), count: 0 });
      continue;
    }
    const m = /^(\w+)_(sum|count)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) continue;
    const key = `${m[1]}${m[3] ?? ""}`;
    const entry = out.get(key) ?? { sum: 0, count: 0 };
    entry[m[2]] = Number(m[4]);
    out.set(key, entry);
  }
  return out;
}

const PHASES = ["prepare", "facts", "evaluate", "sign", "record"];

/**
 * Where an evaluation's time went between two /metrics readings: the mean server time of the
 * route (from the first middleware to the response), each phase of the evaluation service
 * (celgate_evaluation_phase_seconds), and the rest (authentication, reading and validating
 * the body, routing, writing the response); plus the history rows per statement. Milliseconds.
 */
function breakdown(before, after) {
  const mean = (key) => {
    const a = after.get(key);
    const b = before.get(key) ?? { sum: 0, count: 0 };
    if (!a || a.count === b.count) return null;
    return { ms: ((a.sum - b.sum) / (a.count - b.count)) * 1000, count: a.count - b.count };
  };
  const total = mean('celgate_http_request_duration_seconds{method="POST",route="/v1/evaluations"}');
  const queued = mean("celgate_evaluation_queue_wait_seconds");
  const phases = Object.fromEntries(
    PHASES.map((p) => [p, mean(`celgate_evaluation_phase_seconds{phase="${p}"}`)?.ms ?? null]),
  );
  const known = Object.values(phases).reduce((a, b) => a + (b ?? 0), 0) + (queued?.ms ?? 0);
  const counter = (key) => (after.get(key)?.sum ?? 0) - (before.get(key)?.sum ?? 0);
  const statements = counter("celgate_history_statements_total");
  return {
    totalMs: total?.ms ?? null,
    queueMs: queued?.ms ?? null,
    phases,
    restMs: total ? total.ms - known : null,
    rowsPerStatement: statements > 0 ? counter("celgate_history_rows_total") / statements : null,
  };
}

function describeBreakdown(name, b) {
  if (b.totalMs === null) return `${name}: no phase figures (the server exposes none)`;
  const parts = [
    `waiting for a slot ${b.queueMs === null ? "-" : round(b.queueMs, 2)}`,
    ...PHASES.map((p) => `${p} ${b.phases[p] === null ? "-" : round(b.phases[p], 2)}`),
  ];
  return (
    `${name}: mean server time per evaluation ${round(b.totalMs, 2)} ms = ${parts.join(", ")}, ` +
    `rest (auth, body, validation, response) ${round(b.restMs, 2)}` +
    (b.rowsPerStatement === null ? "" : `; history rows per statement ${round(b.rowsPerStatement, 1)}`)
  );
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

/**
 * Closed-loop load: `concurrency` clients, each on a connection of its own (LeanConnection),
 * send the POST back to back for `seconds`, or until `requests` have been sent when that
 * comes first.
 */
async function load(
  port,
  path,
  body,
  headers,
  { seconds, concurrency, requests = Number.POSITIVE_INFINITY },
) {
  const latencies = [];
  let ok = 0;
  let failed = 0;
  let sent = 0;
  const bytes = requestBytes(port, path, body, headers);
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    const connection = new LeanConnection(port);
    try {
      while (performance.now() < end && sent++ < requests) {
        const t0 = performance.now();
        try {
          const status = await connection.send(bytes);
          if (status >= 200 && status < 300) ok++;
          else failed++;
        } catch {
          failed++;
        }
        latencies.push(performance.now() - t0);
      }
    } finally {
      connection.close();
    }
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const { user, system } = process.cpuUsage(cpu);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    ok,
    failed,
    rps: ok / elapsed,
    p50: pct(50),
    p99: pct(99),
    // the load generator's own CPU (this process, every thread) per request sent
    clientCpuMs: latencies.length ? (user + system) / 1000 / latencies.length : null,
  };
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/**
 * Health probes while evaluations run: `concurrency` clients send POST /v1/evaluations back to
 * back, and one prober asks GET `path` every 20 ms on a new connection each time, as a kubelet
 * does (only more often). Returns the probes' latencies and status counts.
 */
async function probeUnderLoad(port, path, body, headers, { seconds, concurrency }) {
  const latencies = [];
  let ok = 0;
  let failed = 0;
  let done = false;
  const loadRun = load(port, "/v1/evaluations", body, headers, { seconds, concurrency }).finally(() => {
    done = true;
  });
  // let the load reach its concurrency first
  await new Promise((r) => setTimeout(r, 500));
  while (!done) {
    const t0 = performance.now();
    const status = await new Promise((resolve) => {
      const req = http.request({ host: "127.0.0.1", port, method: "GET", path, agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", () => resolve(0));
      req.end();
    });
    latencies.push(performance.now() - t0);
    if (status === 200) ok++;
    else failed++;
    await new Promise((r) => setTimeout(r, 20));
  }
  const evaluations = await loadRun;
  latencies.sort((a, b) => a - b);
  return {
    probes: latencies.length,
    ok,
    failed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? 0,
    evaluations,
  };
}

/** A request body of just under `bytes`: a manifests bundle of distinct Deployments. */
function maximalBody(bytes) {
  const docs = [];
  let size = 64;
  for (let i = 0; ; i++) {
    const doc = DEPLOYMENT.replace("name: web\n", `name: web-${i}\n`);
    // JSON escapes each newline: count the document as it is sent
    const cost = JSON.stringify(doc).length + 4;
    if (size + cost > bytes) break;
    docs.push(doc);
    size += cost;
  }
  return {
    body: JSON.stringify({ manifests: docs.join("---\n"), context: { run: "rss" } }),
    resources: docs.length,
  };
}

/** The kernel's high-water mark of the process's resident memory (VmHWM), in bytes; null off Linux. */
function peakRssBytes(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resets VmHWM to the current RSS (Linux: writing 5 to clear_refs); false when not possible. */
function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** Eight (or `count`) concurrent maximal evaluations: their latencies and the server's peak RSS. */
async function peakRssUnderMaximal(server, headers, bodyLimit, count) {
  const { body, resources } = maximalBody(bodyLimit);
  const reset = resetPeakRss(server.pid);
  const before = peakRssBytes(server.pid);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: count }, async () => {
      const t0 = performance.now();
      const r = await request(server.port, "POST", "/v1/evaluations", body, headers).catch(() => ({
        status: 0,
      }));
      return { status: r.status, ms: performance.now() - t0 };
    }),
  );
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  return {
    resources,
    bodyBytes: Buffer.byteLength(body),
    ok: results.filter((r) => r.status >= 200 && r.status < 300).length,
    statuses: [...new Set(results.map((r) => r.status))].join(","),
    p50: percentile(ms, 50),
    max: ms.at(-1) ?? 0,
    seconds: (performance.now() - started) / 1000,
    rssBefore: reset ? before : null,
    peakRss: peakRssBytes(server.pid),
    peakIsSinceStart: !reset,
  };
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
  const concurrency = options.concurrency ?? Number(process.env.BENCH_CONCURRENCY ?? 16);
  const healthConcurrency = options.healthConcurrency ?? Number(process.env.BENCH_HEALTH_CONCURRENCY ?? 64);
  const bodyLimit = 3 * 1024 * 1024;
  const pgBase =
    options.postgresUrl ?? process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const cfg = { seconds, concurrency };
  const rows = [];
  const notes = [];

  const bareServer = await startBare();
  try {
    const body = JSON.stringify({ manifests: DEPLOYMENT, context: { run: "bare" } });
    await load(bareServer.port, "/echo", body, {}, { seconds: 1, concurrency });
    const r = await withCpu(bareServer.pid, () => load(bareServer.port, "/echo", body, {}, cfg));
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
      cpuMsPerRequest: r.cpuMsPerRequest === null ? null : round(r.cpuMsPerRequest, 3),
      cpuToBare: 1,
      historyRows: null,
      historyMatches: null,
      ratioToBare: 1,
    });
  } finally {
    await bareServer.stop();
  }
  const bareRps = rows[0].rps;
  const bareCpu = rows[0].cpuMsPerRequest;

  const wanted = new Set((process.env.BENCH_BACKENDS ?? "pglite,postgres").split(","));
  const backends = [];
  if (wanted.has("pglite")) backends.push({ name: "pglite" });
  if (pgBase !== "off" && wanted.has("postgres")) backends.push({ name: "postgres" });
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
    // One token sends every request here: the per-token rate limit would measure itself.
    const server = await startProcess(
      SERVER_MAIN,
      { ...env, CELGATE_ADMIN_TOKEN: TOKEN, CELGATE_RATE_LIMIT: "off" },
      "/readyz",
    );
    try {
      const headers = { authorization: `Bearer ${TOKEN}` };
      const warm = JSON.stringify({ manifests: DEPLOYMENT, context: { run: "warmup" } });
      // Warm up by count, not time: on a loaded machine one second was ~100 requests, and the
      // run then measured the JIT compiling the service (its compiler threads count in the
      // process's CPU) more than the service.
      await load(server.port, "/v1/evaluations", warm, headers, {
        seconds: 15,
        concurrency,
        requests: Number(process.env.BENCH_WARMUP_REQUESTS ?? 2000),
      });
      const runId = `bench-${randomBytes(4).toString("hex")}`;
      const body = JSON.stringify({ manifests: DEPLOYMENT, context: { run: runId } });
      const before = await histograms(server.port);
      const r = await withCpu(server.pid, () => load(server.port, "/v1/evaluations", body, headers, cfg));
      const after = await histograms(server.port);
      notes.push(describeBreakdown(backend.name, breakdown(before, after)));
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
        cpuMsPerRequest: r.cpuMsPerRequest === null ? null : round(r.cpuMsPerRequest, 3),
        cpuToBare: r.cpuMsPerRequest === null || !bareCpu ? null : round(r.cpuMsPerRequest / bareCpu, 1),
        mainThreadCpuMs: r.mainCpuMsPerRequest === null ? null : round(r.mainCpuMsPerRequest, 3),
        clientCpuMs: r.clientCpuMs === null ? null : round(r.clientCpuMs, 3),
        historyRows: history,
        historyMatches: history === r.ok,
        ratioToBare: round(r.rps / bareRps, 3),
      });
      for (const path of process.env.BENCH_PROBES === "off" ? [] : ["/healthz", "/readyz"]) {
        const h = await probeUnderLoad(server.port, path, body, headers, {
          seconds,
          concurrency: healthConcurrency,
        });
        rows.push({
          target: `GET ${path} during evaluations`,
          backend: backend.name,
          concurrency: healthConcurrency,
          seconds,
          requests: h.probes,
          ok: h.ok,
          rps: round(h.evaluations.rps),
          p50Ms: round(h.p50, 2),
          p99Ms: round(h.p99, 2),
          maxMs: round(h.max, 1),
        });
        if (h.evaluations.failed > 0)
          notes.push(
            `${backend.name}, ${path} run: ${h.evaluations.failed} of ${h.evaluations.requests} evaluations were not 2xx (queue full answers 503)`,
          );
      }
      if (process.env.BENCH_MAXIMAL === "off") continue;
      const m = await peakRssUnderMaximal(server, headers, bodyLimit, 8);
      rows.push({
        target: `8 x ${round(m.bodyBytes / 1048576, 2)} MiB evaluations (${m.resources} resources each)`,
        backend: backend.name,
        concurrency: 8,
        seconds: round(m.seconds, 1),
        requests: 8,
        ok: m.ok,
        p50Ms: round(m.p50, 0),
        maxMs: round(m.max, 0),
        peakRssMiB: m.peakRss === null ? null : round(m.peakRss / 1048576, 0),
      });
      if (m.ok < 8) notes.push(`${backend.name}, maximal evaluations: statuses ${m.statuses}`);
      if (m.peakIsSinceStart)
        notes.push(`${backend.name}: peak RSS could not be reset; it is the peak since start`);
      else if (m.rssBefore !== null)
        notes.push(
          `${backend.name}: RSS before the maximal evaluations ${round(m.rssBefore / 1048576, 0)} MiB`,
        );
    } finally {
      await server.stop();
      for (const c of cleanup.reverse()) await c();
    }
  }
  agent.destroy();
  return { rows, notes };
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
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { rows, notes } = await runServiceBench();
  console.table(rows);
  for (const note of notes) console.log(note);
  if (rows.some((r) => r.historyMatches === false)) {
    console.error("history rows differ from the count of 2xx answers");
    process.exit(1);
  }
}
