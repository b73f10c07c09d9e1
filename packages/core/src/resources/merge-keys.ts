import yaml from "js-yaml";
import { formatPath } from "../util/path.js";
import { LITERAL_MERGE_KEY_SCHEMA, MERGE_TAG_FOUND, MERGE_TAG_PROBE_SCHEMA } from "./schema.js";

/** A key that a mapping sets before its merge key `<<` and that the merge also gives. */
export interface MergeKeyConflict {
  /** The mapping's path in the document (`spec.containers[0]`; empty for the top). */
  path: string;
  /** The same path as segments (`["spec", "containers", 0]`), to find the mapping's line. */
  segments: (string | number)[];
  key: string;
}

/**
 * Finds a mapping whose merge key (`<<: *defaults`) brings a key that the mapping sets before
 * the `<<`, the one case where YAML readers that merge disagree: go-yaml v2, which kubectl and
 * Helm read manifests with (through sigs.k8s.io/yaml), merges where the `<<` stands, so the
 * merged value replaces the one written before it; js-yaml, go-yaml v3 and the merge type's
 * specification keep the value written. A key set after the `<<` overrides the merged one in
 * all of them, as do earlier sources of a list (`<<: [*a, *b]`) over later ones.
 *
 * `text` is one document that js-yaml read with merges (so it is well-formed). It is read
 * again with `<<` as an ordinary key, which keeps each mapping's keys in written order (but
 * for integer-like keys, which a JavaScript object lists first: they count as written before
 * the `<<`, so the check is, if anything, stricter). A quoted `"<<"` key, which no reader
 * merges, is checked as though it merged: a mapping that means one is rare enough to refuse.
 * Returns the first conflict; an error of that reading (two `<<` keys in one mapping, which
 * readers also merge differently) as `{ error }`; else undefined. Never throws.
 */
export function mergeKeyConflict(
  text: string,
  maxDepth: number,
): MergeKeyConflict | { error: unknown } | undefined {
  let literal: unknown;
  try {
    literal = yaml.load(text, { schema: LITERAL_MERGE_KEY_SCHEMA, maxDepth } as yaml.LoadOptions);
  } catch (error) {
    return { error };
  }
  // an alias repeats an object: each is walked once (an alias bomb stays linear)
  const seen = new Set<object>();
  const memo = new Map<object, Set<string>>();
  // the path of the node being walked, as a stack (copied only for the conflict found)
  const at: (string | number)[] = [];
  const walk = (node: unknown): MergeKeyConflict | undefined => {
    if (typeof node !== "object" || node === null || seen.has(node)) return undefined;
    seen.add(node);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        at.push(i);
        const found = walk(node[i]);
        at.pop();
        if (found) return found;
      }
      return undefined;
    }
    const record = node as Record<string, unknown>;
    const keys = Object.keys(record);
    const merge = keys.indexOf("<<");
    if (merge > 0) {
      const merged = mergedKeys(record["<<"], memo);
      for (let i = 0; i < merge; i++) {
        const key = keys[i] as string;
        if (merged.has(key)) return { path: formatPath(at), segments: [...at], key };
      }
    }
    for (const key of keys) {
      at.push(key);
      const found = walk(record[key]);
      at.pop();
      if (found) return found;
    }
    return undefined;
  };
  return walk(literal);
}

/**
 * The keys a merge source gives: a mapping's (its own merges included), or those of a list of
 * mappings. Each object's keys are found once (`memo`), so sources shared through aliases cost
 * no more than the text; an object being looked at is taken as giving nothing more (a cycle).
 */
function mergedKeys(source: unknown, memo: Map<object, Set<string>>): Set<string> {
  if (typeof source !== "object" || source === null) return EMPTY;
  const known = memo.get(source);
  if (known) return known;
  const out = new Set<string>();
  memo.set(source, out);
  const sources = Array.isArray(source) ? source : [source];
  for (const item of sources) {
    if (typeof item !== "object" || item === null || Array.isArray(item)) continue;
    for (const key of Object.keys(item)) {
      if (key !== "<<") out.add(key);
      else for (const inner of mergedKeys((item as Record<string, unknown>)[key], memo)) out.add(inner);
    }
  }
  return out;
}

const EMPTY: Set<string> = new Set();

/**
 * Whether a node of `text` (one document js-yaml read) carries the merge tag written out:
 * `!!merge`, `!<tag:yaml.org,2002:merge>`, through a `%TAG` handle or with percent escapes.
 * Readers disagree on where such a tag merges (go-yaml merges only a `<<` key, js-yaml any key
 * so tagged), and mergeKeyConflict reads merges in written order only when they are plain. A
 * scalar whose text merely holds those characters (`name: "explains !!merge"`) carries no tag.
 * Reads the text once more (with `<<` an ordinary key, as mergeKeyConflict does), so callers
 * ask only about a text that may hold one. An error of that reading comes back as
 * `{ error }`. Never throws.
 */
export function explicitMergeTag(text: string, maxDepth: number): boolean | { error: unknown } {
  try {
    yaml.load(text, { schema: MERGE_TAG_PROBE_SCHEMA, maxDepth } as yaml.LoadOptions);
    return false;
  } catch (error) {
    return error === MERGE_TAG_FOUND ? true : { error };
  }
}
