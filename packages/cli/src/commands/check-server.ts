import {
  type Diagnostic,
  type EvaluationReport,
  type ImageFacts,
  parseManifests,
  type Resource,
  type SourceLocation,
} from "@celgate/core";
import { ApiError, type CelgateClient, createClient, NetworkError, paginate } from "@celgate/sdk";
import { InputError } from "../errors.js";
import { loadImageFacts } from "../inputs/data.js";
import { maxInputBytes, readInputs } from "../inputs/files.js";
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

/** Per attempt: a large bundle takes the service a while to evaluate. */
const TIMEOUT_MS = 60_000;

/**
 * A client for `--server URL`; throws InputError (exit 2) for a URL that is not http(s) or
 * a missing token.
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
  return createClient({ baseUrl: url, token, timeoutMs: TIMEOUT_MS, retries: 2 });
}

/**
 * Turns a failure to talk to the service into a one-line InputError (exit 2) naming the URL
 * and the HTTP status; anything else is rethrown.
 */
export function serverFailure(url: string, error: unknown): never {
  if (NetworkError.is(error)) {
    const cause = error.timedOut ? "no answer in time" : reasonOf(error.cause);
    const attempts = error.attempts > 1 ? ` (${error.attempts} attempts)` : "";
    throw new InputError(`cannot reach the celgate service at ${url}: ${cause}${attempts}`);
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

function reasonOf(cause: unknown): string {
  const codes: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ENOTFOUND: "host not found",
    EAI_AGAIN: "host name lookup failed",
    ECONNRESET: "connection reset",
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

/** Where each input file landed in the text sent to the service. */
interface Segment {
  file: string;
  /** 1-based line of the combined text where this file's text starts (after a `---` line). */
  start: number;
  /** The file's resources as parsed here, with their positions in the file. */
  resources: Resource[];
  /** For JSON files (sent one object per line): combined line -> position in the file. */
  lines?: Map<number, SourceLocation>;
}

const identity = (r: { apiVersion: string; kind: string; namespace?: string | undefined; name: string }) =>
  `${r.apiVersion}\u0000${r.kind}\u0000${r.namespace ?? ""}\u0000${r.name}`;

/**
 * Reads the manifests as `check` does (same errors, same warnings), and joins them into one
 * multi-document text for the service, remembering where each file went.
 */
function manifestsFor(paths: readonly string[]): { text: string; segments: Segment[] } {
  const maxBytes = maxInputBytes();
  const diagnostics: Diagnostic[] = [];
  const segments: Segment[] = [];
  const parts: string[] = [];
  let line = 1;
  let count = 0;
  for (const file of readInputs(paths, { maxBytes })) {
    const parsed = parseManifests(file.text, file.name, { maxBytes });
    diagnostics.push(...parsed.diagnostics);
    count += parsed.resources.length;
    if (parts.length > 0) {
      parts.push("---\n");
      line += 1;
    }
    const segment: Segment = { file: file.name, start: line, resources: parsed.resources };
    let text = file.text.endsWith("\n") ? file.text : `${file.text}\n`;
    const json = jsonDocuments(file.text);
    if (json) {
      // One compact object per document: JSON is YAML, but a top-level array is not a manifest.
      segment.lines = new Map();
      text = "";
      json.forEach((doc, i) => {
        const at = line + text.split("\n").length - 1;
        const local = parsed.resources.find((r) => r.ref.source?.document === i)?.ref.source;
        if (local) segment.lines!.set(at, local);
        text += `${i > 0 ? "---\n" : ""}${JSON.stringify(doc)}\n`;
      });
      if (json.length === 0) text = "\n";
    }
    segments.push(segment);
    parts.push(text);
    line += text.split("\n").length - 1;
  }
  throwOnErrors(diagnostics, "manifest");
  if (count === 0) throw new InputError(`no Kubernetes resources found in ${paths.join(", ")}`);
  for (const warning of diagnostics)
    process.stderr.write(`warning: ${warning.file}:${warning.line ?? 1}: ${warning.message}\n`);
  return { text: parts.join(""), segments };
}

function jsonDocuments(text: string): unknown[] | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : [value];
  } catch {
    return undefined;
  }
}

/**
 * Gives every result its resource's file, line and document in the user's files (the service
 * saw one joined text): the resource of the same identity nearest to the reported line.
 */
function relocate(report: EvaluationReport, segments: readonly Segment[]): void {
  const cache = new Map<string, SourceLocation>();
  for (const result of report.results) {
    const source = result.resource.source;
    if (!source) continue;
    const key = `${source.line}\u0000${identity(result.resource)}`;
    let found = cache.get(key);
    if (!found) {
      // A file's first document is reported at the `---` line put before it (start - 1).
      const segment = [...segments].reverse().find((s) => s.start <= source.line + 1) ?? segments[0];
      if (!segment) continue;
      found = segment.lines?.get(source.line) ?? segment.lines?.get(source.line + 1);
      if (!found) {
        const local = source.line - segment.start + 1;
        const same = segment.resources.filter(
          (r) => identity(r.ref) === identity(result.resource) && r.ref.source,
        );
        same.sort((a, b) => Math.abs(a.ref.source!.line - local) - Math.abs(b.ref.source!.line - local));
        found = same[0]?.ref.source ?? {
          file: segment.file,
          line: Math.max(1, local),
          document: source.document,
        };
      }
      cache.set(key, found);
    }
    result.resource.source = { file: found.file, line: found.line, document: found.document };
  }
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
 * and the given context) and returns its report, with sources pointing into the user's files.
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
  const { text, segments } = manifestsFor(input.paths);
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
        manifests: text,
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
  // The wire report is the engine's report minus formatter-only fields, which come next.
  const report = wire as EvaluationReport;
  relocate(report, segments);
  await addPolicyHints(client, report);
  return report;
}
