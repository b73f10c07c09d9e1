/**
 * The parts of cel-go's optional types library (cel.OptionalTypes, which Kubernetes enables
 * from 1.28) that cel-js lacks: equality between optionals (`format.named(n) ==
 * optional.none()`, Kubernetes' own idiom), `optional.ofNonZeroValue`, and the `optMap` and
 * `optFlatMap` macros; and cel-go's error for a field selected from an optional's value that
 * has no fields (`optionalsOperatorOverrides`).
 */
import type { Environment } from "@marcbachmann/cel-js";
import { Optional } from "@marcbachmann/cel-js";
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import type { FunctionDoc } from "../doc.js";
import {
  boundName,
  type MacroArg,
  type MacroChecker,
  type MacroContext,
  type MacroEvaluator,
  type MacroType,
} from "../macro.js";
import { celEquals, celError, celTypeName, isCelMap, mapEntries, type OperatorOverride } from "../shared.js";

/** 0001-01-01T00:00:00Z, Go's zero time (Date.UTC maps years 0-99 to 1900-1999, so set it apart). */
const YEAR_ONE = new Date("0001-01-01T00:00:00Z").getTime();

/** cel-go's IsZeroValue: null, false, 0, '', empty bytes/list/map, a zero duration, year-1 timestamps. */
export function isZeroValue(value: unknown): boolean {
  if (
    value === null ||
    value === undefined ||
    value === false ||
    value === "" ||
    value === 0 ||
    value === 0n
  ) {
    return true;
  }
  if (value instanceof UnsignedInt) return value.value === 0n;
  if (value instanceof Uint8Array || Array.isArray(value)) return value.length === 0;
  if (value instanceof Duration) return value.seconds === 0n && value.nanos === 0;
  if (value instanceof Date) return value.getTime() === YEAR_ONE;
  if (isCelMap(value)) return mapEntries(value).length === 0;
  return false;
}

interface OptMacro {
  flat: boolean;
  receiver: unknown;
  variable: string;
  body: unknown;
  bodyCtx?: MacroContext;
  typeCheck(checker: MacroChecker, macro: OptMacro, ctx: MacroContext): MacroType;
  evaluate(ev: MacroEvaluator, macro: OptMacro, ctx: unknown): unknown;
}

function optMacro(flat: boolean) {
  const name = flat ? "optFlatMap" : "optMap";
  return ({ args, receiver }: { args: MacroArg[]; receiver: unknown }): OptMacro => {
    const variable = boundName(args[0]);
    if (variable === undefined)
      throw celError(`${name}(var, expr) requires a simple name as its first argument`);
    return {
      flat,
      receiver,
      variable,
      body: args[1],
      typeCheck(checker, macro, ctx) {
        const type = checker.check(macro.receiver, ctx);
        if (type.kind !== "optional" && !type.hasDynType) {
          throw checker.createError(
            "no_matching_overload",
            `${name}() needs an optional, got '${type.name}'`,
            macro.receiver,
          );
        }
        const inner = (type.kind === "optional" ? type.valueType : undefined) ?? checker.getType("dyn");
        macro.bodyCtx = ctx.forkWithVariable(macro.variable, inner);
        const bodyType = checker.check(macro.body, macro.bodyCtx);
        if (macro.flat) {
          if (bodyType.kind !== "optional" && !bodyType.hasDynType) {
            throw checker.createError(
              "no_matching_overload",
              `optFlatMap() must return an optional, got '${bodyType.name}'`,
              macro.body,
            );
          }
          return bodyType.kind === "optional" ? bodyType : checker.getType("optional<dyn>");
        }
        return bodyType.hasDynType
          ? checker.getType("optional<dyn>")
          : checker.getType(`optional<${bodyType.name}>`);
      },
      evaluate(ev, macro, ctx) {
        const optional = ev.run(macro.receiver, ctx);
        if (!(optional instanceof Optional))
          throw celError(`${name}() needs an optional, got ${celTypeName(optional)}`);
        if (!optional.hasValue()) return Optional.none();
        const bodyCtx = macro.bodyCtx;
        if (!bodyCtx) throw celError(`${name}() was not type-checked`);
        const result = ev.run(macro.body, bodyCtx.reuse(ctx).setIterValue(optional.value(), ev));
        if (!macro.flat) return Optional.of(result);
        if (!(result instanceof Optional))
          throw celError(`optFlatMap() must return an optional, got ${celTypeName(result)}`);
        return result;
      },
    };
  };
}

/**
 * A plain select on an optional (`m.?a.b`, `opt.b`): empty stays empty and a map without the
 * key gives an empty optional, as in cel-js; but a value that has no fields at all (null, a
 * number, a list) is an error, "no such key", as in cel-go, where cel-js gives an empty optional.
 */
export const optionalsOperatorOverrides: readonly OperatorOverride[] = [
  {
    op: ".",
    applies: (node) =>
      Array.isArray(node.args) &&
      (node.args[0] as { checkedType?: { kind?: string } } | undefined)?.checkedType?.kind === "optional",
    apply: (left, key, next) => {
      if (left instanceof Optional && left.hasValue() && !isCelMap(left.value())) {
        throw celError(`No such key: ${String(key)}`);
      }
      return next(left, key);
    },
  },
];

export function registerOptionalsLibrary(env: Environment): void {
  env.registerOperator("optional<A> == optional<A>", (a: Optional, b: Optional) => celEquals(a, b));
  env.registerFunction("OptionalNamespace.ofNonZeroValue(A): optional<A>", (_: unknown, value: unknown) =>
    isZeroValue(value) ? Optional.none() : Optional.of(value),
  );
  env.registerFunction("optional.optMap(ast, ast): optional<dyn>", optMacro(false) as never);
  env.registerFunction("optional.optFlatMap(ast, ast): optional<dyn>", optMacro(true) as never);
}

export const optionalsFunctions: FunctionDoc[] = [
  {
    signature: "<optional<T>> == <optional<T>> -> <bool>",
    description: "Optionals are equal when both are empty or both hold equal values.",
    example: "format.named('no-such-format') == optional.none()",
    result: "true",
  },
  {
    signature: "optional.ofNonZeroValue(<T>) -> <optional<T>>",
    description:
      "optional.none() for a zero value (null, false, 0, '', an empty list, map or bytes, a zero duration), else the value.",
    example: "optional.ofNonZeroValue('').hasValue()",
    result: "false",
  },
  {
    signature: "<optional<T>>.optMap(<name>, <expr>) -> <optional<U>>",
    description: "optional.none() if empty, else the expression of the value, as an optional.",
    example: "{'a': 2}.?a.optMap(v, v * 10).orValue(0)",
    result: "20",
  },
  {
    signature: "<optional<T>>.optFlatMap(<name>, <optional expr>) -> <optional<U>>",
    description: "optional.none() if empty, else the optional the expression returns.",
    example: "{'a': {'b': 1}}.?a.optFlatMap(m, m.?c).hasValue()",
    result: "false",
  },
];
