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
 *
 * The same scope keeps the CEL values of the manifest parts that compiled code converts where
 * they escape (`scopedConversion`): a container that five policies' `containers.filter(...)`
 * keep is converted once, not once per policy (the scope keeps the last few thousand).
 */

/**
 * A list's positions grouped by the keys of their element. An element has one key per key
 * equality, each a string or unknown (missing, not a string, an error); it is a candidate for
 * wanted values `v` when each of its keys is unknown or equals its `v`. Elements are grouped by
 * which of their keys are known (at most 2^keys groups), then by those keys' values.
 */
interface Index {
  /** By the bit mask of known keys, then by the known keys' values (joined, see `joinKeys`). */
  groups: Map<number, Map<string, number[]>>;
  /** Positions with no known key: candidates for every lookup. */
  other: number[];
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
  /** The CEL value of each manifest part converted in this scope, by the part (scopedConversion). */
  conversions: WeakMap<object, unknown>;
  /** Entries in `conversions`: past MAX_CONVERSIONS it starts afresh, so memory stays bounded. */
  converted: number;
  stats: ListIndexStats;
}

/** What the indexes of a scope did, for tests: a test of the index must see it used. */
export interface ListIndexStats {
  /** Indexes built. */
  built: number;
  /** Lookups answered from an index. */
  lookups: number;
  /** Conversions answered from the scope's memory (scopedConversion). */
  conversionsReused: number;
}

let active: Scope | undefined;

const NONE: readonly number[] = Object.freeze([]);

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
  active = {
    lists: new WeakMap(),
    conversions: new WeakMap(),
    converted: 0,
    stats: { built: 0, lookups: 0, conversionsReused: 0 },
  };
  try {
    return fn();
  } finally {
    active = outer;
  }
}

/** Conversions a scope keeps at most (then it starts afresh). */
export const MAX_CONVERSIONS = 4_096;

/**
 * `convert(value)`, remembered in the active scope: a later call with the same object answers
 * the same value without converting again, while the scope keeps it (it keeps the last few
 * thousand, enough for the policies of a resource to share its parts). Outside a scope it
 * converts every time. `convert` must depend on nothing but the value (which does not change
 * in a scope), and its results must not be changed by their users (CEL values are not).
 */
export function scopedConversion(value: object, convert: (value: object) => unknown): unknown {
  const scope = active;
  if (!scope) return convert(value);
  const known = scope.conversions.get(value);
  if (known !== undefined) {
    scope.stats.conversionsReused++;
    return known;
  }
  const converted = convert(value);
  // the parts of one resource are what its policies share: older ones may go
  if (++scope.converted > MAX_CONVERSIONS) {
    scope.conversions = new WeakMap();
    scope.converted = 1;
  }
  scope.conversions.set(value, converted);
  return converted;
}

function rootValue(activation: unknown, name: string): unknown {
  if (activation instanceof Map) return activation.get(name);
  if (activation !== null && typeof activation === "object")
    return (activation as Record<string, unknown>)[name];
  return undefined;
}

/**
 * The positions of `items` whose element may have the keys `wanted`, ascending; or undefined
 * when no index is used (no scope, first use of the list at this site, a wanted value that is
 * not a string, most elements without keys): the caller then scans every element. `keyOf`
 * gives an element's keys (a string or undefined each; undefined for all when the element
 * cannot be ruled out, see index-plan.ts); it reads only the element and the root variables
 * `rootNames` of `activation`, never throws and counts no steps.
 */
export function listCandidates(
  items: unknown[],
  site: unknown,
  activation: unknown,
  rootNames: readonly string[],
  keyOf: (element: unknown) => (string | undefined)[] | undefined,
  wanted: readonly unknown[],
): ArrayLike<number> | undefined {
  const scope = active;
  if (!scope || items.length < MIN_INDEXED_LENGTH) return undefined;
  for (const value of wanted) if (typeof value !== "string") return undefined;
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
    state.index = build(items, keyOf, wanted.length);
    scope.stats.built++;
  }
  const index = state.index;
  // most elements without a key: the index would save little, scan
  if (index.other.length * 2 > items.length) return undefined;
  scope.stats.lookups++;
  const lists: number[][] = [];
  if (index.other.length > 0) lists.push(index.other);
  for (const [mask, byKeys] of index.groups) {
    const list = byKeys.get(joinKeys(wanted as string[], mask));
    if (list) lists.push(list);
  }
  if (lists.length === 0) return NONE;
  if (lists.length === 1) return lists[0];
  // a few groups at most: gathered afresh for each lookup, so memory stays linear in the list
  return Int32Array.from(lists.flat()).sort();
}

/** The known keys of `keys` (those whose bit is set in `mask`) as one string, distinct per tuple. */
function joinKeys(keys: readonly (string | undefined)[], mask: number): string {
  if (keys.length === 1) return keys[0] as string;
  const known: (string | undefined)[] = [];
  for (let i = 0; i < keys.length; i++) if (mask & (1 << i)) known.push(keys[i]);
  return JSON.stringify(known);
}

function build(
  items: unknown[],
  keyOf: (element: unknown) => (string | undefined)[] | undefined,
  size: number,
): Index {
  const groups = new Map<number, Map<string, number[]>>();
  const other: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const keys = keyOf(items[i]);
    let mask = 0;
    if (keys) for (let k = 0; k < size; k++) if (typeof keys[k] === "string") mask |= 1 << k;
    if (mask === 0) {
      other.push(i);
      continue;
    }
    let byKeys = groups.get(mask);
    if (!byKeys) {
      byKeys = new Map();
      groups.set(mask, byKeys);
    }
    const joined = joinKeys(keys as (string | undefined)[], mask);
    const list = byKeys.get(joined);
    if (list) list.push(i);
    else byKeys.set(joined, [i]);
  }
  return { groups, other };
}
