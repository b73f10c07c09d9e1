import { createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { fileURLToPath } from "node:url";
import { decimalIntegerSchema } from "@celgate/contracts";
import { type InputLimits, inputLimitsFromEnv, parseRedactionPaths, type RedactionPath } from "@celgate/core";
import { z } from "zod";
import { defaultEvaluatorThreads } from "./lib/cpus.js";

/** The web console built in this repository (apps/web/dist), found like the policy library. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL("../../web/dist", import.meta.url));

/** The repository's built-in policy library, found relative to this package (src/ or dist/). */
export const DEFAULT_POLICY_DIR = fileURLToPath(new URL("../../../policies", import.meta.url));

const LogLevelSchema = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

const byteSize = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(b|kb|kib|mb|mib|gb|gib)?$/i, "a byte size such as 3145728, 512kb or 3mib")
  .transform((text) => {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
    const units: Record<string, number> = {
      "": 1,
      b: 1,
      kb: 1000,
      kib: 1024,
      mb: 1_000_000,
      mib: 1_048_576,
      gb: 1e9,
      gib: 1_073_741_824,
    };
    return Math.floor(Number(m?.[1]) * (units[(m?.[2] ?? "").toLowerCase()] ?? 1));
  })
  .pipe(z.number().int().min(1024, "at least 1024 bytes"));

/** A duration such as `90d`, `12h`, `30m`; `0` or `off` turns the feature off (null). */
const retention = z
  .string()
  .regex(/^(off|0|\d+\s*(d|h|m))$/i, "a duration such as 90d, 12h or 30m, or 0/off to keep history forever")
  .transform((text) => {
    const m = /^(\d+)\s*([dhm])$/i.exec(text.trim());
    if (!m) return null;
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2]!.toLowerCase() as "d" | "h" | "m"];
    return Number(m[1]) * unit || null;
  })
  .pipe(
    z
      .number()
      .int()
      .min(3_600_000, "at least 1h (or 0/off to keep history forever)")
      // a cutoff before 1 AD is a time the database refuses: every retention round would fail
      .max(36_500 * 86_400_000, "at most 36500d, a hundred years (or 0/off to keep history forever)")
      .nullable(),
  );

/** Requests per second: a positive number, or `0`/`off` for no limit (null). */
const rate = z
  .string()
  .regex(/^(off|\d+(\.\d+)?)$/i, "requests per second per caller, such as 100, or 0/off for no limit")
  .transform((text) => (/^off$/i.test(text) ? null : Number(text) || null));

const EnvSchema = z.object({
  PORT: decimalIntegerSchema(0, 65_535).default(8080),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "a postgres:// or postgresql:// URL")
    .optional(),
  CELGATE_DATA_DIR: z.string().min(1).default(".celgate"),
  CELGATE_ADMIN_TOKEN: z.string().min(16, "at least 16 characters").optional(),
  CELGATE_POLICY_DIR: z.string().min(1).default(DEFAULT_POLICY_DIR),
  CELGATE_MAX_BODY_BYTES: byteSize.optional(),
  BODY_LIMIT: byteSize.optional(),
  LOG_LEVEL: LogLevelSchema.default("info"),
  /** How often (ms) an instance looks for policy changes made by other replicas. */
  CELGATE_POLICY_POLL_MS: decimalIntegerSchema(0, 60_000).default(250),
  /** Seconds to wait for in-flight requests at shutdown. */
  CELGATE_SHUTDOWN_TIMEOUT_S: decimalIntegerSchema(0, 600).default(10),
  /** PEM certificate chain and private key: both set, the service listens with HTTPS. */
  CELGATE_TLS_CERT_FILE: z.string().min(1).optional(),
  CELGATE_TLS_KEY_FILE: z.string().min(1).optional(),
  /** `token`: the webhook needs a bearer token like every /v1 route; `none`: it accepts calls without one. */
  CELGATE_ADMISSION_AUTH: z.enum(["token", "none"]).default("token"),
  /** `true`: an empty policy set allows everything. Default: an empty set refuses evaluations. */
  CELGATE_ALLOW_EMPTY_POLICY_SET: z.enum(["true", "false"]).default("false"),
  /**
   * How CEL runs: compiled to JavaScript, or interpreted (for comparison). Checked here so that a
   * bad value stops the start; the engine (and every evaluator worker) reads it itself.
   */
  CELGATE_CEL_ENGINE: z.enum(["compile", "interpret"]).default("compile"),
  /** Worker threads that evaluate; 0 evaluates on the main thread. Default: one core fewer than usable (cgroup quota included), at least 1. */
  CELGATE_EVALUATOR_THREADS: decimalIntegerSchema(0, 64).optional(),
  /** Heap ceiling of each evaluator worker thread, MiB: an evaluation over it fails alone (422). */
  CELGATE_EVALUATOR_MEMORY_MB: decimalIntegerSchema(32, 16_384).default(256),
  /** Milliseconds one evaluation may take as a whole; pairs past it are `error` outcomes. */
  CELGATE_EVALUATION_TIMEOUT_MS: decimalIntegerSchema(100, 600_000).default(10_000),
  /** Extra paths to redact before storing, e.g. `ConfigMap:data.password,$.spec.credentials` (docs/security.md). */
  CELGATE_REDACT_PATHS: z
    .string()
    .transform((text, ctx) => {
      const { paths, errors } = parseRedactionPaths(text);
      for (const message of errors) ctx.addIssue({ code: "custom", message });
      return paths;
    })
    .optional(),
  /** HMAC key of redaction markers; unset: one generated and kept in the database. */
  CELGATE_REDACTION_KEY: z.string().min(32, "at least 32 characters").optional(),
  /** Milliseconds one replay may take as a whole. */
  CELGATE_REPLAY_TIMEOUT_MS: decimalIntegerSchema(100, 3_600_000).default(30_000),
  /** Open connections at most; past it, an idle connection is closed to make room (see server.ts). */
  CELGATE_MAX_CONNECTIONS: decimalIntegerSchema(8, 1_000_000).default(1024),
  /** Milliseconds a client has to send a request's headers once its connection is open or idle. */
  CELGATE_HEADERS_TIMEOUT_MS: decimalIntegerSchema(500, 600_000).default(10_000),
  /** Milliseconds a client has to send a whole request (headers and body). */
  CELGATE_REQUEST_TIMEOUT_MS: decimalIntegerSchema(1000, 3_600_000).default(60_000),
  /** Milliseconds an idle keep-alive connection is kept open. */
  CELGATE_KEEP_ALIVE_TIMEOUT_MS: decimalIntegerSchema(0, 600_000).default(5000),
  /** Requests per second per token (per source address for unauthenticated admission). */
  CELGATE_RATE_LIMIT: rate.prefault("100"),
  /** Requests a caller may send at once above the rate; default twice the rate. */
  CELGATE_RATE_LIMIT_BURST: decimalIntegerSchema(1, 1_000_000).optional(),
  /** How long recorded evaluations are kept. */
  CELGATE_HISTORY_RETENTION: retention.prefault("90d"),
  /** Evaluations in progress at once; more wait in a queue. Default: 1 on PGlite; on PostgreSQL two per evaluator thread, at least 4. */
  CELGATE_MAX_CONCURRENT_EVALUATIONS: decimalIntegerSchema(1, 4096).optional(),
  /** Evaluations that may wait for their turn; past it, 503 with Retry-After. */
  CELGATE_EVALUATION_QUEUE: decimalIntegerSchema(0, 100_000).default(256),
  /** PEM file of the Ed25519 private key that signs decision receipts; unset: one generated and kept in the database. */
  CELGATE_SIGNING_KEY: z.string().min(1).optional(),
  /** Seconds a key keeps signing after a newer CELGATE_SIGNING_KEY took over (a rolling update's length). */
  CELGATE_KEY_HANDOVER_S: decimalIntegerSchema(0, 7 * 86_400).default(900),
  /** The cluster name admission reviews are kept under in the inventory. */
  CELGATE_CLUSTER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,251}[A-Za-z0-9])?$/, "a name of letters, digits, '-', '_', '.'")
    .default("default"),
  /** Background re-evaluations in flight at once; 0 turns re-evaluation off. Default: a quarter of the evaluator threads, at least 1. */
  CELGATE_REEVALUATION_WORKERS: decimalIntegerSchema(0, 64).optional(),
  /** Inventory entries per background evaluation. */
  CELGATE_REEVALUATION_BATCH: decimalIntegerSchema(1, 1000).default(50),
  /** Which addresses webhook receivers may have: public (default), private (also RFC 1918 and ULA), any (also loopback, link-local, metadata). */
  CELGATE_WEBHOOK_TARGETS: z.enum(["public", "private", "any"]).default("public"),
  /** The built web console served at `/`; `off` serves none. Default: apps/web/dist of this repository. */
  CELGATE_CONSOLE_DIR: z.string().min(1).optional(),
});

/** How `POST /v1/admission` authenticates callers. */
export type AdmissionAuth = "token" | "none";

/** The serving certificate and key (PEM), read at start. */
export interface TlsConfig {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

/** The service's configuration, validated. */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  adminToken: string | undefined;
  policyDir: string;
  bodyLimit: number;
  logLevel: z.infer<typeof LogLevelSchema>;
  policyPollMs: number;
  shutdownTimeoutMs: number;
  /** Set: listen with HTTPS. */
  tls: TlsConfig | undefined;
  /** The receipt signing key read from CELGATE_SIGNING_KEY; undefined: the database's own (docs/receipts.md). */
  signingKey: KeyObject | undefined;
  /** CELGATE_KEY_HANDOVER_S in milliseconds: how long replaced keys keep signing. */
  keyHandoverMs: number;
  admissionAuth: AdmissionAuth;
  /** An empty policy set allows everything (on purpose) instead of refusing evaluations. */
  allowEmptyPolicySet: boolean;
  evaluatorThreads: number;
  evaluatorMemoryMb: number;
  evaluationTimeoutMs: number;
  /** Shape limits on every input (CELGATE_MAX_DEPTH and the others named in core's INPUT_LIMITS). */
  limits: InputLimits;
  /** Operator paths to redact (CELGATE_REDACT_PATHS). */
  redactPaths: RedactionPath[];
  redactionKey: string | undefined;
  replayTimeoutMs: number;
  /** HTTP server limits (see server.ts). */
  http: HttpLimits;
  /** Per-caller token bucket; null: no rate limit. */
  rateLimit: { perSecond: number; burst: number } | null;
  /** How long recorded evaluations are kept, ms; null: forever. */
  historyRetentionMs: number | null;
  /** Evaluations in progress at once, and how many may wait for their turn. */
  evaluationConcurrency: { active: number; queue: number; maxWaitMs: number };
  /** The cluster admission reviews are kept under in the inventory. */
  clusterName: string;
  /** Background re-evaluation: evaluations in flight at once (0: off) and entries per evaluation. */
  reevaluation: { workers: number; batchSize: number };
  /** The addresses webhook receivers may have (CELGATE_WEBHOOK_TARGETS). */
  webhookTargets: "public" | "private" | "any";
  /** The built web console's folder; null: no console (CELGATE_CONSOLE_DIR=off). */
  consoleDir: string | null;
}

/** Limits of the HTTP server on connections and on how slowly a client may send. */
export interface HttpLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Reads the configuration from the environment. Throws ConfigError naming every bad variable.
 * Empty strings count as unset.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = EnvSchema.safeParse(cleaned);
  const limits = inputLimitsFromEnv(cleaned);
  if (!parsed.success || !limits.ok) {
    const lines = [
      ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)),
      ...(limits.ok ? [] : limits.errors),
    ];
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
  if (e.CELGATE_REQUEST_TIMEOUT_MS <= e.CELGATE_HEADERS_TIMEOUT_MS)
    throw new ConfigError(
      "invalid configuration:\n  CELGATE_REQUEST_TIMEOUT_MS: must be longer than CELGATE_HEADERS_TIMEOUT_MS",
    );
  const evaluatorThreads = e.CELGATE_EVALUATOR_THREADS ?? defaultEvaluatorThreads();
  const tls = loadTls(e.CELGATE_TLS_CERT_FILE, e.CELGATE_TLS_KEY_FILE);
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.CELGATE_DATA_DIR,
    adminToken: e.CELGATE_ADMIN_TOKEN,
    policyDir: e.CELGATE_POLICY_DIR,
    bodyLimit: e.CELGATE_MAX_BODY_BYTES ?? e.BODY_LIMIT ?? 3 * 1024 * 1024,
    logLevel: e.LOG_LEVEL,
    policyPollMs: e.CELGATE_POLICY_POLL_MS,
    shutdownTimeoutMs: e.CELGATE_SHUTDOWN_TIMEOUT_S * 1000,
    tls,
    signingKey: loadSigningKey(e.CELGATE_SIGNING_KEY),
    keyHandoverMs: e.CELGATE_KEY_HANDOVER_S * 1000,
    admissionAuth: e.CELGATE_ADMISSION_AUTH,
    allowEmptyPolicySet: e.CELGATE_ALLOW_EMPTY_POLICY_SET === "true",
    evaluatorMemoryMb: e.CELGATE_EVALUATOR_MEMORY_MB,
    limits: limits.limits,
    redactPaths: e.CELGATE_REDACT_PATHS ?? [],
    redactionKey: e.CELGATE_REDACTION_KEY,
    replayTimeoutMs: e.CELGATE_REPLAY_TIMEOUT_MS,
    evaluatorThreads,
    evaluationTimeoutMs: e.CELGATE_EVALUATION_TIMEOUT_MS,
    http: {
      maxConnections: e.CELGATE_MAX_CONNECTIONS,
      headersTimeoutMs: e.CELGATE_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.CELGATE_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.CELGATE_KEEP_ALIVE_TIMEOUT_MS,
    },
    rateLimit:
      e.CELGATE_RATE_LIMIT === null
        ? null
        : {
            perSecond: e.CELGATE_RATE_LIMIT,
            burst: e.CELGATE_RATE_LIMIT_BURST ?? Math.max(1, Math.ceil(e.CELGATE_RATE_LIMIT * 2)),
          },
    historyRetentionMs: e.CELGATE_HISTORY_RETENTION,
    consoleDir: e.CELGATE_CONSOLE_DIR === "off" ? null : (e.CELGATE_CONSOLE_DIR ?? DEFAULT_CONSOLE_DIR),
    evaluationConcurrency: {
      // Fewer in the pipeline keeps the event loop's turns short, so probes are answered promptly;
      // more keeps each evaluator one evaluation ahead and puts more history rows in one commit
      // (measured: bench/README.md, "Evaluator threads and slots"). PGlite answers one query at a
      // time (in its worker thread): one at a time. PostgreSQL: two per evaluator thread, at least 4.
      active:
        e.CELGATE_MAX_CONCURRENT_EVALUATIONS ??
        (e.DATABASE_URL === undefined ? 1 : Math.max(4, 2 * evaluatorThreads)),
      queue: e.CELGATE_EVALUATION_QUEUE,
      // a waiting request's body is unread: it must get its turn well within the request timeout
      maxWaitMs: Math.min(30_000, Math.floor(e.CELGATE_REQUEST_TIMEOUT_MS / 2)),
    },
    clusterName: e.CELGATE_CLUSTER_NAME,
    reevaluation: {
      // a bounded share of the workers, so that requests keep the rest (docs/operations.md)
      workers: e.CELGATE_REEVALUATION_WORKERS ?? Math.max(1, Math.floor(evaluatorThreads / 4)),
      batchSize: e.CELGATE_REEVALUATION_BATCH,
    },
    webhookTargets: e.CELGATE_WEBHOOK_TARGETS,
  };
}

/**
 * Reads the TLS pair and checks that it is usable (PEM, key matching the certificate) so that
 * a mistake stops the start instead of failing every handshake. Throws ConfigError naming the variable.
 */
function loadTls(certFile: string | undefined, keyFile: string | undefined): TlsConfig | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    const missing = certFile === undefined ? "CELGATE_TLS_CERT_FILE" : "CELGATE_TLS_KEY_FILE";
    throw new ConfigError(
      `invalid configuration:\n  ${missing}: required when ${missing === "CELGATE_TLS_CERT_FILE" ? "CELGATE_TLS_KEY_FILE" : "CELGATE_TLS_CERT_FILE"} is set (give both or neither)`,
    );
  }
  const read = (variable: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(
        `invalid configuration:\n  ${variable}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
  };
  const cert = read("CELGATE_TLS_CERT_FILE", certFile);
  const key = read("CELGATE_TLS_KEY_FILE", keyFile);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new ConfigError(
      `invalid configuration:\n  CELGATE_TLS_CERT_FILE, CELGATE_TLS_KEY_FILE: not a usable PEM certificate and matching key (${(err as Error).message})`,
    );
  }
  return { certFile, keyFile, cert, key };
}

/**
 * Reads CELGATE_SIGNING_KEY: a PEM file holding an Ed25519 private key (PKCS#8, as
 * `openssl genpkey -algorithm ed25519` writes). Throws ConfigError naming the variable.
 */
function loadSigningKey(file: string | undefined): KeyObject | undefined {
  if (file === undefined) return undefined;
  const fail = (why: string) => new ConfigError(`invalid configuration:\n  CELGATE_SIGNING_KEY: ${why}`);
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    throw fail(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw fail(`${file} is not a PEM private key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw fail(
      `${file} holds an ${key.asymmetricKeyType ?? "unknown"} key; receipts are signed with Ed25519`,
    );
  return key;
}
