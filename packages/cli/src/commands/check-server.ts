import {
  type Diagnostic,
  displayPath,
  type EvaluationReport,
  type ImageFacts,
  parseManifests,
  type ReportNotice,
} from "@celgate/core";
import {
  ApiError,
  type CelgateClient,
  createClient,
  type EvaluateInput,
  NetworkError,
  paginate,
  UnexpectedResponseError,
} from "@celgate/sdk";
import { InputError } from "../errors.js";
import { loadImageFacts } from "../inputs/data.js";
import { manifestOptions, readInputs } from "../inputs/files.js";
import { throwOnErrors } from "../inputs/policy-set.js";

export interface ServerCheckInput {
  paths: string[];
  imagePaths: string[];
  select?: string | undefined;
  params: Record<string, Record<string, unknown>>;
  context: Record<string, string>;
  includeSkipped: boolean;
  /** Fixed clock (`--now`). */
  now?: Date | undefined;
}

/**
 * The default budget of one call to the service, every retry included: a large bundle takes
 * the service a while to evaluate, and the service itself ends a request after 60 s
 * (CELGATE_REQUEST_TIMEOUT_MS). Retries fit in it only after quick failures (connection
 * refused, 503); a service that accepts the connection and never answers costs this long.
 */
export const DEFAULT_SERVER_TIMEOUT_S = 60;
/** The longest `CELGATE_TIMEOUT` taken. */
const MAX_SERVER_TIMEOUT_S = 3600;

/**
 * The budget of one call to the service in milliseconds: `CELGATE_TIMEOUT` (whole seconds,
 * digits only) or DEFAULT_SERVER_TIMEOUT_S. Throws InputError (exit 2) for any other value.
 */
export function serverTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CELGATE_TIMEOUT;
  if (raw === undefined || raw === "") return DEFAULT_SERVER_TIMEOUT_S * 1000;
  const seconds = /^[1-9][0-9]{0,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds <= MAX_SERVER_TIMEOUT_S))
    throw new InputError(
      `CELGATE_TIMEOUT=${JSON.stringify(raw)}: expected whole seconds from 1 to ${MAX_SERVER_TIMEOUT_S}`,
    );
  return seconds * 1000;
}

/**
 * The longest answer the CLI reads from the service by default: 1 GiB. The SDK's own default
 * (64 MiB) suits a deploy tool asking about a release; the CLI checks whole bundles, and a
 * report runs to about 3.4 times the YAML it answers (10,000 workloads, 32 MB of YAML, make
 * about 107 MB). An answer that never ends still stops here.
 */
export const DEFAULT_SERVER_RESPONSE_BYTES = 1024 * 1024 * 1024;

/**
 * The longest answer read from the service, in bytes: `CELGATE_MAX_RESPONSE_BYTES` (a whole
 * number of bytes, digits only) or DEFAULT_SERVER_RESPONSE_BYTES. Throws InputError (exit 2)
 * for any other value.
 */
export function serverMaxResponseBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CELGATE_MAX_RESPONSE_BYTES;
  if (raw === undefined || raw === "") return DEFAULT_SERVER_RESPONSE_BYTES;
  if (!/^[1-9][0-9]{0,14}$/.test(raw))
    throw new InputError(
      `CELGATE_MAX_RESPONSE_BYTES=${JSON.stringify(raw)}: expected a whole number of bytes, 1 or more`,
    );
  return Number(raw);
}

/**
 * A client for `--server URL`; throws InputError (exit 2) for a URL that is not http(s), a
 * missing token, or a bad CELGATE_TIMEOUT or CELGATE_MAX_RESPONSE_BYTES.
 */
export function serverClient(url: string, token: string | undefined): CelgateClient {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(`--server ${JSON.stringify(url)}: not a URL (expected http(s)://host[:port])`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    throw new InputError(`--server ${JSON.stringify(url)}: expected an http:// or https:// URL`);
  if (!token) throw new InputError(`--server ${url}: no token; pass --token or set CELGATE_TOKEN`);
  const budget = serverTimeoutMs();
  return createClient({
    baseUrl: url,
    token,
    timeoutMs: budget,
    deadlineMs: budget,
    retries: 2,
    maxResponseBytes: serverMaxResponseBytes(),
  });
}

/**
 * Turns a failure to talk to the service into a one-line InputError (exit 2) naming the URL
 * and the HTTP status; anything else is rethrown.
 */
export function serverFailure(url: string, error: unknown): never {
  if (NetworkError.is(error)) {
    const cause = error.timedOut
      ? `the service did not answer within ${seconds(error.elapsedMs)} (CELGATE_TIMEOUT sets the limit)`
      : reasonOf(error.cause);
    const attempts = error.attempts > 1 ? ` (${error.attempts} attempts)` : "";
    throw new InputError(`cannot reach the celgate service at ${url}: ${cause}${attempts}`);
  }
  if (UnexpectedResponseError.is(error)) {
    // a success status, maybe, but nothing to trust: no decision is taken from it
    const id = error.requestId ? ` (request id ${error.requestId})` : "";
    const setting = error.reason === "too-large" ? " (CELGATE_MAX_RESPONSE_BYTES sets the limit)" : "";
    throw new InputError(
      `the celgate service at ${url} gave an answer that cannot be trusted (HTTP ${error.status}): ${error.problem.detail ?? error.reason}${setting}${id}`,
    );
  }
  if (ApiError.is(error)) {
    const { problem, status } = error;
    const what =
      status === 401
        ? "refused the token"
        : status === 403
          ? "refused the request"
          : status === 400 || status === 413 || status === 422
            ? "rejected the input"
            : "failed";
    const detail = problem.detail ? `: ${problem.detail}` : "";
    const id = error.requestId ? ` (request id ${error.requestId})` : "";
    const lines = (problem.errors ?? []).map(
      (e) =>
        `  ${[e.path, e.line, e.column].filter((p) => p !== undefined && p !== "").join(":")}: ${e.message}`,
    );
    throw new InputError(
      `the celgate service at ${url} ${what}: HTTP ${status} ${problem.title}${detail}${id}`,
      lines.length > 0 ? lines.join("\n") : undefined,
    );
  }
  throw error;
}

/** `0.5 s`, `60 s`: how long a call waited. */
function seconds(ms: number): string {
  const s = ms / 1000;
  return `${s < 10 ? Number(s.toFixed(1)) : Math.round(s)} s`;
}

function reasonOf(cause: unknown): string {
  const codes: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ENOTFOUND: "host not found",
    EAI_AGAIN: "host name lookup failed",
    ECONNRESET: "connection reset",
    // undici: the socket closed before the whole answer arrived
    UND_ERR_SOCKET: "the connection closed in the middle of the answer",
    ETIMEDOUT: "connection timed out",
    EHOSTUNREACH: "host unreachable",
    CERT_HAS_EXPIRED: "TLS certificate expired",
    DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed TLS certificate (set NODE_EXTRA_CA_CERTS)",
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS certificate not trusted (set NODE_EXTRA_CA_CERTS)",
  };
  // Node's fetch says only "fetch failed"; the reason is down the cause chain.
  let e: unknown = cause;
  let innermost = "network error";
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return codes[code] ? `${codes[code]} (${code})` : code;
    const message = (e as { message?: unknown }).message;
    if (typeof message === "string" && message) innermost = message;
    e = (e as { cause?: unknown }).cause;
  }
  return innermost;
}

/** One input file as the service takes it: `{file, text}`. */
type ManifestFile = Extract<EvaluateInput["manifests"], unknown[]>[number];

/**
 * Reads the manifests as `check` does (same errors, same warnings) and returns one entry per
 * input file: the service parses each on its own, so results point into the user's files.
 */
function manifestsFor(paths: readonly string[]): ManifestFile[] {
  const options = manifestOptions();
  const diagnostics: Diagnostic[] = [];
  const files: ManifestFile[] = [];
  let count = 0;
  for (const file of readInputs(paths, { maxBytes: options.maxBytes })) {
    const parsed = parseManifests(file.text, file.name, options);
    diagnostics.push(...parsed.diagnostics);
    count += parsed.resources.length;
    files.push({ file: file.name, text: file.text });
  }
  throwOnErrors(diagnostics, "manifest");
  if (count === 0) throw new InputError(`no Kubernetes resources found in ${paths.join(", ")}`);
  for (const warning of diagnostics)
    process.stderr.write(
      `warning: ${displayPath(warning.file ?? "")}:${warning.line ?? 1}: ${warning.message}\n`,
    );
  return files;
}

/**
 * Adds each policy's title and remediation hint (which the wire report leaves out) so the
 * text, SARIF and JUnit output read as they do locally. Best effort: a failure leaves them out.
 */
async function addPolicyHints(client: CelgateClient, report: EvaluationReport): Promise<void> {
  const wanted = new Set(report.results.map((r) => r.policy));
  if (wanted.size === 0) return;
  const hints = new Map<string, { title?: string; remediation?: string }>();
  try {
    for await (const p of paginate((cursor) =>
      client.policies.list({ limit: 500, ...(cursor ? { cursor } : {}) }),
    )) {
      if (!wanted.has(p.name)) continue;
      const spec = p.document.spec as { title?: unknown; remediation?: unknown };
      hints.set(p.name, {
        ...(typeof spec.title === "string" ? { title: spec.title } : {}),
        ...(typeof spec.remediation === "string" ? { remediation: spec.remediation } : {}),
      });
    }
  } catch {
    return;
  }
  for (const r of report.results) {
    const hint = hints.get(r.policy);
    if (hint?.title) r.title = hint.title;
    if (hint?.remediation) r.remediation = hint.remediation;
  }
}

/**
 * `celgate check --server`: sends the same inputs to the service (recorded with source `cli`
 * and the given context) and returns its report; each result's source is a file the user gave.
 * Throws InputError (exit 2) for bad inputs, an unreachable service or a refused request.
 */
export async function checkOnServer(
  url: string,
  token: string | undefined,
  input: ServerCheckInput,
): Promise<EvaluationReport> {
  const client = serverClient(url, token);
  if (input.paths.length === 0)
    throw new InputError("check: no manifests given (pass files, folders, or - for stdin)");
  const manifests = manifestsFor(input.paths);
  let images: ImageFacts[] = [];
  if (input.imagePaths.length > 0) {
    const loaded = loadImageFacts(input.imagePaths);
    throwOnErrors(loaded.diagnostics, "image facts");
    images = loaded.images;
  }
  let wire: Awaited<ReturnType<CelgateClient["evaluate"]>>;
  try {
    wire = await client.evaluate(
      {
        manifests,
        ...(images.length > 0 ? { images } : {}),
        ...(Object.keys(input.params).length > 0 ? { params: input.params } : {}),
        ...(Object.keys(input.context).length > 0 ? { context: input.context } : {}),
        ...(input.select !== undefined ? { select: input.select } : {}),
        ...(input.includeSkipped ? { includeSkipped: true } : {}),
        ...(input.now ? { now: input.now.toISOString() } : {}),
      },
      { source: "cli" },
    );
  } catch (error) {
    serverFailure(url, error);
  }
  // The wire report is the engine's report minus formatter-only fields, which come next. A
  // notice of a kind this CLI does not know (a newer service added it) is kept as sent: core's
  // formatters show a notice by its message and copy its kind, and neither the decision nor
  // the exit code rests on a notice. Core's ReportNotice names only the kinds the engine
  // emits, hence this one widening cast; every other field was checked by the SDK.
  const report: EvaluationReport = { ...wire, notices: wire.notices as ReportNotice[] | undefined };
  await addPolicyHints(client, report);
  return report;
}
