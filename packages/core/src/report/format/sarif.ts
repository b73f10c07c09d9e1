import type { EvaluationReport, PolicyAction, Result, Severity } from "../types.js";
import { fnv1a64 } from "./hash.js";
import { groupByPolicy, portablePath, resourcePath, resultMessage } from "./shared.js";

/** What a formatter may know about a policy beyond what its results carry. */
export interface PolicyMetadata {
  title?: string;
  description?: string;
  remediation?: string;
  /** A page about the policy (SARIF `helpUri`). */
  helpUri?: string;
  /** Extra rule tags, e.g. the policy's labels as `key=value`. */
  tags?: readonly string[];
}

export interface SarifFormatOptions {
  /** celgate's version, as `tool.driver.version`. */
  toolVersion?: string;
  /** `tool.driver.informationUri`; defaults to https://celgate.dev. */
  informationUri?: string;
  /** Strip this directory from file paths so URIs are relative to the repository root. */
  baseDir?: string;
  /** Per-policy descriptions for the rules, by policy name. */
  policies?: ReadonlyMap<string, PolicyMetadata>;
}

type SarifLevel = "error" | "warning" | "note";

const LEVEL: Record<PolicyAction, SarifLevel> = { deny: "error", warn: "warning", audit: "note" };

// GitHub code scanning reads `security-severity` (0.0-10.0) to rank security alerts.
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
  info: "1.0",
};

const REPORTED = new Set(["fail", "error", "waived"]);

/**
 * The URI of a file for `artifactLocation.uri`: a relative reference (forward slashes, each
 * segment percent-encoded) for a file below `baseDir` or given relative, which code scanning
 * maps to the repository; a `file://` URI for an absolute path outside it (`/tmp/x.yaml`,
 * `C:/x.yaml`), which read as a relative reference would be a path from the repository's root
 * or a URI of scheme `C`.
 */
function fileUri(file: string, baseDir: string | undefined): string {
  const path = portablePath(file, baseDir);
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  if (path.startsWith("/")) return `file://${encoded}`;
  // a drive letter keeps its colon: file:///C:/x.yaml
  if (/^[A-Za-z]:\//.test(path)) return `file:///${path.slice(0, 2)}${encoded.slice(encoded.indexOf("/"))}`;
  return encoded;
}

/** The fingerprint of a (policy, resource) pair: its identity, not its file position. */
function fingerprint(result: Result): string {
  const { resource } = result;
  return fnv1a64(
    [result.policy, resource.apiVersion, resource.kind, resource.namespace ?? "", resource.name].join(
      "\u0000",
    ),
  );
}

function rule(policy: string, first: Result, meta: PolicyMetadata | undefined) {
  const title = meta?.title ?? first.title ?? policy;
  const description = meta?.description ?? title;
  const remediation = meta?.remediation ?? first.remediation;
  return {
    id: policy,
    name: policy,
    shortDescription: { text: title },
    fullDescription: { text: description },
    help: { text: remediation ?? description },
    ...(meta?.helpUri ? { helpUri: meta.helpUri } : {}),
    defaultConfiguration: { level: LEVEL[first.action] },
    properties: {
      // SARIF wants unique tags; GitHub reads security-severity only with the `security` tag.
      tags: [...new Set(["security", "kubernetes", ...(meta?.tags ?? [])])],
      "security-severity": SECURITY_SEVERITY[first.severity],
      severity: first.severity,
      action: first.action,
    },
  };
}

function sarifResult(result: Result, ruleIndex: number, options: SarifFormatOptions) {
  const { resource } = result;
  const subject = resourcePath(resource);
  const text =
    result.outcome === "error"
      ? `${subject}: policy ${result.policy} could not be evaluated: ${resultMessage(result)}`
      : `${subject}: ${resultMessage(result)}`;
  const location = {
    ...(resource.source
      ? {
          physicalLocation: {
            artifactLocation: { uri: fileUri(resource.source.file, options.baseDir) },
            region: { startLine: Math.max(1, resource.source.line) },
          },
        }
      : {}),
    logicalLocations: [{ fullyQualifiedName: subject, kind: "resource" }],
  };
  return {
    ruleId: result.policy,
    ruleIndex,
    level: LEVEL[result.action],
    kind: "fail",
    message: { text },
    locations: [location],
    partialFingerprints: { "celgate/v1": fingerprint(result) },
    ...(result.outcome === "waived"
      ? {
          suppressions: [
            {
              kind: "external",
              status: "accepted",
              justification: `waived by PolicyException ${result.exception ?? "(unnamed)"}`,
            },
          ],
        }
      : {}),
    properties: {
      outcome: result.outcome,
      severity: result.severity,
      ...(result.violations.some((violation) => violation.fieldPath)
        ? { fieldPaths: result.violations.flatMap((violation) => violation.fieldPath ?? []) }
        : {}),
    },
  };
}

/**
 * SARIF 2.1.0 for GitHub code scanning: a rule per policy in the report, a result per failing,
 * erroring or waived pair (waived ones carry an external suppression), located at the file
 * and line of the resource's document. Ends with a newline; never throws.
 */
export function formatSarif(report: EvaluationReport, options: SarifFormatOptions = {}): string {
  const groups = groupByPolicy(report.results);
  const rules = groups.map((group) =>
    // A group is never empty.
    rule(group.policy, group.results[0]!, options.policies?.get(group.policy)),
  );
  const ruleIndex = new Map(groups.map((group, index) => [group.policy, index]));
  const results = report.results
    .filter((result) => REPORTED.has(result.outcome))
    .map((result) => sarifResult(result, ruleIndex.get(result.policy) ?? -1, options));
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "celgate",
            informationUri: options.informationUri ?? "https://celgate.dev",
            ...(options.toolVersion ? { version: options.toolVersion } : {}),
            rules,
          },
        },
        results,
        properties: { decision: report.decision, evaluatedAt: report.evaluatedAt, summary: report.summary },
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
