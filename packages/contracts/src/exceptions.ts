import { z } from "zod";
import { DurationSchema, ObjectMetaSchema, pageSchema } from "./common.js";

export const ExceptionDocumentSchema = z
  .object({
    apiVersion: z.literal("celgate.dev/v1"),
    kind: z.literal("PolicyException"),
    metadata: ObjectMetaSchema,
    spec: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "ExceptionDocument", description: "A PolicyException (waiver) document." });

export const ExceptionResourceSchema = z
  .object({
    name: z.string(),
    version: z.number().int(),
    etag: z.string(),
    expires: z.string(),
    expired: z.boolean(),
    document: ExceptionDocumentSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .meta({ id: "ExceptionResource" });
export type ExceptionResource = z.infer<typeof ExceptionResourceSchema>;
export const ExceptionListSchema = pageSchema(ExceptionResourceSchema, "ExceptionList");

export const ExceptionListQuerySchema = z.object({
  /** Only exceptions still live that lapse within this duration, e.g. `7d`. */
  expiring: DurationSchema.optional(),
  policy: z.string().max(253).optional(),
});
