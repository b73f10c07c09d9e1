import { randomUUID } from "node:crypto";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { authenticate, authorize } from "./lib/auth.js";
import { limitBody, rejectNulInUrl } from "./lib/body.js";
import { type ConcurrencyLimit, limitConcurrency } from "./lib/concurrency.js";
import type { AppEnv } from "./lib/context.js";
import { isClientAbort, isUnavailable, ProblemError, problems, toProblemError } from "./lib/errors.js";
import { type RateLimit, rateLimit } from "./lib/rate-limit.js";
import type { RouteDef } from "./lib/route.js";
import { bodyValidator, headerValidator, refuseInvalid } from "./lib/validate.js";
import { ROUTES } from "./routes/index.js";
import { mountConsole, mountDocs } from "./routes/system/console.js";
import type { Services } from "./services/index.js";

export interface AppDeps {
  services: Services;
  /** Largest accepted request body, bytes. */
  bodyLimit: number;
  version?: string;
  /** `none`: `POST /v1/admission` accepts calls without a token (see docs/security.md). Default `token`. */
  admissionAuth?: "token" | "none";
  /** Per-caller rate limit on `/v1` (see lib/rate-limit.ts); absent or null: none. */
  rateLimit?: RateLimit | null;
  /** Evaluating requests in progress at once and waiting (see lib/concurrency.ts); absent: no limit. */
  concurrency?: ConcurrencyLimit | null;
  /** The built web console served at `/` (see routes/system/console.ts); absent: none. */
  consoleDir?: string;
}

/** The routes that evaluate: they pass through the concurrency limit. */
const EVALUATING = new Set(["/v1/evaluations", "/v1/admission", "/v1/replays"]);
/** `POST /v1/policies/{name}/tests:run` evaluates too. */
const evaluates = (path: string) => EVALUATING.has(path) || /^\/v1\/policies\/[^/]+\/tests:run$/.test(path);

export type App = OpenAPIHono<AppEnv>;

/**
 * Sets a header on the response a handler has already made, in place. `c.header()` would make
 * the response again (reading its body as a stream), and @hono/node-server then writes it by
 * its slow path (a Response built and its stream read) instead of writing the text it was
 * given. Headers that cannot be changed in place (an immutable response) go through
 * `c.header()` as before.
 */
export function setResponseHeader(c: Context<AppEnv>, name: string, value: string): void {
  if (c.finalized) {
    try {
      c.res.headers.set(name, value);
      return;
    } catch {
      // immutable headers (a response from fetch, Response.redirect): a copy is made below
    }
  }
  c.header(name, value);
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The HTTP application over the given services; no listening socket (tests call app.request()). */
export function createApp(deps: AppDeps): App {
  const { services } = deps;
  const { logger, metrics } = services;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: refuseInvalid() });

  // Request id, access log and metrics around everything else.
  app.use("*", async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set("requestId", requestId);
    c.set("limits", services.limits);
    c.set("logger", logger.child({ requestId }));
    const started = performance.now();
    await next();
    setResponseHeader(c, "X-Request-Id", requestId);
    setResponseHeader(c, "X-Content-Type-Options", "nosniff");
    const seconds = (performance.now() - started) / 1000;
    const route = c.get("route") ?? "(unmatched)";
    const status = c.res.status;
    metrics.inc("celgate_http_requests_total", "HTTP requests by route and status", {
      method: c.req.method,
      route,
      status: String(status),
    });
    metrics.observe("celgate_http_request_duration_seconds", "HTTP request latency", seconds, {
      method: c.req.method,
      route,
    });
    const principal = c.get("principal");
    c.get("logger")[status >= 500 ? "error" : "info"](
      {
        method: c.req.method,
        route,
        path: c.req.path,
        status,
        durationMs: Math.round(seconds * 10_000) / 10,
        actor: principal?.name,
      },
      "request",
    );
  });

  app.use(
    "/v1/*",
    limitBody(deps.bodyLimit, () => {
      throw problems.payloadTooLarge(deps.bodyLimit);
    }),
  );
  app.use("/v1/*", rejectNulInUrl);
  // Public routes under /v1 (the receipt keys, GET /v1/keys) need no token and have no caller to
  // limit; HEAD of a public GET is as public (Hono answers it through the GET route).
  const open = new Set(
    ROUTES.filter((r) => r.roles === "public").map(
      (r) => `${r.openapi.method.toUpperCase()} ${r.openapi.path}`,
    ),
  );
  const unlessOpen =
    (middleware: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> =>
    (c, next) =>
      open.has(`${c.req.method === "HEAD" ? "GET" : c.req.method} ${c.req.path}`)
        ? next()
        : middleware(c, next);
  app.use(
    "/v1/*",
    unlessOpen(authenticate(services.tokens, { anonymousAdmission: deps.admissionAuth === "none" })),
  );
  if (deps.rateLimit) app.use("/v1/*", unlessOpen(rateLimit(deps.rateLimit, metrics)));
  if (deps.concurrency) {
    const gate = limitConcurrency(deps.concurrency, metrics);
    app.use("/v1/*", (c, next) =>
      c.req.method === "POST" && evaluates(c.req.path) ? gate(c, next) : next(),
    );
  }

  for (const def of ROUTES) registerRoute(app, def, services);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API token (`cg_...`). Roles: admin, author, evaluator, viewer.",
  });
  const document = () =>
    app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "celgate",
        version: deps.version ?? "0.1.0",
        description:
          "Policy-as-code for Kubernetes: CEL policies evaluated over manifests and image facts, with history. Errors are RFC 9457 problem details.",
      },
      servers: [{ url: "/" }],
    });
  let cached: ReturnType<typeof document> | undefined;
  app.get("/openapi.json", (c) => {
    c.set("route", "/openapi.json");
    cached ??= document();
    return c.json(cached);
  });
  mountDocs(app, logger);
  if (deps.consoleDir !== undefined) mountConsole(app, deps.consoleDir, logger);

  const allowed = allowedMethods(ROUTES);
  app.notFound((c) => {
    const allow = allowed(c.req.path);
    const problem =
      allow.length > 0
        ? problems.methodNotAllowed(`${c.req.path} takes ${allow.join(", ")}, not ${c.req.method}`, allow)
        : problems.notFound(`no route for ${c.req.method} ${c.req.path}`);
    return c.json(problem.toProblem(c.get("requestId") ?? randomUUID()), problem.status as 404 | 405, {
      "Content-Type": "application/problem+json",
      ...(problem.headers ?? {}),
    });
  });

  app.onError((err, c) => {
    const requestId = c.get("requestId") ?? randomUUID();
    let problem: ProblemError;
    if (err instanceof HTTPException) {
      problem =
        err.status === 413
          ? problems.payloadTooLarge(deps.bodyLimit)
          : new ProblemError(err.status, "http", err.message || "Request failed", { detail: err.message });
    } else if (isClientAbort(err, (c.env as { incoming?: unknown } | undefined)?.incoming)) {
      // nobody reads this answer; the database is not to blame (no readiness change, no error log)
      problem = problems.badRequest("the connection closed before the request body was complete");
    } else {
      problem = toProblemError(err);
      // readiness says so at once, not at its next check
      if (isUnavailable(err)) services.readiness.databaseDown();
    }
    const log = c.get("logger") ?? logger;
    if (problem.status >= 500) log.error({ err }, "request failed");
    else log.debug({ problem: problem.title, detail: problem.detail }, "request rejected");
    return c.json(problem.toProblem(requestId), problem.status as 400, {
      "Content-Type": "application/problem+json",
      ...(problem.headers ?? {}),
    });
  });

  return app;
}

/**
 * The methods each path of `routes` takes, as a lookup by request path (HEAD wherever GET is,
 * as Hono answers it): what a 405 lists in `Allow`. Empty for a path no route has.
 */
function allowedMethods(routes: readonly RouteDef[]): (path: string) => string[] {
  const patterns = routes.map((def) => ({
    method: def.openapi.method.toUpperCase(),
    re: new RegExp(`^${def.openapi.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, "[^/]+")}$`),
  }));
  return (path) => {
    const methods = new Set(patterns.filter(({ re }) => re.test(path)).map(({ method }) => method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  };
}

/**
 * Registers one route with @hono/zod-openapi, in this order: the route's name for logs and
 * metrics, its roles (401/403 come before any 400), then the validators built from its
 * OpenAPI description: params and query by @hono/zod-openapi, then the headers (by
 * headerValidator, which reads only the declared ones, or by @hono/zod-openapi), then the body
 * (JSON or YAML, with the body reader's limits) by bodyValidator, then the handler. The
 * document is the same description, so it states what is enforced.
 */
export function registerRoute(app: App, def: RouteDef, services: Services): void {
  const { body, headers, ...rest } = def.openapi.request ?? {};
  const refuse = refuseInvalid(def.openapi);
  // the declared headers are checked here (lib/validate.ts headerValidator) when their schema
  // allows, after the params and query as @hono/zod-openapi would; else by @hono/zod-openapi
  const checkHeaders = headers ? headerValidator(headers, refuse) : undefined;
  const request = headers && !checkHeaders ? { ...rest, headers } : rest;
  const setRoute: MiddlewareHandler<AppEnv> = async (c, next) => {
    c.set("route", def.openapi.path);
    await next();
  };
  const middleware: MiddlewareHandler<AppEnv>[] = [setRoute];
  if (def.roles !== "public") middleware.push(authorize(def.roles));
  // zod-openapi's own body check knows neither YAML nor the body reader's limits: the body is
  // left out of what it validates, checked last by bodyValidator, and the whole description is
  // registered for the document.
  const checkBody = body ? bodyValidator(body) : undefined;
  app.openAPIRegistry.registerPath(def.openapi);
  app.openapi(
    { ...def.openapi, request, hide: true, middleware },
    async (c) => {
      checkHeaders?.(c);
      await checkBody?.(c);
      // the context carries what the validators above added; its static type is the route's
      return def.handler(c as never, services);
    },
    refuse,
  );
}
