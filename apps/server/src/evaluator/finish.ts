import { type EvaluationReport, toWireReport, type WireReport, type WireResult } from "@celgate/core";

/**
 * What the service reads of a report beside its text: the report's head and a few lists of
 * plain strings (taking in one object per result cost the event loop more than the report's text).
 */
export interface ReportFacts extends Omit<WireReport, "results" | "notices"> {
  /** The policies of the results, each once, in the order of the results (history's policy filter). */
  policies: string[];
  /** The policy of each result with outcome error, in order (metrics). */
  errors: string[];
  /** The waived results that name their exception, in order (receipts name them). */
  waived: Pick<WireResult, "resource" | "policy" | "outcome" | "exception">[];
}

/**
 * A report made ready to answer and record where it was evaluated (on a worker thread, so
 * the event loop copies a string instead of taking in the report's objects).
 */
export interface FinishedReport {
  facts: ReportFacts;
  /** JSON of the wire report with each result's policy version set: the text answered and stored (before the receipt). */
  json: string;
}

/**
 * Sets each result's policyVersion from `versions` (the API's stored version of each policy,
 * absent for policies it does not know), before the report is turned into wire form, which puts
 * it where the contract has it: right after `policy`. Mutates and returns `report`.
 */
export function withVersions(
  report: EvaluationReport,
  versions: ReadonlyMap<string, number>,
): EvaluationReport {
  for (const r of report.results) {
    const v = versions.get(r.policy);
    if (v !== undefined) r.policyVersion = v;
  }
  return report;
}

/** name -> version from the policy snapshot's JSON; the last one read is kept (it changes with the policy set). */
let lastVersions: { json: string; map: ReadonlyMap<string, number> } | undefined;
function versionsOf(json: string): ReadonlyMap<string, number> {
  if (lastVersions?.json !== json)
    lastVersions = { json, map: new Map(Object.entries(JSON.parse(json) as Record<string, number>)) };
  return lastVersions.map;
}

/**
 * The report as the service answers and records it (wire form, policy versions set from
 * `versionsJson`, the snapshot's JSON of name -> version), as JSON text, and the facts the
 * service reads of it. Sets the versions on `report`'s results. Throws only if `versionsJson`
 * is not JSON.
 */
export function finishReport(report: EvaluationReport, versionsJson: string): FinishedReport {
  const wire = toWireReport(withVersions(report, versionsOf(versionsJson)));
  const { results, notices: _notices, ...head } = wire;
  const policies = new Set<string>();
  const errors: string[] = [];
  const waived: ReportFacts["waived"] = [];
  for (const r of results) {
    policies.add(r.policy);
    if (r.outcome === "error") errors.push(r.policy);
    else if (r.outcome === "waived" && r.exception)
      waived.push({ resource: r.resource, policy: r.policy, outcome: r.outcome, exception: r.exception });
  }
  return { facts: { ...head, policies: [...policies], errors, waived }, json: JSON.stringify(wire) };
}
