import { oneLineText } from "./errors.js";
import type { EvaluationReport, ReportResult } from "./types.js";

const MAX_LISTED = 20;

// Every name and message below is text of the report (from manifests and policies): each goes
// through oneLineText, so a summary that reaches a log is one line per finding, and inert.

function resourceName(r: ReportResult["resource"]): string {
  const name = r.namespace ? `${r.namespace}/${r.name}` : r.name;
  const at = r.source ? ` (${r.source.file}:${r.source.line})` : "";
  return oneLineText(`${r.kind} ${name}${at}`);
}

function describe(result: ReportResult): string {
  if (result.outcome === "error") return `error: ${result.error ?? "the policy could not be evaluated"}`;
  const messages = result.violations.map((v) => (v.fieldPath ? `${v.message} (${v.fieldPath})` : v.message));
  return messages.length > 0 ? messages.join("; ") : "failed";
}

/**
 * A readable account of what blocks a deployment: a first line with the decision and counts,
 * then every failing (or erroring) result of a blocking policy, grouped by resource. With
 * `failOn: "warn"`, warn-action policies block too. Never throws.
 */
export function summarizeReport(report: EvaluationReport, failOn: "deny" | "warn" = "deny"): string {
  const blocking = report.results.filter(
    (r) =>
      (r.outcome === "fail" || r.outcome === "error") &&
      (r.action === "deny" || (failOn === "warn" && r.action === "warn")),
  );
  const resources = new Map<string, ReportResult[]>();
  for (const r of blocking) {
    const key = resourceName(r.resource);
    const list = resources.get(key) ?? [];
    list.push(r);
    resources.set(key, list);
  }
  const policies = new Set(blocking.map((r) => r.policy)).size;
  const where = report.id ? ` (evaluation ${oneLineText(report.id)})` : "";
  const lines = [
    `celgate: ${report.decision}: ${policies} ${policies === 1 ? "policy" : "policies"} failed on ${resources.size} of ${report.summary.resources} ${report.summary.resources === 1 ? "resource" : "resources"}${where}`,
  ];
  let listed = 0;
  for (const [resource, results] of resources) {
    if (listed >= MAX_LISTED) break;
    lines.push(`  ${resource}`);
    for (const r of results) {
      if (listed >= MAX_LISTED) break;
      lines.push(`    - ${oneLineText(r.policy)} [${r.severity}, ${r.action}]: ${oneLineText(describe(r))}`);
      listed++;
    }
  }
  if (blocking.length > listed) lines.push(`  ... and ${blocking.length - listed} more`);
  return lines.join("\n");
}
