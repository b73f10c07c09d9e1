import { z } from "zod";
import { ownKeysSchema, QueryTimeSchema } from "./common.js";
import { DecisionSchema, OutcomeSchema, ResourceRefSchema } from "./report.js";

/**
 * Body of `POST /v1/replays`: candidate policies (YAML/JSON text or document objects) are
 * laid over the current set (same name replaces; `remove` drops), then evaluated against the
 * inputs of recorded evaluations (the newest `limit` in [since, until], or the given ids).
 */
export const ReplayRequestSchema = z
  .object({
    policies: z.union([z.string(), z.array(ownKeysSchema(z.record(z.string(), z.unknown())))]).optional(),
    remove: z.array(z.string()).optional(),
    evaluations: z.array(z.string()).max(500).optional(),
    since: QueryTimeSchema.optional(),
    until: QueryTimeSchema.optional(),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .strict()
  .meta({ id: "ReplayRequest" });
export type ReplayRequest = z.infer<typeof ReplayRequestSchema>;

export const ReplayChangeSchema = z
  .object({
    evaluation: z.string(),
    resource: ResourceRefSchema,
    policy: z.string(),
    before: OutcomeSchema,
    after: OutcomeSchema,
  })
  .meta({ id: "ReplayChange" });

export const ReplayReportSchema = z
  .object({
    policySet: z.object({ digest: z.string(), policies: z.number().int() }),
    evaluations: z.number().int(),
    resources: z.number().int(),
    changed: z.number().int(),
    decisions: z.array(z.object({ evaluation: z.string(), before: DecisionSchema, after: DecisionSchema })),
    changes: z.array(ReplayChangeSchema),
  })
  .meta({ id: "ReplayReport" });
export type ReplayReport = z.infer<typeof ReplayReportSchema>;
