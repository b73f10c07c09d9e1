import type { Role } from "@celgate/contracts";
import type { MiddlewareHandler } from "hono";
import type { TokenService } from "../services/tokens.js";
import type { AppEnv } from "./context.js";
import { problems } from "./errors.js";

/** Authenticates `Authorization: Bearer <token>`; 401 when missing, unknown, revoked or expired. */
export function authenticate(tokens: TokenService): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
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
