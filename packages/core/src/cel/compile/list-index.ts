/**
 * Indexes of lists by a key, made once per evaluation, so that a compiled comprehension whose
 * predicate starts with key equalities (`r.kind == 'NetworkPolicy' && r.metadata.namespace ==
 * object.metadata.namespace && ...`) visits only the elements that can pass them instead of the
 * whole list for every resource. codegen.ts decides when an index may be used (see
 * `indexPlan` in index-plan.ts for the argument); this file keeps the indexes.
 *
 * An index lives in the scope opened by `withListIndexes` (evaluate() opens one per
 * evaluation) and is keyed by the list itself: within one evaluation, which is synchronous, a
 * list (a CEL value: `bundle`, a variable's value) is never changed, so the same list has the
 * same elements. Outside a scope nothing is indexed and comprehensions scan their lists.
 */

/** A list's positions grouped by the key of their element. */
interface Index {
  /** Positions whose key is this string, ascending. */
  buckets: Map<string, number[]>;
  /** Positions whose key could not be computed (not strings, an error): candidates for every key. */
  other: number[];
  /** The candidates for each key asked for: its bucket and `other`, merged, ascending. */
  merged: Map<string, Int32Array>;
}

/** One comprehension site over one list. */
interface SiteState {
  /** The root variables the key reads, by identity: another value means another index. */
  roots: unknown[];
  /** Made on the second use: a list scanned once is not worth an index. */
  index: Index | undefined;
}

interface Scope {
  lists: WeakMap<object, Map<unknown, SiteState>>;
  stats: ListIndexStats;
}

/** What the indexes of a scope did, for tests: a test of the index must see it used. */
export interface ListIndexStats {
  /** Indexes built. */
  built: number;
  /** Lookups answered from an index. */
  lookups: number;
}

let active: Scope | undefined;

/** Lists shorter than this are scanned: an index would not pay for itself. */
export const MIN_INDEXED_LENGTH = 8;

/** The counts of the active scope (a copy), or undefined outside one. */
export function listIndexStats(): ListIndexStats | undefined {
  return active ? { ...active.stats } : undefined;
}

/**
 * Runs `fn` with a fresh scope of list indexes, dropped when it returns; nested calls have
 * their own. The lists given to compiled expressions inside `fn` must not change while it runs.
 */
export function withListIndexes<T>(fn: () => T): T {
  const outer = active;
  active = { lists: new WeakMap(), stats: { built: 0, lookups: 0 } };
  try {
    return fn();
  } finally {
    active = outer;
  }
}

function rootValue(activation: unknown, name: string): unknown {
  if (activation instanceof Map) return activation.get(name);
  if (activation !== null && typeof activation === "object")
    return (activation as Record<string, unknown>)[name];
  return undefined;
}

/**
 * The positions of `items` whose element may have `key` as its key, ascending; or undefined when
 * no index is used (no scope, first use of the list at this site, a key that is not a string):
 * the caller then scans every element. `keyOf` gives an element's key, or undefined when it has
 * none that rules it out (see index-plan.ts); it reads only the element and the root variables
 * `rootNames` of `activation`, never throws and counts no steps.
 */
export function listCandidates(
  items: unknown[],
  site: unknown,
  activation: unknown,
  rootNames: readonly string[],
  keyOf: (element: unknown) => string | undefined,
  key: unknown,
): Int32Array | undefined {
  const scope = active;
  if (!scope || typeof key !== "string" || items.length < MIN_INDEXED_LENGTH) return undefined;
  const roots = rootNames.map((name) => rootValue(activation, name));
  let sites = scope.lists.get(items);
  if (!sites) {
    sites = new Map();
    scope.lists.set(items, sites);
  }
  const state = sites.get(site);
  if (!state || state.roots.some((value, i) => value !== roots[i])) {
    sites.set(site, { roots, index: undefined });
    return undefined;
  }
  if (!state.index) {
    state.index = build(items, keyOf);
    scope.stats.built++;
  }
  const index = state.index;
  scope.stats.lookups++;
  let candidates = index.merged.get(key);
  if (!candidates) {
    candidates = merge(index.buckets.get(key) ?? [], index.other);
    index.merged.set(key, candidates);
  }
  return candidates;
}

function build(items: unknown[], keyOf: (element: unknown) => string | undefined): Index {
  const buckets = new Map<string, number[]>();
  const other: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const key = keyOf(items[i]);
    if (key === undefined) {
      other.push(i);
      continue;
    }
    const bucket = buckets.get(key);
    if (bucket) bucket.push(i);
    else buckets.set(key, [i]);
  }
  return { buckets, other, merged: new Map() };
}

function merge(a: readonly number[], b: readonly number[]): Int32Array {
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length)
    out[k++] = (a[i] as number) < (b[j] as number) ? (a[i++] as number) : (b[j++] as number);
  while (i < a.length) out[k++] = a[i++] as number;
  while (j < b.length) out[k++] = b[j++] as number;
  return out;
}
