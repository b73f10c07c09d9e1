import yaml from "js-yaml";

// js-yaml exports its type definitions at run time, but its typings omit them
const yamlTypes = (yaml as unknown as { types: { merge: yaml.Type } }).types;

/**
 * The schema manifests are read with: YAML 1.2's core schema (timestamps stay strings, as
 * Kubernetes sees them) plus js-yaml's merge type. `extend([type])` adds the merge type as an
 * explicit one, so only `!!merge <<` merges; a plain `<<` is an ordinary key.
 */
export const MANIFEST_SCHEMA = yaml.CORE_SCHEMA.extend([yamlTypes.merge]);

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
