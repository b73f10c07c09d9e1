import { z } from "zod";
import { DurationSchema, pageSchema } from "./common.js";

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

/** One stored image in `GET /v1/images`: its facts in brief (`GET /v1/images/{digest}` has them all). */
export const ImageSummarySchema = z
  .object({
    key: z.string().describe("What the facts are stored under: the digest, else `registry/repository:tag`."),
    digest: z.string().nullable(),
    ref: z.string(),
    scanner: z.string().nullable(),
    scannedAt: z.string().nullable().describe("When the newest scan ran; null when no scan is stored."),
    scanAgeSeconds: z
      .number()
      .int()
      .nullable()
      .describe("Seconds since `scannedAt` at the time of the answer; null when no scan is stored."),
    summary: counts.nullable().describe("Vulnerabilities by severity; null when no scan is stored."),
    signatures: z.number().int().describe("Signatures recorded (verified or not)."),
    verifiedSignatures: z.number().int(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .meta({ id: "ImageSummary" });
export type ImageSummary = z.infer<typeof ImageSummarySchema>;
export const ImageListSchema = pageSchema(ImageSummarySchema, "ImageList");

export const ImageListQuerySchema = z
  .object({
    stale: DurationSchema.optional().describe(
      "Only images whose newest scan is older than this (e.g. `7d`), or that have no scan.",
    ),
    repository: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe("Only images of this `registry/repository` (e.g. `registry.example/shop/web`)."),
  })
  .strict();
export type ImageListQuery = z.infer<typeof ImageListQuerySchema>;
