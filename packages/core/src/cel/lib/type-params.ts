/**
 * Type parameters left unbound by the checker are `dyn`, as cel-go makes them: the element of
 * an empty list or map literal (`[].all(e, e > 0)`, `{}.?key.optFlatMap(k, k.?sub)`,
 * `([].map(x, x))[0].foo`) and an empty optional (`optional.none().?f`). cel-js keeps the
 * parameter, then cannot choose an operator overload for it ("overlaps") or select from it
 * ("Cannot index type"), so these expressions fail to compile although Kubernetes accepts them.
 *
 * The fix is at the type check of the nodes that use an operand's type (operators, field and
 * index access): their operands are checked first and an unbound parameter (or an optional of
 * one) is recorded as `dyn` (or `optional<dyn>`) before cel-js's own check of the node runs.
 * cel-js's check of an operand is cached on the node, so it runs once either way.
 */

import { astNodes, isAstNode } from "./ast.js";
import type { CelAst } from "./hooks.js";

interface CheckedType {
  kind: string;
  name: string;
  valueType?: CheckedType;
}

interface Checker {
  check(node: unknown, ctx: unknown): CheckedType;
  getType(name: string): CheckedType;
}

type Check = (checker: Checker, ast: TypedNode, ctx: unknown) => CheckedType;

interface TypedNode extends CelAst {
  checkedType?: CheckedType;
  meta?: { check: Check; macro?: unknown; alternate?: unknown };
}

/** The operators and accesses whose operands' types choose an overload or a field. */
const USES_OPERAND_TYPES = new Set([
  "==",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "+",
  "-",
  "*",
  "/",
  "%",
  "in",
  "!_",
  "-_",
  ".",
  ".?",
  "[]",
  "[?]",
]);

function isNode(value: unknown): value is TypedNode {
  return isAstNode(value);
}

/** `dyn` for an unbound type parameter, `optional<dyn>` for an optional of one, else undefined. */
function bound(checker: Checker, type: CheckedType): CheckedType | undefined {
  if (type.kind === "param") return checker.getType("dyn");
  if (type.kind === "optional" && type.valueType?.kind === "param") return checker.getType("optional<dyn>");
  return undefined;
}

const wrapped = new WeakSet<object>();

/** Wraps the type check of every operator and access node of `root`; call before checking. Never throws. */
export function bindTypeParamsToDyn(root: CelAst): void {
  for (const item of astNodes<TypedNode>(root)) {
    const meta = item.meta;
    if (!meta || meta.macro || meta.alternate || !USES_OPERAND_TYPES.has(item.op) || wrapped.has(meta))
      continue;
    wrapped.add(meta);
    const check = meta.check;
    meta.check = (checker, ast, ctx) => {
      const operands = Array.isArray(ast.args) ? ast.args : [ast.args];
      for (const operand of operands) {
        if (!isNode(operand)) continue;
        const dyn = bound(checker, checker.check(operand, ctx));
        if (dyn) operand.checkedType = dyn;
      }
      return check(checker, ast, ctx);
    };
  }
}

/** A checked type's name with its unbound parameters (`list<T>`) named `dyn`, as cel-go reports them. */
export function typeNameWithoutParams(name: string): string {
  return name.replace(/(?<![\w.])[A-Z](?![\w.])/g, "dyn");
}
