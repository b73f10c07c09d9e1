import {
  checkJsonDepth,
  checkValue,
  DEFAULT_INPUT_LIMITS,
  type LimitViolation,
  limitDiagnostic,
} from "@celgate/core";
import type { Context, MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { AppEnv } from "./context.js";
import { problems } from "./errors.js";
import { invalidInput } from "./invalid.js";
import { lineColumn, parseJson } from "./json.js";

export interface RawBody {
  mediaType: "json" | "yaml";
  text: string;
  /** The parsed value for JSON bodies; YAML bodies are left to the engine, which keeps positions. */
  json?: unknown;
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
 * Reads the request body, strictly: JSON must parse (400 with line and column otherwise) and
 * meet the input limits (checked on the text before it is parsed, then on the value: 400
 * naming the field and the limit); no string may contain NUL. YAML is accepted only where
 * `yaml` is allowed; its text is parsed (under the same limits) by the engine. Throws 415 for
 * other media types.
 */
export async function readBody(c: Context<AppEnv>, options: { yaml?: boolean } = {}): Promise<RawBody> {
  const contentType = (c.req.header("content-type") ?? "application/json")
    .split(";")[0]!
    .trim()
    .toLowerCase();
  const isJson = contentType === "application/json" || contentType.endsWith("+json");
  const isYaml = YAML_TYPES.includes(contentType);
  if (!isJson && !(isYaml && options.yaml)) {
    throw problems.unsupportedMediaType(
      `send application/json${options.yaml ? " or application/yaml" : ""}, not ${contentType}`,
    );
  }
  const text = await c.req.text();
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
  const violation = checkValue(parsed.value, limits, { allowLongString: isParsedText, tree: true });
  if (violation) throw limitProblem(violation);
  return { mediaType: "json", text, json: parsed.value };
}

/**
 * Refuses a URL whose path or query decodes to a NUL character (`%00`), which no database
 * column can hold: 400 naming the query parameter (or the path), before any handler runs.
 */
export const rejectNulInUrl: MiddlewareHandler<AppEnv> = async (c, next) => {
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
