import { z } from "zod";

const counts = z.object({
  critical: z.number().int(),
  high: z.number().int(),
  medium: z.number().int(),
  low: z.number().int(),
  unknown: z.number().int(),
});

export const VulnerabilitySchema = z.object({
  id: z.string(),
  severity: z.enum(["critical", "high", "medium", "low", "unknown"]),
  package: z.string().nullable(),
  installedVersion: z.string().nullable(),
  fixedVersion: z.string().nullable(),
  aliases: z.array(z.string()),
});

/** Image facts in the native form (every field present; null where no supplier gave it). */
export const ImageFactsSchema = z
  .object({
    ref: z.string(),
    registry: z.string(),
    repository: z.string(),
    tag: z.string().nullable(),
    digest: z.string().nullable(),
    known: z.boolean(),
    scan: z
      .object({
        scanner: z.string().nullable(),
        scannedAt: z.string().nullable(),
        summary: counts,
        fixable: counts,
        vulnerabilities: z.array(VulnerabilitySchema),
      })
      .nullable(),
    signatures: z.array(
      z.object({
        verified: z.boolean(),
        identity: z.string().nullable(),
        issuer: z.string().nullable(),
        source: z.string().nullable().describe("what verified it, e.g. cosign"),
        verifiedAt: z.string().nullable(),
      }),
    ),
    createdAt: z.string().nullable(),
    labels: z.record(z.string(), z.string()).nullable(),
    user: z.string().nullable(),
  })
  .meta({ id: "ImageFacts" });
export type ImageFactsWire = z.infer<typeof ImageFactsSchema>;

/** `sha256:<64 hex>` (or another algorithm with a hex digest of at least 32 characters). */
export const ImageDigestSchema = z
  .string()
  .regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-f0-9]{32,}$/, "an image digest such as sha256:<hex>");

/**
 * Body of `PUT /v1/images/{digest}`: native facts (one object, a list, or an ImageFacts
 * document), a Trivy JSON report or a Grype JSON report; the format is detected.
 */
export const ImageFactsInputSchema = z.unknown().meta({
  id: "ImageFactsInput",
  description: "Native image facts, a Trivy JSON report or a Grype JSON report.",
});

export const StoredImageSchema = z
  .object({
    digest: z.string(),
    facts: ImageFactsSchema,
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .meta({ id: "StoredImage" });
export type StoredImage = z.infer<typeof StoredImageSchema>;

/**
 * Answer of `POST /v1/images`: every image of the facts document and the key it is stored
 * under, its digest when it has one, else its normalised `registry/repository:tag`.
 */
export const ImagePushResultSchema = z
  .object({
    images: z.array(
      z.object({
        key: z.string(),
        ref: z.string(),
        digest: z.string().nullable(),
        created: z.boolean(),
      }),
    ),
  })
  .meta({ id: "ImagePushResult" });
export type ImagePushResult = z.infer<typeof ImagePushResultSchema>;
