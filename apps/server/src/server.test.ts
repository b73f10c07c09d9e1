// Reliability, proved on the built server (dist/main.js) run as child processes: acknowledged
// evaluations survive kill -9, replicas on one PostgreSQL see policy changes within a second,
// SIGTERM finishes in-flight requests, the first start prints an admin token once.
// (PGlite on a fresh data directory takes several seconds to initialise: few starts here.)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  BACKENDS,
  createPostgresDatabase,
  deploymentYaml,
  FIXTURE_POLICY_DIR,
  type Json,
} from "./test/harness.js";
import { built, type Child, startChild } from "./test/process.js";

const ADMIN = "reliability-admin-token-0123456789";

async function call(child: Child, method: string, path: string, body?: unknown, token = ADMIN) {
  const res = await fetch(`${child.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const policy = (name: string, replicas: number) => `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: ${name}}
spec:
  match: {kinds: [Deployment]}
  validations:
    - expression: "object.spec.?replicas.orValue(1) <= ${replicas}"
      message: at most ${replicas} replicas
`;

describe.skipIf(!built).each(BACKENDS)("the built server on %s", (backend) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  async function storage(): Promise<Record<string, string>> {
    if (backend === "pglite") {
      const dir = mkdtempSync(join(tmpdir(), "celgate-data-"));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return { CELGATE_DATA_DIR: dir };
    }
    const db = await createPostgresDatabase();
    cleanups.push(() => db.drop());
    return { DATABASE_URL: db.url };
  }

  function track(child: Child): Child {
    cleanups.push(async () => {
      if (child.proc.exitCode === null && child.proc.signalCode === null) {
        child.proc.kill("SIGKILL");
        await child.exited;
      }
    });
    return child;
  }

  it("keeps every acknowledged evaluation across kill -9 and restart, prints the first admin token once, stops gracefully", async () => {
    const env = { ...(await storage()), CELGATE_POLICY_DIR: FIXTURE_POLICY_DIR };
    const first = track(await startChild(env));
    const printed = /cg_[A-Za-z0-9_-]{43}/.exec(first.stdout())?.[0];
    expect(printed, first.stdout()).toBeDefined();
    const token = printed!;
    const acked: string[] = [];
    const send = async (i: number) => {
      const r = await call(
        first,
        "POST",
        "/v1/evaluations",
        { manifests: deploymentYaml(`d${i}`), context: { i } },
        token,
      ).catch(() => null);
      if (r && r.status === 201) acked.push(r.body.id);
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => send(i)));
    // More in flight while the process dies: only the acknowledged ones are promised.
    const inflight = Promise.all(Array.from({ length: 20 }, (_, i) => send(100 + i)));
    await new Promise((r) => setTimeout(r, 30));
    first.proc.kill("SIGKILL");
    await first.exited;
    await inflight;
    expect(acked.length).toBeGreaterThanOrEqual(20);

    const second = track(await startChild(env));
    expect(second.stdout()).not.toMatch(/cg_/);
    for (const id of acked)
      expect((await call(second, "GET", `/v1/evaluations/${id}`, undefined, token)).status).toBe(200);

    // The restarted instance also proves a graceful stop: SIGTERM lets the in-flight request finish.
    const manifests = Array.from({ length: 800 }, (_, i) => deploymentYaml(`big${i}`)).join("---\n");
    const pending = call(second, "POST", "/v1/evaluations", { manifests }, token);
    await new Promise((r) => setTimeout(r, 50));
    second.proc.kill("SIGTERM");
    const res = await pending;
    expect(res.status).toBe(201);
    expect(res.body.summary.resources).toBe(800);
    expect((await second.exited).code).toBe(0);
  }, 90_000);

  it.runIf(backend === "postgres")("keeps replicas on one PostgreSQL in step within a second", async () => {
    const env = { ...(await storage()), CELGATE_POLICY_DIR: FIXTURE_POLICY_DIR, CELGATE_ADMIN_TOKEN: ADMIN };
    const [a, b] = await Promise.all([startChild(env), startChild(env)]);
    track(a!);
    track(b!);
    const evaluateOn = async (child: Child) =>
      (
        await call(child, "POST", "/v1/evaluations", {
          manifests: deploymentYaml("r", { replicas: 4 }),
          dryRun: true,
          policies: undefined,
        })
      ).body;
    const seen = async (child: Child, check: (report: Json) => boolean) => {
      const started = Date.now();
      while (Date.now() - started < 3000) {
        if (check(await evaluateOn(child))) return Date.now() - started;
        await new Promise((r) => setTimeout(r, 20));
      }
      return Number.POSITIVE_INFINITY;
    };
    expect((await evaluateOn(b!)).results.some((r: Json) => r.policy === "max-replicas")).toBe(false);
    const created = await fetch(`${a!.url}/v1/policies`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/yaml" },
      body: policy("max-replicas", 5),
    });
    expect(created.status).toBe(201);
    const createdAfter = await seen(b!, (r) =>
      r.results.some((x: Json) => x.policy === "max-replicas" && x.outcome === "pass"),
    );
    expect(createdAfter).toBeLessThan(1000);
    const replaced = await fetch(`${b!.url}/v1/policies/max-replicas`, {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/yaml", "if-match": '"v1"' },
      body: policy("max-replicas", 3),
    });
    expect(replaced.status).toBe(200);
    const replacedAfter = await seen(a!, (r) =>
      r.results.some(
        (x: Json) => x.policy === "max-replicas" && x.outcome === "fail" && x.policyVersion === 2,
      ),
    );
    expect(replacedAfter).toBeLessThan(1000);
  });

  it("refuses to start on a bad configuration, naming the variable", async () => {
    const child = await startChild(
      { CELGATE_MAX_BODY_BYTES: "lots", DATABASE_URL: "mysql://x" },
      { waitReady: false },
    );
    const { code } = await child.exited;
    expect(code).toBe(2);
    expect(child.stderr()).toContain("CELGATE_MAX_BODY_BYTES");
    expect(child.stderr()).toContain("DATABASE_URL");
  });
});
