import type {
  Decision,
  EvaluationReport,
  FailurePolicy,
  Outcome,
  ReportNotice,
  ResourceRef,
  Result,
  Summary,
  Violation,
  WireReport,
  WireResult,
} from "./types.js";

export type { FailurePolicy };

/** The part of a result the decision depends on; `failurePolicy` defaults to `Fail`. */
export type DecisionInput = Pick<Result, "outcome" | "action"> & { failurePolicy?: FailurePolicy };

/**
 * The decision of an evaluation: `deny` if any deny-action policy fails (or errors under
 * failurePolicy Fail), else `warn` if any warn-action policy does, else `allow`. Audit-action
 * policies, passes, skips and waived results never change it. Never throws.
 */
export function decide(results: Iterable<DecisionInput>): Decision {
  let decision: Decision = "allow";
  for (const result of results) {
    decision = decideNext(decision, result.outcome, result.action, result.failurePolicy);
    if (decision === "deny") return decision;
  }
  return decision;
}

/** The decision once one more result is known (see `decide`). */
function decideNext(
  decision: Decision,
  outcome: Outcome,
  action: Result["action"],
  failurePolicy: FailurePolicy = "Fail",
): Decision {
  const counts = outcome === "fail" || (outcome === "error" && failurePolicy === "Fail");
  if (!counts || decision === "deny") return decision;
  if (action === "deny") return "deny";
  if (action === "warn") return "warn";
  return decision;
}

/** Counts every outcome of `results` (skips included, whether listed or not). */
export function summarise(results: Iterable<Pick<Result, "outcome">>, resourceCount: number): Summary {
  const summary: Summary = { resources: resourceCount, pass: 0, fail: 0, error: 0, skip: 0, waived: 0 };
  for (const result of results) summary[result.outcome satisfies Outcome] += 1;
  return summary;
}

/**
 * A key naming one resource of an evaluation: its source position when known (two documents
 * may describe the same object), then its identity.
 */
export function resourceKey(ref: ResourceRef): string {
  const source = ref.source ? `${ref.source.file}\u0000${ref.source.document}` : "\u0000";
  return [source, ref.apiVersion, ref.kind, ref.namespace ?? "", ref.name].join("\u0000");
}

function compareStrings(a: string, b: string): number {
  // Code-unit order, not localeCompare: the same on every machine and locale.
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRefs(a: ResourceRef, b: ResourceRef): number {
  return (
    compareStrings(a.source?.file ?? "", b.source?.file ?? "") ||
    (a.source?.document ?? -1) - (b.source?.document ?? -1) ||
    compareStrings(a.apiVersion, b.apiVersion) ||
    compareStrings(a.kind, b.kind) ||
    compareStrings(a.namespace ?? "", b.namespace ?? "") ||
    compareStrings(a.name, b.name)
  );
}

/**
 * Results in a deterministic order: by the position of their resource in `resourceOrder` (the
 * input order), then by policy name. Resources missing from `resourceOrder` come last, by
 * file, document and identity. Returns a new array; never throws.
 */
export function sortResults<R extends Pick<Result, "resource" | "policy">>(
  results: readonly R[],
  resourceOrder: readonly ResourceRef[],
): R[] {
  const position = new Map<string, number>();
  resourceOrder.forEach((ref, index) => {
    const key = resourceKey(ref);
    if (!position.has(key)) position.set(key, index);
  });
  const keyed = results.map((result) => ({
    result,
    position: position.get(resourceKey(result.resource)) ?? Number.POSITIVE_INFINITY,
  }));
  keyed.sort((a, b) => {
    if (a.position !== b.position) return a.position < b.position ? -1 : 1;
    const unknown =
      a.position === Number.POSITIVE_INFINITY ? compareRefs(a.result.resource, b.result.resource) : 0;
    return unknown || compareStrings(a.result.policy, b.result.policy);
  });
  return keyed.map((entry) => entry.result);
}

export interface BuildReportInput {
  /** Every (resource, policy) pair evaluated, skips included unless counted in `skipped`. */
  results: readonly Result[];
  /**
   * Pairs evaluated but left out of `results`, by outcome (skips, passes a caller does not
   * want listed): counted in the summary only. `includeSkipped` lists the skips that are in
   * `results`; it cannot list those counted here.
   */
  omitted?: Partial<Record<Outcome, number>>;
  /**
   * `results` are already in report order (by resource in `resources` order, then policy
   * name), as evaluate() produces them: no sort.
   */
  ordered?: boolean;
  /** Every resource evaluated, in input order: gives `summary.resources` and the result order. */
  resources: readonly ResourceRef[];
  policySet: { digest: string; policies: number };
  /** RFC 3339 timestamp of the evaluation. */
  evaluatedAt: string;
  /** Each policy's failurePolicy by name; a policy not listed is `Fail`. */
  failurePolicies?: ReadonlyMap<string, FailurePolicy>;
  /** List skipped pairs in `results` too (they are always counted in `summary`). */
  includeSkipped?: boolean;
  id?: string;
  notices?: readonly ReportNotice[];
}

/** A report without its results: what is known once every result has been counted. */
export type ReportHead = Omit<EvaluationReport, "results">;

export interface TallyOptions {
  /** List skipped pairs (they are always counted). */
  includeSkipped?: boolean;
  /** Leave passing pairs out of the listing (they are still counted). */
  omitPassing?: boolean;
  /**
   * Each policy's failurePolicy by name; a policy not listed is `Fail`. Only read for error
   * outcomes, so anything with a map's `get` will do (a map built on first use).
   */
  failurePolicies?: Pick<ReadonlyMap<string, FailurePolicy>, "get">;
}

/**
 * The summary and the decision of a report, taken one result at a time, and which results the
 * report lists: the one place that says so for a report built in memory (`buildReport`) and for
 * one streamed by resource (`evaluateStream`). Never throws.
 */
export class ReportTally {
  readonly #summary: Summary;
  #decision: Decision = "allow";
  readonly #options: TallyOptions;

  constructor(resources: number, options: TallyOptions = {}) {
    this.#summary = { resources, pass: 0, fail: 0, error: 0, skip: 0, waived: 0 };
    this.#options = options;
  }

  /** Counts a result and says whether the report lists it. */
  add(result: Result): boolean {
    this.#summary[result.outcome] += 1;
    // only an error asks for its policy's failurePolicy
    const failurePolicy =
      result.outcome === "error" ? this.#options.failurePolicies?.get(result.policy) : undefined;
    this.#decision = decideNext(this.#decision, result.outcome, result.action, failurePolicy);
    return this.listed(result.outcome);
  }

  /**
   * Whether a result of this outcome is listed; one that is not may be counted with `count`
   * instead of `add`, without its result object: skips and passes never change the decision.
   */
  listed(outcome: Outcome): boolean {
    if (outcome === "skip") return this.#options.includeSkipped === true;
    if (outcome === "pass") return this.#options.omitPassing !== true;
    return true;
  }

  /**
   * Counts `n` pairs of an outcome in the summary only: they are not listed and do not change
   * the decision (for the skips and passes a report does not list).
   */
  count(outcome: Outcome, n = 1): void {
    this.#summary[outcome] += n;
  }

  /** The report's head: its decision and summary as counted so far, and what the caller says. */
  head(input: {
    policySet: { digest: string; policies: number };
    evaluatedAt: string;
    id?: string;
    notices?: readonly ReportNotice[];
  }): ReportHead {
    // built key by key in report order (an absent id is no key at all): no object spread, which
    // costs more than the rest of a one-resource report's assembly
    const head = { apiVersion: "celgate.dev/v1", kind: "EvaluationReport" } as ReportHead;
    if (input.id !== undefined) head.id = input.id;
    head.decision = this.#decision;
    head.evaluatedAt = input.evaluatedAt;
    head.policySet = { digest: input.policySet.digest, policies: input.policySet.policies };
    const summary = this.#summary;
    head.summary = {
      resources: summary.resources,
      pass: summary.pass,
      fail: summary.fail,
      error: summary.error,
      skip: summary.skip,
      waived: summary.waived,
    };
    if (input.notices && input.notices.length > 0) head.notices = [...input.notices];
    return head;
  }
}

/** A report from its head and its listed results, keys in report order. Never throws. */
export function withResults(head: ReportHead, results: Result[]): EvaluationReport {
  // the head's own keys in their order, then `results`, then `notices` when there are any: what
  // `{ ...rest, results, notices }` gives, without the rest and spread (several times dearer)
  const report = {} as Record<string, unknown>;
  for (const key in head) {
    if (key === "notices" || !Object.hasOwn(head, key)) continue;
    report[key] = head[key as keyof ReportHead];
  }
  report.results = results;
  if (head.notices !== undefined) report.notices = head.notices;
  return report as unknown as EvaluationReport;
}

/**
 * Assembles an EvaluationReport: results sorted, skips removed unless `includeSkipped`,
 * every outcome counted in the summary, the decision taken. Never throws.
 */
export function buildReport(input: BuildReportInput): EvaluationReport {
  const sorted = input.ordered ? input.results : sortResults(input.results, input.resources);
  const tally = new ReportTally(input.resources.length, {
    includeSkipped: input.includeSkipped,
    failurePolicies: input.failurePolicies,
  });
  const results = sorted.filter((result) => tally.add(result));
  for (const outcome of Object.keys(input.omitted ?? {}) as Outcome[])
    tally.count(outcome, input.omitted?.[outcome] ?? 0);
  return withResults(
    tally.head({
      policySet: input.policySet,
      evaluatedAt: input.evaluatedAt,
      id: input.id,
      notices: input.notices,
    }),
    results,
  );
}

/**
 * The report as it goes on the wire: keys in contract order, the formatter-only fields
 * (`remediation`, `title`) of results dropped, absent optional fields left out. Never throws.
 */
export function toWireReport(report: EvaluationReport): WireReport {
  const wire: WireReport = {
    apiVersion: report.apiVersion,
    kind: report.kind,
    ...(report.id === undefined ? {} : { id: report.id }),
    decision: report.decision,
    evaluatedAt: report.evaluatedAt,
    policySet: { digest: report.policySet.digest, policies: report.policySet.policies },
    summary: {
      resources: report.summary.resources,
      pass: report.summary.pass,
      fail: report.summary.fail,
      error: report.summary.error,
      skip: report.summary.skip,
      waived: report.summary.waived,
    },
    results: report.results.map(toWireResult),
  };
  if (report.notices !== undefined) {
    wire.notices = report.notices.map((notice) => ({
      kind: notice.kind,
      message: notice.message,
      ...(notice.exception === undefined ? {} : { exception: notice.exception }),
      ...(notice.image === undefined ? {} : { image: notice.image }),
      ...(notice.source === undefined
        ? {}
        : {
            source: {
              file: notice.source.file,
              document: notice.source.document,
              ...(notice.source.line === undefined ? {} : { line: notice.source.line }),
            },
          }),
    }));
  }
  return wire;
}

/** One result as it goes on the wire (see toWireReport). Never throws. */
export function toWireResult(result: Result): WireResult {
  return wireResult(result, toWireRef(result.resource));
}

/**
 * A result's resource as it goes on the wire (see toWireReport): one object that the wire form
 * of each result of the resource may share (wireResult). Never throws.
 */
export function toWireRef(resource: ResourceRef): ResourceRef {
  // built key by key, in contract order, so that an absent optional field is no key at all
  const wire: ResourceRef = { apiVersion: resource.apiVersion, kind: resource.kind } as ResourceRef;
  if (resource.namespace !== undefined) wire.namespace = resource.namespace;
  wire.name = resource.name;
  const source = resource.source;
  if (source !== undefined) wire.source = { file: source.file, line: source.line, document: source.document };
  return wire;
}

/**
 * `toWireResult` with its resource already in wire form (`toWireRef` of the result's resource),
 * which the results of one resource may share. Never throws.
 */
export function wireResult(result: Result, resource: ResourceRef): WireResult {
  // key by key, as toWireRef
  const wire = { resource, policy: result.policy } as WireResult;
  if (result.policyVersion !== undefined) wire.policyVersion = result.policyVersion;
  wire.severity = result.severity;
  wire.action = result.action;
  wire.outcome = result.outcome;
  const violations = result.violations;
  const wired: Violation[] = [];
  for (let i = 0; i < violations.length; i++) {
    const violation = violations[i]!;
    const entry: Violation = { message: violation.message };
    if (violation.fieldPath !== undefined) entry.fieldPath = violation.fieldPath;
    if (violation.reason !== undefined) entry.reason = violation.reason;
    wired.push(entry);
  }
  wire.violations = wired;
  wire.error = result.error;
  wire.exception = result.exception;
  return wire;
}
