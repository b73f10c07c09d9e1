import { z } from "zod";

export const OutcomeSchema = z.enum(["pass", "fail", "error", "skip", "waived"]).meta({ id: "Outcome" });
export const DecisionSchema = z.enum(["allow", "warn", "deny"]).meta({ id: "Decision" });
export const SeveritySchema = z.enum(["critical", "high", "medium", "low", "info"]).meta({ id: "Severity" });
export const PolicyActionSchema = z.enum(["deny", "warn", "audit"]).meta({ id: "PolicyAction" });

export const SourceLocationSchema = z.object({
  file: z.string(),
  line: z.number().int(),
  document: z.number().int(),
});

export const ResourceRefSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    namespace: z.string().optional(),
    name: z.string(),
    source: SourceLocationSchema.optional(),
  })
  .meta({ id: "ResourceRef" });

export const ViolationSchema = z
  .object({ message: z.string(), fieldPath: z.string().optional(), reason: z.string().optional() })
  .meta({ id: "Violation" });

export const ResultSchema = z
  .object({
    resource: ResourceRefSchema,
    policy: z.string(),
    policyVersion: z.number().int().optional(),
    severity: SeveritySchema,
    action: PolicyActionSchema,
    outcome: OutcomeSchema,
    violations: z.array(ViolationSchema),
    error: z.string().nullable(),
    exception: z.string().nullable(),
  })
  .loose()
  .meta({ id: "Result" });

export const SummarySchema = z
  .object({
    resources: z.number().int(),
    pass: z.number().int(),
    fail: z.number().int(),
    error: z.number().int(),
    skip: z.number().int(),
    waived: z.number().int(),
  })
  .meta({ id: "Summary" });

export const ReportNoticeSchema = z.object({
  kind: z.enum(["expired-exception", "unused-image-facts", "warning"]),
  message: z.string(),
  exception: z.string().optional(),
  image: z.string().optional(),
});

/** The evaluation report: one shape for the CLI's JSON, the API, history and the SDK. */
export const EvaluationReportSchema = z
  .object({
    apiVersion: z.literal("celgate.dev/v1"),
    kind: z.literal("EvaluationReport"),
    id: z.string().optional(),
    decision: DecisionSchema,
    evaluatedAt: z.string(),
    policySet: z.object({ digest: z.string(), policies: z.number().int() }),
    summary: SummarySchema,
    results: z.array(ResultSchema),
    notices: z.array(ReportNoticeSchema).optional(),
  })
  .meta({ id: "EvaluationReport" });

export type Outcome = z.infer<typeof OutcomeSchema>;
export type Decision = z.infer<typeof DecisionSchema>;
export type ReportResult = z.infer<typeof ResultSchema>;
export type EvaluationReportWire = z.infer<typeof EvaluationReportSchema>;
