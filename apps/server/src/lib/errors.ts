import { type Problem, type ProblemFieldError, SELECTION_PROBLEM_TYPE } from "@celgate/contracts";
import { isDatabaseBroken } from "../db/client.js";
import {
  EvaluationHandOffError,
  EvaluationTooLargeError,
  EvaluatorUnavailableError,
} from "../evaluator/pool.js";
import { DomainError, type DomainErrorCode } from "../services/errors.js";

const TYPE_BASE = "https://celgate.dev/problems/";

/**
 * An error that becomes an RFC 9457 problem response. Thrown by the edge (middleware, body
 * reading, handlers); services throw DomainErrors instead, which toProblemError maps. The app's
 * one onError turns it into `application/problem+json`.
 */
export class ProblemError extends Error {
  override name = "ProblemError";
  readonly status: number;
  readonly title: string;
  readonly type: string;
  readonly detail: string | undefined;
  readonly errors: ProblemFieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    slug: string,
    title: string,
    options: { detail?: string; errors?: ProblemFieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(options.detail ?? title);
    this.status = status;
    this.title = title;
    this.type = TYPE_BASE + slug;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers;
  }

  toProblem(requestId: string): Problem {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      requestId,
      ...(this.errors === undefined ? {} : { errors: this.errors }),
    };
  }
}

/**
 * Every problem type the API answers with: its status, the last part of its type URI and its
 * title. `problems` (the edge: auth, bodies, limits) and DOMAIN_PROBLEMS (service errors) both
 * take their statuses from here, so one kind of refusal has one wire form.
 */
const PROBLEM_TYPES = {
  badRequest: { status: 400, slug: "bad-request", title: "Bad request" },
  selectionEmpty: { status: 400, slug: SELECTION_PROBLEM_TYPE, title: "Selection matches no policy" },
  noResources: { status: 400, slug: "no-resources", title: "No Kubernetes resources" },
  invalidBody: { status: 400, slug: "invalid-body", title: "Invalid request body" },
  unauthorized: { status: 401, slug: "unauthorized", title: "Unauthorized" },
  forbidden: { status: 403, slug: "forbidden", title: "Forbidden" },
  notFound: { status: 404, slug: "not-found", title: "Not found" },
  methodNotAllowed: { status: 405, slug: "method-not-allowed", title: "Method not allowed" },
  requestTimeout: { status: 408, slug: "request-timeout", title: "Request timeout" },
  conflict: { status: 409, slug: "conflict", title: "Conflict" },
  preconditionFailed: { status: 412, slug: "precondition-failed", title: "Precondition failed" },
  payloadTooLarge: { status: 413, slug: "payload-too-large", title: "Payload too large" },
  unsupportedMediaType: { status: 415, slug: "unsupported-media-type", title: "Unsupported media type" },
  unprocessable: { status: 422, slug: "unprocessable", title: "Unprocessable content" },
  preconditionRequired: { status: 428, slug: "precondition-required", title: "Precondition required" },
  tooManyRequests: { status: 429, slug: "too-many-requests", title: "Too many requests" },
  headersTooLarge: { status: 431, slug: "header-fields-too-large", title: "Request header fields too large" },
  replayBusy: { status: 429, slug: "replay-busy", title: "Too many replays" },
  internal: { status: 500, slug: "internal", title: "Internal server error" },
  unavailable: { status: 503, slug: "unavailable", title: "Service unavailable" },
  replayTimeout: { status: 503, slug: "replay-timeout", title: "Replay timed out" },
} as const satisfies Record<string, { status: number; slug: string; title: string }>;

type ProblemKind = keyof typeof PROBLEM_TYPES;

function problem(
  kind: ProblemKind,
  options: { detail?: string; errors?: ProblemFieldError[] | undefined; headers?: Record<string, string> },
): ProblemError {
  const { status, slug, title } = PROBLEM_TYPES[kind];
  const { errors, ...rest } = options;
  return new ProblemError(status, slug, title, { ...rest, ...(errors ? { errors } : {}) });
}

/** The problems the edge (middleware, body reading, the app) answers with, one constructor each. */
export const problems = {
  badRequest: (detail: string, errors?: ProblemFieldError[]) => problem("badRequest", { detail, errors }),
  invalidBody: (detail: string, errors?: ProblemFieldError[]) => problem("invalidBody", { detail, errors }),
  unauthorized: (detail: string) =>
    problem("unauthorized", { detail, headers: { "WWW-Authenticate": 'Bearer realm="celgate"' } }),
  forbidden: (detail: string) => problem("forbidden", { detail }),
  notFound: (detail: string) => problem("notFound", { detail }),
  /** A path that exists, with a method it does not take; `allow` lists those it does (RFC 9110). */
  methodNotAllowed: (detail: string, allow: readonly string[]) =>
    problem("methodNotAllowed", { detail, headers: { Allow: allow.join(", ") } }),
  conflict: (detail: string) => problem("conflict", { detail }),
  /** Answered for Node's HTTP parser (lib/http-errors.ts): a request not sent in time. */
  requestTimeout: (detail: string) => problem("requestTimeout", { detail }),
  /** Answered for Node's HTTP parser (lib/http-errors.ts): headers over its limit. */
  headersTooLarge: (detail: string) => problem("headersTooLarge", { detail }),
  /** A versioned write without If-Match, refused by the route's header schema before the service runs. */
  preconditionRequired: (detail: string) => problem("preconditionRequired", { detail }),
  payloadTooLarge: (limit: number) =>
    problem("payloadTooLarge", { detail: `the request body exceeds the limit of ${limit} bytes` }),
  /** `headers`: `Accept-Encoding` when the content coding is what is refused (RFC 9110 section 15.5.16). */
  unsupportedMediaType: (detail: string, headers?: Record<string, string>) =>
    problem("unsupportedMediaType", { detail, ...(headers ? { headers } : {}) }),
  unprocessable: (detail: string, errors?: ProblemFieldError[]) =>
    problem("unprocessable", { detail, errors }),
  tooManyRequests: (detail: string, retryAfterSeconds: number) =>
    problem("tooManyRequests", { detail, headers: { "Retry-After": String(retryAfterSeconds) } }),
  unavailable: (detail: string) => problem("unavailable", { detail, headers: { "Retry-After": "1" } }),
  internal: () =>
    problem("internal", {
      detail: "an unexpected error occurred; the request id identifies it in the logs",
    }),
};

/** How one domain error code answers on the wire. */
export interface DomainProblem {
  problem: ProblemKind;
  headers?: Readonly<Record<string, string>>;
  /** Put before the error's message in `detail`. */
  prefix?: string;
}

/**
 * The one place a service's refusal becomes HTTP: each domain error code, its problem type
 * (and so its status) and any headers. Keyed by the closed DomainErrorCode union, so a new code
 * does not compile until it is mapped; errors.test.ts walks every code at run time too.
 */
export const DOMAIN_PROBLEMS: Readonly<Record<DomainErrorCode, DomainProblem>> = {
  "invalid-argument": { problem: "badRequest" },
  "selection-empty": { problem: "selectionEmpty" },
  "no-resources": { problem: "noResources" },
  "malformed-input": { problem: "invalidBody" },
  "invalid-input": { problem: "unprocessable" },
  "not-found": { problem: "notFound" },
  "already-exists": { problem: "conflict" },
  conflict: { problem: "conflict" },
  "precondition-required": { problem: "preconditionRequired" },
  "precondition-failed": { problem: "preconditionFailed" },
  "idempotency-mismatch": { problem: "unprocessable" },
  "replay-busy": { problem: "replayBusy", headers: { "Retry-After": "5" } },
  "replay-timeout": { problem: "replayTimeout" },
  "policy-set-unavailable": {
    problem: "unavailable",
    headers: { "Retry-After": "1" },
    prefix: "no policy set can be evaluated on this instance: ",
  },
};

/** The problem response of a domain error (DOMAIN_PROBLEMS). */
export function domainProblem(err: DomainError): ProblemError {
  const mapping = DOMAIN_PROBLEMS[err.code];
  return problem(mapping.problem, {
    detail: `${mapping.prefix ?? ""}${err.message}`,
    errors: err.errors,
    ...(mapping.headers ? { headers: { ...mapping.headers } } : {}),
  });
}

/** The first SQLSTATE or errno code on an error's cause chain (drizzle wraps driver errors). */
export function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function messages(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e instanceof Error) parts.push(e.message);
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(" | ");
}

/** SQLSTATE classes of an unreachable server: 08 connection exception, 53 insufficient resources. */
const UNAVAILABLE_SQLSTATE_CLASSES = new Set(["08", "53"]);
/** Shutting down, crashed, starting up (57P01-03), and the socket errors of an unreachable host. */
const UNAVAILABLE_CODES = new Set([
  "57P01",
  "57P02",
  "57P03",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
]);

// The times a timestamp column is given from a request (an exception's `expires`, an
// evaluation's `now`, a query's since/until): one range, the contracts' (the request schemas
// refuse the others there, the services check what their schemas do not).
export { STORABLE_TIMES, unstorableTime } from "@celgate/contracts";

/**
 * SQLSTATEs of a value the database cannot hold: numeric out of range (22003), datetime out of
 * range (22008) or not writable at all (22007: a year before 1 AD), string too long (22001).
 */
const VALUE_OUT_OF_RANGE = new Set(["22003", "22008", "22007", "22001"]);

/** The class of a five-character SQLSTATE (its first two characters); "" for an errno name. */
const sqlstateClass = (code: string) => (code.length === 5 && !code.startsWith("E") ? code.slice(0, 2) : "");

/** Whether an error means the database cannot be reached (as opposed to a bad query). */
export function isUnavailable(err: unknown): boolean {
  const code = errorCode(err);
  if (code && (UNAVAILABLE_SQLSTATE_CLASSES.has(sqlstateClass(code)) || UNAVAILABLE_CODES.has(code)))
    return true;
  return /timeout exceeded when trying to connect|Connection terminated|connection (is )?closed|Client has encountered a connection error|PGlite is closed|database system is (shutting down|starting up)/i.test(
    messages(err),
  );
}

/**
 * Whether an error is the client closing its connection before its request body arrived whole
 * (Node rejects the body's read with "aborted", ECONNRESET): the client's doing, not the
 * database's, though the code is the same. `incoming` is the request @hono/node-server passes
 * (`c.env.incoming`); it has been destroyed by then.
 */
export function isClientAbort(err: unknown, incoming: unknown): boolean {
  const request = incoming as { destroyed?: unknown; readableAborted?: unknown } | undefined;
  if (!request || (request.destroyed !== true && request.readableAborted !== true)) return false;
  return errorCode(err) === "ECONNRESET" && /(^| \| )aborted( \| |$)/.test(messages(err));
}

/**
 * Maps any error to a ProblemError: problems pass through, domain errors are mapped by
 * DOMAIN_PROBLEMS, database errors are translated
 * (unique violation -> 409, unreachable -> 503), the rest is a 500 whose cause is only logged.
 */
export function toProblemError(err: unknown): ProblemError {
  if (err instanceof ProblemError) return err;
  if (err instanceof DomainError) return domainProblem(err);
  if (isDatabaseBroken(err))
    return problems.unavailable("the database is not usable on this instance; retry shortly");
  if (isUnavailable(err)) return problems.unavailable("the database is unreachable; retry shortly");
  // structured clone refused the input: it is the input's doing, and no worker saw it
  if (err instanceof EvaluationHandOffError)
    return problems.badRequest(
      "the input cannot be evaluated: it is nested too deeply or too large to hand to an evaluator",
    );
  if (err instanceof EvaluationTooLargeError) return problems.unprocessable(err.message);
  if (err instanceof EvaluatorUnavailableError)
    return problems.unavailable("the evaluator could not finish this evaluation; retry shortly");
  const code = errorCode(err);
  if (code === "23505") return problems.conflict("a resource with this identity already exists");
  // a value the database cannot hold; the routes bound their inputs, this is the safety net
  if (code !== undefined && VALUE_OUT_OF_RANGE.has(code))
    return problems.badRequest("a value in the request is out of the range that can be stored");
  if (code === "40001" || code === "40P01") return problems.conflict("a concurrent change conflicted; retry");
  return problems.internal();
}
