import { type EvaluationReportRead, type Problem, SELECTION_PROBLEM_TYPE } from "@celgate/contracts";

// Brands are registered symbols, so two copies of the SDK (or a bundle and a test) still
// recognise each other's errors, which `instanceof` would not.
const API_ERROR = Symbol.for("@celgate/sdk/ApiError");
const NETWORK_ERROR = Symbol.for("@celgate/sdk/NetworkError");
const DEPLOY_BLOCKED = Symbol.for("@celgate/sdk/DeployBlockedError");
const SELECTION_ERROR = Symbol.for("@celgate/sdk/SelectionError");
const UNEXPECTED_RESPONSE = Symbol.for("@celgate/sdk/UnexpectedResponseError");

// Control characters (newline and tab too), the bidirectional marks, embeddings, overrides and
// isolates, zero-width characters, line and paragraph separators and the byte order mark.
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * Text from the service (or whatever answered in its place) as one line that is safe in a
 * terminal or a CI log: what would act instead of showing (ESC, which rewrites a screen; a
 * newline, after which `::error::` is a GitHub Actions command; U+202E, which reverses what
 * follows) is written as a `\uXXXX` escape. Error messages and summaries use it; the data
 * (`problem`, `report`) keeps the text as sent. Pure.
 */
export function oneLineText(text: string): string {
  return text.replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function branded(value: unknown, brand: symbol): boolean {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/**
 * The service answered with an error status. `problem` holds its RFC 9457 problem details
 * (synthesised from the status when the body was not a problem document).
 */
export class ApiError extends Error {
  override name = "ApiError";
  /** HTTP status, e.g. 404. */
  readonly status: number;
  /** The problem details of the answer. */
  readonly problem: Problem;
  /** The request id (from the problem or the `X-Request-Id` header): quote it to operators. */
  readonly requestId: string | undefined;
  readonly method: string;
  readonly url: string;
  readonly [API_ERROR] = true;

  constructor(init: {
    status: number;
    problem: Problem;
    requestId?: string | undefined;
    method: string;
    url: string;
  }) {
    const { problem } = init;
    // the title and detail are the service's text: escaped in the message, kept in `problem`
    super(
      oneLineText(
        `${init.method} ${init.url}: HTTP ${init.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ""}`,
      ),
    );
    this.status = init.status;
    this.problem = problem;
    this.requestId = init.requestId ?? (problem.requestId || undefined);
    this.method = init.method;
    this.url = init.url;
  }

  /** The problem type's last path segment, e.g. `not-found`, `precondition-failed`. */
  get type(): string {
    return this.problem.type.slice(this.problem.type.lastIndexOf("/") + 1);
  }

  /** Whether `value` is an ApiError from any copy of the SDK. */
  static is(value: unknown): value is ApiError {
    return branded(value, API_ERROR);
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, API_ERROR);
  }
}

/**
 * The request's `select` or `policies` match no policy of the service's set (HTTP 400): nothing
 * was evaluated, so nothing may be taken as allowed. `problem.errors` names each field, with
 * `code` `selector-matches-nothing` or `unknown-policy`. `evaluate()` and `preflight()` throw it.
 */
export class SelectionError extends ApiError {
  override name = "SelectionError";
  readonly [SELECTION_ERROR] = true;

  /** Whether an answer's problem is a selection that matches nothing. */
  static matches(problem: Problem): boolean {
    return problem.type.slice(problem.type.lastIndexOf("/") + 1) === SELECTION_PROBLEM_TYPE;
  }

  static override is(value: unknown): value is SelectionError {
    return branded(value, SELECTION_ERROR);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, SELECTION_ERROR);
  }
}

/** Why an answer was refused; see UnexpectedResponseError. */
export type UnexpectedResponseReason =
  /** A success status whose body is not JSON (a proxy's page, a body cut short). */
  | "not-json"
  /** A body longer than the client's `maxResponseBytes`: reading stopped there. */
  | "too-large"
  /** JSON, but not an EvaluationReport (`evaluate()`, `preflight()`, `evaluations.get()`). */
  | "not-a-report"
  /**
   * JSON, but not the shape any other call answers with (a policy, a page of tokens, a key
   * set...): a field missing, of another type, or a value outside its closed set.
   */
  | "wrong-shape"
  /**
   * A report that contradicts itself: its decision is milder than its results require, or its
   * summary disagrees with them (reportContradiction in @celgate/contracts).
   */
  | "inconsistent-report";

/**
 * The service (or something in its place) answered, but not with an answer the client can
 * trust: nothing may be taken from it, least of all an allow. An ApiError, so code that
 * handles ApiError already refuses on it; `status` is the HTTP status of the answer (often
 * 2xx), `reason` says what was wrong and `problem.detail` says it in words.
 */
export class UnexpectedResponseError extends ApiError {
  override name = "UnexpectedResponseError";
  readonly reason: UnexpectedResponseReason;
  readonly [UNEXPECTED_RESPONSE] = true;

  constructor(init: {
    status: number;
    reason: UnexpectedResponseReason;
    detail: string;
    method: string;
    url: string;
    requestId?: string | undefined;
  }) {
    super({
      status: init.status,
      method: init.method,
      url: init.url,
      requestId: init.requestId,
      problem: {
        type: `about:blank#${init.reason}`,
        title: "Unexpected response",
        status: init.status,
        detail: init.detail,
        requestId: init.requestId ?? "",
      },
    });
    this.reason = init.reason;
  }

  /** Always `unexpected-response`. */
  override get type(): string {
    return "unexpected-response";
  }

  static override is(value: unknown): value is UnexpectedResponseError {
    return branded(value, UNEXPECTED_RESPONSE);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, UNEXPECTED_RESPONSE);
  }
}

/**
 * The service could not be reached or did not answer in time, after every retry. `timedOut`
 * says which; `cause` holds the last underlying error.
 */
export class NetworkError extends Error {
  override name = "NetworkError";
  readonly method: string;
  readonly url: string;
  readonly timedOut: boolean;
  /** How many attempts were made. */
  readonly attempts: number;
  /** Milliseconds from the first attempt's start to giving up, every retry included. */
  readonly elapsedMs: number;
  readonly [NETWORK_ERROR] = true;

  constructor(init: {
    method: string;
    url: string;
    timedOut: boolean;
    attempts: number;
    elapsedMs?: number;
    cause: unknown;
  }) {
    const elapsedMs = init.elapsedMs ?? 0;
    const reason = init.timedOut
      ? `timed out: the service did not answer within ${formatSeconds(elapsedMs)}`
      : describeCause(init.cause);
    super(
      `${init.method} ${init.url}: ${reason}${init.attempts > 1 ? ` (after ${init.attempts} attempts)` : ""}`,
      {
        cause: init.cause,
      },
    );
    this.method = init.method;
    this.url = init.url;
    this.timedOut = init.timedOut;
    this.attempts = init.attempts;
    this.elapsedMs = elapsedMs;
  }

  static is(value: unknown): value is NetworkError {
    return branded(value, NETWORK_ERROR);
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, NETWORK_ERROR);
  }
}

/** The most telling message of a fetch failure: Node's undici hides the reason in `cause`. */
function describeCause(cause: unknown): string {
  const parts: string[] = [];
  let e: unknown = cause;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    const message = (e as { message?: unknown }).message;
    if (typeof code === "string" && !parts.includes(code)) parts.push(code);
    else if (typeof message === "string" && message && depth > 0) parts.push(message);
    e = (e as { cause?: unknown }).cause;
  }
  const top = (cause as { message?: unknown })?.message;
  const head = typeof top === "string" && top ? top : "network error";
  return parts.length > 0 ? `${head} (${parts.join(": ")})` : head;
}

/**
 * Thrown by `preflight()` when the decision is deny: the deployment must not go ahead.
 * `report` is the full evaluation report; `summary` a readable multi-line account of what failed.
 */
/** Lines of the summary that an error message carries (decision line, then findings). */
const MESSAGE_LINES = 6;

export class DeployBlockedError extends Error {
  override name = "DeployBlockedError";
  /** The whole report; not enumerable, so an uncaught error does not print it into logs. */
  declare readonly report: EvaluationReportRead;
  /** The readable summary: the decision line and every blocking finding (capped). */
  declare readonly summary: string;
  readonly [DEPLOY_BLOCKED] = true;

  /** The message is short: the decision line and the first findings, never the report. */
  constructor(report: EvaluationReportRead, summary: string) {
    const lines = summary.split("\n");
    super(lines.length > MESSAGE_LINES ? `${lines.slice(0, MESSAGE_LINES).join("\n")}\n  ...` : summary);
    Object.defineProperty(this, "report", { value: report, enumerable: false });
    Object.defineProperty(this, "summary", { value: summary, enumerable: false });
  }

  static is(value: unknown): value is DeployBlockedError {
    return branded(value, DEPLOY_BLOCKED);
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, DEPLOY_BLOCKED);
  }
}

/** Whether `value` is an ApiError from any copy of the SDK. */
export const isApiError = (value: unknown): value is ApiError => ApiError.is(value);
/** Whether `value` is a SelectionError (a `select` or `policies` matching nothing) from any copy of the SDK. */
export const isSelectionError = (value: unknown): value is SelectionError => SelectionError.is(value);
/** Whether `value` is an UnexpectedResponseError (an answer that cannot be trusted) from any copy of the SDK. */
export const isUnexpectedResponseError = (value: unknown): value is UnexpectedResponseError =>
  UnexpectedResponseError.is(value);
/** Whether `value` is a NetworkError from any copy of the SDK. */
export const isNetworkError = (value: unknown): value is NetworkError => NetworkError.is(value);
/** Whether `value` is a DeployBlockedError from any copy of the SDK. */
export const isDeployBlockedError = (value: unknown): value is DeployBlockedError =>
  DeployBlockedError.is(value);

/** A duration for a message: `0.3 s`, `4.5 s`, `60 s`. */
export function formatSeconds(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  return `${seconds < 10 ? Number(seconds.toFixed(1)) : Math.round(seconds)} s`;
}
