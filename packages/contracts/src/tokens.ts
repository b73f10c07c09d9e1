import { z } from "zod";
import { pageSchema, RoleSchema, StorableTimeSchema } from "./common.js";

/**
 * The id of the token of the service's CELGATE_ADMIN_TOKEN. It is the configuration's: the
 * service refuses to revoke it through the API (409), since the next start with the variable
 * set would make it valid again; it is revoked by removing or changing the variable and
 * restarting.
 */
export const ENV_ADMIN_TOKEN_ID = "tok_env_admin";

export const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: RoleSchema,
    createdAt: z.string(),
    createdBy: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: "Token", description: "An API token; the secret itself is shown only once, at creation." });
export type Token = z.infer<typeof TokenSchema>;
export const TokenListSchema = pageSchema(TokenSchema, "TokenList");

export const CreateTokenRequestSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(100)
      .regex(
        /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u,
        "a token's name is the actor recorded in history and audit: no control, bidirectional or invisible characters (two names that look alike must be alike)",
      ),
    role: RoleSchema,
    expiresAt: StorableTimeSchema.optional(),
  })
  .strict()
  .meta({ id: "CreateTokenRequest" });
export type CreateTokenRequest = z.infer<typeof CreateTokenRequestSchema>;

export const CreatedTokenSchema = TokenSchema.extend({
  token: z.string().describe("The secret. Shown once; store it now."),
}).meta({ id: "CreatedToken" });
export type CreatedToken = z.infer<typeof CreatedTokenSchema>;

/**
 * What a token may do, by kind of route: `read` every GET of /v1, `evaluate` evaluations,
 * admission and image facts, `validate` policy validation, `author` policies, exceptions and
 * replays, `admin` tokens, webhooks, keys and audit. The service maps each to the role list its
 * routes declare (apps/server/src/lib/route.ts).
 */
export const ACTIONS = ["read", "evaluate", "validate", "author", "admin"] as const;
export const ActionSchema = z.enum(ACTIONS).meta({ id: "Action" });
export type Action = z.infer<typeof ActionSchema>;

export const WhoamiSchema = z
  .object({
    id: z
      .string()
      .describe(
        "The token's id, as GET /v1/tokens lists it (`tok_env_admin` for CELGATE_ADMIN_TOKEN's token). Names are not unique; the id is.",
      ),
    name: z.string().describe("The token's name (the actor recorded in history and audit)."),
    role: RoleSchema,
    actions: z.array(ActionSchema).describe("What the role may do, in the order of ACTIONS."),
  })
  .meta({ id: "Whoami", description: "The calling token: its id, name, role and what it may do." });
export type Whoami = z.infer<typeof WhoamiSchema>;
/**
 * `GET /v1/whoami` as a client reads it: a service older than the `id` field answers without
 * it, and its callers still learn their name, role and actions. The service answers with
 * WhoamiSchema, which requires the id.
 */
export const WhoamiReadSchema = WhoamiSchema.extend({ id: WhoamiSchema.shape.id.optional() }).meta({
  title: "Whoami",
});
export type WhoamiRead = z.infer<typeof WhoamiReadSchema>;
