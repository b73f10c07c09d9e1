import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import { type Database, openDatabase } from "./db/client.js";
import type { Config } from "./env.js";
import { createEvaluator } from "./evaluator/index.js";
import { createLogger, type Logger } from "./lib/logger.js";
import { Metrics } from "./lib/metrics.js";
import { createServices, type Services } from "./services/index.js";
import { PolicySetUnavailableError } from "./services/policy-set.js";

export interface RunningServer {
  port: number;
  /** `https` when CELGATE_TLS_CERT_FILE/CELGATE_TLS_KEY_FILE are set. */
  protocol: "http" | "https";
  services: Services;
  /** Stops accepting, waits for in-flight requests (up to the shutdown timeout), closes the database. */
  close(): Promise<void>;
}

/**
 * Starts the service: opens the database (applying migrations), seeds the admin token, loads
 * the policy repository, compiles the policy set and listens. Throws if any of that fails.
 */
export async function startServer(
  config: Config,
  options: { logger?: Logger; database?: Database; print?: (line: string) => void } = {},
): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const database = options.database ?? (await openDatabase(config));
  logger.info(
    { database: database.kind, dataDir: database.kind === "pglite" ? config.dataDir : undefined },
    "database ready",
  );
  const metrics = new Metrics();
  const evaluator = createEvaluator({
    threads: config.evaluatorThreads,
    timeoutMs: config.evaluationTimeoutMs,
    memoryMb: config.evaluatorMemoryMb,
  });
  const services = createServices({
    database,
    logger,
    metrics,
    policyPollMs: config.policyPollMs,
    allowEmptyPolicySet: config.allowEmptyPolicySet,
    evaluator,
    limits: config.limits,
    redaction: { paths: config.redactPaths, key: config.redactionKey },
    replays: { timeoutMs: config.replayTimeoutMs, evaluationTimeoutMs: config.evaluationTimeoutMs },
  });

  const { generated } = await services.tokens.seedAdmin(config.adminToken);
  if (generated) {
    // Printed once, never logged: the database keeps only its hash.
    (options.print ?? ((l) => process.stdout.write(`${l}\n`)))(
      `celgate: no token existed, so an admin token was generated. It is shown this once:\n\n    ${generated}\n`,
    );
    logger.warn("generated the first admin token (printed on stdout, not logged)");
  }
  const repo = await services.policies.syncRepository(config.policyDir, logger);
  logger.info({ dir: config.policyDir, ...repo }, "policy repository loaded");
  // A set that cannot be served leaves the instance running but unready (see /readyz): an
  // operator can still repair it through the API. Any other failure stops the start.
  await services.runtime.get().catch((err: unknown) => {
    if (!(err instanceof PolicySetUnavailableError)) throw err;
  });

  if (config.admissionAuth === "none")
    logger.warn(
      { tls: config.tls !== undefined },
      "CELGATE_ADMISSION_AUTH=none: POST /v1/admission accepts calls without a token (recorded as admission-webhook); serve it over TLS and let only the API server reach it",
    );
  const app = createApp({ services, bodyLimit: config.bodyLimit, admissionAuth: config.admissionAuth });
  const { tls } = config;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const listen = { fetch: app.fetch, port: config.port, hostname: config.host };
    const s = tls
      ? serve(
          { ...listen, createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } },
          () => resolve(s),
        )
      : serve(listen, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const protocol = tls ? "https" : "http";
  logger.info({ port, host: config.host, protocol }, "listening");
  // History stored before redaction existed is redacted in the background (docs/security.md).
  services.redaction
    .redactHistory()
    .then((n) => n > 0 && logger.info({ inputs: n }, "redacted history recorded before redaction"))
    .catch((err: unknown) =>
      logger.error({ err }, "redacting older history failed; it resumes at the next start"),
    );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      logger.info("shutting down: no new connections, finishing in-flight requests");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn("shutdown timeout reached; closing remaining connections");
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          resolve();
        }, config.shutdownTimeoutMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      await evaluator.close();
      if (!options.database) await database.close();
      logger.info("stopped");
    })());
  return { port, protocol, services, close };
}
