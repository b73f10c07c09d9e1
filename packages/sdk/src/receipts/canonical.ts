/**
 * The canonical form of a resource and its subject name, as the engine defines them
 * (@celgate/core, receipts/canonical.ts, and docs/receipts.md "Canonical form"). The SDK may
 * not import the engine, so this is the second copy; test/receipts/canonical-agreement.test.ts
 * proves the two give the same bytes on the test vector and on every corpus manifest.
 */

const SERVER_SET_METADATA = [
  "creationTimestamp",
  "deletionGracePeriodSeconds",
  "deletionTimestamp",
  "generation",
  "managedFields",
  "resourceVersion",
  "selfLink",
  "uid",
] as const;
const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** JSON with object keys sorted at every level (the engine's canonicalJson). Never throws on JSON data. */
function canonicalJson(value: unknown): string {
  const text: string | undefined = JSON.stringify(value, (_key, v) => {
    if (isRecord(v)) {
      // no prototype: a `__proto__` key is data like any other (a plain object would take it as
      // its prototype, and the key would vanish from the text and from the digest)
      const sorted: Record<string, unknown> = Object.create(null);
      for (const k of Object.keys(v).sort()) sorted[k] = v[k];
      return sorted;
    }
    return typeof v === "bigint" ? Number(v) : v;
  });
  return text ?? "null";
}

function canonicalResource(object: unknown): unknown {
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

/** The canonical JSON text of a resource: without status and server-set metadata, keys sorted. */
export function canonicalResourceJson(object: unknown): string {
  return canonicalJson(canonicalResource(object));
}

/** `kind/namespace/name` of a resource, empty parts where the object has none. */
export function resourceSubjectName(object: unknown): string {
  const o = isRecord(object) ? object : {};
  const metadata = isRecord(o.metadata) ? o.metadata : {};
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  return `${str(o.kind)}/${str(metadata.namespace)}/${str(metadata.name)}`;
}

/** SHA-256 (hex) of the canonical JSON of a resource, with Web Crypto. */
export async function resourceDigest(object: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalResourceJson(object));
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
