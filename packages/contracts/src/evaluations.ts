import { z } from "zod";
import { EvaluationSourceSchema, pageSchema } from "./common.js";
import { DecisionSchema, EvaluationReportSchema, SummarySchema } from "./report.js";

/** Limits on one evaluation request (the body limit applies as well). */
export const MAX_RESOURCES_PER_EVALUATION = 5000;

/** One input file of an evaluation: its name (kept in each resource's `source.file`) and its text. */
export const ManifestFileSchema = z
  .object({
    file: z.string().min(1).max(1024),
    text: z.string(),
  })
  .strict()
  .meta({ id: "ManifestFile" });
export type ManifestFile = z.infer<typeof ManifestFileSchema>;

const ParamsSchema = z.record(z.string(), z.record(z.string(), z.unknown()));
const ContextSchema = z.record(z.string(), z.unknown());

/**
 * Body of `POST /v1/evaluations`. Exactly one of `manifests` (multi-document YAML or JSON
 * text, or a list of `{file, text}` whose names the report's `source.file` keeps) and
 * `resources` (objects). `images`: native facts, a Trivy or Grype report, or a list
 * of those; facts stored with `PUT /v1/images/{digest}` are added for every image referenced
 * by digest.
 */
export const EvaluationRequestSchema = z
  .object({
    manifests: z
      .union([z.string(), z.array(ManifestFileSchema).max(MAX_RESOURCES_PER_EVALUATION)])
      .optional(),
    resources: z.array(z.unknown()).max(MAX_RESOURCES_PER_EVALUATION).optional(),
    images: z.unknown().optional(),
    params: ParamsSchema.optional(),
    context: ContextSchema.optional(),
    select: z.string().max(1024).optional(),
    policies: z.array(z.string().max(253)).max(1000).optional(),
    includeSkipped: z.boolean().optional(),
    now: z.iso.datetime({ offset: true }).optional(),
    dryRun: z.boolean().optional(),
  })
  .strict()
  .refine((r) => (r.manifests === undefined) !== (r.resources === undefined), {
    message: "give exactly one of manifests (YAML text) and resources (objects)",
    path: ["manifests"],
  })
  .meta({ id: "EvaluationRequest" });
export type EvaluationRequest = z.infer<typeof EvaluationRequestSchema>;

/** One row of the history list; `GET /v1/evaluations/{id}` returns the whole report. */
export const EvaluationSummarySchema = z
  .object({
    id: z.string(),
    evaluatedAt: z.string(),
    recordedAt: z.string(),
    decision: DecisionSchema,
    source: EvaluationSourceSchema,
    actor: z.string(),
    context: z.record(z.string(), z.unknown()),
    policySet: z.object({ digest: z.string(), policies: z.number().int() }),
    summary: SummarySchema,
  })
  .meta({ id: "EvaluationSummary" });
export type EvaluationSummary = z.infer<typeof EvaluationSummarySchema>;
export const EvaluationListSchema = pageSchema(EvaluationSummarySchema, "EvaluationList");
export type EvaluationList = z.infer<typeof EvaluationListSchema>;

/**
 * Filters of `GET /v1/evaluations`. `context.<key>=<value>` query parameters filter on the
 * context given at evaluation time (string comparison).
 */
export const EvaluationListQuerySchema = z.object({
  decision: DecisionSchema.optional(),
  source: EvaluationSourceSchema.optional(),
  policy: z.string().max(253).optional(),
  namespace: z.string().max(253).optional(),
  kind: z.string().max(253).optional(),
  name: z.string().max(253).optional(),
  image: z.string().max(1024).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});
export type EvaluationListQuery = z.infer<typeof EvaluationListQuerySchema>;

export { EvaluationReportSchema };
