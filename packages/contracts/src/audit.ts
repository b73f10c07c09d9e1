import { z } from "zod";
import { pageSchema } from "./common.js";

/** What an audit entry is about. */
export const AUDIT_TARGET_KINDS = [
  "policy",
  "exception",
  "token",
  "image",
  "replay",
  "signing-key",
  "webhook",
] as const;
export const AuditTargetKindSchema = z.enum(AUDIT_TARGET_KINDS);

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: z.string(),
    actor: z.string(),
    action: z
      .string()
      .describe("e.g. policy.create, policy.update, exception.delete, token.revoke, replay.run"),
    targetKind: AuditTargetKindSchema,
    targetName: z.string(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: "AuditEntry" });
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
export const AuditListSchema = pageSchema(AuditEntrySchema, "AuditList");

export const AuditListQuerySchema = z.object({
  targetKind: AuditTargetKindSchema.optional(),
  targetName: z.string().max(253).optional(),
  actor: z.string().max(100).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});
