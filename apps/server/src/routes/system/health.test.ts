// Health probes under load, on the real listening server with evaluations on a worker thread (as
// in production): /healthz and /readyz are answered while 64 clients send evaluations back to
// back, and /readyz answers from the state its background check keeps.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/client.js";
import { loadConfig } from "../../env.js";
import { createLogger } from "../../lib/logger.js";
import { type RunningServer, startServer } from "../../server.js";
import { BACKENDS, deploymentYaml, FIXTURE_POLICY_DIR, openTestDatabase } from "../../test/harness.js";

const ADMIN = "health-admin-token-0123456789";

describe.each(BACKENDS)("health probes under load on %s", (backend) => {
  let server: RunningServer;
  let database: Database;
  let drop: () => Promise<void>;
  let pings = 0;
  beforeAll(async () => {
    const opened = await openTestDatabase(backend);
    database = opened.database;
    drop = opened.drop;
    const ping = database.ping.bind(database);
    database.ping = (timeoutMs) => {
      pings++;
      return ping(timeoutMs);
    };
    server = await startServer(
      loadConfig({
        HOST: "127.0.0.1",
        PORT: "0",
        CELGATE_POLICY_DIR: FIXTURE_POLICY_DIR,
        CELGATE_ADMIN_TOKEN: ADMIN,
        CELGATE_EVALUATOR_THREADS: "1",
        CELGATE_RATE_LIMIT: "off",
        // the database is passed in; the URL only makes the defaults those of PostgreSQL
        ...(backend === "postgres" ? { DATABASE_URL: "postgres://unused.invalid/db" } : {}),
      }),
      { logger: createLogger("silent"), database, print: () => {} },
    );
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  const base = () => `http://127.0.0.1:${server.port}`;

  /** One probe as a kubelet sends it: a new connection each time. Returns status and milliseconds. */
  async function probe(path: string): Promise<{ status: number; ms: number }> {
    const t0 = performance.now();
    const res = await fetch(`${base()}${path}`, { headers: { connection: "close" } });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  }

  it("answers /readyz from its background check: no database query per probe", async () => {
    expect((await probe("/readyz")).status).toBe(200);
    const before = pings;
    const started = performance.now();
    for (let i = 0; i < 30; i++) expect((await probe("/readyz")).status).toBe(200);
    const seconds = (performance.now() - started) / 1000;
    // the background loop pings about once a second, whatever the number of probes
    expect(pings - before).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
  });

  it("keeps answering /healthz and /readyz while 64 clients send evaluations back to back", async () => {
    const body = JSON.stringify({ manifests: deploymentYaml("web"), context: { run: "load" } });
    const loadMs = 4000;
    const end = performance.now() + loadMs;
    const statuses = new Map<number, number>();
    const client = async () => {
      while (performance.now() < end) {
        const res = await fetch(`${base()}/v1/evaluations`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
          body,
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    };
    const probes: { status: number; ms: number }[] = [];
    const prober = async () => {
      await new Promise((r) => setTimeout(r, 300));
      while (performance.now() < end) {
        probes.push(await probe("/healthz"), await probe("/readyz"));
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const started = performance.now();
    await Promise.all([...Array.from({ length: 64 }, client), prober()]);
    const elapsed = performance.now() - started;
    expect(statuses.get(201) ?? 0).toBeGreaterThan(0);
    expect([...statuses.keys()].every((s) => s === 201)).toBe(true);
    expect(probes.every((p) => p.status === 200)).toBe(true);
    // Probes were answered throughout the load, each in a small part of it: none queued
    // behind the evaluations (without the concurrency limit one probe waited the whole run).
    expect(probes.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...probes.map((p) => p.ms))).toBeLessThan(elapsed / 4);
  }, 60_000);
});
