import { fileURLToPath } from "node:url";
import { z } from "zod";

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

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
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
  CELGATE_POLICY_POLL_MS: z.coerce.number().int().min(0).max(60_000).default(250),
  /** Seconds to wait for in-flight requests at shutdown. */
  CELGATE_SHUTDOWN_TIMEOUT_S: z.coerce.number().int().min(0).max(600).default(10),
});

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
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
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
  };
}
