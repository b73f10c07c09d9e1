import { canonicalJson, sha256Hex } from "../util/sha256.js";

/**
 * The canonical form of a Kubernetes resource, whose SHA-256 names the resource in a signed
 * decision receipt (docs/receipts.md, "Canonical form"). It is the object as written by its
 * author, without what the cluster adds: so the manifest a CI job evaluated and the same
 * manifest read back by the deploy job give the same bytes.
 *
 * 1. Top-level `status` is removed.
 * 2. These `metadata` fields, set by the API server, are removed: see SERVER_SET_METADATA.
 * 3. The annotation `kubectl.kubernetes.io/last-applied-configuration` is removed; an
 *    `annotations` map left empty by that is removed too.
 * 4. The rest is written as JSON by `canonicalJson`: object keys sorted by UTF-16 code units at
 *    every level, no whitespace, strings escaped as JSON.stringify does (`"`, `\`, and control
 *    characters only; everything else as UTF-8), numbers in ECMAScript shortest form (`1.0` is
 *    `1`, `1e21` is `1e+21`, `-0` is `0`). For JSON input this is RFC 8785 (JCS).
 *
 * Nothing else changes: no defaults are added, no empty values dropped, list order is kept.
 * The SDK holds a second copy (it may not import the engine); test/receipts proves the two equal.
 */

/** `metadata` fields set by the API server, never by a manifest's author. */
export const SERVER_SET_METADATA = [
  "creationTimestamp",
  "deletionGracePeriodSeconds",
  "deletionTimestamp",
  "generation",
  "managedFields",
  "resourceVersion",
  "selfLink",
  "uid",
] as const;

/** The annotation `kubectl apply` writes: a copy of the object, so it is left out of the digest. */
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The resource without status and server-set metadata (a new object; the input is not changed). Never throws. */
export function canonicalResource(object: unknown): unknown {
  if (!isRecord(object)) return object;
  const { status: _status, ...rest } = object;
  if (!isRecord(rest.metadata)) return rest;
  const metadata: Record<string, unknown> = { ...rest.metadata };
  for (const field of SERVER_SET_METADATA) delete metadata[field];
  if (isRecord(metadata.annotations) && LAST_APPLIED_ANNOTATION in metadata.annotations) {
    const { [LAST_APPLIED_ANNOTATION]: _applied, ...annotations } = metadata.annotations;
    if (Object.keys(annotations).length === 0) delete metadata.annotations;
    else metadata.annotations = annotations;
  }
  return { ...rest, metadata };
}

/** The canonical JSON text of a resource (see canonicalResource). Never throws. */
export function canonicalResourceJson(object: unknown): string {
  return canonicalJson(canonicalResource(object));
}

/** SHA-256 of the canonical JSON (UTF-8) of a resource, as lower-case hex. Never throws. */
export function resourceDigest(object: unknown): string {
  return sha256Hex(canonicalResourceJson(object));
}

/**
 * The name of a resource's subject in a receipt: `kind/namespace/name`, with an empty
 * namespace when the object has none (`Namespace//shop`), from the object as written.
 */
export function resourceSubjectName(object: unknown): string {
  const o = isRecord(object) ? object : {};
  const metadata = isRecord(o.metadata) ? o.metadata : {};
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  return `${str(o.kind)}/${str(metadata.namespace)}/${str(metadata.name)}`;
}
