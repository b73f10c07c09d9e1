/**
 * Equality between numbers of different types (`1 == 1.0`, `2u != 2`), which the CEL
 * specification defines (heterogeneous equality, cel-go 0.10+ as Kubernetes runs it) and
 * cel-js lacks between static types. Values compare exactly: 2^53 + 1 is not equal to its
 * nearest double. One registration serves both operand orders and `!=`. (Int negation and
 * division, which cel-js lets overflow int64, are checked in ../hooks.ts.)
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { FunctionDoc } from "../doc.js";
import { celEquals } from "../shared.js";

export function registerNumbersLibrary(env: Environment): void {
  const equal = (a: unknown, b: unknown) => celEquals(a, b);
  env.registerOperator("int == double", equal);
  env.registerOperator("int == uint", equal);
  env.registerOperator("uint == double", equal);
}

export const numbersFunctions: FunctionDoc[] = [
  {
    signature: "<int|uint|double> == <int|uint|double> -> <bool>",
    description:
      "Numbers of different types are equal when their values are, exactly (CEL's heterogeneous equality). Lists and maps of mixed numeric types are not compared this way.",
    example: "1 == 1.0 && 2u == 2 && 9007199254740993 != 9007199254740992.0",
    result: "true",
  },
];
