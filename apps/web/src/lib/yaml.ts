import { stringify } from "yaml";

// The database keeps documents as JSON objects whose key order is its own: put the keys back in
// the order authors write them, so that the source reads naturally and diffs stay small.
const TOP = ["apiVersion", "kind", "metadata", "spec"];
const SPEC = [
  "title",
  "description",
  "severity",
  "action",
  "failurePolicy",
  "remediation",
  "references",
  "match",
  "matchConditions",
  "params",
  "variables",
  "validations",
];

function ordered(value: unknown, order: readonly string[]): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return Object.fromEntries(
    entries.sort(([a], [b]) => rank(a) - rank(b) || (rank(a) === order.length ? a.localeCompare(b) : 0)),
  );
}

/** A stored document as YAML text, keys in the order authors write them. */
export function toYaml(document: unknown): string {
  const top = ordered(document, TOP) as Record<string, unknown>;
  const doc =
    top && typeof top === "object" && "spec" in top ? { ...top, spec: ordered(top.spec, SPEC) } : top;
  return stringify(doc, { lineWidth: 100 });
}
