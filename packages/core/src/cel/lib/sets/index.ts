/**
 * cel-go's sets extension (ext/sets.go), which Kubernetes enables: list-as-set predicates
 * under the `sets` namespace. Membership uses CEL equality, so `1`, `1u` and `1.0` match.
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { FunctionDoc } from "../doc.js";
import { celEquals, registerNamespace } from "../shared.js";

function includes(list: readonly unknown[], value: unknown): boolean {
  return list.some((item) => celEquals(item, value));
}

/** True if every element of `subset` is in `list`. */
export function setContains(list: readonly unknown[], subset: readonly unknown[]): boolean {
  return subset.every((value) => includes(list, value));
}

/** Registers sets.contains, sets.equivalent and sets.intersects. */
export function registerSetsLibrary(env: Environment): void {
  const sets = registerNamespace(env, "sets");
  env.registerFunction(`${sets}.contains(list, list): bool`, (_: unknown, a: unknown[], b: unknown[]) =>
    setContains(a, b),
  );
  env.registerFunction(
    `${sets}.equivalent(list, list): bool`,
    (_: unknown, a: unknown[], b: unknown[]) => setContains(a, b) && setContains(b, a),
  );
  env.registerFunction(`${sets}.intersects(list, list): bool`, (_: unknown, a: unknown[], b: unknown[]) =>
    b.some((value) => includes(a, value)),
  );
}

export const setsFunctions: FunctionDoc[] = [
  {
    signature: "sets.contains(<list>, <list>) -> <bool>",
    description:
      "True if the first list contains every element of the second (as sets: order and duplicates do not matter).",
    example: "sets.contains([1, 2, 3, 4], [2, 3])",
    result: "true",
  },
  {
    signature: "sets.equivalent(<list>, <list>) -> <bool>",
    description: "True if both lists contain the same elements, ignoring order and duplicates.",
    example: "sets.equivalent([1, 2, 3], [3u, dyn(2.0), dyn(1)])",
    result: "true",
  },
  {
    signature: "sets.intersects(<list>, <list>) -> <bool>",
    description: "True if the lists have at least one element in common.",
    example: "sets.intersects([1], [1, 2])",
    result: "true",
  },
];
