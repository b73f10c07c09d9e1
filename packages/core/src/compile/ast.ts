import type { CelAst } from "../cel/environment.js";

/** Visits every node of a cel-js AST (args hold nodes, arrays of nodes, or plain values). */
export function walkAst(root: CelAst, visit: (node: CelAst) => void): void {
  const stack: unknown[] = [root];
  let guard = 0;
  while (stack.length > 0 && guard++ < 100_000) {
    const item = stack.pop();
    if (Array.isArray(item)) {
      for (const child of item) stack.push(child);
    } else if (isAst(item)) {
      visit(item);
      stack.push(item.args);
    } else if (item && typeof item === "object" && !(item instanceof Date)) {
      // comprehension arguments are a plain record of nodes
      for (const value of Object.values(item)) if (isAst(value) || Array.isArray(value)) stack.push(value);
    }
  }
}

function isAst(value: unknown): value is CelAst {
  return (
    typeof value === "object" && value !== null && typeof (value as CelAst).op === "string" && "args" in value
  );
}

/** Names of the top-level identifiers an expression reads (`object`, `images`, ...). */
export function identifiersOf(root: CelAst): Set<string> {
  const names = new Set<string>();
  walkAst(root, (node) => {
    if (node.op === "id" && typeof node.args === "string") names.add(node.args);
  });
  return names;
}

/** `variables.x` and `variables["x"]` references: name and the node's source offset. */
export function variableReferences(root: CelAst): { name: string; offset: number }[] {
  const refs: { name: string; offset: number }[] = [];
  walkAst(root, (node) => {
    if (node.op !== "." && node.op !== ".?" && node.op !== "[]" && node.op !== "[?]") return;
    const [receiver, field] = node.args as [CelAst, unknown];
    if (receiver?.op !== "id" || receiver.args !== "variables") return;
    const name =
      typeof field === "string" ? field : isAst(field) && field.op === "value" ? field.args : undefined;
    if (typeof name === "string") refs.push({ name, offset: (node as unknown as { pos?: number }).pos ?? 0 });
  });
  return refs;
}

/** Names of functions and methods called. */
export function functionsCalled(root: CelAst): Set<string> {
  const names = new Set<string>();
  walkAst(root, (node) => {
    if (
      (node.op === "call" || node.op === "rcall") &&
      Array.isArray(node.args) &&
      typeof node.args[0] === "string"
    ) {
      names.add(node.args[0]);
    }
  });
  return names;
}

/**
 * The keys of `params` an expression reads by name: `params.x`, `params.?x`, `has(params.x)`,
 * `params["x"]`, `params[?"x"]`. `dynamic` when it uses `params` any other way (an index that
 * is not a string literal, `params` handed to a function or bound to a name, iterated): it may
 * then read any key.
 */
export function paramReferences(root: CelAst): { keys: Set<string>; dynamic: boolean } {
  const keys = new Set<string>();
  let uses = 0;
  let named = 0;
  const isParams = (node: unknown) => isAst(node) && node.op === "id" && node.args === "params";
  walkAst(root, (node) => {
    if (isParams(node)) uses++;
    if (node.op !== "." && node.op !== ".?" && node.op !== "[]" && node.op !== "[?]") return;
    const [receiver, field] = node.args as [unknown, unknown];
    if (!isParams(receiver)) return;
    const key =
      node.op === "." || node.op === ".?"
        ? field
        : isAst(field) && field.op === "value"
          ? field.args
          : undefined;
    if (typeof key !== "string") return;
    keys.add(key);
    named++;
  });
  return { keys, dynamic: uses > named };
}
