import type { Role } from "@celgate/contracts";
import type { MiddlewareHandler } from "hono";
import type { TokenService } from "../services/tokens.js";
import type { AppEnv, Principal } from "./context.js";
import { problems } from "./errors.js";

/**
 * Who an unauthenticated admission review is recorded as (`CELGATE_ADMISSION_AUTH=none`). Its
 * role is evaluator so the route's own role check still applies unchanged.
 */
export const ADMISSION_WEBHOOK: Principal = Object.freeze({
  tokenId: "admission-webhook",
  name: "admission-webhook",
  role: "evaluator",
});

/**
 * Authenticates `Authorization: Bearer <token>`; 401 when missing, unknown, revoked or expired.
 * With `anonymousAdmission`, exactly `POST /v1/admission` without an Authorization header is
 * let through as ADMISSION_WEBHOOK; a token sent there is still checked, and every other path
 * still needs one.
 */
export function authenticate(
  tokens: TokenService,
  options: { anonymousAdmission?: boolean } = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (
      options.anonymousAdmission &&
      header === undefined &&
      c.req.method === "POST" &&
      c.req.path === "/v1/admission"
    ) {
      c.set("principal", ADMISSION_WEBHOOK);
      await next();
      return;
    }
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw problems.unauthorized("send Authorization: Bearer <token>");
    const principal = await tokens.authenticate(match[1]!);
    if (!principal) throw problems.unauthorized("the token is unknown, revoked or expired");
    c.set("principal", principal);
    await next();
  };
}

/** Allows the request only for the given roles; 403 otherwise. */
export function authorize(roles: readonly Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { role } = c.get("principal");
    if (!roles.includes(role))
      throw problems.forbidden(`role ${role} may not do this; it needs one of: ${roles.join(", ")}`);
    await next();
  };
}
