/**
 * When a comprehension may visit only some elements of its list (list-index.ts keeps the
 * indexes; codegen.ts emits the loop). The plan is made from the checked tree alone.
 *
 * The pattern: `filter`, `map` with a filter, `exists_one` or `exists`, whose predicate is a
 * chain of `&&` starting with one or more key equalities `key(x) == value` (either side), where
 * `key(x)` reads the iteration variable and root variables other than `variables`, and
 * `value` does not read the iteration variable; both only through field reads (`.`, `.?`),
 * literals, variables and `orValue()`. An element is left out only when, for one of those
 * equalities, both `key(x)` and `value` are strings and differ.
 *
 * Why leaving such an element out changes nothing, step by step as compiled code runs it:
 *
 * - Its iteration: binding `x` (the element passed the same type check when it was indexed,
 *   so binding neither throws nor converts), `R.charge(weight)` (charged anyway: the skipped
 *   iterations are charged at once by `Budget.chargeTimes`, which counts the same steps and
 *   trips the same limit), then the step.
 * - The predicate is false: the key equalities before the one that rules the element out
 *   read fields only, so they count no steps and throw nothing that escapes (the left operand
 *   of `&&` is caught; the `value` sides that read `variables` were computed before the index
 *   was used, see below). The ruling-out equality is false (two different strings). By CEL's
 *   `&&`, false with any other operand (a value, an error, a non-bool) is false, and every
 *   operand to its right is either not evaluated (false on the left) or absorbed. So the
 *   predicate is `false` and nothing else happens.
 * - The step with a false predicate leaves the result as it was: `filter`, `map(x, p, t)` and
 *   `exists_one` keep the accumulator (`p ? push/inc : accu`); `exists` sets it to false, which
 *   it is whenever the loop goes on (it stops once the accumulator is true), and codegen sets
 *   it so explicitly after a skip anyway.
 *
 * Where it does not hold, nothing is planned: `all` (a false predicate decides `all`, it is not
 * neutral), `map` without a filter, two-variable comprehensions, predicates whose first
 * conjunct is anything else (its evaluation could count steps or compute a lazy variable), keys
 * that read `variables` (its value changes from resource to resource while the object stays
 * the same) or an enclosing comprehension's variable (the index would change with it). An
 * element whose key is not a string or cannot be read (missing field, wrong type) is never
 * left out. The `value` sides are computed before the loop when they read no `variables`
 * (field reads have no effect and count no steps, so when they are computed does not matter;
 * one that throws means no index); a `value` reading `variables` (a lazy variable, which counts
 * steps the first time) is taken from the loop's own evaluation of the equality, and the index
 * is used only from the next element on.
 */

/** A checked cel-js node, as far as the plan reads it. */
export interface PlanNode {
  op: string;
  args: unknown;
  meta: { alternate?: PlanNode; macro?: { functionDesc?: unknown; receiver?: unknown; arg?: unknown } };
}

/** The parts of a cel-js comprehension the plan reads. */
export interface PlanComprehension {
  kind?: string;
  errorsAreFatal: boolean;
  iterVarName: string;
  init: PlanNode;
  step: PlanNode;
  condition?: (accu: unknown) => boolean;
}

/** One `key(x) == value` conjunct. */
export interface KeyConjunct {
  /** The `==` node. */
  equality: PlanNode;
  /** The side that reads the iteration variable. */
  key: PlanNode;
  /** The other side, and where it is: left or right of `==`. */
  value: PlanNode;
  valueIsLeft: boolean;
  /** The value as a literal string, when it is one. */
  literal?: string;
  /** The value reads `variables`: taken from the loop's own evaluation, never computed ahead. */
  lazy: boolean;
}

export interface IndexPlan {
  conjuncts: KeyConjunct[];
  /** Root variables the keys read, in a fixed order. */
  keyRoots: string[];
  /** What the step leaves in the accumulator for a false predicate: itself, or `false` (exists). */
  neutral: "accumulator" | "false";
}

/** Root variables that are lazy: reading one may compute it and count steps. */
const LAZY_ROOT = "variables";

function resolve(node: PlanNode): PlanNode {
  let n = node;
  while (n.meta.alternate) n = n.meta.alternate;
  return n;
}

interface Reads {
  iteration: boolean;
  bound: boolean;
  roots: Set<string>;
}

/**
 * What `node` reads, or undefined when it is not made of field reads, literals, variables and
 * `orValue()` only. `bound(name)` says whether a name is an enclosing comprehension's or
 * bind's variable.
 */
function reads(node: PlanNode, iterVar: string, bound: (name: string) => boolean, out: Reads): boolean {
  const n = resolve(node);
  const macro = n.meta.macro;
  if (macro) {
    if (macro.functionDesc !== "optional.orValue(value)" || !macro.receiver || !macro.arg) return false;
    return (
      reads(macro.receiver as PlanNode, iterVar, bound, out) &&
      reads(macro.arg as PlanNode, iterVar, bound, out)
    );
  }
  switch (n.op) {
    case "value":
      return true;
    case "id": {
      const name = n.args as string;
      if (name === iterVar) out.iteration = true;
      else if (bound(name)) out.bound = true;
      else out.roots.add(name);
      return true;
    }
    case ".":
    case ".?": {
      const [left] = n.args as [PlanNode, string];
      return reads(left, iterVar, bound, out);
    }
    default:
      return false;
  }
}

function conjuncts(node: PlanNode, out: PlanNode[]): void {
  const n = resolve(node);
  if (n.op === "&&" && !n.meta.macro) {
    const [left, right] = n.args as [PlanNode, PlanNode];
    conjuncts(left, out);
    conjuncts(right, out);
  } else out.push(n);
}

function keyConjunct(
  node: PlanNode,
  iterVar: string,
  bound: (name: string) => boolean,
  keyRoots: Set<string>,
): KeyConjunct | undefined {
  if (node.op !== "==" || node.meta.macro) return undefined;
  const [left, right] = node.args as [PlanNode, PlanNode];
  const sides = [left, right].map((side) => {
    const r: Reads = { iteration: false, bound: false, roots: new Set() };
    return reads(side, iterVar, bound, r) ? r : undefined;
  });
  const [l, r] = sides;
  if (!l || !r) return undefined;
  const keyIsLeft = l.iteration && !r.iteration;
  if (!keyIsLeft && !(r.iteration && !l.iteration)) return undefined;
  const key = keyIsLeft ? l : r;
  const value = keyIsLeft ? r : l;
  if (key.bound || key.roots.has(LAZY_ROOT)) return undefined;
  const valueNode = resolve(keyIsLeft ? right : left);
  if (valueNode.op === "value" && !valueNode.meta.macro && typeof valueNode.args !== "string")
    return undefined;
  for (const root of key.roots) keyRoots.add(root);
  const conjunct: KeyConjunct = {
    equality: node,
    key: keyIsLeft ? left : right,
    value: keyIsLeft ? right : left,
    valueIsLeft: !keyIsLeft,
    lazy: value.roots.has(LAZY_ROOT),
  };
  if (valueNode.op === "value" && !valueNode.meta.macro) conjunct.literal = valueNode.args as string;
  return conjunct;
}

/**
 * The index plan of comprehension `c`, or undefined when its elements must all be visited.
 * `bound(name)` says whether a name refers to an enclosing comprehension's or bind's variable.
 */
export function indexPlan(c: PlanComprehension, bound: (name: string) => boolean): IndexPlan | undefined {
  const step = resolve(c.step);
  if (step.op !== "?:" || step.meta.macro) return undefined;
  const [predicate, onTrue, onFalse] = (step.args as PlanNode[]).map(resolve) as [
    PlanNode,
    PlanNode,
    PlanNode,
  ];
  let neutral: IndexPlan["neutral"];
  if (c.errorsAreFatal && !c.condition && onFalse.op === "accuValue") neutral = "accumulator";
  else if (
    !c.errorsAreFatal &&
    c.kind === "quantifier" &&
    typeof c.condition === "function" &&
    c.condition(false) === true &&
    c.condition(true) === false &&
    resolve(c.init).op === "value" &&
    resolve(c.init).args === false &&
    onTrue.op === "value" &&
    onTrue.args === true &&
    onFalse.op === "value" &&
    onFalse.args === false
  )
    neutral = "false";
  else return undefined;
  const parts: PlanNode[] = [];
  conjuncts(predicate, parts);
  const keyRoots = new Set<string>();
  const keys: KeyConjunct[] = [];
  for (const part of parts) {
    const conjunct = keyConjunct(part, c.iterVarName, bound, keyRoots);
    if (!conjunct) break;
    keys.push(conjunct);
  }
  if (keys.length === 0) return undefined;
  return { conjuncts: keys, keyRoots: [...keyRoots].sort(), neutral };
}
