import { z } from "zod";
import { openEnum } from "./common.js";
import { DsseEnvelopeSchema } from "./dsse.js";

// The closed sets of the report model. The engine (@celgate/core, report/types.ts) declares
// the same arrays; contracts may not import the engine, so engine-agreement.test.ts proves the
// two equal: a value added on one side only fails `pnpm typecheck`.

/** pass | fail | error | skip | waived: the outcome of one (resource, policy) pair. */
export const OUTCOMES = ["pass", "fail", "error", "skip", "waived"] as const;
/** allow | warn | deny: the decision of a whole evaluation. */
export const DECISIONS = ["allow", "warn", "deny"] as const;
/** critical | high | medium | low | info: a policy's severity. */
export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
/** deny | warn | audit: what a failing policy does to the decision. */
export const POLICY_ACTIONS = ["deny", "warn", "audit"] as const;
/** Kinds of report notices (an expired exception, unused image facts, a skipped document, a warning). */
export const NOTICE_KINDS = [
  "expired-exception",
  "unused-image-facts",
  "skipped-document",
  "warning",
] as const;

export const OutcomeSchema = z.enum(OUTCOMES).meta({ id: "Outcome" });
export const DecisionSchema = z.enum(DECISIONS).meta({ id: "Decision" });
export const SeveritySchema = z.enum(SEVERITIES).meta({ id: "Severity" });
export const PolicyActionSchema = z.enum(POLICY_ACTIONS).meta({ id: "PolicyAction" });
export const NoticeKindSchema = z.enum(NOTICE_KINDS).meta({
  id: "NoticeKind",
  description:
    "The kinds this service emits. A later version may add kinds: a client keeps a notice of a kind it does not know and shows its message (notices never bear on the decision).",
});

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

/**
 * Where a skipped document was: its file (or the request field, `manifests` or `resources`),
 * its 0-based document index there, and its 1-based first line when the input is text.
 */
export const DocumentSourceSchema = z
  .object({ file: z.string(), document: z.number().int(), line: z.number().int().optional() })
  .meta({ id: "DocumentSource" });

export const ReportNoticeSchema = z
  .object({
    kind: NoticeKindSchema,
    message: z.string(),
    exception: z.string().optional(),
    image: z.string().optional(),
    /** For `skipped-document`: where the document was. */
    source: DocumentSourceSchema.optional(),
  })
  .meta({ id: "ReportNotice" });

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
    /** The signed receipt of a recorded evaluation (docs/receipts.md); the service adds it, the engine never. */
    receipt: DsseEnvelopeSchema.optional(),
  })
  .meta({ id: "EvaluationReport" });

/**
 * A notice as a client reads it (the SDK, the CLI's `--server`): its `kind` may be one a newer
 * service added (openEnum), kept as sent; every other field as ReportNoticeSchema. Notices are
 * informational: nothing of the decision rests on them.
 */
export const ReportNoticeReadSchema = ReportNoticeSchema.extend({ kind: openEnum(NOTICE_KINDS) });

/**
 * The report as a client reads it: EvaluationReportSchema but for its notices, which may be of
 * a kind a newer service added (ReportNoticeReadSchema). Everything a decision rests on
 * (decision, summary, results with their outcome, action and severity, ids) is checked as
 * strictly. The service answers with EvaluationReportSchema, which lists every kind it emits.
 */
export const EvaluationReportReadSchema = EvaluationReportSchema.extend({
  notices: z.array(ReportNoticeReadSchema).optional(),
});

export type Outcome = z.infer<typeof OutcomeSchema>;
export type Decision = z.infer<typeof DecisionSchema>;
export type Severity = z.infer<typeof SeveritySchema>;
export type PolicyAction = z.infer<typeof PolicyActionSchema>;
export type ReportResult = z.infer<typeof ResultSchema>;
export type ReportNotice = z.infer<typeof ReportNoticeSchema>;
export type EvaluationReportWire = z.infer<typeof EvaluationReportSchema>;
/** A notice as a client reads it: its kind is one of NOTICE_KINDS or one a newer service added. */
export type ReportNoticeRead = z.infer<typeof ReportNoticeReadSchema>;
/** The report as a client reads it (EvaluationReportReadSchema). */
export type EvaluationReportRead = z.infer<typeof EvaluationReportReadSchema>;
