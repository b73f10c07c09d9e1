import { DEFAULT_INPUT_LIMITS, parseSourceDocuments } from "@celgate/core";
import type { RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { readBody } from "./body.js";
import type { AppEnv } from "./context.js";
import { describe, diagnosticErrors } from "./diagnostics.js";
import { problems } from "./errors.js";
import { type InputTarget, invalidInput } from "./invalid.js";

type Body = NonNullable<NonNullable<RouteConfig["request"]>["body"]>;

const YAML = "application/yaml";
const JSON_TYPE = "application/json";

/** The names an object schema declares (query options, headers, path parameters). */
export function schemaKeys(schema: unknown): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/**
 * The validation hook of a route (@hono/zod-openapi calls it after each part is parsed):
 * refusals become problems, thrown to the app's one onError; success passes through.
 */
export function refuseInvalid(route?: RouteConfig) {
  const accepted = schemaKeys(route?.request?.query);
  return (result: { success: boolean; error?: unknown; target: string }, _c: Context): undefined => {
    if (result.success) return undefined;
    if (!(result.error instanceof z.ZodError)) throw problems.badRequest(`invalid ${result.target}`);
    throw invalidInput(result.target as InputTarget, result.error, { accepted });
  };
}

/**
 * The declared request headers' validator, for a header schema that is a plain object (its
 * unknown keys stripped): the declared headers are read one by one and the schema checks them,
 * as @hono/zod-openapi's validator would, with the same data and the same refusals (`hook`,
 * the route's refuseInvalid) — without reading every header of the request into an object,
 * which made @hono/node-server build the request's full Headers. Other schemas: undefined
 * (left to @hono/zod-openapi).
 */
export function headerValidator(
  schema: unknown,
  hook: ReturnType<typeof refuseInvalid>,
): ((c: Context<AppEnv>) => void) | undefined {
  if (!(schema instanceof z.ZodObject) || schema._zod.def.catchall !== undefined) return undefined;
  const names = Object.keys(schema.shape);
  return (c) => {
    const value: Record<string, string> = {};
    for (const name of names) {
      // header names are case-insensitive: a declared key gets the header of any spelling
      const v = c.req.header(name);
      if (v !== undefined) value[name] = v;
    }
    const result = schema.safeParse(value);
    if (!result.success) {
      hook({ success: false, error: result.error, target: "header" }, c);
      // refuseInvalid throws on a refusal; never let an unchecked header through
      throw problems.badRequest("invalid header");
    }
    c.req.addValidatedData("header", result.data as Record<string, unknown>);
  };
}

function schemaOf(body: Body, mediaType: string): z.ZodType | undefined {
  const media = body.content[mediaType];
  const schema = media && "schema" in media ? media.schema : undefined;
  return schema instanceof z.ZodType ? schema : undefined;
}

/**
 * Reads and validates the body against the schema declared for its media type; the result is
 * `c.req.valid("json")` whatever the media type, and the body as read stays in `c.get("body")`:
 * its text, a JSON body's value, a YAML body's parsed document (with positions, which the
 * engine's diagnostics point at), so that services do not parse it again. JSON goes through readBody's
 * checks (size, depth, syntax with line and column, NUL). A YAML body whose declared schema is
 * a string is passed on as text (manifests, policy streams: the engine parses them under the
 * input limits); otherwise it must be exactly one document, parsed under the same limits, and
 * schema errors carry the line and column of the offending node. Throws problems (400, 415).
 */
export function bodyValidator(body: Body): (c: Context<AppEnv>) => Promise<void> {
  const json = schemaOf(body, JSON_TYPE);
  const yaml = schemaOf(body, YAML);
  return async (c) => {
    const raw = await readBody(c, { yaml: yaml !== undefined });
    c.set("body", raw);
    let value: unknown;
    if (raw.mediaType === "json") {
      if (!json) throw problems.unsupportedMediaType(`send ${YAML}, not JSON`);
      const result = json.safeParse(raw.json);
      if (!result.success) throw invalidInput("json", result.error);
      value = result.data;
    } else if (yaml instanceof z.ZodString) {
      const result = yaml.safeParse(raw.text);
      if (!result.success) throw invalidInput("json", result.error);
      value = result.data;
    } else {
      const { documents, diagnostics } = parseSourceDocuments(
        raw.text,
        undefined,
        c.get("limits") ?? DEFAULT_INPUT_LIMITS,
      );
      if (diagnostics.length > 0)
        throw problems.invalidBody(
          `malformed YAML: ${diagnostics.slice(0, 3).map(describe).join("; ")}`,
          diagnosticErrors(diagnostics),
        );
      const [document] = documents;
      if (!document || documents.length !== 1)
        throw problems.invalidBody(`expected exactly one YAML document, got ${documents.length}`);
      // parsed once: the service reads this document (its positions kept), not the text again
      raw.document = document;
      const result = (yaml as z.ZodType).safeParse(document.value);
      if (!result.success)
        throw invalidInput("json", result.error, {
          locate: (path) =>
            document.position(path.filter((k) => typeof k !== "symbol") as (string | number)[]),
        });
      value = result.data;
    }
    c.req.addValidatedData("json", value as object);
  };
}
