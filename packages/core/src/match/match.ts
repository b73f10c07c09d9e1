import type { ExceptionMatch, PolicyMatch } from "../policy/schema.js";
import { apiGroupOf, effectiveNamespace, isRecord } from "../resources/identity.js";
import { isWorkloadKind } from "../resources/workload.js";
import { anyGlob } from "./glob.js";
import { selectorFromSpec, selectorMatches } from "./selector.js";

/** What matching needs to know about a resource beyond the object itself. */
export interface MatchSubject {
  object: Record<string, unknown>;
  /** The effective namespace (undefined for cluster-scoped kinds). */
  namespace: string | undefined;
  /** Labels of the resource's Namespace, when known. */
  namespaceLabels?: Record<string, string>;
}

export function matchSubject(
  object: Record<string, unknown>,
  context?: Record<string, unknown>,
  namespaceObject?: Record<string, unknown> | null,
): MatchSubject {
  return {
    object,
    namespace: effectiveNamespace(object, context),
    namespaceLabels: namespaceObject ? labelsOf(namespaceObject) : undefined,
  };
}

export function labelsOf(object: Record<string, unknown>): Record<string, string> {
  const metadata = isRecord(object.metadata) ? object.metadata : undefined;
  const labels = metadata && isRecord(metadata.labels) ? metadata.labels : undefined;
  const out: Record<string, string> = {};
  if (labels) for (const [k, v] of Object.entries(labels)) if (typeof v === "string") out[k] = v;
  return out;
}

/** `kinds`, with the alias `Workload` for every kind with a pod template. */
export function kindMatches(kinds: readonly string[] | undefined, kind: string): boolean {
  if (!kinds || kinds.length === 0) return true;
  // a loop, not `some` with a closure: this runs for every (policy, resource) pair
  for (let i = 0; i < kinds.length; i++) {
    const k = kinds[i];
    if (k === "*" || k === kind || (k === "Workload" && isWorkloadKind(kind))) return true;
  }
  return false;
}

export function apiGroupMatches(groups: readonly string[] | undefined, apiVersion: string): boolean {
  if (!groups || groups.length === 0) return true;
  const group = apiGroupOf(apiVersion);
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (g === "*" || g === group) return true;
  }
  return false;
}

/**
 * Include globs on the effective namespace. A cluster-scoped resource has no namespace: it
 * matches no include list, and no exclude list excludes it.
 */
export function namespaceMatches(
  include: readonly string[] | undefined,
  exclude: readonly string[] | undefined,
  namespace: string | undefined,
): boolean {
  if (include && include.length > 0 && (namespace === undefined || !anyGlob(include, namespace)))
    return false;
  if (exclude && exclude.length > 0 && namespace !== undefined && anyGlob(exclude, namespace)) return false;
  return true;
}

/** Does a policy's (or exception's) `match` hold for the subject? Every given criterion must hold. */
export function matches(match: PolicyMatch | ExceptionMatch | undefined, subject: MatchSubject): boolean {
  if (!match) return true;
  const { object } = subject;
  if (!kindMatches(match.kinds, String(object.kind ?? ""))) return false;
  if (!apiGroupMatches(match.apiGroups, String(object.apiVersion ?? ""))) return false;
  if (!namespaceMatches(match.namespaces, match.excludeNamespaces, subject.namespace)) return false;
  if (match.labelSelector && !selectorMatches(selectorFromSpec(match.labelSelector), labelsOf(object)))
    return false;
  if (match.namespaceSelector) {
    // like VAP: cluster-scoped objects are not filtered by a namespace selector; unknown labels are empty
    if (
      subject.namespace !== undefined &&
      !selectorMatches(selectorFromSpec(match.namespaceSelector), subject.namespaceLabels ?? {})
    ) {
      return false;
    }
  }
  if ("names" in match && match.names && match.names.length > 0) {
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    const name = typeof metadata.name === "string" ? metadata.name : "";
    if (!anyGlob(match.names, name)) return false;
  }
  return true;
}
