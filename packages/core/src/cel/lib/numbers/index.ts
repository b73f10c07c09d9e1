/**
 * Equality between numbers of different types (`1 == 1.0`, `2u != 2`), which the CEL
 * specification defines (heterogeneous equality, cel-go 0.10+ as Kubernetes runs it) and
 * cel-js lacks between static types. An int or uint meets a double as cel-go compares them
 * (../shared.ts compareNumbers): converted to a double, so 2^53 + 1 equals 2^53.0, as it
 * does in Kubernetes. One registration serves both operand orders and `!=`.
 *
 * The same meaning at run time, where cel-js's own handlers differ (`numbersOperatorOverrides`):
 * `==`, `!=` and `in` between lists and maps whose numbers differ in type (`dyn([1, 2]) ==
 * [1u, 2u]`, `dyn(3u) in [1, 2, 3]`), ordering of an int or uint against a double, and a
 * list index given as a uint or an integral double. Also the checked conversions of doubles
 * to int and uint (`numbersOverrides`); int negation and division, which cel-js lets overflow
 * int64, are checked in ../hooks.ts.
 */
import type { Environment } from "@marcbachmann/cel-js";
import { UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import type { FunctionDoc } from "../doc.js";
import {
  type BuiltinOverride,
  celCompare,
  celEquals,
  celError,
  FALLBACK,
  INT64_MAX,
  isCelMap,
  type OperatorOverride,
} from "../shared.js";

const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/**
 * int(double) and uint(double) fail outside the target range, as cel-go's checked conversions
 * do (cel-js converts 1e19 to an int beyond int64); otherwise cel-js converts.
 */
export const numbersOverrides: readonly BuiltinOverride[] = [
  {
    method: false,
    name: "int",
    apply: ([x]) => {
      if (typeof x !== "number") return FALLBACK;
      if (!Number.isFinite(x) || x <= -TWO_63 || x >= TWO_63)
        throw celError(`range error converting ${x} to int`);
      return FALLBACK;
    },
  },
  {
    method: false,
    name: "uint",
    apply: ([x]) => {
      if (typeof x !== "number") return FALLBACK;
      if (!Number.isFinite(x) || x <= -1 || x >= TWO_64)
        throw celError(`range error converting ${x} to uint`);
      return FALLBACK;
    },
  },
];

function isNumber(value: unknown): value is bigint | number | UnsignedInt {
  return typeof value === "bigint" || typeof value === "number" || value instanceof UnsignedInt;
}

/** Operands cel-js's own `==` gets wrong: numbers of two types, and lists or maps (which may hold them). */
function needsCelEquality(a: unknown, b: unknown): boolean {
  if (isNumber(a)) return isNumber(b) && (typeof a !== typeof b || a instanceof UnsignedInt);
  if (Array.isArray(a)) return Array.isArray(b);
  return typeof a === "object" && a !== null && isCelMap(a) && isCelMap(b);
}

/** An int or uint against a double: cel-go's order (../shared.ts), which cel-js's JavaScript `<` is not. */
function mixedOrder(a: unknown, b: unknown): boolean {
  return (
    (typeof a === "number" && (typeof b === "bigint" || b instanceof UnsignedInt) && !Number.isNaN(a)) ||
    (typeof b === "number" && (typeof a === "bigint" || a instanceof UnsignedInt) && !Number.isNaN(b))
  );
}

function ordering(op: string, test: (order: number) => boolean): OperatorOverride {
  return {
    op,
    apply: (a, b, next) => (mixedOrder(a, b) ? test(celCompare(a, b)) : next(a, b)),
  };
}

/**
 * cel-go's list index (IndexOrError): an int, a uint, or a double without a fraction; any
 * other double is an error. cel-js takes ints only.
 */
function listIndex(index: unknown): unknown {
  if (index instanceof UnsignedInt) return index.value;
  if (typeof index === "number") {
    if (!Number.isInteger(index)) throw celError(`unsupported index value ${index} in list`);
    return BigInt(index);
  }
  return index;
}

/** The run-time half of heterogeneous equality and numeric ordering (see the file comment). */
export const numbersOperatorOverrides: readonly OperatorOverride[] = [
  { op: "==", apply: (a, b, next) => (needsCelEquality(a, b) ? celEquals(a, b) : next(a, b)) },
  { op: "!=", apply: (a, b, next) => (needsCelEquality(a, b) ? !celEquals(a, b) : next(a, b)) },
  {
    op: "in",
    apply: (value, container, next) =>
      Array.isArray(container) && typeof value !== "string" && typeof value !== "boolean" && value !== null
        ? container.some((item) => celEquals(value, item))
        : next(value, container),
  },
  { op: "[]", apply: (list, index, next) => next(list, Array.isArray(list) ? listIndex(index) : index) },
  ordering("<", (order) => order < 0),
  ordering("<=", (order) => order <= 0),
  ordering(">", (order) => order > 0),
  ordering(">=", (order) => order >= 0),
];

export function registerNumbersLibrary(env: Environment): void {
  const equal = (a: unknown, b: unknown) => celEquals(a, b);
  env.registerOperator("int == double", equal);
  env.registerOperator("int == uint", equal);
  env.registerOperator("uint == double", equal);
  env.registerFunction("int(uint): int", (u: UnsignedInt) => {
    if (u.value > INT64_MAX) throw celError(`range error converting ${u.value} to int`);
    return u.value;
  });
  // the standard library orders bytes lexicographically
  env.registerOperator("bytes < bytes", (a: Uint8Array, b: Uint8Array) => celCompare(a, b) < 0);
  env.registerOperator("bytes <= bytes", (a: Uint8Array, b: Uint8Array) => celCompare(a, b) <= 0);
  env.registerOperator("bytes > bytes", (a: Uint8Array, b: Uint8Array) => celCompare(a, b) > 0);
  env.registerOperator("bytes >= bytes", (a: Uint8Array, b: Uint8Array) => celCompare(a, b) >= 0);
}

export const numbersFunctions: FunctionDoc[] = [
  {
    signature: "<int|uint|double> == <int|uint|double> -> <bool>",
    description:
      "Numbers of different types are equal when their values are (CEL's heterogeneous equality), also inside lists and maps; an int or uint meets a double converted to a double, as in cel-go (so 2^53 + 1 equals 2^53.0). Lists or maps whose declared element types differ (`[1] == [1.0]`) are a type error, as in Kubernetes.",
    example: "1 == 1.0 && 2u == 2 && dyn([1, 2]) == [1.0, 2.0]",
    result: "true",
  },
  {
    signature: "int(<uint>) -> <int>",
    description: "The uint as an int; an error above the int range.",
    example: "int(42u)",
    result: "42",
  },
  {
    signature: "<bytes> < <bytes> -> <bool>",
    description: "Bytes compare lexicographically (also <=, >, >=).",
    example: "b'abc' < b'abd'",
    result: "true",
  },
];
