import { z } from "zod";
import { ownKeysSchema } from "./common.js";

const GroupVersionKind = z.object({ group: z.string(), version: z.string(), kind: z.string() });

/** Kubernetes AdmissionReview v1 (request half), as the API server sends it. */
export const AdmissionReviewRequestSchema = z
  .object({
    apiVersion: z.literal("admission.k8s.io/v1"),
    kind: z.literal("AdmissionReview"),
    request: z
      .object({
        uid: z.string().min(1),
        kind: GroupVersionKind,
        resource: z.object({ group: z.string(), version: z.string(), resource: z.string() }).optional(),
        subResource: z.string().optional(),
        name: z.string().optional(),
        namespace: z.string().optional(),
        operation: z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT"]),
        userInfo: z
          .object({
            username: z.string().optional(),
            uid: z.string().optional(),
            groups: z.array(z.string()).optional(),
          })
          .loose()
          .optional(),
        object: ownKeysSchema(z.record(z.string(), z.unknown()).nullable()).optional(),
        oldObject: ownKeysSchema(z.record(z.string(), z.unknown()).nullable()).optional(),
        dryRun: z.boolean().optional(),
        options: z.unknown().optional(),
      })
      .loose(),
  })
  .loose()
  .meta({ id: "AdmissionReviewRequest" });
export type AdmissionReviewRequest = z.infer<typeof AdmissionReviewRequestSchema>;

/** Kubernetes AdmissionReview v1 (response half). */
export const AdmissionReviewResponseSchema = z
  .object({
    apiVersion: z.literal("admission.k8s.io/v1"),
    kind: z.literal("AdmissionReview"),
    response: z.object({
      uid: z.string(),
      allowed: z.boolean(),
      status: z
        .object({ code: z.number().int(), message: z.string(), reason: z.string().optional() })
        .optional(),
      warnings: z.array(z.string()).optional(),
      auditAnnotations: z.record(z.string(), z.string()).optional(),
    }),
  })
  .meta({ id: "AdmissionReviewResponse" });
export type AdmissionReviewResponse = z.infer<typeof AdmissionReviewResponseSchema>;
