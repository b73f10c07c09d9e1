import type { Action, Role } from "@celgate/contracts";
import { ACTIONS, ProblemSchema } from "@celgate/contracts";
import type { RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { Services } from "../services/index.js";
import type { AppEnv } from "./context.js";

export const ALL_ROLES: readonly Role[] = ["admin", "author", "evaluator", "viewer"];
/** Who may read: every role. */
export const READ: readonly Role[] = ALL_ROLES;
export const EVALUATE: readonly Role[] = ["admin", "evaluator"];
export const AUTHOR: readonly Role[] = ["admin", "author"];
export const ADMIN: readonly Role[] = ["admin"];
/** Who may validate policies without storing them: authors, and evaluators (as CI does). */
export const VALIDATE: readonly Role[] = ["admin", "author", "evaluator"];

/** The role list behind each action that `GET /v1/whoami` reports: the lists routes declare. */
export const ACTION_ROLES: Readonly<Record<Action, readonly Role[]>> = {
  read: READ,
  evaluate: EVALUATE,
  validate: VALIDATE,
  author: AUTHOR,
  admin: ADMIN,
};

/** The actions a role may take, in the order of ACTIONS. */
export function actionsOf(role: Role): Action[] {
  return ACTIONS.filter((a) => ACTION_ROLES[a].includes(role));
}

type Output<S> = S extends z.ZodType ? z.output<S> : undefined;
type RequestPart<R, K extends string> = R extends { request?: infer Q }
  ? Q extends { [P in K]?: infer S }
    ? Output<S>
    : undefined
  : undefined;
type BodyContent<R> = R extends { request?: { body?: { content: infer C } } } ? C : never;
/** The validated body: the output of the schema of whichever declared media type was sent. */
type BodyOutput<R> = {
  [M in keyof BodyContent<R>]: BodyContent<R>[M] extends { schema: infer S } ? Output<S> : never;
}[keyof BodyContent<R>];

/**
 * What `c.req.valid(...)` returns in a handler of route R: `param`, `query` and `header` as
 * their schemas output them, and `json` for the body whatever its media type (a YAML body is
 * parsed, or kept as text where the route declares `z.string()` for it).
 */
export interface RouteInput<R> {
  out: {
    param: RequestPart<R, "params">;
    query: RequestPart<R, "query">;
    header: RequestPart<R, "headers">;
    json: BodyOutput<R>;
  };
}

export type RouteContext<R> = Context<AppEnv, string, RouteInput<R>>;
export type Handler<R = RouteConfig> = (
  c: RouteContext<R>,
  services: Services,
) => Promise<Response> | Response;

/**
 * One endpoint: its OpenAPI description, the roles that may call it (`public` for routes
 * outside /v1) and its handler. The description is also the validator: app.ts registers the
 * route with @hono/zod-openapi, which checks params, query and headers against these schemas,
 * and lib/validate.ts checks the body against the schema of its media type, before the handler
 * runs; handlers read the results with `c.req.valid(...)`.
 */
export interface RouteDef<R extends RouteConfig = RouteConfig> {
  openapi: R;
  roles: readonly Role[] | "public";
  // a method, so that a list of routes of different configs is a RouteDef[] (bivariant)
  handler(c: RouteContext<R>, services: Services): Promise<Response> | Response;
}

const problemResponse = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/** The problem responses every /v1 route may give. */
export const COMMON_ERRORS = {
  400: problemResponse("Invalid request: a parameter, query option, header or body that its schema refuses"),
  401: problemResponse("No valid bearer token"),
  403: problemResponse("The token's role may not do this"),
  413: problemResponse("Body too large"),
  429: problemResponse("Rate limit exceeded (see Retry-After)"),
  500: problemResponse("Unexpected error (the request id identifies it in the logs)"),
  503: problemResponse("Database unreachable, or too many evaluations waiting (see Retry-After)"),
} as const;

/** The problem responses every public route may give. */
export const PUBLIC_ERRORS = {
  500: problemResponse("Unexpected error (the request id identifies it in the logs)"),
} as const;

/** The problem response of a route that takes a body. */
export const BODY_ERRORS = {
  415: problemResponse("A media type the route does not accept"),
} as const;

export const errorResponse = problemResponse;

export const jsonContent = (schema: z.ZodType, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/**
 * A query schema that refuses keys it does not declare: the API is strict, and an unknown
 * option (a typo of `dryRun`, say) is a 400 naming it rather than silently ignored. Objects
 * that already decide about unknown keys (`.strict()`, `.catchall()`, `.loose()`) are kept;
 * a /v1 route that declares no query takes none.
 */
function strictQuery<Q>(query: Q): Q {
  if (query instanceof z.ZodObject && query._zod.def.catchall === undefined) return query.strict() as Q;
  return query;
}

const NO_QUERY = z.object({}).strict();

/**
 * Declares an endpoint: makes its query strict, adds bearer security and the common error
 * responses (for /v1 routes), 415 where it takes a body, and the roles to its description.
 */
export function defineRoute<R extends RouteConfig>(def: RouteDef<R>): RouteDef<R> {
  const { openapi } = def;
  if (openapi.request?.query) openapi.request.query = strictQuery(openapi.request.query);
  else if (def.roles !== "public") openapi.request = { ...openapi.request, query: NO_QUERY };
  const errors = {
    ...(def.roles === "public" ? PUBLIC_ERRORS : COMMON_ERRORS),
    ...(openapi.request?.body ? BODY_ERRORS : {}),
  };
  openapi.responses = { ...errors, ...openapi.responses };
  if (def.roles !== "public") {
    openapi.security = [{ bearer: [] }];
    const roles = def.roles.join(", ");
    openapi.description = `${openapi.description ?? ""}\n\nRoles: ${roles}.`.trim();
  }
  return def;
}

/** OpenAPI `{name}` path parameters to Hono's `:name`. */
export function honoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}
