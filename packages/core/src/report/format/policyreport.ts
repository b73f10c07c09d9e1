import { stringify } from "yaml";
import type { EvaluationReport, Result } from "../types.js";
import { portablePath, resultMessage } from "./shared.js";

export interface PolicyReportFormatOptions {
  /** `metadata.name` prefix of each report: `<prefix>-<namespace>`, `<prefix>-cluster`; default `celgate`. */
  namePrefix?: string;
  /** Strip this directory from the `source` property of results. */
  baseDir?: string;
}

/** The result values of wgpolicyk8s.io/v1alpha2. */
type PolicyReportResult = "pass" | "fail" | "warn" | "error" | "skip";

function reportResult(result: Result): PolicyReportResult {
  switch (result.outcome) {
    case "pass":
      return "pass";
    case "fail":
      // The result of a warn-action policy is a warning, not a failure, for whoever reads the report.
      return result.action === "warn" ? "warn" : "fail";
    case "error":
      return "error";
    case "waived":
    case "skip":
      return "skip";
  }
}

/**
 * An RFC 3339 timestamp as {seconds, nanos}, keeping fractional digits beyond milliseconds.
 * An unparsable timestamp gives the epoch.
 */
export function toTimestamp(rfc3339: string): { seconds: number; nanos: number } {
  const millis = Date.parse(rfc3339);
  if (Number.isNaN(millis)) return { seconds: 0, nanos: 0 };
  const seconds = Math.floor(millis / 1000);
  const fraction = /^[^.]*T\d{2}:\d{2}:\d{2}\.(\d+)/.exec(rfc3339)?.[1];
  const nanos = fraction ? Number(fraction.slice(0, 9).padEnd(9, "0")) : (millis - seconds * 1000) * 1e6;
  return { seconds, nanos };
}

function message(result: Result): string {
  const text = resultMessage(result);
  if (result.outcome === "waived") return `waived by exception ${result.exception ?? "(unnamed)"}: ${text}`;
  if (result.outcome === "error") return `evaluation error: ${text}`;
  return text;
}

function entry(result: Result, timestamp: { seconds: number; nanos: number }, baseDir: string | undefined) {
  const { resource } = result;
  const properties: Record<string, string> = {};
  if (result.exception) properties.exception = result.exception;
  if (resource.source)
    properties.source = `${portablePath(resource.source.file, baseDir)}:${resource.source.line}`;
  const fieldPaths = result.violations.flatMap((violation) => violation.fieldPath ?? []);
  if (fieldPaths.length > 0) properties.fieldPaths = fieldPaths.join(", ");
  return {
    source: "celgate",
    policy: result.policy,
    rule: result.policy,
    result: reportResult(result),
    severity: result.severity,
    scored: true,
    message: message(result),
    timestamp: { seconds: timestamp.seconds, nanos: timestamp.nanos },
    resources: [
      {
        apiVersion: resource.apiVersion,
        kind: resource.kind,
        ...(resource.namespace ? { namespace: resource.namespace } : {}),
        name: resource.name,
      },
    ],
    ...(Object.keys(properties).length > 0 ? { properties } : {}),
  };
}

function document(
  namespace: string | undefined,
  results: Result[],
  report: EvaluationReport,
  options: PolicyReportFormatOptions,
) {
  const prefix = options.namePrefix ?? "celgate";
  const timestamp = toTimestamp(report.evaluatedAt);
  const entries = results.map((result) => entry(result, timestamp, options.baseDir));
  const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const item of entries) summary[item.result] += 1;
  return {
    apiVersion: "wgpolicyk8s.io/v1alpha2",
    kind: namespace === undefined ? "ClusterPolicyReport" : "PolicyReport",
    metadata: {
      name: namespace === undefined ? `${prefix}-cluster` : `${prefix}-${namespace}`,
      ...(namespace === undefined ? {} : { namespace }),
      labels: { "app.kubernetes.io/managed-by": "celgate" },
    },
    summary,
    results: entries,
  };
}

/**
 * wgpolicyk8s.io/v1alpha2 reports as multi-document YAML: a PolicyReport per namespace
 * (sorted by name) with results, then one ClusterPolicyReport for cluster-scoped resources.
 * A fail of a warn-action policy is `warn`, waived is `skip`. An empty string when the report
 * has no results. Never throws.
 */
export function formatPolicyReport(
  report: EvaluationReport,
  options: PolicyReportFormatOptions = {},
): string {
  const byNamespace = new Map<string | undefined, Result[]>();
  for (const result of report.results) {
    const namespace = result.resource.namespace || undefined;
    const group = byNamespace.get(namespace);
    if (group) group.push(result);
    else byNamespace.set(namespace, [result]);
  }
  const namespaces = [...byNamespace.keys()]
    .filter((namespace): namespace is string => namespace !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const order: Array<string | undefined> = byNamespace.has(undefined)
    ? [...namespaces, undefined]
    : namespaces;
  return order
    .map((namespace) => {
      const doc = document(namespace, byNamespace.get(namespace) ?? [], report, options);
      // lineWidth 0: never fold long messages, so the output is stable and greppable.
      return `---\n${stringify(doc, { lineWidth: 0 })}`;
    })
    .join("");
}
