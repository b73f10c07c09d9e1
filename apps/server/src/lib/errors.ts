import { type Problem, type ProblemFieldError, SELECTION_PROBLEM_TYPE } from "@celgate/contracts";
import { isDatabaseBroken } from "../db/client.js";
import {
  EvaluationHandOffError,
  EvaluationTooLargeError,
  EvaluatorUnavailableError,
} from "../evaluator/pool.js";
import { PolicySetUnavailableError } from "../services/policy-set.js";

const TYPE_BASE = "https://celgate.dev/problems/";

/**
 * An error that becomes an RFC 9457 problem response. Thrown by handlers and services; the
 * app's one onError turns it into `application/problem+json`.
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

/** The problems the API answers with, one constructor each. */
export const problems = {
  badRequest: (detail: string, errors?: ProblemFieldError[]) =>
    new ProblemError(400, "bad-request", "Bad request", { detail, ...(errors ? { errors } : {}) }),
  /** `select` or `policies` that match no policy: an input error, never a silent allow. */
  selectionEmpty: (detail: string, errors: ProblemFieldError[]) =>
    new ProblemError(400, SELECTION_PROBLEM_TYPE, "Selection matches no policy", { detail, errors }),
  invalidBody: (detail: string, errors?: ProblemFieldError[]) =>
    new ProblemError(400, "invalid-body", "Invalid request body", { detail, ...(errors ? { errors } : {}) }),
  unauthorized: (detail: string) =>
    new ProblemError(401, "unauthorized", "Unauthorized", {
      detail,
      headers: { "WWW-Authenticate": 'Bearer realm="celgate"' },
    }),
  forbidden: (detail: string) => new ProblemError(403, "forbidden", "Forbidden", { detail }),
  notFound: (detail: string) => new ProblemError(404, "not-found", "Not found", { detail }),
  conflict: (detail: string) => new ProblemError(409, "conflict", "Conflict", { detail }),
  preconditionFailed: (detail: string) =>
    new ProblemError(412, "precondition-failed", "Precondition failed", { detail }),
  payloadTooLarge: (limit: number) =>
    new ProblemError(413, "payload-too-large", "Payload too large", {
      detail: `the request body exceeds the limit of ${limit} bytes`,
    }),
  unsupportedMediaType: (detail: string) =>
    new ProblemError(415, "unsupported-media-type", "Unsupported media type", { detail }),
  unprocessable: (detail: string, errors?: ProblemFieldError[]) =>
    new ProblemError(422, "unprocessable", "Unprocessable content", {
      detail,
      ...(errors ? { errors } : {}),
    }),
  preconditionRequired: (detail: string) =>
    new ProblemError(428, "precondition-required", "Precondition required", { detail }),
  tooManyRequests: (detail: string, retryAfterSeconds: number) =>
    new ProblemError(429, "too-many-requests", "Too many requests", {
      detail,
      headers: { "Retry-After": String(retryAfterSeconds) },
    }),
  unavailable: (detail: string) =>
    new ProblemError(503, "unavailable", "Service unavailable", { detail, headers: { "Retry-After": "1" } }),
  internal: () =>
    new ProblemError(500, "internal", "Internal server error", {
      detail: "an unexpected error occurred; the request id identifies it in the logs",
    }),
};

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

/** Whether an error means the database cannot be reached (as opposed to a bad query). */
export function isUnavailable(err: unknown): boolean {
  const code = errorCode(err);
  if (
    code &&
    (/^(08|57P0[1-3]|53)/.test(code) ||
      ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"].includes(code))
  )
    return true;
  return /timeout exceeded when trying to connect|Connection terminated|connection (is )?closed|Client has encountered a connection error|PGlite is closed|database system is (shutting down|starting up)/i.test(
    messages(err),
  );
}

/**
 * Maps any error to a ProblemError: problems pass through, database errors are translated
 * (unique violation -> 409, unreachable -> 503), the rest is a 500 whose cause is only logged.
 */
export function toProblemError(err: unknown): ProblemError {
  if (err instanceof ProblemError) return err;
  if (isDatabaseBroken(err))
    return problems.unavailable("the database is not usable on this instance; retry shortly");
  if (isUnavailable(err)) return problems.unavailable("the database is unreachable; retry shortly");
  // structured clone refused the input: it is the input's doing, and no worker saw it
  if (err instanceof EvaluationHandOffError)
    return problems.badRequest(
      "the input cannot be evaluated: it is nested too deeply or too large to hand to an evaluator",
    );
  if (err instanceof PolicySetUnavailableError)
    return problems.unavailable(`no policy set can be evaluated on this instance: ${err.message}`);
  if (err instanceof EvaluationTooLargeError) return problems.unprocessable(err.message);
  if (err instanceof EvaluatorUnavailableError)
    return problems.unavailable("the evaluator could not finish this evaluation; retry shortly");
  const code = errorCode(err);
  if (code === "23505") return problems.conflict("a resource with this identity already exists");
  if (code === "40001" || code === "40P01") return problems.conflict("a concurrent change conflicted; retry");
  return problems.internal();
}
