import type { Role } from "@celgate/contracts";
import { ProblemSchema } from "@celgate/contracts";
import type { RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { z } from "zod";
import type { Services } from "../services/index.js";
import type { AppEnv } from "./context.js";

export const ALL_ROLES: readonly Role[] = ["admin", "author", "evaluator", "viewer"];
/** Who may read: every role. */
export const READ: readonly Role[] = ALL_ROLES;
export const EVALUATE: readonly Role[] = ["admin", "evaluator"];
export const AUTHOR: readonly Role[] = ["admin", "author"];
export const ADMIN: readonly Role[] = ["admin"];

export type Handler = (c: Context<AppEnv>, services: Services) => Promise<Response> | Response;

/**
 * One endpoint: its OpenAPI description (documentation only; handlers validate with the same
 * zod schemas themselves so that errors carry line and column), the roles that may call it
 * (`public` for routes outside /v1) and its handler.
 */
export interface RouteDef {
  openapi: RouteConfig;
  roles: readonly Role[] | "public";
  handler: Handler;
}

const problemResponse = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/** The problem responses every /v1 route may give. */
export const COMMON_ERRORS = {
  400: problemResponse("Invalid request"),
  401: problemResponse("No valid bearer token"),
  403: problemResponse("The token's role may not do this"),
  413: problemResponse("Body too large"),
  503: problemResponse("Database unreachable"),
} as const;

export const errorResponse = problemResponse;

export const jsonContent = (schema: z.ZodType, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** Declares an endpoint; adds bearer security and the common error responses for /v1 routes. */
export function defineRoute(def: RouteDef): RouteDef {
  if (def.roles !== "public") {
    def.openapi.security = [{ bearer: [] }];
    def.openapi.responses = { ...COMMON_ERRORS, ...def.openapi.responses };
    const roles = def.roles.join(", ");
    def.openapi.description = `${def.openapi.description ?? ""}\n\nRoles: ${roles}.`.trim();
  }
  return def;
}

/** OpenAPI `{name}` path parameters to Hono's `:name`. */
export function honoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}
