import type { CelAst } from "../cel/environment.js";
import { vapUnavailableCalls } from "../cel/lib/index.js";
import { walkAst } from "../compile/ast.js";
import {
  type CompiledExpression,
  type CompiledPolicy,
  costWarnings,
  expressionsOf,
} from "../compile/compile.js";
import { globToRegexSource } from "../match/glob.js";
import { expressionPosition } from "../policy/expression-position.js";
import { WORKLOAD_KINDS } from "../resources/workload.js";
import { parsePath } from "../util/path.js";

/** CEL variables that only celgate has: a policy that reads one cannot run as a VAP. */
const CELGATE_ONLY = ["images", "bundle", "context", "now"] as const;

/** Variables celgate provides that a VAP can compute itself, and their VAP definitions. */
const DERIVED: Record<string, string> = {
  podSpec: [
    "object.kind == 'Pod' ? object.spec",
    ": object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec",
    `: object.kind in [${WORKLOAD_KINDS.filter((k) => k !== "Pod" && k !== "CronJob")
      .map((k) => `'${k}'`)
      .join(", ")}] ? object.spec.template.spec`,
    ": null",
  ].join(" "),
  containers:
    "variables.podSpec == null ? [] : variables.podSpec.?containers.orValue([]) + variables.podSpec.?initContainers.orValue([]) + variables.podSpec.?ephemeralContainers.orValue([])",
};

/** Group and plural resource of the kinds policies usually name. */
const RESOURCES: Record<string, [group: string, resource: string]> = {
  Pod: ["", "pods"],
  Service: ["", "services"],
  ConfigMap: ["", "configmaps"],
  Secret: ["", "secrets"],
  Namespace: ["", "namespaces"],
  ServiceAccount: ["", "serviceaccounts"],
  ReplicationController: ["", "replicationcontrollers"],
  PersistentVolumeClaim: ["", "persistentvolumeclaims"],
  ResourceQuota: ["", "resourcequotas"],
  LimitRange: ["", "limitranges"],
  Deployment: ["apps", "deployments"],
  ReplicaSet: ["apps", "replicasets"],
  StatefulSet: ["apps", "statefulsets"],
  DaemonSet: ["apps", "daemonsets"],
  Job: ["batch", "jobs"],
  CronJob: ["batch", "cronjobs"],
  Role: ["rbac.authorization.k8s.io", "roles"],
  ClusterRole: ["rbac.authorization.k8s.io", "clusterroles"],
  RoleBinding: ["rbac.authorization.k8s.io", "rolebindings"],
  ClusterRoleBinding: ["rbac.authorization.k8s.io", "clusterrolebindings"],
  NetworkPolicy: ["networking.k8s.io", "networkpolicies"],
  Ingress: ["networking.k8s.io", "ingresses"],
};

const VAP_REASONS = new Set(["Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge"]);

export type VapExport =
  | {
      exportable: true;
      policy: Record<string, unknown>;
      binding: Record<string, unknown>;
      /**
       * Expressions whose estimated worst-case cost is over Kubernetes' estimated cost limit,
       * each as `path at file:line:col (estimated cost N)`: exported all the same, because the
       * API server does not refuse a ValidatingAdmissionPolicy by estimate (it stops an
       * evaluation that reaches its run-time limit), but worth bounding.
       */
      costWarnings: string[];
    }
  | { exportable: false; reason: string };

export interface VapExportOptions {
  /** Lines of each source file, for exact positions inside block scalars (as compile takes them). */
  fileLines?: (file: string) => readonly string[] | undefined;
}

/**
 * Turns a compiled policy into a ValidatingAdmissionPolicy and its Binding
 * (admissionregistration.k8s.io/v1), or says why it cannot be one. `podSpec`, `containers`
 * and `params` become VAP variables; `images`, `bundle`, `context` and `now` have no VAP
 * equivalent, and celgate's own CEL functions (docs/cel-functions.md) and MutatingAdmissionPolicy's
 * do not exist in a VAP: a call of one is refused with its name and position (file:line:col).
 * Never throws.
 */
export function exportVap(policy: CompiledPolicy, options: VapExportOptions = {}): VapExport {
  const missing = CELGATE_ONLY.filter((name) => policy.reads.has(name));
  if (missing.length > 0) {
    return {
      exportable: false,
      reason: `reads ${missing.map((m) => `\`${m}\``).join(", ")}, which Kubernetes admission does not provide`,
    };
  }
  const unavailable = unavailableCallsIn(policy, options);
  if (unavailable.length > 0) {
    return {
      exportable: false,
      reason: `calls functions a ValidatingAdmissionPolicy does not have: ${unavailable.join("; ")}`,
    };
  }
  const costly = costWarnings(policy, options).map(
    (d) =>
      `${d.path} at ${d.file ?? "<policy>"}${d.line ? `:${d.line}:${d.column}` : ""} (${d.message.split(":")[0]})`,
  );
  const spec = policy.document.spec;
  const rewrite = (expression: { run: { ast: CelAst }; source: string }) =>
    rewriteIdentifiers(expression.source, expression.run.ast);

  const variables: { name: string; expression: string }[] = [];
  const needs = new Set([...policy.reads].filter((r) => r in DERIVED || r === "params"));
  // containers is defined in terms of podSpec
  if (needs.has("containers")) needs.add("podSpec");
  if (needs.has("params")) variables.push({ name: "params", expression: celLiteral(policy.params) });
  if (needs.has("podSpec")) variables.push({ name: "podSpec", expression: DERIVED.podSpec! });
  if (needs.has("containers")) variables.push({ name: "containers", expression: DERIVED.containers! });
  const taken = new Set(variables.map((v) => v.name));
  for (const v of policy.variables) {
    if (taken.has(v.name))
      return { exportable: false, reason: `declares a variable named ${v.name}, which the export needs` };
    variables.push({ name: v.name, expression: rewrite(v) });
  }

  const matchConditions = policy.matchConditions.map((c) => ({ name: c.name, expression: rewrite(c) }));
  const match = spec.match;
  const namespaceGlobs = (match?.namespaces ?? []).filter(isGlob);
  const excludeGlobs = (match?.excludeNamespaces ?? []).filter(isGlob);
  if (namespaceGlobs.length > 0 || excludeGlobs.length > 0) {
    const include = namespaceGlobs.map(
      (g) => `request.namespace.matches(${celString(globToRegexSource(g))})`,
    );
    const exclude = excludeGlobs.map((g) => `!request.namespace.matches(${celString(globToRegexSource(g))})`);
    const parts = [include.length ? `(${include.join(" || ")})` : "", ...exclude].filter(Boolean);
    matchConditions.unshift({
      name: "celgate-namespace-globs",
      expression: `request.namespace == '' || (${parts.join(" && ")})`,
    });
  }

  const namespaceExpressions: Record<string, unknown>[] = [
    ...(match?.namespaceSelector?.matchExpressions ?? []),
  ];
  const exactIn = (match?.namespaces ?? []).filter((n) => !isGlob(n));
  const exactOut = (match?.excludeNamespaces ?? []).filter((n) => !isGlob(n));
  if (exactIn.length > 0 && namespaceGlobs.length === 0) {
    namespaceExpressions.push({ key: "kubernetes.io/metadata.name", operator: "In", values: exactIn });
  }
  if (exactOut.length > 0)
    namespaceExpressions.push({ key: "kubernetes.io/metadata.name", operator: "NotIn", values: exactOut });

  const matchConstraints: Record<string, unknown> = {
    resourceRules: resourceRules(match?.kinds, match?.apiGroups),
  };
  if (namespaceExpressions.length > 0 || match?.namespaceSelector?.matchLabels) {
    matchConstraints.namespaceSelector = compact({
      matchLabels: match?.namespaceSelector?.matchLabels,
      matchExpressions: namespaceExpressions.length > 0 ? namespaceExpressions : undefined,
    });
  }
  if (match?.labelSelector) matchConstraints.objectSelector = compact({ ...match.labelSelector });

  const validations = policy.validations.map((v) =>
    compact({
      expression: rewrite(v.expression),
      message: v.message,
      messageExpression: v.messageExpression ? rewrite(v.messageExpression) : undefined,
      reason: v.reason && VAP_REASONS.has(v.reason) ? v.reason : undefined,
      fieldPath: v.fieldPath,
    }),
  );

  const annotations = compact({
    "celgate.dev/title": spec.title,
    "celgate.dev/severity": spec.severity,
    "celgate.dev/remediation": spec.remediation,
  });
  const vap = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: compact({
      name: policy.name,
      labels: Object.keys(policy.labels).length ? policy.labels : undefined,
      annotations,
    }),
    spec: compact({
      failurePolicy: spec.failurePolicy,
      matchConstraints,
      matchConditions: matchConditions.length > 0 ? matchConditions : undefined,
      variables: variables.length > 0 ? variables : undefined,
      validations,
    }),
  };
  const binding = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: policy.name },
    spec: {
      policyName: policy.name,
      validationActions: [spec.action === "deny" ? "Deny" : spec.action === "warn" ? "Warn" : "Audit"],
    },
  };
  return { exportable: true, policy: vap, binding, costWarnings: costly };
}

/** Every call of a function a VAP lacks, as `name (why) at file:line:col (path)`. */
function unavailableCallsIn(policy: CompiledPolicy, options: VapExportOptions): string[] {
  const expressions: CompiledExpression[] = expressionsOf(policy);
  const origin = policy.origin;
  const lines = origin?.file ? options.fileLines?.(origin.file) : undefined;
  const found: string[] = [];
  for (const expression of expressions) {
    for (const call of vapUnavailableCalls(expression.run.ast)) {
      const base = origin?.position?.(parsePath(expression.path));
      const at = expressionPosition(base, expression.source, call.offset, lines ?? []) ?? base;
      const where = at
        ? `${origin?.file ?? "<policy>"}:${at.line}:${at.column}`
        : (origin?.file ?? "<policy>");
      found.push(`${call.fn.display} (${call.fn.why}) at ${where} (${expression.path})`);
    }
  }
  return found;
}

function resourceRules(kinds: readonly string[] | undefined, apiGroups: readonly string[] | undefined) {
  const operations = ["CREATE", "UPDATE"];
  if (!kinds || kinds.length === 0 || kinds.includes("*")) {
    return [
      {
        apiGroups: apiGroups?.length ? [...apiGroups] : ["*"],
        apiVersions: ["*"],
        operations,
        resources: ["*"],
      },
    ];
  }
  const expanded = kinds.flatMap((k) => (k === "Workload" ? [...WORKLOAD_KINDS] : [k]));
  const byGroup = new Map<string, Set<string>>();
  for (const kind of new Set(expanded)) {
    const known = RESOURCES[kind];
    const group = known ? known[0] : "*";
    const resource = known ? known[1] : `${kind.toLowerCase()}s`;
    const groups = apiGroups?.length ? apiGroups : [group];
    for (const g of groups) {
      if (!byGroup.has(g)) byGroup.set(g, new Set());
      byGroup.get(g)!.add(resource);
    }
  }
  return [...byGroup].map(([group, resources]) => ({
    apiGroups: [group],
    apiVersions: ["*"],
    operations,
    resources: [...resources].sort(),
  }));
}

/** Replaces the celgate identifiers `podSpec`, `containers` and `params` by their VAP variables. */
function rewriteIdentifiers(source: string, ast: CelAst): string {
  const edits = new Map<number, { end: number; name: string }>();
  walkAst(ast, (node) => {
    if (node.op !== "id" || typeof node.args !== "string") return;
    if (!(node.args in DERIVED) && node.args !== "params") return;
    const { start, end } = node as unknown as { start?: number; end?: number };
    if (typeof start === "number" && typeof end === "number" && source.slice(start, end) === node.args) {
      edits.set(start, { end, name: node.args });
    }
  });
  let out = source;
  for (const start of [...edits.keys()].sort((a, b) => b - a)) {
    const edit = edits.get(start)!;
    out = `${out.slice(0, start)}variables.${edit.name}${out.slice(edit.end)}`;
  }
  return out;
}

/**
 * A CEL literal of a params value. Kubernetes checks aggregate literals as homogeneous, so the
 * elements of a list or the values of a map that mix CEL types are each wrapped in dyn().
 */
function celLiteral(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return celString(value);
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${homogeneous(value).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    const values = homogeneous(entries.map(([, v]) => v));
    return `{${entries.map(([k], i) => `${celString(k)}: ${values[i]}`).join(", ")}}`;
  }
  return "null";
}

/** The literals of `values`, each wrapped in dyn() when they do not all have one CEL type. */
function homogeneous(values: readonly unknown[]): string[] {
  const literals = values.map(celLiteral);
  const types = new Set(values.map(literalType));
  return types.size > 1 ? literals.map((l) => `dyn(${l})`) : literals;
}

function literalType(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "double";
  if (typeof value === "bigint") return "int";
  return typeof value;
}

function celString(text: string): string {
  return JSON.stringify(text);
}

function isGlob(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

function compact<T extends Record<string, unknown>>(object: T): T {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}
