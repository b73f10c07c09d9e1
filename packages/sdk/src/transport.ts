import type { Problem } from "@celgate/contracts";
import { ApiError, NetworkError, SelectionError, UnexpectedResponseError } from "./errors.js";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** How the transport behaves; every field is filled by `createClient`. */
export interface TransportOptions {
  baseUrl: string;
  token: string | undefined;
  /** Per attempt. */
  timeoutMs: number;
  /**
   * The whole call's budget, every attempt and every wait between them included: no attempt
   * runs past it and no retry starts that could not finish before it. 0 or Infinity: none.
   */
  deadlineMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff delay; doubles each retry, with full jitter. */
  retryBaseMs: number;
  /** Longest backoff delay, and the longest Retry-After honoured (a longer one is not waited for). */
  retryMaxMs: number;
  /**
   * The longest answer body read, in bytes; reading stops there and the call fails with
   * UnexpectedResponseError (`too-large`). Infinity: no limit.
   */
  maxResponseBytes: number;
  fetch: FetchLike;
  headers: Record<string, string>;
}

export interface RequestSpec {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path below the base URL, starting with `/`; path parameters already encoded. */
  path: string;
  query?: Record<string, string | number | boolean | undefined> | undefined;
  /** A JSON body; a string is sent as YAML (`application/yaml`). */
  body?: unknown;
  headers?: Record<string, string | undefined> | undefined;
  /**
   * Whether repeating the request cannot change the outcome (GET, PUT, DELETE, and POSTs that
   * carry an Idempotency-Key or record nothing). Only these are retried after a 5xx, a timeout
   * or a network error that may have happened after the request was sent.
   */
  idempotent: boolean;
  /** Statuses answered without throwing besides 2xx (e.g. 503 of /readyz). */
  accept?: readonly number[];
  /** Disables retries for this call. */
  noRetry?: boolean;
  signal?: AbortSignal | undefined;
}

export interface Answer<T> {
  status: number;
  /** The URL asked, query included. */
  url: string;
  headers: Headers;
  body: T;
}

// 5xx statuses that say "try again" rather than "this request is broken".
const RETRYABLE_5XX = new Set([500, 502, 503, 504]);
// Failures where the request certainly never reached the service: safe to repeat anything.
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * Sends one API call, with retries where they are safe, and returns the decoded answer.
 * Throws ApiError for an error status, NetworkError when the service could not be reached
 * in time after every retry, and the caller's abort reason when its signal aborts.
 */
export async function send<T>(options: TransportOptions, spec: RequestSpec): Promise<Answer<T>> {
  // An empty name, `.` or `..` as a path segment would ask another route than the one called
  // (`policies.remove(".")` was DELETE /v1/policies/): refused before anything is sent.
  const odd = spec.path
    .split("/")
    .slice(1)
    .find((segment) => segment === "" || segment === "." || segment === "..");
  if (odd !== undefined)
    throw new TypeError(
      `${spec.method} ${spec.path}: not a name: ${JSON.stringify(odd)} (an empty name, . or .. would ask another route)`,
    );
  const url = buildUrl(options.baseUrl, spec.path, spec.query);
  const headers: Record<string, string> = {
    accept: "application/json, application/problem+json",
    ...options.headers,
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (typeof spec.body === "string") {
    body = spec.body;
    headers["content-type"] = "application/yaml";
  } else if (spec.body !== undefined) {
    body = JSON.stringify(spec.body);
    headers["content-type"] = "application/json";
  }
  for (const [k, v] of Object.entries(spec.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;

  const maxAttempts = spec.noRetry ? 1 : Math.max(0, Math.floor(options.retries)) + 1;
  const started = Date.now();
  const deadline =
    options.deadlineMs > 0 && Number.isFinite(options.deadlineMs) ? started + options.deadlineMs : Infinity;
  const left = () => deadline - Date.now();
  const networkError = (attempt: number, timedOut: boolean, cause: unknown) =>
    new NetworkError({
      method: spec.method,
      url,
      timedOut,
      attempts: attempt,
      elapsedMs: Date.now() - started,
      cause,
    });
  // a retry is worth starting only if its wait ends before the deadline
  const canWait = (ms: number) => ms < left();
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(spec.signal);
    const perAttempt =
      options.timeoutMs > 0 && Number.isFinite(options.timeoutMs) ? options.timeoutMs : Infinity;
    const timer = attemptSignal(Math.min(perAttempt, Math.max(1, left())), spec.signal);
    let response: Response;
    try {
      response = await options.fetch(url, {
        method: spec.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: timer.signal,
        // Never follow a redirect with the bearer token to somewhere else.
        redirect: "error",
      });
    } catch (error) {
      timer.clear();
      if (spec.signal?.aborted) throw spec.signal.reason;
      const timedOut = timer.timedOut();
      const retryable = spec.idempotent || (!timedOut && NOT_SENT.has(errorCode(error) ?? ""));
      const wait = backoff(options, attempt);
      if (retryable && attempt < maxAttempts && canWait(wait)) {
        await sleep(wait, spec.signal);
        continue;
      }
      throw networkError(attempt, timedOut, error);
    }

    let text: string;
    try {
      text = await readBody(response, options.maxResponseBytes);
    } catch (error) {
      // The connection broke (or the timeout fired) while the body was arriving.
      timer.clear();
      if (error instanceof BodyTooLarge)
        throw new UnexpectedResponseError({
          status: response.status,
          reason: "too-large",
          detail: `the answer is longer than ${error.limit} bytes (maxResponseBytes); reading stopped there`,
          method: spec.method,
          url,
          requestId: response.headers.get("x-request-id") ?? undefined,
        });
      if (spec.signal?.aborted) throw spec.signal.reason;
      const wait = backoff(options, attempt);
      if (spec.idempotent && attempt < maxAttempts && canWait(wait)) {
        await sleep(wait, spec.signal);
        continue;
      }
      throw networkError(attempt, timer.timedOut(), error);
    }
    timer.clear();

    const status = response.status;
    if ((status >= 200 && status < 300) || spec.accept?.includes(status))
      return {
        status,
        url,
        headers: response.headers,
        body: decodeAnswer(text, spec.method, url, response) as T,
      };

    if (attempt < maxAttempts && (status === 429 || (spec.idempotent && RETRYABLE_5XX.has(status)))) {
      const wait = retryAfterMs(response.headers.get("retry-after"));
      // A Retry-After longer than we are willing (or have time) to wait: give the caller the error now.
      const delay = wait ?? backoff(options, attempt);
      if ((wait === undefined || wait <= options.retryMaxMs) && canWait(delay)) {
        await sleep(delay, spec.signal);
        continue;
      }
    }
    throw toApiError(spec.method, url, response, text);
  }
}

/** Base URL + path + query; `undefined` query values are left out. */
export function buildUrl(
  baseUrl: string,
  path: string,
  query?: Record<string, string | number | boolean | undefined>,
): string {
  const base = baseUrl.replace(/\/+$/, "");
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.append(k, String(v));
  const qs = params.toString();
  return `${base}${path}${qs ? `?${qs}` : ""}`;
}

/** Exponential backoff with full jitter: a random delay in [0, min(max, base * 2^(attempt-1))]. */
export function backoff(
  options: Pick<TransportOptions, "retryBaseMs" | "retryMaxMs">,
  attempt: number,
): number {
  const ceiling = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** (attempt - 1));
  return Math.round(Math.random() * ceiling);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Thrown by readBody when the body goes past the limit. */
class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the answer is longer than ${limit} bytes`);
  }
}

/**
 * The body as text, read no further than `limit` bytes: a longer one (by its Content-Length,
 * or as it arrives) cancels the read and throws BodyTooLarge, so a runaway answer cannot fill
 * memory. A broken connection or an abort rejects as `response.text()` would.
 */
async function readBody(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw new BodyTooLarge(limit);
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    read += value.byteLength;
    if (read > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge(limit);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/**
 * A success answer's body: undefined when empty, else its JSON value. Throws
 * UnexpectedResponseError when it is not JSON (a proxy's page, a body cut short): a caller
 * must never be handed text where it expects, say, a report.
 */
function decodeAnswer(text: string, method: string, url: string, response: Response): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    const type = response.headers.get("content-type");
    throw new UnexpectedResponseError({
      status: response.status,
      reason: "not-json",
      detail: `the answer is not JSON (${type ? `content type ${type}` : "no content type"}: ${(error as Error).message}); is the base URL that of a celgate service?`,
      method,
      url,
      requestId: response.headers.get("x-request-id") ?? undefined,
    });
  }
}

function decode(text: string, response: Response): unknown {
  if (text === "") return undefined;
  const type = response.headers.get("content-type") ?? "";
  if (/json/i.test(type) || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // fall through: a proxy's HTML error page with a JSON content type, say
    }
  }
  return text;
}

function toApiError(method: string, url: string, response: Response, text: string): ApiError {
  const headerId = response.headers.get("x-request-id") ?? undefined;
  let problem: Problem | undefined;
  const parsed = decode(text, response);
  if (isProblem(parsed)) problem = { ...parsed, requestId: parsed.requestId || headerId || "" };
  problem ??= {
    // Not a problem document (a proxy, a load balancer): describe the status itself.
    type: "about:blank",
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    ...(typeof parsed === "string" && parsed.trim() ? { detail: parsed.trim().slice(0, 200) } : {}),
    requestId: headerId ?? "",
  };
  const init = { status: response.status, problem, requestId: problem.requestId || headerId, method, url };
  return SelectionError.matches(problem) ? new SelectionError(init) : new ApiError(init);
}

function isProblem(value: unknown): value is Problem {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.title === "string" && typeof v.status === "number" && typeof v.type === "string";
}

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

/**
 * One attempt's signal: aborts after `timeoutMs` or when the caller's signal does. Written
 * by hand rather than with AbortSignal.any, which older browsers lack.
 */
function attemptSignal(timeoutMs: number, outer: AbortSignal | undefined) {
  const controller = new AbortController();
  let timedOut = false;
  const timer =
    timeoutMs > 0 && Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          timedOut = true;
          controller.abort(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs)
      : undefined;
  const onAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    clear: () => {
      if (timer !== undefined) clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    },
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
