/**
 * The outcome of one (policy, resource) pair. A closed set:
 * - `pass`: the policy applies and every validation is true.
 * - `fail`: the policy applies and at least one validation is false.
 * - `error`: the policy could not be evaluated (runtime error, budget exceeded); counts as
 *   `fail` for the decision when the policy's failurePolicy is `Fail`.
 * - `skip`: the policy does not apply (match criteria or matchConditions).
 * - `waived`: it would fail (or error), and a live PolicyException covers it.
 */
export type Outcome = "pass" | "fail" | "error" | "skip" | "waived";
export const OUTCOMES: readonly Outcome[] = ["pass", "fail", "error", "skip", "waived"];

/** The decision of a whole evaluation: `deny` beats `warn` beats `allow`. */
export type Decision = "allow" | "warn" | "deny";

export type Severity = "critical" | "high" | "medium" | "low" | "info";
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "info"];

export type PolicyAction = "deny" | "warn" | "audit";

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

export interface Result {
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
 * A notice that is not a result: an expired exception (`exception` names it), image facts that
 * no evaluated resource uses (`image` is their reference), or another warning (a selection that
 * matches nothing, an evaluation stopped by an internal error).
 */
export interface ReportNotice {
  kind: "expired-exception" | "unused-image-facts" | "warning";
  message: string;
  exception?: string;
  image?: string;
}

export interface EvaluationReport {
  apiVersion: "celgate.dev/v1";
  kind: "EvaluationReport";
  id?: string;
  decision: Decision;
  evaluatedAt: string;
  policySet: { digest: string; policies: number };
  summary: Summary;
  results: Result[];
  notices?: ReportNotice[];
}
