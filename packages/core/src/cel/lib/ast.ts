/**
 * Walking cel-js's syntax trees: the one definition of what a node is and of the order nodes
 * are visited in, shared by the passes that read or wrap them (static checks, overrides, type
 * parameters, has() chains).
 */

/** A cel-js syntax node, as far as a walk needs to know it. */
export interface AstNode {
  op: string;
  args: unknown;
}

/** Whether `value` is a cel-js syntax node. */
export function isAstNode(value: unknown): value is AstNode {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AstNode).op === "string" &&
    "args" in value
  );
}

/**
 * Every node of the tree under `root`, parents before children, left to right, collected before
 * the caller changes anything. Never throws. `T` is the caller's view of a node.
 */
export function astNodes<T extends AstNode>(root: unknown): T[] {
  const out: T[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const item = stack.pop();
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push(item[i]);
    } else if (isAstNode(item)) {
      out.push(item as T);
      stack.push(item.args);
    } else if (item && typeof item === "object" && !(item instanceof Date)) {
      // comprehensions keep their parts in a plain record
      for (const value of Object.values(item))
        if (isAstNode(value) || Array.isArray(value)) stack.push(value);
    }
  }
  return out;
}
