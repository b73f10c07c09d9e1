/**
 * `has()` on a field reached through an index or a call (`has(x.items[0].name)`), which CEL
 * and Kubernetes allow and cel-js's `has` macro refuses ("has() invalid argument"): such a
 * call is given, through cel-js's `alternate` hook on its node, the meaning CEL defines for it,
 * `x.items[0].?name.hasValue()`: the operand is evaluated as usual (its errors stay errors) and
 * only the last field is tested for presence. A `has()` on a plain field chain is left to cel-js.
 */

import { astNodes, isAstNode } from "./ast.js";
import type { CelAst } from "./hooks.js";

interface Node extends CelAst {
  clone(op: { name: string; check: unknown; evaluate: unknown }, args: unknown): Node;
  meta: { check: unknown; evaluate: unknown; macro?: unknown; alternate?: Node };
}

/** The parsed form of `x.?y.hasValue()` in the environment, whose node kinds the rewrite reuses. */
export type HasTemplate = CelAst;

function isNode(value: unknown): value is Node {
  return isAstNode(value);
}

/** Whether a `.` chain ends in an identifier (what cel-js's `has` accepts). */
function plainChain(node: Node): boolean {
  let current: Node = node;
  while (current.op === "." || current.op === ".?") {
    const receiver = (current.args as unknown[])[0];
    if (!isNode(receiver)) return false;
    current = receiver;
  }
  return current.op === "id";
}

/** Rewrites every `has()` of a field of an index or call result in `root`, in place. Never throws. */
export function rewriteHasChains(root: CelAst, template: HasTemplate): void {
  const call = template as Node;
  const select = (call.args as unknown[])[1] as Node;
  for (const item of astNodes<Node>(root)) {
    if (item.op !== "call" || !item.meta?.macro) continue;
    const [name, args] = item.args as [unknown, unknown[]];
    const field = args?.[0];
    if (name !== "has" || args.length !== 1 || !isNode(field) || field.op !== ".") continue;
    if (plainChain(field) || item.meta.alternate) continue;
    const [operand, key] = field.args as [Node, string];
    const optional = field.clone(
      { name: select.op, check: select.meta.check, evaluate: select.meta.evaluate },
      [operand, key],
    );
    item.meta.alternate = item.clone(
      { name: call.op, check: call.meta.check, evaluate: call.meta.evaluate },
      ["hasValue", optional, []],
    );
  }
}
