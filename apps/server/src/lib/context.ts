import type { Role } from "@celgate/contracts";
import type { InputLimits } from "@celgate/core";
import type { RawBody } from "./body.js";
import type { Logger } from "./logger.js";

/** Who is calling: the token's id, name (recorded as the actor) and role. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

/** Hono's environment of this app: what middleware leaves for handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    principal: Principal;
    /** The matched route's OpenAPI path, for logs and metrics. */
    route: string;
    /** Shape limits that the body reader applies (the service's configured ones). */
    limits: InputLimits;
    /** The request body as read (media type and text), set by the body validator (lib/validate.ts). */
    body: RawBody;
    /**
     * Gives up the request's evaluation slot before the request ends (lib/concurrency.ts), set
     * on the evaluating routes when slots are limited; idempotent.
     */
    releaseEvaluationSlot?: () => void;
  };
}
