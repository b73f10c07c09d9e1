import { z } from "zod";
import { ObjectMetaSchema, openEnum, pageSchema, readPageSchema } from "./common.js";

/** A celgate document (Policy or PolicyException) on the wire; the engine checks its spec. */
export const PolicyDocumentSchema = z
  .object({
    apiVersion: z.literal("celgate.dev/v1"),
    kind: z.literal("Policy"),
    metadata: ObjectMetaSchema,
    spec: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "PolicyDocument", description: "A celgate Policy document (see policy-format)." });

/** Where a stored policy comes from: the API, or the policy repository (CELGATE_POLICY_DIR). */
export const POLICY_SOURCES = ["api", "repository"] as const;
export const PolicySourceSchema = z.enum(POLICY_SOURCES).meta({ id: "PolicySource" });
export type PolicySource = z.infer<typeof PolicySourceSchema>;

/** A stored policy: its document plus what the service knows about it. */
export const PolicyResourceSchema = z
  .object({
    name: z.string(),
    source: PolicySourceSchema,
    version: z.number().int(),
    etag: z.string(),
    labels: z.record(z.string(), z.string()),
    document: PolicyDocumentSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .meta({ id: "PolicyResource" });
export type PolicyResource = z.infer<typeof PolicyResourceSchema>;

export const PolicyListSchema = pageSchema(PolicyResourceSchema, "PolicyList");
export type PolicyList = z.infer<typeof PolicyListSchema>;

export const PolicyListQuerySchema = z.object({
  select: z.string().max(1024).optional(),
  source: PolicySourceSchema.optional(),
});

/** What a stored policy version records. */
export const POLICY_CHANGES = ["create", "update", "delete"] as const;
export const PolicyChangeSchema = z.enum(POLICY_CHANGES);

/** One stored version of a policy: who changed it, when, and the document as it then was. */
export const PolicyVersionSchema = z
  .object({
    name: z.string(),
    version: z.number().int(),
    change: PolicyChangeSchema,
    source: PolicySourceSchema,
    actor: z.string(),
    at: z.string(),
    document: PolicyDocumentSchema.nullable(),
  })
  .meta({ id: "PolicyVersion" });
export type PolicyVersion = z.infer<typeof PolicyVersionSchema>;
export const PolicyVersionListSchema = pageSchema(PolicyVersionSchema, "PolicyVersionList");
/** A policy version as a client reads it: its `change` may be one a newer service added (openEnum), kept as sent. */
export const PolicyVersionReadSchema = PolicyVersionSchema.extend({ change: openEnum(POLICY_CHANGES) }).meta({
  title: "PolicyVersion",
});
export type PolicyVersionRead = z.infer<typeof PolicyVersionReadSchema>;
/** A page of policy versions as a client reads it (PolicyVersionReadSchema). */
export const PolicyVersionListReadSchema = readPageSchema(PolicyVersionReadSchema, "PolicyVersionList");

/**
 * Every diagnostic code. The engine (@celgate/core, diagnostics/codes.ts) declares the same
 * list with a line on each; policies.types.test.ts proves the two equal.
 */
export const DIAGNOSTIC_CODES = [
  "yaml-syntax",
  "input-limit",
  "input-nul",
  "input-unicode",
  "input-too-large",
  "binary-input",
  "not-an-object",
  "empty",
  "schema",
  "celgate-document",
  "unexpected-policy",
  "document-in-test-file",
  "duplicate-policy",
  "duplicate-variable",
  "cel-syntax",
  "cel-type",
  "cel-hidden-character",
  "cel-unknown-variable",
  "cel-cost",
  "cel-runtime",
  "resource",
  "unknown-policy",
  "selector-matches-nothing",
  "image-facts-format",
  "not-image-scan",
  "unsupported-version",
  "image-reference",
  "limit",
  "internal",
  "too-many-problems",
] as const;
export const DiagnosticCodeSchema = z.enum(DIAGNOSTIC_CODES).meta({ id: "DiagnosticCode" });
export type DiagnosticCode = z.infer<typeof DiagnosticCodeSchema>;

/** A problem the engine found in a document: code, message, and where it is. */
export const DiagnosticSchema = z
  .object({
    code: DiagnosticCodeSchema,
    message: z.string(),
    path: z.string().optional(),
    file: z.string().optional(),
    line: z.number().int().optional(),
    document: z.number().int().optional(),
    column: z.number().int().optional(),
    sourceLine: z.string().optional(),
    severity: z.enum(["error", "warning"]).optional(),
  })
  .meta({ id: "Diagnostic" });
export type Diagnostic = z.infer<typeof DiagnosticSchema>;

/** Answer of `POST /v1/policies:validate`: 200 whether or not the documents are valid. */
export const ValidationResultSchema = z
  .object({
    valid: z.boolean(),
    policies: z.array(z.object({ name: z.string(), valid: z.boolean() })),
    diagnostics: z.array(DiagnosticSchema),
  })
  .meta({ id: "ValidationResult" });
export type ValidationResult = z.infer<typeof ValidationResultSchema>;
