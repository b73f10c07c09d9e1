import type { ResourceRef } from "../report/types.js";

/** One Kubernetes object to evaluate, with its identity and where it came from. */
export interface Resource {
  object: Record<string, unknown>;
  ref: ResourceRef;
  /** The previous version, for admission UPDATE requests. */
  oldObject?: Record<string, unknown> | null;
  /** Admission request attributes (operation, userInfo, namespace, dryRun). */
  request?: Record<string, unknown> | null;
}
