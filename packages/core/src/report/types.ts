// The closed sets of the report model. Each is one `as const` array, declared once here: the
// types below, the policy schema's zod enums (policy/schema.ts) and the decision logic derive
// from them, and @celgate/contracts declares equal arrays proven equal by type tests.

/**
 * The outcome of one (policy, resource) pair. A closed set:
 * - `pass`: the policy applies and every validation is true.
 * - `fail`: the policy applies and at least one validation is false.
 * - `error`: the policy could not be evaluated (runtime error, budget exceeded); counts as
 *   `fail` for the decision when the policy's failurePolicy is `Fail`.
 * - `skip`: the policy does not apply (match criteria or matchConditions).
 * - `waived`: it would fail (or error), and a live PolicyException covers it.
 */
export const OUTCOMES = ["pass", "fail", "error", "skip", "waived"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The decision of a whole evaluation: `deny` beats `warn` beats `allow`. */
export const DECISIONS = ["allow", "warn", "deny"] as const;
export type Decision = (typeof DECISIONS)[number];

/** How grave a policy's finding is, most grave first; a policy that does not say is `medium`. */
export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * What a failing policy does to the decision: `deny` denies, `warn` warns, `audit` only
 * records the result. A policy that does not say denies.
 */
export const POLICY_ACTIONS = ["deny", "warn", "audit"] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/**
 * What an `error` outcome counts as: `Fail` (the default) as a failure of the policy's action,
 * `Ignore` as nothing. The names are Kubernetes' (ValidatingAdmissionPolicy).
 */
export const FAILURE_POLICIES = ["Fail", "Ignore"] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

/**
 * Kinds of report notices: `expired-exception` (an exception that has lapsed, named in
 * `exception`), `unused-image-facts` (facts for an image no evaluated resource uses, named in
 * `image`), `skipped-document` (a document of the input that is not a Kubernetes object, so
 * nothing was checked of it, named in `source`), `warning` (anything else said out loud: a
 * selection that matches nothing, an evaluation stopped by an internal error).
 */
export const NOTICE_KINDS = [
  "expired-exception",
  "unused-image-facts",
  "skipped-document",
  "warning",
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** Where a resource came from: the file, the 1-based line of its document, its 0-based document index. */
export interface SourceLocation {
  file: string;
  line: number;
  document: number;
}

export interface ResourceRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  source?: SourceLocation;
}

export interface Violation {
  message: string;
  fieldPath?: string;
  reason?: string;
}

/** One (resource, policy) result as it goes on the wire (JSON output, the API, history). */
export interface WireResult {
  resource: ResourceRef;
  policy: string;
  /** Only set by the service, which versions policies. */
  policyVersion?: number;
  severity: Severity;
  action: PolicyAction;
  outcome: Outcome;
  violations: Violation[];
  /** The error message when outcome is `error`, else null. */
  error: string | null;
  /** The exception's name when outcome is `waived`, else null. */
  exception: string | null;
}

/** A result inside the engine: the wire fields plus what human-facing formatters show. */
export interface Result extends WireResult {
  /** Remediation hint of the policy, carried for human-facing formatters. Not part of the wire contract. */
  remediation?: string;
  /** Policy title, carried for formatters. */
  title?: string;
}

export interface Summary {
  resources: number;
  pass: number;
  fail: number;
  error: number;
  skip: number;
  waived: number;
}

/**
 * Where a skipped document was: its file (or the request field it came in, `manifests` or
 * `resources`), its 0-based document index there, and the 1-based line it begins on when the
 * input is text (an object of a list given as objects has no line).
 */
export interface DocumentSource {
  file: string;
  document: number;
  line?: number;
}

/**
 * A notice that is not a result: an expired exception (`exception` names it), image facts that
 * no evaluated resource uses (`image` is their reference), a document of the input skipped as
 * not a Kubernetes object (`source` says where it was, `message` where and why), or another
 * warning (a selection that matches nothing, an evaluation stopped by an internal error).
 */
export interface ReportNotice {
  kind: NoticeKind;
  message: string;
  exception?: string;
  image?: string;
  source?: DocumentSource;
}

/**
 * The evaluation report. `R` is the result type: the engine's `Result` (with formatter-only
 * fields) by default, `WireResult` for the report as it goes on the wire (see `WireReport`).
 */
export interface EvaluationReport<R extends WireResult = Result> {
  apiVersion: "celgate.dev/v1";
  kind: "EvaluationReport";
  id?: string;
  decision: Decision;
  evaluatedAt: string;
  policySet: { digest: string; policies: number };
  summary: Summary;
  results: R[];
  notices?: ReportNotice[];
}

/** The report as it goes on the wire: what `toWireReport` returns and the API answers. */
export type WireReport = EvaluationReport<WireResult>;
