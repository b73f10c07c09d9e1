import { resourceKey } from "../outcome.js";
import type { ResourceRef, Result } from "../types.js";

/** `Kind/namespace/name`, or `Kind/name` for a cluster-scoped resource. */
export function resourcePath(ref: ResourceRef): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

/** A file path as a relative URI-ish path: forward slashes, no leading `./`. */
export function portablePath(file: string, baseDir?: string): string {
  let path = file.replaceAll("\\", "/");
  if (baseDir) {
    const base = baseDir.replaceAll("\\", "/").replace(/\/+$/, "");
    if (base && path.startsWith(`${base}/`)) path = path.slice(base.length + 1);
  }
  while (path.startsWith("./")) path = path.slice(2);
  return path;
}

/** One line describing why a result is not a pass: its violation messages or its error. */
export function resultMessage(result: Result): string {
  if (result.outcome === "error") return result.error ?? "evaluation error";
  if (result.violations.length > 0) return result.violations.map((violation) => violation.message).join("; ");
  switch (result.outcome) {
    case "pass":
      return "passed";
    case "skip":
      return "does not apply";
    case "waived":
      return "waived";
    default:
      return "failed";
  }
}

export interface ResourceGroup {
  resource: ResourceRef;
  results: Result[];
}

/** Results grouped by resource, groups in order of first appearance. */
export function groupByResource(results: readonly Result[]): ResourceGroup[] {
  const groups = new Map<string, ResourceGroup>();
  for (const result of results) {
    const key = resourceKey(result.resource);
    const group = groups.get(key);
    if (group) group.results.push(result);
    else groups.set(key, { resource: result.resource, results: [result] });
  }
  return [...groups.values()];
}

/** Results grouped by policy name, groups sorted by name; each group keeps the report order. */
export function groupByPolicy(results: readonly Result[]): Array<{ policy: string; results: Result[] }> {
  const groups = new Map<string, Result[]>();
  for (const result of results) {
    const group = groups.get(result.policy);
    if (group) group.push(result);
    else groups.set(result.policy, [result]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([policy, grouped]) => ({ policy, results: grouped }));
}
