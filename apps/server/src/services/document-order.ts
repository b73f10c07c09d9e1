// Stored documents (policies, their versions, exceptions) are handed back with their keys in
// the order their author wrote them: the columns are `json`, which keeps the text stored
// (migration 0010), and what is stored is put in the author's order here, since the engine's
// schemas build each document in the schema's order (and add its defaults).
import { exceptionSchema, type Located, parseSourceDocuments, policySchema } from "@celgate/core";

type Mapping = Record<string, unknown>;

const isMapping = (v: unknown): v is Mapping => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * `value` with the keys of each of its mappings in the order of the same mapping in `order`
 * (mappings matched by key, list items by index); keys `order` lacks (a default the schema
 * added) follow in their own order. Only the order changes: no key or value is added, dropped
 * or altered. Integer-like keys ("10") come first whatever the order: JavaScript objects keep
 * them so. Never throws.
 */
export function inOrderOf<T>(value: T, order: unknown): T {
  return reorder(value, order) as T;
}

function reorder(value: unknown, order: unknown): unknown {
  if (Array.isArray(value))
    return Array.isArray(order) ? value.map((item, i) => reorder(item, order[i])) : value;
  if (!isMapping(value)) return value;
  const template = isMapping(order) ? order : {};
  const entries: [string, unknown][] = [];
  for (const key of Object.keys(template))
    if (Object.hasOwn(value, key)) entries.push([key, reorder(value[key], template[key])]);
  for (const key of Object.keys(value)) if (!Object.hasOwn(template, key)) entries.push([key, value[key]]);
  // fromEntries defines properties: a `__proto__` key stays a key
  return Object.fromEntries(entries);
}

/**
 * Each document of `located` (parsed from `text` by the engine) with its keys in the order the
 * author wrote them in `text`; the keys the schema added (defaults such as `severity`) follow
 * the author's keys of their mapping. Never throws.
 */
export function inAuthorOrder<L extends Located<unknown>>(
  text: string,
  file: string | undefined,
  located: readonly L[],
): L[] {
  if (located.length === 0) return [];
  // the engine's parse keeps no value in source order: read the text again (policies are small)
  const sources = new Map(parseSourceDocuments(text, file).documents.map((d) => [d.index, d.value]));
  return located.map((l) => ({ ...l, doc: inOrderOf(l.doc, sources.get(l.origin.document)) }));
}

/** The Kubernetes order of a document's top level, for a document the schema no longer reads. */
const KUBERNETES_ORDER = { apiVersion: null, kind: null, metadata: { name: null }, spec: null };

/**
 * A stored document whose author's order was lost (written to a jsonb column, before migration
 * 0010) in the order of its schema: apiVersion, kind, metadata, spec at the top, and inside
 * them the order the engine's schema declares (free-form maps such as labels or params keep
 * the order they have). A document the schema refuses gets the top-level order only. Never throws.
 */
export function inSchemaOrder<T>(document: T, kind: "Policy" | "PolicyException"): T {
  const schema = kind === "Policy" ? policySchema : exceptionSchema;
  const parsed = schema.safeParse(document);
  return inOrderOf(document, parsed.success ? parsed.data : KUBERNETES_ORDER);
}
