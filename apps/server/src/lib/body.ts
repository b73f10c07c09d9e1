import type { Context } from "hono";
import type { z } from "zod";
import type { AppEnv } from "./context.js";
import { problems } from "./errors.js";
import { parseJson } from "./json.js";

export interface RawBody {
  mediaType: "json" | "yaml";
  text: string;
  /** The parsed value for JSON bodies; YAML bodies are left to the engine, which keeps positions. */
  json?: unknown;
}

const YAML_TYPES = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"];

/**
 * Reads the request body, strictly: JSON must parse (400 with line and column otherwise);
 * YAML is accepted only where `yaml` is allowed. Throws 415 for other media types.
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
  if (isYaml) return { mediaType: "yaml", text };
  if (text.trim() === "") throw problems.invalidBody("the request body is empty");
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { line, column, message } = parsed.error;
    throw problems.invalidBody(`malformed JSON at line ${line}, column ${column}: ${message}`, [
      { message, line, column, code: "json-syntax" },
    ]);
  }
  return { mediaType: "json", text, json: parsed.value };
}

/** Validates a value with a zod schema; throws 400 naming every offending path. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, what = "request body"): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => ({
    path: i.path.map(String).join(".") || "(root)",
    message: i.message,
  }));
  throw problems.invalidBody(
    `the ${what} is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`,
    errors,
  );
}

/** Validates the query string (one value per key) with a zod schema; throws 400. */
export function validateQuery<T extends z.ZodType>(c: Context<AppEnv>, schema: T): z.infer<T> {
  const result = schema.safeParse(c.req.query());
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
  throw problems.badRequest(
    `invalid query: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`,
    errors,
  );
}
