import type { ResourceRef, SourceLocation } from "../report/types.js";

/** The identity of an object as the report shows it. */
export function resourceRef(object: Record<string, unknown>, source?: SourceLocation): ResourceRef {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const name =
    typeof metadata.name === "string"
      ? metadata.name
      : typeof metadata.generateName === "string"
        ? `${metadata.generateName}*`
        : "";
  const ref: ResourceRef = {
    apiVersion: String(object.apiVersion ?? ""),
    kind: String(object.kind ?? ""),
    name,
  };
  if (typeof metadata.namespace === "string" && metadata.namespace !== "") ref.namespace = metadata.namespace;
  if (source) ref.source = source;
  return ref;
}

/** The API group of an apiVersion: "" for the core group (`v1`), `apps` for `apps/v1`. */
export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** Kinds that are not namespaced; everything else is treated as namespaced. */
export const CLUSTER_SCOPED_KINDS = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "StorageClass",
  "PriorityClass",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
  "APIService",
  "IngressClass",
  "RuntimeClass",
  "CSIDriver",
  "CSINode",
  "VolumeAttachment",
  "PodSecurityPolicy",
  "ClusterIssuer",
  "CertificateSigningRequest",
  "FlowSchema",
  "PriorityLevelConfiguration",
  "ClusterPolicy",
  "ClusterPolicyReport",
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(kind);
}

/**
 * The namespace a namespaced resource will land in: its own, else the caller's
 * `context.namespace`, else `default`. Cluster-scoped resources have none.
 */
export function effectiveNamespace(
  object: Record<string, unknown>,
  context?: Record<string, unknown>,
): string | undefined {
  if (isClusterScoped(String(object.kind ?? ""))) return undefined;
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  if (typeof metadata.namespace === "string" && metadata.namespace !== "") return metadata.namespace;
  if (context && typeof context.namespace === "string" && context.namespace !== "") return context.namespace;
  return "default";
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
