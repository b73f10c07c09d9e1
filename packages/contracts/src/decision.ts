import type { Decision, EvaluationReportRead, Outcome, ReportResult } from "./report.js";

// How far a client may trust the decision of a report it did not make. The engine decides
// (@celgate/core, report/outcome.ts: decide) with each policy's failurePolicy in hand; the wire
// report does not carry failurePolicy, so a client can recompute only a lower bound of that
// decision. engine-agreement.test.ts holds the two to one rule: contracts may not import the
// engine, nor the engine contracts.

/** The decisions, mildest first: a decision of a higher rank blocks more. */
export const DECISION_RANK: Readonly<Record<Decision, number>> = { allow: 0, warn: 1, deny: 2 };

/** The part of a result the least decision reads. */
export type DecisionFloorInput = Pick<ReportResult, "outcome" | "action">;

/**
 * The least decision one result requires: `deny` for a failing deny-action result, `warn` for a
 * failing warn-action one, else `allow`. Passes, skips, waived results and audit-action results
 * require nothing; neither does an error, whose weight depends on its policy's failurePolicy
 * (under `Fail` it counts as a failure, under `Ignore` not at all), which the wire result does
 * not carry. Never throws.
 */
export function decisionRequiredBy(result: DecisionFloorInput): Decision {
  if (result.outcome !== "fail") return "allow";
  if (result.action === "deny") return "deny";
  if (result.action === "warn") return "warn";
  return "allow";
}

/**
 * The least decision a report's results require (the strictest of decisionRequiredBy): the
 * engine's decision over the same results is never milder, and equals it when no error result
 * counts. A client refuses a report whose decision is milder than this. Never throws.
 */
export function leastDecision(results: Iterable<DecisionFloorInput>): Decision {
  let least: Decision = "allow";
  for (const result of results) {
    const required = decisionRequiredBy(result);
    if (DECISION_RANK[required] > DECISION_RANK[least]) least = required;
    if (least === "deny") break;
  }
  return least;
}

const SUMMARY_COUNTS = ["resources", "pass", "fail", "error", "skip", "waived"] as const;
/** Outcomes a report always lists, each result of them (interfaces.md: every non-skip pair). */
const ALWAYS_LISTED = ["pass", "fail", "error", "waived"] as const satisfies readonly Outcome[];

/** `Deployment shop/web`, and where it was read from when the report says. */
function resourceName(result: ReportResult): string {
  const { resource } = result;
  const name = resource.namespace ? `${resource.namespace}/${resource.name}` : resource.name;
  const source = resource.source ? ` in ${resource.source.file}:${resource.source.line}` : "";
  return `${resource.kind} ${name}${source}`;
}

/** A key of a result's resource: its source document when known, else its identity. */
function resourceKey(result: ReportResult): string {
  const { resource } = result;
  const source = resource.source ? `${resource.source.file}\u0000${resource.source.document}` : "\u0000";
  return [source, resource.apiVersion, resource.kind, resource.namespace ?? "", resource.name].join("\u0000");
}

/**
 * What makes a report that a client received (from the service, or from something in its
 * place) untrustworthy as a decision, in words naming the field; undefined when nothing does.
 * It checks only what the contract guarantees of every report the service answers with:
 *
 * - no summary count is negative, and `summary.resources` is at least the number of resources
 *   the results name;
 * - every pass, fail, error and waived result is listed, so each such count of the summary
 *   equals the results of that outcome; skips are listed all (`includeSkipped`) or none;
 * - a waived result names its exception;
 * - the decision is at least leastDecision of the results. A stricter decision is kept (errors
 *   under failurePolicy Fail make one, and stricter is the safe direction).
 *
 * A report whose results a caller filtered afterwards (the CLI's `--omit-passing`) is checked
 * before the filtering. Never throws.
 */
export function reportContradiction(
  report: Pick<EvaluationReportRead, "decision" | "summary" | "results">,
): string | undefined {
  const { summary, results } = report;
  for (const count of SUMMARY_COUNTS)
    if (summary[count] < 0) return `its summary.${count} is ${summary[count]}, below 0`;

  const listed: Record<Outcome, number> = { pass: 0, fail: 0, error: 0, skip: 0, waived: 0 };
  const resources = new Set<string>();
  for (const [index, result] of results.entries()) {
    listed[result.outcome] += 1;
    resources.add(resourceKey(result));
    if (result.outcome === "waived" && !result.exception)
      return `results[${index}] (${result.policy} on ${resourceName(result)}) is waived but names no exception`;
  }
  for (const outcome of ALWAYS_LISTED)
    if (listed[outcome] !== summary[outcome])
      return `its summary counts ${summary[outcome]} ${outcome} results but it lists ${listed[outcome]}`;
  if (listed.skip !== 0 && listed.skip !== summary.skip)
    return `it lists ${listed.skip} skip results but its summary counts ${summary.skip} (skips are listed all or none)`;
  if (resources.size > summary.resources)
    return `its results name ${resources.size} resources but its summary.resources is ${summary.resources}`;

  for (const [index, result] of results.entries()) {
    const required = decisionRequiredBy(result);
    if (DECISION_RANK[required] > DECISION_RANK[report.decision])
      return `its decision is ${report.decision}, but ${result.policy} (action ${result.action}) fails on ${resourceName(result)} (results[${index}]), which makes it ${required}`;
  }
  return undefined;
}
