import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_POLICY_DIR, loadConfig } from "./env.js";
import { defaultEvaluatorThreads } from "./lib/cpus.js";

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      databaseUrl: undefined,
      dataDir: ".celgate",
      bodyLimit: 3 * 1024 * 1024,
      logLevel: "info",
    });
    expect(c.policyDir).toBe(DEFAULT_POLICY_DIR);
    expect(DEFAULT_POLICY_DIR).toMatch(/policies$/);
  });

  it("reads every variable, with byte sizes in units", () => {
    const c = loadConfig({
      PORT: "9000",
      DATABASE_URL: "postgres://u@h/db",
      CELGATE_DATA_DIR: "/data",
      CELGATE_ADMIN_TOKEN: "0123456789abcdef",
      CELGATE_POLICY_DIR: "/p",
      CELGATE_MAX_BODY_BYTES: "512kib",
      LOG_LEVEL: "debug",
    });
    expect(c).toMatchObject({
      port: 9000,
      databaseUrl: "postgres://u@h/db",
      dataDir: "/data",
      policyDir: "/p",
      bodyLimit: 524_288,
      logLevel: "debug",
    });
    expect(loadConfig({ BODY_LIMIT: "1mb" }).bodyLimit).toBe(1_000_000);
    expect(loadConfig({ PORT: "" }).port).toBe(8080);
  });

  it("reads the evaluator settings: threads (default one core fewer than usable) and the per-evaluation timeout", () => {
    const c = loadConfig({});
    expect(c.evaluatorThreads).toBe(defaultEvaluatorThreads());
    expect(c.evaluationTimeoutMs).toBe(10_000);
    expect(
      loadConfig({ CELGATE_EVALUATOR_THREADS: "0", CELGATE_EVALUATION_TIMEOUT_MS: "2500" }),
    ).toMatchObject({
      evaluatorThreads: 0,
      evaluationTimeoutMs: 2500,
    });
    expect(() => loadConfig({ CELGATE_EVALUATOR_THREADS: "many" })).toThrow(/CELGATE_EVALUATOR_THREADS/);
    expect(() => loadConfig({ CELGATE_EVALUATION_TIMEOUT_MS: "5" })).toThrow(/CELGATE_EVALUATION_TIMEOUT_MS/);
  });

  it("reads the redaction and replay settings, naming a bad path", () => {
    expect(loadConfig({})).toMatchObject({
      redactPaths: [],
      redactionKey: undefined,
      replayTimeoutMs: 30_000,
    });
    const c = loadConfig({
      CELGATE_REDACT_PATHS:
        'ConfigMap:data.password, $.spec.credentials,Deployment:metadata.annotations["vault.io/token"]',
      CELGATE_REDACTION_KEY: "k".repeat(32),
      CELGATE_REPLAY_TIMEOUT_MS: "5000",
    });
    expect(c.redactPaths.map((p) => [p.kind, p.segments])).toEqual([
      ["ConfigMap", ["data", "password"]],
      [undefined, ["spec", "credentials"]],
      ["Deployment", ["metadata", "annotations", "vault.io/token"]],
    ]);
    expect(c).toMatchObject({ redactionKey: "k".repeat(32), replayTimeoutMs: 5000 });
    expect(() => loadConfig({ CELGATE_REDACT_PATHS: "ConfigMap:data..password" })).toThrow(
      /CELGATE_REDACT_PATHS: "ConfigMap:data\.\.password"/,
    );
    expect(() => loadConfig({ CELGATE_REDACTION_KEY: "short" })).toThrow(/CELGATE_REDACTION_KEY/);
    expect(() => loadConfig({ CELGATE_REPLAY_TIMEOUT_MS: "5" })).toThrow(/CELGATE_REPLAY_TIMEOUT_MS/);
  });

  it("names every bad variable", () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: "http",
        LOG_LEVEL: "loud",
        CELGATE_ADMIN_TOKEN: "short",
        DATABASE_URL: "mysql://x",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    for (const name of ["PORT", "LOG_LEVEL", "CELGATE_ADMIN_TOKEN", "DATABASE_URL"])
      expect((error as Error).message).toContain(name);
  });

  it("reads the volume limits, with documented defaults and a way to turn each off", () => {
    const c = loadConfig({ CELGATE_EVALUATOR_THREADS: "2" });
    expect(c.http).toEqual({
      maxConnections: 1024,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 5000,
    });
    expect(c.rateLimit).toEqual({ perSecond: 100, burst: 200 });
    expect(c.historyRetentionMs).toBe(90 * 86_400_000);
    expect(c.evaluationConcurrency).toEqual({ active: 1, queue: 256, maxWaitMs: 30_000 });
    const onPostgres = (threads: string) =>
      loadConfig({ CELGATE_EVALUATOR_THREADS: threads, DATABASE_URL: "postgres://h/db" })
        .evaluationConcurrency.active;
    expect([onPostgres("0"), onPostgres("1"), onPostgres("2"), onPostgres("4")]).toEqual([4, 4, 4, 8]);
    const set = loadConfig({
      CELGATE_RATE_LIMIT: "2.5",
      CELGATE_RATE_LIMIT_BURST: "10",
      CELGATE_HISTORY_RETENTION: "36h",
      CELGATE_MAX_CONCURRENT_EVALUATIONS: "3",
      CELGATE_EVALUATION_QUEUE: "0",
    });
    expect(set.rateLimit).toEqual({ perSecond: 2.5, burst: 10 });
    expect(set.historyRetentionMs).toBe(36 * 3_600_000);
    expect(set.evaluationConcurrency).toEqual({ active: 3, queue: 0, maxWaitMs: 30_000 });
    for (const off of ["off", "0", "OFF"]) {
      expect(loadConfig({ CELGATE_RATE_LIMIT: off }).rateLimit).toBeNull();
      expect(loadConfig({ CELGATE_HISTORY_RETENTION: off }).historyRetentionMs).toBeNull();
    }
    expect(() => loadConfig({ CELGATE_HISTORY_RETENTION: "90 days" })).toThrow(/CELGATE_HISTORY_RETENTION/);
    expect(() => loadConfig({ CELGATE_HISTORY_RETENTION: "5m" })).toThrow(
      /CELGATE_HISTORY_RETENTION: at least 1h/,
    );
    expect(loadConfig({ CELGATE_HISTORY_RETENTION: "36500d" }).historyRetentionMs).toBe(36_500 * 86_400_000);
    for (const long of ["36501d", "9999999999d"])
      expect(() => loadConfig({ CELGATE_HISTORY_RETENTION: long })).toThrow(
        /CELGATE_HISTORY_RETENTION: at most 36500d/,
      );
    expect(() => loadConfig({ CELGATE_RATE_LIMIT: "fast" })).toThrow(/CELGATE_RATE_LIMIT/);
    expect(() =>
      loadConfig({ CELGATE_HEADERS_TIMEOUT_MS: "20000", CELGATE_REQUEST_TIMEOUT_MS: "10000" }),
    ).toThrow(/CELGATE_REQUEST_TIMEOUT_MS/);
  });
});

describe("continuous re-evaluation settings", () => {
  it("default to the cluster `default` and a quarter of the evaluator threads, at least one", () => {
    expect(loadConfig({ CELGATE_EVALUATOR_THREADS: "8" }).reevaluation).toEqual({
      workers: 2,
      batchSize: 50,
    });
    expect(loadConfig({ CELGATE_EVALUATOR_THREADS: "2" }).reevaluation.workers).toBe(1);
    expect(loadConfig({}).clusterName).toBe("default");
    const c = loadConfig({
      CELGATE_CLUSTER_NAME: "prod-eu",
      CELGATE_REEVALUATION_WORKERS: "0",
      CELGATE_REEVALUATION_BATCH: "200",
    });
    expect(c.clusterName).toBe("prod-eu");
    expect(c.reevaluation).toEqual({ workers: 0, batchSize: 200 });
  });

  it("refuses bad values, naming the variable", () => {
    expect(() => loadConfig({ CELGATE_CLUSTER_NAME: "prod eu" })).toThrow(/CELGATE_CLUSTER_NAME/);
    expect(() => loadConfig({ CELGATE_REEVALUATION_WORKERS: "-1" })).toThrow(/CELGATE_REEVALUATION_WORKERS/);
    expect(() => loadConfig({ CELGATE_REEVALUATION_BATCH: "0" })).toThrow(/CELGATE_REEVALUATION_BATCH/);
  });

  it("reads numbers as plain decimal digits only: 0x10, 1e3, 2.0 and padded text are refused, not read as 16, 1000, 2", () => {
    for (const [name, value] of [
      ["PORT", "0x10"],
      ["PORT", "1e3"],
      ["PORT", " 8080"],
      ["CELGATE_EVALUATOR_THREADS", "2.0"],
      ["CELGATE_EVALUATION_TIMEOUT_MS", "0b1111101000"],
      ["CELGATE_MAX_CONCURRENT_EVALUATIONS", "+4"],
    ] as const)
      expect(() => loadConfig({ [name]: value }), `${name}=${value}`).toThrow(
        new RegExp(`${name}.*decimal integer`),
      );
    expect(loadConfig({ PORT: "0" }).port).toBe(0);
    expect(loadConfig({ CELGATE_EVALUATOR_THREADS: "2" }).evaluatorThreads).toBe(2);
  });
});
