// Test harness: a real app over a real database (PGlite or PostgreSQL), one per test file.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Finding, Role } from "@celgate/contracts";
import type { InputLimits } from "@celgate/core";
import pg from "pg";
import { type App, createApp } from "../app.js";
import { type Database, openPglite, openPostgres } from "../db/client.js";
import { loadConfig } from "../env.js";
import type { Evaluator } from "../evaluator/index.js";
import type { ConcurrencyLimit } from "../lib/concurrency.js";
import { createLogger, type Logger } from "../lib/logger.js";
import { Metrics } from "../lib/metrics.js";
import type { RateLimit } from "../lib/rate-limit.js";
import { type RunningServer, startServer } from "../server.js";
import { createServices, type Services } from "../services/index.js";
import { checkResponses } from "./responses.js";

export type Backend = "pglite" | "postgres";

/** A parsed JSON response body: tests assert on its shape, so it is left untyped on purpose. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions themselves
export type Json = any;

/** The PostgreSQL server for tests; each test file creates and drops its own database there. */
export const TEST_POSTGRES_URL =
  process.env.CELGATE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The backends every storage test runs on: PGlite, and PostgreSQL when it is reachable (CI
 * provides it). `CELGATE_TEST_BACKENDS=pglite` (or `postgres`) narrows the choice.
 */
export const BACKENDS: Backend[] = process.env.CELGATE_TEST_BACKENDS
  ? (process.env.CELGATE_TEST_BACKENDS.split(",") as Backend[])
  : (await postgresReachable())
    ? ["pglite", "postgres"]
    : ["pglite"];
if (!BACKENDS.includes("postgres"))
  console.warn(`celgate tests: PostgreSQL at ${TEST_POSTGRES_URL} unreachable; PGlite only`);

export const FIXTURE_POLICY_DIR = fileURLToPath(new URL("./fixtures/policies", import.meta.url));

export function databaseUrl(name: string, base = TEST_POSTGRES_URL): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty PostgreSQL database; returns its URL and a function that drops it. */
export async function createPostgresDatabase(): Promise<{
  url: string;
  name: string;
  drop(): Promise<void>;
}> {
  const name = `celgate_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    url: databaseUrl(name),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function openTestDatabase(
  backend: Backend,
): Promise<{ database: Database; drop(): Promise<void> }> {
  if (backend === "pglite") {
    const database = await openPglite("memory://");
    return { database, drop: () => database.close() };
  }
  const created = await createPostgresDatabase();
  const database = await openPostgres(created.url, { poolSize: 5 });
  return {
    database,
    drop: async () => {
      await database.close();
      await created.drop();
    },
  };
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** Sent as is, with Content-Type application/yaml unless headers say otherwise. */
  yaml?: string;
  raw?: string;
  headers?: Record<string, string>;
  /** The peer address the app sees (as @hono/node-server passes it); default none. */
  remoteAddress?: string;
}

export interface TestApp {
  backend: Backend;
  app: App;
  services: Services;
  database: Database;
  tokens: Record<Role, string>;
  request(method: string, path: string, options?: RequestOptions): Promise<Response>;
  /** request() and the parsed JSON body. */
  call<T = Json>(
    method: string,
    path: string,
    options?: RequestOptions,
  ): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * setupApp's options for an app over an empty policy repository (a new temporary folder, named
 * after `name`): its policies are the ones a test makes through the API.
 */
export function emptyRepository(name: string): { policyDir: string; allowEmptyPolicySet: true } {
  return { policyDir: mkdtempSync(join(tmpdir(), `celgate-${name}-`)), allowEmptyPolicySet: true };
}

/** A complete app (fixture policy repository loaded, a token per role) over a fresh database. */
export async function setupApp(
  backend: Backend,
  options: {
    policyDir?: string;
    bodyLimit?: number;
    policyPollMs?: number;
    admissionAuth?: "token" | "none";
    evaluator?: Evaluator;
    rateLimit?: RateLimit;
    concurrency?: ConcurrencyLimit;
    limits?: InputLimits;
    allowEmptyPolicySet?: boolean;
    /** Redaction and replay settings (CELGATE_REDACT_PATHS, CELGATE_REPLAY_TIMEOUT_MS, ...). */
    services?: Pick<
      Parameters<typeof createServices>[0],
      "redaction" | "replays" | "signing" | "cluster" | "reevaluation" | "webhooks" | "history"
    >;
  } = {},
): Promise<TestApp> {
  const { database, drop } = await openTestDatabase(backend);
  const logger = createLogger(process.env.CELGATE_TEST_LOG ?? "silent");
  const services = createServices({
    database,
    logger,
    metrics: new Metrics(),
    policyPollMs: options.policyPollMs ?? 0,
    ...(options.allowEmptyPolicySet ? { allowEmptyPolicySet: true } : {}),
    ...(options.evaluator ? { evaluator: options.evaluator } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...options.services,
    // the tests' receivers listen on loopback; services/webhooks.test.ts checks the default policy
    webhooks: { targets: "any", ...options.services?.webhooks },
  });
  await services.tokens.seedAdmin("test-admin-token-0123456789");
  await services.policies.syncRepository(options.policyDir ?? FIXTURE_POLICY_DIR, logger);
  const tokens = { admin: "test-admin-token-0123456789" } as Record<Role, string>;
  for (const role of ["author", "evaluator", "viewer"] as const)
    tokens[role] = (await services.tokens.create("test", { name: `test ${role}`, role })).token;
  const app = createApp({
    services,
    bodyLimit: options.bodyLimit ?? 3 * 1024 * 1024,
    ...(options.admissionAuth ? { admissionAuth: options.admissionAuth } : {}),
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  });
  checkResponses(app);
  const request = (method: string, path: string, o: RequestOptions = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const token = o.token === undefined ? tokens.admin : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (o.yaml !== undefined) {
      body = o.yaml;
      headers["content-type"] ??= "application/yaml";
    } else if (o.raw !== undefined) {
      body = o.raw;
      headers["content-type"] ??= "application/json";
    } else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers["content-type"] ??= "application/json";
    }
    const env = o.remoteAddress ? { incoming: { socket: { remoteAddress: o.remoteAddress } } } : undefined;
    return Promise.resolve(
      app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }, env),
    );
  };
  return {
    backend,
    app,
    services,
    database,
    tokens,
    request,
    async call(method, path, o) {
      const res = await request(method, path, o);
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: body as never, headers: res.headers };
    },
    close: drop,
  };
}

/**
 * The real listening server (startServer, as `main` runs it) on a fresh test database of
 * `backend`, on a free port of 127.0.0.1, with the fixture policies and no evaluator threads
 * unless `env` says otherwise; `close` stops it and drops the database.
 */
export async function serveOnTestDatabase(
  backend: Backend,
  env: Record<string, string>,
): Promise<{ server: RunningServer; close(): Promise<void> }> {
  const { database, drop } = await openTestDatabase(backend);
  const config = loadConfig({
    HOST: "127.0.0.1",
    PORT: "0",
    CELGATE_POLICY_DIR: FIXTURE_POLICY_DIR,
    CELGATE_EVALUATOR_THREADS: "0",
    ...env,
  });
  const server = await startServer(config, { logger: createLogger("silent"), database, print: () => {} });
  return {
    server,
    close: async () => {
      await server.close();
      await drop();
    },
  };
}

/**
 * A Policy named min-replicas (the fixture library's name, so that a replay compares it with
 * the recorded one) for Deployments, with one validation, as YAML.
 */
export function minReplicasPolicy(expression: string, message: string): string {
  return `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: min-replicas
spec:
  severity: high
  action: deny
  match:
    kinds: [Deployment]
  validations:
    - expression: ${JSON.stringify(expression)}
      message: ${message}
`;
}

/**
 * A stricter min-replicas (at least three, where the fixture library's asks for two), as
 * YAML: what the replay tests evaluate history again with.
 */
export const STRICTER_MIN_REPLICAS = minReplicasPolicy(
  "object.spec.?replicas.orValue(1) >= 3",
  "at least three replicas",
);

/** A PolicyException waiving owner-label (by default in namespace legacy), as YAML. */
export function exceptionYaml(
  name: string,
  options: { expires?: string; namespaces?: string[]; reason?: string } = {},
): string {
  return `apiVersion: celgate.dev/v1
kind: PolicyException
metadata:
  name: ${name}
spec:
  policies: [owner-label]
  match:
    namespaces: [${(options.namespaces ?? ["legacy"]).join(", ")}]
  reason: ${options.reason ?? "Legacy workloads, tracked in SEC-1"}
  owner: platform@example.com
  expires: ${options.expires ?? "2099-01-01T00:00:00Z"}
`;
}

/** A Deployment manifest as YAML. */
export function deploymentYaml(
  name: string,
  options: { namespace?: string; owner?: string; replicas?: number; image?: string } = {},
): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${options.namespace ?? "shop"}
${options.owner ? `  labels:\n    owner: ${options.owner}\n` : ""}spec:
  replicas: ${options.replicas ?? 2}
  template:
    spec:
      containers:
        - name: app
          image: ${options.image ?? "registry.example/shop/web:1.0"}
`;
}

export function deploymentObject(
  name: string,
  options: { namespace?: string; owner?: string; replicas?: number; image?: string } = {},
) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name,
      namespace: options.namespace ?? "shop",
      ...(options.owner ? { labels: { owner: options.owner } } : {}),
    },
    spec: {
      replicas: options.replicas ?? 2,
      template: {
        spec: { containers: [{ name: "app", image: options.image ?? "registry.example/shop/web:1.0" }] },
      },
    },
  };
}

/**
 * An AdmissionReview v1 request as the API server sends it for a Deployment in namespace
 * `shop` (user alice of group dev unless `username` says otherwise).
 */
export function admissionReview(
  uid: string,
  object: unknown,
  options: { operation?: string; username?: string } = {},
) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "apps", version: "v1", kind: "Deployment" },
      resource: { group: "apps", version: "v1", resource: "deployments" },
      namespace: "shop",
      operation: options.operation ?? "CREATE",
      userInfo: { username: options.username ?? "alice", groups: ["dev"] },
      object,
      oldObject: null,
      dryRun: false,
    },
  };
}

/** A logger at `debug` whose JSON lines are kept in `lines`, for tests that read what was logged. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger(
    "debug",
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  return { logger, lines };
}

/** An open finding, as webhooks send it, with the id given. */
export function openFinding(id: string): Finding {
  return {
    id,
    status: "open",
    resource: { cluster: "prod", namespace: "shop", kind: "Pod", name: "web" },
    policy: "p",
    policyVersion: 1,
    severity: "high",
    action: "deny",
    message: "failed",
    cause: "new-scan",
    trigger: {},
    openedAt: "2026-06-01T00:00:00.000Z",
    resolvedAt: null,
    resolution: null,
  };
}
