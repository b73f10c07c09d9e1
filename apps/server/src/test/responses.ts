// Every response a test receives is checked against what its route declares: the status must
// be one of the route's responses, the media type one of that response's, and the body must
// parse with the declared zod schema. The harness installs this on every app it builds.
import { ProblemSchema } from "@celgate/contracts";
import { z } from "zod";
import type { App } from "../app.js";
import type { RouteDef } from "../lib/route.js";
import { ROUTES } from "../routes/index.js";

/** Served by app.ts itself rather than by a route of ROUTES; not described in the document. */
const UNDESCRIBED = new Set(["/openapi.json", "/docs"]);

const pattern = (path: string) =>
  new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, "[^/]+")}$`);
const MATCHERS = ROUTES.map((def) => ({ def, re: pattern(def.openapi.path) }));

/** The route that serves a request, as the router picks it (first registered match), if any. */
export function routeFor(method: string, path: string): RouteDef | undefined {
  const m = method.toLowerCase();
  return MATCHERS.find(({ def, re }) => def.openapi.method === m && re.test(path))?.def;
}

/**
 * Why a response does not match the route's declaration, or undefined when it does. Without
 * a route (an unknown path or method) only a problem document is acceptable.
 */
export function responseViolation(
  def: RouteDef | undefined,
  status: number,
  contentType: string | null,
  text: string,
): string | undefined {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase() ?? null;
  let schema: unknown;
  if (!def) {
    if (mediaType !== "application/problem+json") return `no route, and not a problem (${mediaType})`;
    schema = ProblemSchema;
  } else {
    const declared = (
      def.openapi.responses as Record<string, { content?: Record<string, { schema?: unknown }> }>
    )[String(status)];
    if (!declared) return `status ${status} is not declared`;
    if (!declared.content)
      return text === "" ? undefined : `status ${status} declares no body, got ${text.length} bytes`;
    if (mediaType === null || !(mediaType in declared.content))
      return `status ${status} declares ${Object.keys(declared.content).join(", ")}, got ${mediaType}`;
    schema = declared.content[mediaType]?.schema;
  }
  // a plain OpenAPI schema (the metrics text) has nothing to parse with
  if (!(schema instanceof z.ZodType)) return undefined;
  let value: unknown = text;
  if (mediaType?.endsWith("json")) {
    try {
      value = JSON.parse(text);
    } catch {
      return `the ${mediaType} body is not JSON`;
    }
  }
  const result = schema.safeParse(value);
  if (result.success) return undefined;
  return result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}

/**
 * Makes every response of the app checked (app.request goes through app.fetch too): a
 * response that its route does not declare makes the request throw, naming the route, the
 * status and what differs, so the test that made it fails.
 */
export function checkResponses(app: App): void {
  const fetch = app.fetch;
  app.fetch = async (request: Request, ...rest: unknown[]) => {
    const response = await fetch(request, ...(rest as []));
    const path = new URL(request.url).pathname;
    if (UNDESCRIBED.has(path)) return response;
    // HEAD is answered by the GET route (Hono runs it and drops the body): a status the GET
    // declares, and no body
    const head = request.method === "HEAD";
    const def = routeFor(head ? "GET" : request.method, path);
    const text = await response.clone().text();
    const violation = head
      ? text !== ""
        ? `a HEAD answer with ${text.length} bytes of body`
        : def && !(String(response.status) in def.openapi.responses)
          ? `status ${response.status} is not declared`
          : undefined
      : responseViolation(def, response.status, response.headers.get("content-type"), text);
    if (violation)
      throw new Error(
        `${request.method} ${path} (${def?.openapi.path ?? "no route"}): the response does not match its declaration: ${violation}`,
      );
    return response;
  };
}
