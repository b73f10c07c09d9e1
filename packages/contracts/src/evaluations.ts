import { z } from "zod";
import {
  EVALUATION_SOURCES,
  EvaluationSourceSchema,
  openEnum,
  ownKeysSchema,
  pageSchema,
  QueryTimeSchema,
  readPageSchema,
  StorableTimeSchema,
} from "./common.js";
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

/** Per policy name, its params by name: a `__proto__` key at either level is refused (ownKeysSchema). */
const ParamsSchema = ownKeysSchema(z.record(z.string(), ownKeysSchema(z.record(z.string(), z.unknown()))));
/**
 * The most JSON text an evaluation's `context` may take. It is metadata (environment, cluster,
 * commit, ...) kept in every history row, listed with it and signed into the receipt: a
 * context of megabytes made each page of `GET /v1/evaluations` as large.
 */
export const MAX_CONTEXT_BYTES = 16 * 1024;

const utf8 = new TextEncoder();

const ContextSchema = ownKeysSchema(z.record(z.string(), z.unknown())).superRefine((context, ctx) => {
  // TextEncoder, not Buffer: the SDK uses these schemas in browsers too
  const bytes = utf8.encode(JSON.stringify(context) ?? "").length;
  if (bytes > MAX_CONTEXT_BYTES)
    ctx.addIssue({
      code: "custom",
      message: `context is ${bytes} bytes of JSON; at most ${MAX_CONTEXT_BYTES} (it is metadata such as environment, cluster and commit, kept in every history row)`,
    });
});

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
    now: StorableTimeSchema.optional(),
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
 * A history row as a client reads it: its `source` may be one a newer service added (openEnum),
 * kept as sent; its `decision` is checked as strictly as EvaluationSummarySchema does.
 */
export const EvaluationSummaryReadSchema = EvaluationSummarySchema.extend({
  source: openEnum(EVALUATION_SOURCES),
}).meta({ title: "EvaluationSummary" });
export type EvaluationSummaryRead = z.infer<typeof EvaluationSummaryReadSchema>;
/** A page of history as a client reads it (EvaluationSummaryReadSchema). */
export const EvaluationListReadSchema = readPageSchema(EvaluationSummaryReadSchema, "EvaluationList");

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
  since: QueryTimeSchema.optional(),
  until: QueryTimeSchema.optional(),
});
export type EvaluationListQuery = z.infer<typeof EvaluationListQuerySchema>;

export { EvaluationReportSchema };

/** The widths of `GET /v1/evaluations:stats` periods: whole UTC hours or UTC days. */
export const STATS_BUCKETS = ["hour", "day"] as const;
export const StatsBucketSchema = z.enum(STATS_BUCKETS);
export type StatsBucket = z.infer<typeof StatsBucketSchema>;
/** A stats request covering more periods than this is refused (400). */
export const MAX_STATS_BUCKETS = 2000;
/** Without `since`, a stats request counts this many days before `until`. */
export const STATS_DEFAULT_DAYS = 7;

/**
 * Query of `GET /v1/evaluations:stats`: evaluations recorded in [since, until] (the same
 * bounds as the history list's filters), counted per UTC `bucket`; `until` defaults to now and
 * `since` to STATS_DEFAULT_DAYS days before `until`.
 */
export const EvaluationStatsQuerySchema = z.object({
  since: QueryTimeSchema.optional(),
  until: QueryTimeSchema.optional(),
  bucket: StatsBucketSchema.default("day"),
  source: EvaluationSourceSchema.optional(),
});
export type EvaluationStatsQuery = z.input<typeof EvaluationStatsQuerySchema>;

/** The evaluations of one source with one decision recorded in one period (only non-zero counts). */
export const EvaluationStatsRowSchema = z
  .object({
    start: z.string().describe("The period's start, UTC (ISO 8601)"),
    source: EvaluationSourceSchema,
    decision: DecisionSchema,
    count: z.number().int().positive(),
  })
  .meta({ id: "EvaluationStatsRow" });
export type EvaluationStatsRow = z.infer<typeof EvaluationStatsRowSchema>;

/** Answer of `GET /v1/evaluations:stats`: rows ordered by start, source, decision. */
export const EvaluationStatsSchema = z
  .object({
    since: z.string(),
    until: z.string(),
    bucket: StatsBucketSchema,
    /** Every evaluation counted: the sum of the rows' counts. */
    total: z.number().int().nonnegative(),
    rows: z.array(EvaluationStatsRowSchema),
  })
  .meta({ id: "EvaluationStats" });
export type EvaluationStats = z.infer<typeof EvaluationStatsSchema>;
/**
 * The stats as a client reads them: a row's `source` may be one a newer service added
 * (openEnum), kept as sent; its `decision` is checked strictly.
 */
export const EvaluationStatsReadSchema = EvaluationStatsSchema.extend({
  rows: z.array(EvaluationStatsRowSchema.extend({ source: openEnum(EVALUATION_SOURCES) })),
}).meta({ title: "EvaluationStats" });
export type EvaluationStatsRead = z.infer<typeof EvaluationStatsReadSchema>;
