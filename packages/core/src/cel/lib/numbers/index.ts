/**
 * Equality between numbers of different types (`1 == 1.0`, `2u != 2`), which the CEL
 * specification defines (heterogeneous equality, cel-go 0.10+ as Kubernetes runs it) and
 * cel-js lacks between static types. Values compare exactly: 2^53 + 1 is not equal to its
 * nearest double. One registration serves both operand orders and `!=`. Also the checked
 * conversions of doubles to int and uint (`numbersOverrides`); int negation and division,
 * which cel-js lets overflow int64, are checked in ../hooks.ts.
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import type { FunctionDoc } from "../doc.js";
import { type BuiltinOverride, celCompare, celEquals, celError, FALLBACK, INT64_MAX } from "../shared.js";

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
      "Numbers of different types are equal when their values are, exactly (CEL's heterogeneous equality). Lists and maps of mixed numeric types are not compared this way.",
    example: "1 == 1.0 && 2u == 2 && 9007199254740993 != 9007199254740992.0",
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
