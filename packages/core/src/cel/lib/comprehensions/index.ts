/**
 * Two-variable comprehensions (cel-go ext/comprehensions.go, which Kubernetes enables from
 * 1.32), as cel-js macros: over a list the variables are the index and the element, over a map
 * the key and the value.
 *
 *   all(i, v, p)  exists(i, v, p)  existsOne(i, v, p)
 *   transformList(i, v, [filter,] expr)   -> list of expr
 *   transformMap(k, v, [filter,] expr)    -> map from the same keys to expr
 *   transformMapEntry(k, v, [filter,] e)  -> map merged from the one-entry maps e returns
 *
 * As in CEL, `all` is false if any predicate is false and `exists` true if any is true, even
 * when another element's predicate fails with an error; otherwise the error is the result.
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { FunctionDoc } from "../doc.js";
import {
  boundName,
  type MacroArg,
  type MacroChecker,
  type MacroContext,
  type MacroEvaluator,
  type MacroType,
} from "../macro.js";
import { celEquals, celError, celTypeName, isCelMap, mapEntries } from "../shared.js";

export type Kind = "all" | "exists" | "existsOne" | "transformList" | "transformMap" | "transformMapEntry";

export interface TwoVarMacro {
  kind: Kind;
  receiver: unknown;
  first: string;
  second: string;
  filter?: unknown;
  body: unknown;
  firstCtx?: MacroContext;
  secondCtx?: MacroContext;
  typeCheck(checker: MacroChecker, macro: TwoVarMacro, ctx: MacroContext): MacroType;
  evaluate(ev: MacroEvaluator, macro: TwoVarMacro, ctx: unknown): unknown;
}

/** The (key, value) pairs of a list (index, element) or a map (key, value). */
function pairsOf(collection: unknown, kind: Kind): [unknown, unknown][] {
  if (Array.isArray(collection)) return collection.map((element, i) => [BigInt(i), element]);
  if (isCelMap(collection)) return mapEntries(collection);
  throw celError(`${kind}() needs a list or a map, got ${celTypeName(collection)}`);
}

function isBoolOrDyn(type: MacroType): boolean {
  return type.name === "bool" || type.hasDynType === true;
}

function typeCheck(checker: MacroChecker, macro: TwoVarMacro, ctx: MacroContext): MacroType {
  const collection = checker.check(macro.receiver, ctx);
  const dyn = checker.getType("dyn");
  let keyType: MacroType;
  let valueType: MacroType;
  if (collection.kind === "list") {
    keyType = checker.getType("int");
    valueType = collection.valueType ?? dyn;
  } else if (collection.kind === "map") {
    keyType = collection.keyType ?? dyn;
    valueType = collection.valueType ?? dyn;
  } else if (collection.hasDynType) {
    keyType = dyn;
    valueType = dyn;
  } else {
    throw checker.createError(
      "no_matching_overload",
      `${macro.kind}() needs a list or a map, got '${collection.name}'`,
      macro.receiver,
    );
  }
  macro.firstCtx = ctx.forkWithVariable(macro.first, keyType);
  macro.secondCtx = macro.firstCtx.forkWithVariable(macro.second, valueType);
  if (macro.filter !== undefined) {
    const filterType = checker.check(macro.filter, macro.secondCtx);
    if (!isBoolOrDyn(filterType)) {
      throw checker.createError(
        "invalid_macro_argument",
        `${macro.kind}() filter must return bool, got '${filterType.name}'`,
        macro.filter,
      );
    }
  }
  const bodyType = checker.check(macro.body, macro.secondCtx);
  switch (macro.kind) {
    case "all":
    case "exists":
    case "existsOne":
      if (!isBoolOrDyn(bodyType)) {
        throw checker.createError(
          "invalid_macro_argument",
          `${macro.kind}() predicate must return bool, got '${bodyType.name}'`,
          macro.body,
        );
      }
      return checker.getType("bool");
    case "transformList":
      return checker.registry.getListType(bodyType);
    case "transformMap":
      return checker.registry.getMapType(keyType, bodyType);
    case "transformMapEntry":
      if (bodyType.kind !== "map" && !bodyType.hasDynType) {
        throw checker.createError(
          "invalid_macro_argument",
          `transformMapEntry() must return a map, got '${bodyType.name}'`,
          macro.body,
        );
      }
      return bodyType.kind === "map" ? bodyType : checker.registry.getMapType(dyn, dyn);
  }
}

function expectBool(value: unknown, kind: Kind, what: string): boolean {
  if (typeof value !== "boolean")
    throw celError(`${kind}() ${what} must return bool, got ${celTypeName(value)}`);
  return value;
}

/** One evaluation of a comprehension's filter or body for a key (index) and a value. */
export type PairStep = (key: unknown, value: unknown) => unknown;

/**
 * Runs a two-variable comprehension of `kind` over `collection` (a list or a map), with its
 * filter (if any) and body as functions of the two variables: the interpreter's macro
 * (`evaluate` below) and compiled expressions (../../compile/) both run it. Throws a CEL error
 * as the comprehension fails.
 */
export function runTwoVariable(
  kind: Kind,
  collection: unknown,
  filter: PairStep | undefined,
  body: PairStep,
): unknown {
  const pairs = pairsOf(collection, kind);
  const passes = (key: unknown, value: unknown): boolean =>
    filter === undefined || expectBool(filter(key, value), kind, "filter");

  switch (kind) {
    case "all":
    case "exists": {
      // the deciding value wins over an error from another element, as CEL's && and || do
      const deciding = kind === "exists";
      let error: unknown;
      for (const [key, value] of pairs) {
        try {
          if (expectBool(body(key, value), kind, "predicate") === deciding) {
            return deciding;
          }
        } catch (e) {
          error ??= e;
        }
      }
      if (error !== undefined) throw error;
      return !deciding;
    }
    case "existsOne": {
      let count = 0;
      for (const [key, value] of pairs) {
        if (expectBool(body(key, value), kind, "predicate")) count++;
      }
      return count === 1;
    }
    case "transformList": {
      const out: unknown[] = [];
      for (const [key, value] of pairs) {
        if (passes(key, value)) out.push(body(key, value));
      }
      return out;
    }
    case "transformMap": {
      const out = new Map<unknown, unknown>();
      for (const [key, value] of pairs) {
        if (passes(key, value)) out.set(key, body(key, value));
      }
      return out;
    }
    case "transformMapEntry": {
      const out = new Map<unknown, unknown>();
      for (const [key, value] of pairs) {
        if (!passes(key, value)) continue;
        const entry = body(key, value);
        if (!isCelMap(entry)) {
          throw celError(`transformMapEntry() must return a map, got ${celTypeName(entry)}`);
        }
        for (const [k, v] of mapEntries(entry)) {
          if ([...out.keys()].some((existing) => celEquals(existing, k))) {
            throw celError(`insert failed: key ${String(k)} already exists`);
          }
          out.set(k, v);
        }
      }
      return out;
    }
  }
}

function evaluate(ev: MacroEvaluator, macro: TwoVarMacro, ctx: unknown): unknown {
  const firstCtx = macro.firstCtx;
  const secondCtx = macro.secondCtx;
  if (!firstCtx || !secondCtx) throw celError(`${macro.kind}() was not type-checked`);
  const collection = ev.run(macro.receiver, ctx);
  const scope = (key: unknown, value: unknown): MacroContext =>
    secondCtx.reuse(firstCtx.reuse(ctx).setIterValue(key, ev)).setIterValue(value, ev);
  const filter = macro.filter;
  return runTwoVariable(
    macro.kind,
    collection,
    filter === undefined ? undefined : (key, value) => ev.run(filter, scope(key, value)),
    (key, value) => ev.run(macro.body, scope(key, value)),
  );
}

/** True for the macro object of a two-variable comprehension (what compiled expressions compile). */
export function isTwoVariableMacro(macro: unknown): macro is TwoVarMacro {
  return (macro as TwoVarMacro | null)?.evaluate === evaluate;
}

function expander(kind: Kind, withFilter: boolean) {
  return ({ args, receiver }: { args: MacroArg[]; receiver: unknown }): TwoVarMacro => {
    const first = boundName(args[0]);
    const second = boundName(args[1]);
    if (first === undefined || second === undefined) {
      throw celError(`${kind}(first, second, ...) requires simple names as its first two arguments`);
    }
    if (first === second) throw celError(`${kind}(): the two variables must have different names`);
    return {
      kind,
      receiver,
      first,
      second,
      filter: withFilter ? args[2] : undefined,
      body: withFilter ? args[3] : args[2],
      typeCheck,
      evaluate,
    };
  };
}

/** Registers the two-variable forms of all, exists, existsOne and the transform macros. */
export function registerComprehensionsLibrary(env: Environment): void {
  // the receiver is dyn: one macro serves lists and maps (a macro is chosen by name and arity)
  const register = (kind: Kind, returns: string, arity: 3 | 4) =>
    env.registerFunction(
      `dyn.${kind}(${Array(arity).fill("ast").join(", ")}): ${returns}`,
      expander(kind, arity === 4) as never,
    );
  register("all", "bool", 3);
  register("exists", "bool", 3);
  register("existsOne", "bool", 3);
  register("transformList", "list", 3);
  register("transformList", "list", 4);
  register("transformMap", "map", 3);
  register("transformMap", "map", 4);
  register("transformMapEntry", "map", 3);
  register("transformMapEntry", "map", 4);
}

export const comprehensionsFunctions: FunctionDoc[] = [
  {
    signature: "<list|map>.all(<i|k>, <v>, <predicate>) -> <bool>",
    description:
      "True if the predicate holds for every index and element of a list (key and value of a map).",
    example: "{'a': 1, 'b': 2}.all(k, v, k != 'c' && v > 0)",
    result: "true",
  },
  {
    signature: "<list|map>.exists(<i|k>, <v>, <predicate>) -> <bool>",
    description: "True if the predicate holds for at least one index and element (key and value).",
    example: "['a', 'b'].exists(i, v, i == 1 && v == 'b')",
    result: "true",
  },
  {
    signature: "<list|map>.existsOne(<i|k>, <v>, <predicate>) -> <bool>",
    description: "True if the predicate holds for exactly one index and element (key and value).",
    example: "[1, 2, 3].existsOne(i, v, i == v)",
    result: "false",
  },
  {
    signature: "<list|map>.transformList(<i|k>, <v>, [<filter>,] <expr>) -> <list>",
    description:
      "A list of the expression for every index and element (key and value), optionally only those passing the filter.",
    example: "['a', 'b', 'c'].transformList(i, v, i % 2 == 0, v + string(i))",
    result: "['a0', 'c2']",
  },
  {
    signature: "<list|map>.transformMap(<i|k>, <v>, [<filter>,] <expr>) -> <map>",
    description:
      "A map from each index (key) to the expression, optionally only for those passing the filter.",
    example: "{'a': 1, 'b': 2}.transformMap(k, v, v > 1, v * 10)",
    result: "{'b': 20}",
  },
  {
    signature: "<list|map>.transformMapEntry(<i|k>, <v>, [<filter>,] <map expr>) -> <map>",
    description:
      "A map merged from the one-entry maps the expression returns; a key produced twice is an error.",
    example: "{'a': 'x', 'b': 'y'}.transformMapEntry(k, v, {v: k})",
    result: "{'x': 'a', 'y': 'b'}",
  },
];
