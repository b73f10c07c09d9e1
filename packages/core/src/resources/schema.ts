import yaml from "js-yaml";

// js-yaml exports its type definitions at run time, but its typings omit them
const yamlTypes = (yaml as unknown as { types: { merge: yaml.Type } }).types;

/**
 * The schema manifests are read with: YAML 1.2's core schema (timestamps stay strings, as
 * Kubernetes sees them) plus merge keys: a plain `<<` key merges the mapping (or list of
 * mappings) it is given, as go-yaml, which kubectl and Helm read manifests with, merges it.
 * (Before, the merge type was explicit, so a plain `<<` stayed an ordinary key, and a
 * `securityContext` merged in from an anchor went unchecked while kubectl applied it.)
 * Where readers merge differently, the document is refused (merge-keys.ts).
 */
export const MANIFEST_SCHEMA = yaml.CORE_SCHEMA.extend({ implicit: [yamlTypes.merge] });

/**
 * The core schema with `<<` an ordinary key (the merge type explicit: only `!!merge <<`
 * merges): merge-keys.ts reads a document with merges again with it to see each mapping's keys
 * in written order.
 */
export const LITERAL_MERGE_KEY_SCHEMA = yaml.CORE_SCHEMA.extend([yamlTypes.merge]);

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
