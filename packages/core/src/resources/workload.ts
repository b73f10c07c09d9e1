import { isRecord } from "./identity.js";

/** Kinds whose objects carry a pod spec (directly or through a template): the `Workload` alias. */
export const WORKLOAD_KINDS = [
  "Pod",
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
  "ReplicationController",
] as const;

const WORKLOAD_SET = new Set<string>(WORKLOAD_KINDS);

export function isWorkloadKind(kind: string): boolean {
  return WORKLOAD_SET.has(kind);
}

/** The pod spec of a Pod, or the pod template spec of a workload; null otherwise. */
export function podSpecOf(object: Record<string, unknown>): Record<string, unknown> | null {
  const kind = object.kind;
  if (typeof kind !== "string" || !WORKLOAD_SET.has(kind)) return null;
  const spec = object.spec;
  if (!isRecord(spec)) return null;
  if (kind === "Pod") return spec;
  if (kind === "CronJob") {
    const jobSpec =
      isRecord(spec.jobTemplate) && isRecord(spec.jobTemplate.spec) ? spec.jobTemplate.spec : undefined;
    const template = jobSpec && isRecord(jobSpec.template) ? jobSpec.template : undefined;
    return template && isRecord(template.spec) ? template.spec : null;
  }
  const template = isRecord(spec.template) ? spec.template : undefined;
  return template && isRecord(template.spec) ? template.spec : null;
}

/** The pod template's metadata (labels of the pods a workload makes); for a Pod, its own. */
export function podMetadataOf(object: Record<string, unknown>): Record<string, unknown> | null {
  const kind = object.kind;
  if (kind === "Pod") return isRecord(object.metadata) ? object.metadata : null;
  const spec = isRecord(object.spec) ? object.spec : undefined;
  if (!spec) return null;
  const template =
    kind === "CronJob"
      ? isRecord(spec.jobTemplate) &&
        isRecord(spec.jobTemplate.spec) &&
        isRecord(spec.jobTemplate.spec.template)
        ? spec.jobTemplate.spec.template
        : undefined
      : isRecord(spec.template)
        ? spec.template
        : undefined;
  return template && isRecord(template.metadata) ? template.metadata : null;
}

/** The document path prefix of the pod spec, for field paths in findings. */
export function podSpecPath(kind: string): string | null {
  if (kind === "Pod") return "spec";
  if (kind === "CronJob") return "spec.jobTemplate.spec.template.spec";
  return WORKLOAD_SET.has(kind) ? "spec.template.spec" : null;
}

/** Every container: containers, then initContainers, then ephemeralContainers. */
export function containersOf(podSpec: Record<string, unknown> | null): Record<string, unknown>[] {
  if (!podSpec) return [];
  const out: Record<string, unknown>[] = [];
  for (const field of ["containers", "initContainers", "ephemeralContainers"]) {
    const list = podSpec[field];
    if (Array.isArray(list)) for (const c of list) if (isRecord(c)) out.push(c);
  }
  return out;
}
