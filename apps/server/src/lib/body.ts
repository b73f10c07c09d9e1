import {
  checkJsonDepth,
  checkValue,
  DEFAULT_INPUT_LIMITS,
  formatPath,
  type LimitViolation,
  limitDiagnostic,
  type SourceDocument,
} from "@celgate/core";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import type { AppEnv } from "./context.js";
import { problems } from "./errors.js";
import { invalidInput } from "./invalid.js";
import { findDuplicateKey, lineColumn, parseJson, type RefusedKey } from "./json.js";

export interface RawBody {
  mediaType: "json" | "yaml";
  text: string;
  /** The parsed value for JSON bodies. */
  json?: unknown;
  /**
   * A YAML body's one document, parsed with its nodes' positions, where the route declares a
   * document schema for YAML (lib/validate.ts bodyValidator): the service reads it rather than
   * parsing the text again. Absent where the route takes YAML as text.
   */
  document?: SourceDocument;
}

const YAML_TYPES = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"];

/**
 * Text fields that the service parses further (a request's `manifests`, or `manifests[i].text`,
 * and a replay's candidate `policies`): bounded by the body size rather than maxStringLength,
 * while what is parsed out of them meets every limit.
 */
function isParsedText(path: readonly (string | number)[]): boolean {
  if (path.length === 1) return path[0] === "manifests" || path[0] === "policies";
  return path.length === 3 && path[0] === "manifests" && typeof path[1] === "number" && path[2] === "text";
}

/** A 400 naming the field and the limit it went over. */
export function limitProblem(violation: LimitViolation, at: { line?: number; column?: number } = {}) {
  const error = limitDiagnostic(violation, at);
  const where = violation.path === "" ? "the request body" : violation.path;
  return problems.invalidBody(`${where}: ${violation.message}`, [
    {
      path: violation.path || "(root)",
      message: violation.message,
      code: error.code,
      ...(at.line === undefined ? {} : { line: at.line }),
      ...(at.column === undefined ? {} : { column: at.column }),
    },
  ]);
}

/**
 * Reads the request body, strictly: it must be UTF-8 (400 with line and column at the first byte
 * that is not; 415 for another `charset`); JSON must parse (400 with line and column otherwise) and
 * meet the input limits (checked on the text before it is parsed, then on the value: 400
 * naming the field and the limit); no string may contain NUL. YAML is accepted only where
 * `yaml` is allowed; its text is parsed (under the same limits) by the engine. Throws 415 for
 * other media types and for a body with a content coding (gzip, br, ...).
 */
export async function readBody(c: Context<AppEnv>, options: { yaml?: boolean } = {}): Promise<RawBody> {
  const [type, ...parameters] = (c.req.header("content-type") ?? "application/json").split(";");
  const contentType = type!.trim().toLowerCase();
  const isJson = contentType === "application/json" || contentType.endsWith("+json");
  const isYaml = YAML_TYPES.includes(contentType);
  if (!isJson && !(isYaml && options.yaml)) {
    throw problems.unsupportedMediaType(
      `send application/json${options.yaml ? " or application/yaml" : ""}, not ${contentType}`,
    );
  }
  refuseContentCoding(c.req.header("content-encoding"));
  const charset = charsetOf(parameters);
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8")
    throw problems.unsupportedMediaType(`send the body as UTF-8, not charset=${charset.slice(0, 40)}`);
  const text = decodeUtf8(new Uint8Array(await c.req.arrayBuffer()));
  if (isYaml) {
    const nul = text.indexOf("\u0000");
    if (nul >= 0)
      throw limitProblem(
        { limit: "nul", path: "", message: "contains a NUL character (U+0000); YAML is text" },
        lineColumn(text, nul),
      );
    return { mediaType: "yaml", text };
  }
  if (text.trim() === "") throw problems.invalidBody("the request body is empty");
  const limits = c.get("limits") ?? DEFAULT_INPUT_LIMITS;
  const deep = checkJsonDepth(text, limits);
  if (deep) throw limitProblem(deep, lineColumn(text, deep.offset));
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { line, column, message } = parsed.error;
    throw problems.invalidBody(`malformed JSON at line ${line}, column ${column}: ${message}`, [
      { message, line, column, code: "json-syntax" },
    ]);
  }
  const repeated = findDuplicateKey(text, parsed.value);
  if (repeated) throw duplicateKeyProblem(repeated);
  const violation = checkValue(parsed.value, limits, { allowLongString: isParsedText, tree: true });
  if (violation) throw limitProblem(violation);
  return { mediaType: "json", text, json: parsed.value };
}

/**
 * Refuses a body sent with a content coding (`Content-Encoding: gzip`, `br`, ...): 415 with
 * `Accept-Encoding: identity`. The service decodes none, so the bytes would otherwise be read as
 * if sent plain: compressed ones as text that is not UTF-8 (a 400 blaming the body), and plain
 * ones labelled gzip as the JSON a proxy or logger that does decode would not see.
 */
function refuseContentCoding(header: string | undefined): void {
  if (header === undefined) return;
  const codings = header
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity");
  if (codings.length === 0) return;
  throw problems.unsupportedMediaType(
    `send the body without Content-Encoding; this service decodes none (got ${header.slice(0, 40)})`,
    { "Accept-Encoding": "identity" },
  );
}

/** The 400 of a key repeated in its object, naming its path, line and column. */
function duplicateKeyProblem(repeated: RefusedKey) {
  const path = formatPath(repeated.path);
  const message = `the key ${JSON.stringify(repeated.key)} appears twice in its object; send each key once`;
  return problems.invalidBody(`${path}: ${message} (line ${repeated.line}, column ${repeated.column})`, [
    { path, message, code: "duplicate-key", line: repeated.line, column: repeated.column },
  ]);
}

/** The `charset` parameter of a Content-Type, lower-cased and unquoted; undefined when absent. */
function charsetOf(parameters: readonly string[]): string | undefined {
  for (const parameter of parameters) {
    const [name, value] = parameter.split("=", 2);
    if (name?.trim().toLowerCase() === "charset")
      return (value ?? "")
        .trim()
        .replace(/^"(.*)"$/, "$1")
        .toLowerCase();
  }
  return undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The body's bytes as text, which must be UTF-8 (a leading byte order mark is dropped): a byte
 * that is not is a 400 with its line and column, rather than a U+FFFD silently put in its place
 * (which would then be evaluated and recorded as if sent).
 */
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // the longest prefix that decodes when streamed (a character cut short at its end is held
    // back, not refused) ends just before the first bad byte
    let good = 0;
    let bad = bytes.length;
    while (bad - good > 1) {
      const mid = (good + bad) >>> 1;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
        good = mid;
      } catch {
        bad = mid;
      }
    }
    const before = new TextDecoder("utf-8").decode(bytes.subarray(0, good), { stream: true });
    const at = lineColumn(before, before.length);
    const message = `not valid UTF-8 at line ${at.line}, column ${at.column}`;
    throw problems.invalidBody(`the request body is ${message}; send UTF-8 text`, [
      { path: "(root)", message, code: "input-unicode", line: at.line, column: at.column },
    ]);
  }
}

/**
 * Refuses a body over `maxSize` bytes (413, from `onError`). A body sent with Content-Length
 * (and no Transfer-Encoding) is judged by that header alone, as Node's HTTP parser delivers
 * exactly that many bytes: the request's body is not touched, so it is read later by the fast
 * path of @hono/node-server rather than through a web ReadableStream made for the check (that
 * stream cost about a twentieth of the event loop per evaluation, measured: bench/README.md
 * section 6). Any other body (chunked, or no length) is counted as it is read, by Hono's
 * bodyLimit, and refused as soon as it passes the limit.
 */
export function limitBody(
  maxSize: number,
  onError: (c: Context<AppEnv>) => never,
): MiddlewareHandler<AppEnv> {
  const counted = bodyLimit({ maxSize, onError });
  return (c, next) => {
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      // Node refuses a malformed or repeated Content-Length (400) before a handler runs;
      // anything else that is not a plain number is counted instead of trusted
      if (/^\d{1,15}$/.test(length)) return Number(length) > maxSize ? onError(c) : next();
    }
    return counted(c, next);
  };
}

/** `%00` or a NUL character anywhere in a URL: the only ways its path or query can decode to NUL. */
const mayHoldNul = (url: string) => url.includes("\u0000") || /%00/i.test(url);

/**
 * Refuses a URL whose path or query decodes to a NUL character (`%00`), which no database
 * column can hold: 400 naming the query parameter (or the path), before any handler runs.
 */
export const rejectNulInUrl: MiddlewareHandler<AppEnv> = async (c, next) => {
  // the URL is parsed only when it may hold one (nearly never)
  if (!mayHoldNul(c.req.url)) return next();
  const url = new URL(c.req.url);
  if (/%00/i.test(url.pathname))
    throw limitProblem({
      limit: "nul",
      path: "(path)",
      message: "the URL path contains a NUL character (%00)",
    });
  if (/%00/i.test(url.search) || url.search.includes("\u0000")) {
    for (const [key, value] of url.searchParams)
      if (`${key}${value}`.includes("\u0000"))
        throw limitProblem({
          limit: "nul",
          path: `query.${key.replaceAll("\u0000", "\\0")}`,
          message: "contains a NUL character (%00), which cannot be stored",
        });
  }
  await next();
};

/**
 * Validates a value with a zod schema; throws the 400 a declared body schema gives. For
 * routes that read their input by hand; declared schemas are enforced before the handler.
 */
export function validate<T extends z.ZodType>(schema: T, value: unknown, what = "request body"): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidInput("json", result.error, { what });
}

/** Validates the query string (one value per key) with a zod schema; throws the 400 of a declared query. */
export function validateQuery<T extends z.ZodType>(c: Context<AppEnv>, schema: T): z.infer<T> {
  const result = schema.safeParse(c.req.query());
  if (result.success) return result.data;
  throw invalidInput("query", result.error);
}
