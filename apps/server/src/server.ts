import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import { type Database, openDatabase } from "./db/client.js";
import { type Config, ConfigError, type HttpLimits } from "./env.js";
import { createEvaluator } from "./evaluator/index.js";
import { answerHttpErrors } from "./lib/http-errors.js";
import { createLogger, type Logger } from "./lib/logger.js";
import { Metrics } from "./lib/metrics.js";
import { createServices, type Services } from "./services/index.js";
import { PolicySetUnavailableError } from "./services/policy-set.js";
import { RetentionService } from "./services/retention.js";
import { AdminTokenConflictError } from "./services/tokens.js";

export interface RunningServer {
  port: number;
  /** `https` when CELGATE_TLS_CERT_FILE/CELGATE_TLS_KEY_FILE are set. */
  protocol: "http" | "https";
  services: Services;
  /** Stops accepting, waits for in-flight requests (up to the shutdown timeout), closes the database. */
  close(): Promise<void>;
}

/**
 * Starts the service: opens the database (applying migrations), claims and seeds the admin
 * token, loads the policy repository, compiles the policy set and listens. Throws if any of that
 * fails: ConfigError when CELGATE_ADMIN_TOKEN disagrees with an instance still running on the
 * same database (see TokenService.seedAdmin).
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
    signing: { key: config.signingKey, handoverMs: config.keyHandoverMs },
    cluster: config.clusterName,
    reevaluation: {
      concurrency: Math.max(1, config.reevaluation.workers),
      batchSize: config.reevaluation.batchSize,
    },
    webhooks: { targets: config.webhookTargets },
  });

  let seeded: Awaited<ReturnType<Services["tokens"]["seedAdmin"]>>;
  try {
    seeded = await services.tokens.seedAdmin(config.adminToken);
  } catch (err) {
    await evaluator.close();
    if (!options.database) await database.close();
    // a configuration that disagrees with the running instances: refused like a bad variable
    throw err instanceof AdminTokenConflictError ? new ConfigError(err.message) : err;
  }
  const { generated, revokedEnvToken, claim: adminClaim } = seeded;
  // a start that fails from here on gives the claim up, so the database is left as it was found
  const unclaim = async (err: unknown): Promise<never> => {
    await adminClaim.release();
    throw err;
  };
  if (revokedEnvToken)
    logger.warn(
      { token: "tok_env_admin" },
      "CELGATE_ADMIN_TOKEN is not set: the token an earlier start made from it (tok_env_admin) is now revoked",
    );
  if (generated) {
    // Printed once, never logged: the database keeps only its hash.
    (options.print ?? ((l) => process.stdout.write(`${l}\n`)))(
      `celgate: ${revokedEnvToken ? "CELGATE_ADMIN_TOKEN is no longer set and no other admin token is valid" : "no token existed"}, so an admin token was generated. It is shown this once:\n\n    ${generated}\n`,
    );
    logger.warn("generated the first admin token (printed on stdout, not logged)");
  }
  const repo = await services.policies.syncRepository(config.policyDir, logger).catch(unclaim);
  logger.info({ dir: config.policyDir, ...repo }, "policy repository loaded");
  // A set that cannot be served leaves the instance running but unready (see /readyz): an
  // operator can still repair it through the API. Any other failure stops the start.
  await services.runtime.get().catch((err: unknown) => {
    if (!(err instanceof PolicySetUnavailableError)) return unclaim(err);
  });
  // The receipt signing key exists from the first start (generated and stored once when not configured).
  const signing = await services.receipts.keys.active().catch(unclaim);
  logger.info(
    { kid: signing.kid, source: config.signingKey ? "CELGATE_SIGNING_KEY" : "database" },
    "receipt signing key",
  );

  if (config.admissionAuth === "none")
    logger.warn(
      { tls: config.tls !== undefined },
      "CELGATE_ADMISSION_AUTH=none: POST /v1/admission accepts calls without a token (recorded as admission-webhook); serve it over TLS and let only the API server reach it",
    );
  const app = createApp({
    services,
    bodyLimit: config.bodyLimit,
    admissionAuth: config.admissionAuth,
    rateLimit: config.rateLimit,
    concurrency: config.evaluationConcurrency,
    ...(config.consoleDir === null ? {} : { consoleDir: config.consoleDir }),
  });
  services.readiness.start();
  const { tls } = config;
  const limits = config.http;
  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts above on this interval (30 s by default): check often enough
    // that a connection which never sends its headers is closed close to headersTimeout.
    connectionsCheckingInterval: Math.min(1000, Math.ceil(limits.headersTimeoutMs / 2)),
  };
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const listen = { fetch: app.fetch, port: config.port, hostname: config.host };
    const s = tls
      ? serve(
          {
            ...listen,
            createServer: createHttpsServer,
            serverOptions: {
              ...serverOptions,
              cert: tls.cert,
              key: tls.key,
              handshakeTimeout: limits.headersTimeoutMs,
            },
          },
          () => resolve(s),
        )
      : serve({ ...listen, serverOptions }, () => resolve(s));
    answerHttpErrors(s as HttpServer, config.bodyLimit);
    guardConnections(s as HttpServer, limits, tls !== undefined, () =>
      metrics.inc("celgate_connections_evicted_total", "Idle connections closed to make room for new ones"),
    );
    s.once("error", reject);
  }).catch(unclaim);
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
  const retention =
    config.historyRetentionMs === null
      ? null
      : new RetentionService(database, logger, metrics, { retentionMs: config.historyRetentionMs });
  retention?.start();
  // Continuous re-evaluation and webhook delivery run in the background (docs/operations.md).
  if (config.reevaluation.workers > 0) services.reevaluation.start();
  else logger.warn("CELGATE_REEVALUATION_WORKERS=0: the inventory is not re-evaluated; no findings open");
  services.webhooks.start();

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
      await retention?.stop();
      await services.reevaluation.stop();
      await services.webhooks.stop();
      services.readiness.stop();
      await adminClaim.release();
      await evaluator.close();
      if (!options.database) await database.close();
      logger.info("stopped");
    })());
  return { port, protocol, services, close };
}

/**
 * Keeps at most `limits.maxConnections` connections open. When a new connection would exceed it,
 * the connection idle longest (open, but with no request in progress: a client that connected
 * and sent nothing, a slow sender still on its headers, a keep-alive connection between
 * requests) is closed to make room; only when every open connection is serving a request is
 * the new one refused. So a flood of idle connections cannot lock out health probes or
 * clients, and Node's headersTimeout closes the idle ones anyway. With TLS, connections still
 * in their handshake count towards the limit but are closed by the handshake timeout, not evicted.
 */
export function guardConnections(
  server: HttpServer,
  limits: Pick<HttpLimits, "maxConnections" | "keepAliveTimeoutMs">,
  tls: boolean,
  onEvict: () => void = () => {},
): void {
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  const open = new Set<Socket>();
  // Sockets as requests see them (TLS sockets with TLS), without a request in progress; a Set
  // iterates in insertion order, so the first is the one idle longest.
  const idle = new Set<Socket>();
  const track = (socket: Socket) => {
    idle.add(socket);
    socket.once("close", () => idle.delete(socket));
  };
  server.on("connection", (socket: Socket) => {
    if (open.size >= limits.maxConnections) {
      const oldest = idle.values().next().value;
      if (oldest === undefined) {
        socket.destroy();
        return;
      }
      idle.delete(oldest);
      oldest.destroy();
      onEvict();
    }
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    if (!tls) track(socket);
  });
  if (tls) server.on("secureConnection", track);
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    idle.delete(socket);
    res.once("close", () => {
      if (!socket.destroyed) idle.add(socket);
    });
  });
}
