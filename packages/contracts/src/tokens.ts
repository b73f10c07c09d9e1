import { z } from "zod";
import { pageSchema, RoleSchema } from "./common.js";

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
    name: z.string().min(1).max(100),
    role: RoleSchema,
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .meta({ id: "CreateTokenRequest" });
export type CreateTokenRequest = z.infer<typeof CreateTokenRequestSchema>;

export const CreatedTokenSchema = TokenSchema.extend({
  token: z.string().describe("The secret. Shown once; store it now."),
}).meta({ id: "CreatedToken" });
export type CreatedToken = z.infer<typeof CreatedTokenSchema>;
