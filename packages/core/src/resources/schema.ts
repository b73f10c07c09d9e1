import yaml from "js-yaml";
import { kubectlPlainScalar } from "./kubectl-scalars.js";

// js-yaml exports its type definitions at run time, but its typings omit them
const yamlTypes = (yaml as unknown as { types: { merge: yaml.Type } }).types;

/**
 * kubectlPlainScalar of the text asked about last: js-yaml asks each implicit type in turn
 * whether it takes a scalar, then has the one that does construct it, all with the same text.
 */
let lastText: string | undefined;
let lastValue: unknown;
function scalar(text: string): unknown {
  if (text !== lastText) {
    lastValue = kubectlPlainScalar(text);
    lastText = text;
  }
  return lastValue;
}

/** A js-yaml scalar type for the plain scalars kubectl reads as `kind` (kubectl-scalars.ts). */
function kubectlType(tag: string, kind: "null" | "boolean" | "number"): yaml.Type {
  const is = (value: unknown) => (kind === "null" ? value === null : typeof value === kind);
  return new yaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: "scalar",
    // js-yaml asks about an empty node with null
    resolve: (data: string | null) => (data === null ? kind === "null" : is(scalar(data))),
    construct: (data: string | null) => (data === null ? null : scalar(data)),
  });
}

/**
 * Plain scalars typed as kubectl types them: null, bool, int and float in js-yaml's order,
 * each accepting what go-yaml v2 reads as one (kubectl-scalars.ts). An int and a float are both
 * JavaScript numbers, so either type's tag may carry either; only the value matters here.
 */
const KUBECTL_SCALARS = [
  kubectlType("null", "null"),
  kubectlType("bool", "boolean"),
  kubectlType("int", "number"),
  kubectlType("float", "number"),
];

/**
 * The schema manifests are read with: plain scalars as kubectl reads them (YAML 1.1's `yes`,
 * `on` and `y` are true, `0644` is octal, `1_000` is 1000; timestamps stay strings, as
 * Kubernetes sees them), plus merge keys: a plain `<<` key merges the mapping (or list of
 * mappings) it is given, as go-yaml, which kubectl and Helm read manifests with, merges it.
 * Until the ninth session manifests were read with YAML 1.2's core schema, where
 * `privileged: yes` is a string (kubectl sends true), and a plain `<<` was an ordinary key (a
 * `securityContext` merged in from an anchor went unchecked while kubectl applied it). Where
 * readers merge differently, the document is refused (merge-keys.ts).
 */
export const MANIFEST_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({
  implicit: [...KUBECTL_SCALARS, yamlTypes.merge],
});

/**
 * The same with `<<` an ordinary key (the merge type explicit: only `!!merge <<` merges):
 * merge-keys.ts reads a document with merges again with it to see each mapping's keys in
 * written order.
 */
export const LITERAL_MERGE_KEY_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({
  implicit: KUBECTL_SCALARS,
  explicit: [yamlTypes.merge],
});

/** Thrown by MERGE_TAG_PROBE_SCHEMA when a node carries the merge tag; caught in merge-keys.ts. */
export const MERGE_TAG_FOUND = new Error("an explicit merge tag");

/** A type for the merge tag on a node of one kind that stops the reading as soon as it is asked. */
const mergeTagSpy = (kind: "scalar" | "sequence" | "mapping") =>
  new yaml.Type("tag:yaml.org,2002:merge", {
    kind,
    resolve: () => {
      throw MERGE_TAG_FOUND;
    },
  });

/**
 * The same with `<<` an ordinary key and the merge tag, on any kind of node, throwing
 * MERGE_TAG_FOUND: js-yaml asks an explicit tag's type (after expanding `!!`, `%TAG` handles
 * and percent escapes), never an implicit one, so only a tag written on a node is found, not
 * the characters `!!merge` inside a scalar's text.
 */
export const MERGE_TAG_PROBE_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({
  implicit: KUBECTL_SCALARS,
  explicit: [mergeTagSpy("scalar"), mergeTagSpy("sequence"), mergeTagSpy("mapping")],
});

/** One of js-yaml's implicit types, as its loader uses them (the typings omit the fields). */
export interface ImplicitType {
  tag: string;
  resolve: (data: string) => boolean;
  construct: (data: string) => unknown;
}

/**
 * The schema's implicit types in js-yaml's order: how its loader types a plain scalar (the
 * first whose `resolve` accepts the text constructs the value; none, and it is a string).
 */
export const MANIFEST_IMPLICIT_TYPES: readonly ImplicitType[] = (
  MANIFEST_SCHEMA as unknown as { compiledImplicit: ImplicitType[] }
).compiledImplicit;
