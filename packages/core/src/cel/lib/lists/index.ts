/**
 * List functions: Kubernetes' lists library (k8s.io/apiserver/pkg/cel/library/lists.go:
 * isSorted, sum, min, max, indexOf, lastIndexOf), cel-go's lists extension at version 3, which
 * Kubernetes enables from 1.34 (ext/lists.go: slice, flatten, distinct, reverse, sort, sortBy,
 * lists.range), and `first()`/`last()` from cel-go's optional library.
 */

import type { Environment } from "@marcbachmann/cel-js";
import { Optional } from "@marcbachmann/cel-js";
import { type Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import type { FunctionDoc } from "../doc.js";
import type { MacroChecker, MacroContext, MacroEvaluator } from "../macro.js";
import {
  celCompare,
  celEquals,
  celError,
  celTypeName,
  checkInt64,
  ORDERED_TYPES,
  registerNamespace,
} from "../shared.js";

/** lists.range refuses to build longer lists: evaluation budgets count calls, not elements. */
export const MAX_RANGE = 1_000_000;

function isSorted(list: readonly unknown[]): boolean {
  for (let i = 1; i < list.length; i++) if (celCompare(list[i - 1], list[i]) > 0) return false;
  return true;
}

/** Sums ints, uints, doubles or durations; an empty list sums to int 0. */
function sum(list: readonly unknown[]): unknown {
  if (list.length === 0) return 0n;
  const kind = celTypeName(list[0]);
  for (const item of list) {
    if (celTypeName(item) !== kind) throw celError(`no such overload: ${kind} + ${celTypeName(item)}`);
  }
  switch (kind) {
    case "int":
      return checkInt64((list as bigint[]).reduce((a, b) => a + b, 0n));
    case "uint":
      return new UnsignedInt((list as UnsignedInt[]).reduce((a, b) => a + b.value, 0n));
    case "double":
      return (list as number[]).reduce((a, b) => a + b, 0);
    case "google.protobuf.Duration":
      return (list as Duration[]).reduce((a, b) => a.addDuration(b));
    default:
      throw celError(`sum() is not defined for lists of ${kind}`);
  }
}

/** The least (direction -1) or greatest (1) element; the first one on ties. */
function extreme(list: readonly unknown[], direction: 1 | -1, name: string): unknown {
  if (list.length === 0) throw celError(`${name} called on empty list`);
  let best = list[0];
  for (const item of list) if (celCompare(item, best) === direction) best = item;
  return best;
}

function indexOf(list: readonly unknown[], value: unknown): bigint {
  return BigInt(list.findIndex((item) => celEquals(item, value)));
}

function lastIndexOf(list: readonly unknown[], value: unknown): bigint {
  return BigInt(list.findLastIndex((item) => celEquals(item, value)));
}

function slice(list: readonly unknown[], start: bigint, end: bigint): unknown[] {
  const call = `cannot slice(${start}, ${end})`;
  if (start < 0n || end < 0n) throw celError(`${call}, negative indexes not supported`);
  if (start > end) throw celError(`${call}, start index must be less than or equal to end index`);
  if (end > BigInt(list.length)) throw celError(`${call}, list is length ${list.length}`);
  return list.slice(Number(start), Number(end));
}

function flatten(list: readonly unknown[], depth: bigint): unknown[] {
  if (depth < 0n) throw celError("level must be non-negative");
  const out: unknown[] = [];
  for (const item of list) {
    if (Array.isArray(item) && depth > 0n) out.push(...flatten(item, depth - 1n));
    else out.push(item);
  }
  return out;
}

function distinct(list: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const item of list) if (!out.some((seen) => celEquals(seen, item))) out.push(item);
  return out;
}

/** sortBy(e, key): the elements ordered by their keys (stable), which must be comparable. */
function sortByKeys(list: readonly unknown[], keys: readonly unknown[]): unknown[] {
  const order = list.map((_, i) => i);
  order.sort((a, b) => celCompare(keys[a], keys[b]) || a - b);
  return order.map((i) => list[i]);
}

interface SortByMacro {
  receiver: unknown;
  variable: string;
  key: unknown;
  keyCtx?: MacroContext;
  typeCheck(checker: MacroChecker, macro: SortByMacro, ctx: MacroContext): unknown;
  evaluate(ev: MacroEvaluator, macro: SortByMacro, ctx: unknown): unknown;
}

/**
 * `<list>.sortBy(e, keyExpr)`, cel-go's macro: the key expression is type-checked with `e` bound
 * to the element type; a key type known at compile time must be comparable.
 */
function sortByMacro({
  args,
  receiver,
}: {
  args: { op: string; args: unknown }[];
  receiver: unknown;
}): SortByMacro {
  const variable = args[0];
  if (variable?.op !== "id" || typeof variable.args !== "string") {
    throw celError("sortBy(var, key) requires a simple name as its first argument");
  }
  return {
    receiver,
    variable: variable.args,
    key: args[1],
    typeCheck(checker, macro, ctx) {
      const listType = checker.check(macro.receiver, ctx);
      const element = (listType.kind === "list" ? listType.valueType : undefined) ?? checker.getType("dyn");
      if (listType.kind !== "list" && listType.kind !== "dyn") {
        throw checker.createError(
          "no_matching_overload",
          `sortBy() needs a list, got '${listType.name}'`,
          macro.receiver,
        );
      }
      macro.keyCtx = ctx.forkWithVariable(macro.variable, element);
      const keyType = checker.check(macro.key, macro.keyCtx);
      if (!keyType.hasDynType && !keyType.hasPlaceholderType && !ORDERED_TYPES.has(keyType.name)) {
        throw checker.createError(
          "no_matching_overload",
          `sortBy() keys must be comparable (int, uint, double, bool, string, bytes, duration, timestamp), got '${keyType.name}'`,
          macro.key,
        );
      }
      return listType;
    },
    evaluate(ev, macro, ctx) {
      const list = ev.run(macro.receiver, ctx);
      if (!Array.isArray(list)) throw celError(`sortBy() needs a list, got ${celTypeName(list)}`);
      const keyCtx = macro.keyCtx;
      if (!keyCtx) throw celError("sortBy() was not type-checked");
      const keys = list.map((element) => ev.run(macro.key, keyCtx.reuse(ctx).setIterValue(element, ev)));
      return sortByKeys(list, keys);
    },
  };
}

function range(n: bigint): bigint[] {
  if (n > BigInt(MAX_RANGE)) throw celError(`lists.range(${n}) is longer than ${MAX_RANGE} elements`);
  const out: bigint[] = [];
  for (let i = 0n; i < n; i++) out.push(i);
  return out;
}

/**
 * Registers the Kubernetes list functions and cel-go's list extension. Functions that return
 * elements are declared with dyn results: cel-js leaves a `list<A>` placeholder unbound when the
 * receiver is dyn (as resource fields are), which breaks the operators applied to the result.
 */
export function registerListsLibrary(env: Environment): void {
  env.registerFunction("list<A>.isSorted(): bool", isSorted);
  env.registerFunction("list.sum(): dyn", sum);
  env.registerFunction("list.min(): dyn", (list: unknown[]) => extreme(list, -1, "min"));
  env.registerFunction("list.max(): dyn", (list: unknown[]) => extreme(list, 1, "max"));
  env.registerFunction("list<A>.indexOf(A): int", indexOf);
  env.registerFunction("list<A>.lastIndexOf(A): int", lastIndexOf);
  env.registerFunction("list.slice(int, int): list", slice);
  env.registerFunction("list.flatten(): list", (list: unknown[]) => flatten(list, 1n));
  env.registerFunction("list.flatten(int): list", flatten);
  env.registerFunction("list.distinct(): list", distinct);
  env.registerFunction("list.reverse(): list", (list: unknown[]) => [...list].reverse());
  env.registerFunction("list.sort(): list", (list: unknown[]) => [...list].sort(celCompare));
  env.registerFunction("list.first(): optional<dyn>", (list: unknown[]) =>
    list.length > 0 ? Optional.of(list[0]) : Optional.none(),
  );
  env.registerFunction("list.last(): optional<dyn>", (list: unknown[]) =>
    list.length > 0 ? Optional.of(list[list.length - 1]) : Optional.none(),
  );
  env.registerFunction("list.sortBy(ast, ast): list", sortByMacro as never);
  const lists = registerNamespace(env, "lists");
  env.registerFunction(`${lists}.range(int): list<int>`, (_: unknown, n: bigint) => range(n));
}

export const listsFunctions: FunctionDoc[] = [
  {
    signature: "<list<T>>.isSorted() -> <bool>",
    description:
      "True if the elements are in ascending order. T must be comparable (numbers, strings, bools, bytes, durations, timestamps).",
    example: "['a', 'b', 'b', 'c'].isSorted()",
    result: "true",
  },
  {
    signature: "<list<T>>.sum() -> <T>",
    description: "The sum of a list of ints, uints, doubles or durations; an empty list sums to 0.",
    example: "[1, 3].sum()",
    result: "4",
  },
  {
    signature: "<list<T>>.min() -> <T>",
    description: "The least element; an error for an empty list.",
    example: "[1, 3].min()",
    result: "1",
  },
  {
    signature: "<list<T>>.max() -> <T>",
    description: "The greatest element; an error for an empty list.",
    example: "[1, 3].max()",
    result: "3",
  },
  {
    signature: "<list<T>>.indexOf(<T>) -> <int>",
    description: "The index of the first element equal to the argument, or -1.",
    example: "[1, 2, 2, 3].indexOf(2)",
    result: "1",
  },
  {
    signature: "<list<T>>.lastIndexOf(<T>) -> <int>",
    description: "The index of the last element equal to the argument, or -1.",
    example: "['a', 'b', 'b', 'c'].lastIndexOf('b')",
    result: "2",
  },
  {
    signature: "<list<T>>.slice(<int>, <int>) -> <list<T>>",
    description:
      "The elements from start (inclusive) to end (exclusive); an error if out of range. cel-go lists extension.",
    example: "[1, 2, 3, 4].slice(1, 3)",
    result: "[2, 3]",
  },
  {
    signature: "<list>.flatten([<int>]) -> <list>",
    description:
      "Splices nested lists into the list, one level deep or to the given depth. cel-go lists extension.",
    example: "[[1, 2], [3, 4]].flatten()",
    result: "[1, 2, 3, 4]",
  },
  {
    signature: "<list<T>>.distinct() -> <list<T>>",
    description: "The list without repeated elements, keeping first occurrences. cel-go lists extension.",
    example: "[1, 2, 2, 3, 1].distinct()",
    result: "[1, 2, 3]",
  },
  {
    signature: "<list<T>>.reverse() -> <list<T>>",
    description: "The elements in reverse order. cel-go lists extension.",
    example: "[1, 2, 3].reverse()",
    result: "[3, 2, 1]",
  },
  {
    signature: "<list<T>>.sort() -> <list<T>>",
    description:
      "The elements in ascending order; an error if they are not comparable. cel-go lists extension.",
    example: "['b', 'c', 'a'].sort()",
    result: "['a', 'b', 'c']",
  },
  {
    signature: "<list<T>>.sortBy(<name>, <key expression>) -> <list<T>>",
    description:
      "The elements ordered by a key computed from each (stable for equal keys); the keys must be comparable. cel-go lists extension.",
    example: "[{'n': 'b', 'p': dyn(2)}, {'n': 'a', 'p': dyn(1)}].sortBy(e, e.p).map(e, e.n)",
    result: "['a', 'b']",
  },
  {
    signature: "<list<T>>.first() -> <optional<T>>",
    description: "The first element, or optional.none() for an empty list. cel-go optional library.",
    example: "[7, 8].first().orValue(0)",
    result: "7",
  },
  {
    signature: "<list<T>>.last() -> <optional<T>>",
    description: "The last element, or optional.none() for an empty list. cel-go optional library.",
    example: "[].last().hasValue()",
    result: "false",
  },
  {
    signature: "lists.range(<int>) -> <list<int>>",
    description: `The ints 0 to n-1 (at most ${MAX_RANGE.toLocaleString("en")}). cel-go lists extension.`,
    example: "lists.range(4)",
    result: "[0, 1, 2, 3]",
  },
];
