import { z } from "zod";
import { openEnum, pageSchema, QueryTimeSchema, readPageSchema } from "./common.js";

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
export type AuditTargetKind = z.infer<typeof AuditTargetKindSchema>;

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
/** An audit entry as a client reads it: its `targetKind` may be one a newer service added (openEnum), kept as sent. */
export const AuditEntryReadSchema = AuditEntrySchema.extend({
  targetKind: openEnum(AUDIT_TARGET_KINDS),
}).meta({
  title: "AuditEntry",
});
export type AuditEntryRead = z.infer<typeof AuditEntryReadSchema>;
/** A page of audit entries as a client reads it (AuditEntryReadSchema). */
export const AuditListReadSchema = readPageSchema(AuditEntryReadSchema, "AuditList");

export const AuditListQuerySchema = z.object({
  targetKind: AuditTargetKindSchema.optional(),
  targetName: z.string().max(253).optional(),
  actor: z.string().max(100).optional(),
  since: QueryTimeSchema.optional(),
  until: QueryTimeSchema.optional(),
});
