/**
 * Turns a type-checked cel-js syntax tree into the source of one JavaScript function with the
 * same meaning. The source is built from the tree's shape only: every value that comes from
 * the expression (string and number literals, field and variable names, the nodes themselves,
 * which cel-js's handlers and error positions need) goes into a constant table and is referred
 * to by its index (`k12`), so no text of the expression ever appears in the source.
 *
 * What the function does, node by node, is what cel-js's evaluator does (operators.js,
 * macros.js), without its per-node dispatch: operators and functions call the handler cel-js
 * chose at type check (`node.handle`), so each has one implementation; `&&`, `||`, `?:` and the
 * quantifiers keep CEL's error absorption; comprehensions are loops. Steps are counted once
 * per expression for the nodes outside comprehensions and once per iteration for a
 * comprehension's body (the node count of the body), so a compiled expression never counts
 * fewer steps than the interpreter would.
 *
 * A construct this file does not know throws `Unsupported` with a reason; the caller then
 * interprets that expression.
 */
import { chargeStepsTimes } from "../environment.js";
import { isTwoVariableMacro } from "../lib/comprehensions/index.js";
import { INT64_MAX } from "../lib/shared.js";
import { listOf, mapOf, optionalElement, optionalPositions } from "../lib/syntax/index.js";
import { type IndexPlan, indexPlan } from "./index-plan.js";
import { listCandidates, MIN_INDEXED_LENGTH } from "./list-index.js";
import type { CelTypeDecl } from "./runtime.js";

/** Why an expression cannot be compiled. */
export class Unsupported extends Error {}

/** A cel-js syntax node, as far as the compiler reads it. */
interface Node {
  op: string;
  args: unknown;
  meta: { alternate?: Node; macro?: Macro; evaluate?: unknown };
  checkedType?: CelTypeDecl;
  handle?: unknown;
  candidates?: { declarations?: { handler?: unknown; signature?: string }[] };
}

/** A cel-js macro object (has, cel.bind, or one of celgate's libraries). */
interface Macro {
  macroHasProps?: Node[];
  bindCtx?: { iterType: CelTypeDecl };
  var?: string;
  val?: Node;
  exp?: Node;
  [key: string]: unknown;
}

/** The arguments of cel-js's comprehension node (macros.js). */
interface Comprehension {
  kind?: string;
  errorsAreFatal: boolean;
  iterable: Node;
  iterVarName: string;
  iterCtx: { iterType: CelTypeDecl };
  init: Node;
  step: Node;
  condition?: (accu: unknown) => boolean;
  result: (accu: unknown) => unknown;
}

/** The macro object of a two-variable comprehension (../lib/comprehensions). */
interface TwoVariable {
  kind: string;
  receiver: Node;
  first: string;
  second: string;
  filter?: Node;
  body: Node;
  firstCtx?: { iterType: CelTypeDecl };
  secondCtx?: { iterType: CelTypeDecl };
}

/**
 * Which variables hold Kubernetes objects as they are (not converted to CEL values): the code
 * reads them through the runtime's raw helpers (runtime.ts), and converts what escapes.
 */
export interface GenerateOptions {
  manifests?: ReadonlySet<string>;
  /**
   * The policy variables (`variables.<name>`) whose values may be read as they are: the code
   * reads them through `R.rawVariable`, which answers the value the variable's own compiled
   * function returned (see `returnRaw`), and converts what escapes, as for `manifests`.
   */
  rawVariables?: ReadonlySet<string>;
  /**
   * Return the result as it is when it is read as it is (a map or list of a manifest not
   * converted yet) instead of its CEL value: for a policy variable, whose readers convert it
   * where it escapes (`rawVariables`). The caller must know from `rawResult` that it may be.
   */
  returnRaw?: boolean;
}

export interface GeneratedSource {
  /** The body of `new Function("K", "R", body)`, which returns the expression's function. */
  body: string;
  /** The constant table `K`. */
  constants: unknown[];
  /** With `returnRaw`: whether the function may return a value read as it is (not its CEL value). */
  rawResult: boolean;
}

const BINARY = new Set(["==", "!=", "in", "+", "-", "*", "/", "%", "<", "<=", ">", ">="]);
/** Types whose `==` handler is `===`. */
const IDENTITY_EQUALITY = new Set(["string", "bool", "int", "null"]);
/** Types whose `<`, `<=`, `>`, `>=` handlers are JavaScript's operators. */
const NATIVE_ORDER = new Set(["int", "double", "string"]);

/** Whether a value of static type `type` (unknown: anything) may be a string at run time. */
function mayBeString(type: CelTypeDecl | undefined): boolean {
  return type === undefined || type.hasDynType || type.name === "string";
}

/** Whether a value of static type `type` (unknown: anything) may be a list at run time. */
function mayBeList(type: CelTypeDecl | undefined): boolean {
  return type === undefined || type.hasDynType || type.kind === "list";
}

/** Types whose check of a value read as it is gives what it gives for the value's CEL value. */
function rawBindable(type: CelTypeDecl): boolean {
  // dyn, map and list look at the constructor only (registry.js valueTypeMatchers), the
  // primitives at typeof, and a value read as it is is a converted primitive, a map or a list
  return type.kind === "dyn" || type.kind === "map" || type.kind === "list" || PRIMITIVE_TYPES.has(type.name);
}

const PRIMITIVE_TYPES = new Set(["string", "int", "double", "bool", "null"]);

/** dyn, or a map or list of dyn: what the raw helpers read as cel-js reads its CEL value. */
function isDynamicContainer(type: CelTypeDecl | undefined): boolean {
  if (!type) return false;
  if (type.kind === "dyn") return true;
  return (type.kind === "map" || type.kind === "list") && type.valueType?.kind === "dyn";
}

/** A string literal that the map literal helper keeps as a key (not `__proto__`, `constructor`, `prototype`). */
function isPlainKeyLiteral(node: Node): boolean {
  let n = node;
  while (n.meta.alternate) n = n.meta.alternate;
  return (
    n.op === "value" &&
    !n.meta.macro &&
    typeof n.args === "string" &&
    n.args !== "__proto__" &&
    n.args !== "constructor" &&
    n.args !== "prototype"
  );
}

/** A call of the global `string()` with one argument, whose string and int overloads are cel-js's. */
function isStringConversion(n: Node, name: string, args: number): boolean {
  const signatures = new Set(n.candidates?.declarations?.map((d) => d.signature));
  return (
    name === "string" &&
    args === 1 &&
    typeof n.handle === "function" &&
    signatures.has("string(string): string") &&
    signatures.has("string(int): string")
  );
}

/** A call of cel-js's `dyn(dyn): dyn`, the only overload of `dyn`, with one argument. */
function isDynConversion(n: Node, name: string, args: number): boolean {
  const declarations = n.candidates?.declarations as { signature?: string }[] | undefined;
  return (
    name === "dyn" &&
    args === 1 &&
    typeof n.handle === "function" &&
    declarations?.length === 1 &&
    declarations[0]?.signature === "dyn(dyn): dyn"
  );
}

/** dyn, or a map of dyn: where `a.b` and `a[b]` read the property and check only that it is a CEL value. */
function isDynamicMap(type: CelTypeDecl | undefined): boolean {
  return type?.kind === "dyn" || (type?.kind === "map" && type.valueType?.kind === "dyn");
}

/**
 * `[]`: an empty list is the same read as it is and as a CEL value, so a branch that gives it
 * may join one read as it is (`podSpec.?volumes.orValue([])`) without converting the other.
 */
function isEmptyList(node: Node): boolean {
  let n = node;
  while (n.meta.alternate) n = n.meta.alternate;
  return n.op === "list" && !n.meta.macro && Array.isArray(n.args) && n.args.length === 0;
}

/**
 * `[]`, or `dyn([])`: a value that is the same read as it is as its CEL value (a fresh empty
 * list), so it may stand beside values read as they are (a ternary's branch, orValue's
 * default) without making them converted. Not `{}`: a map literal's CEL value is an ordinary
 * object, a manifest's map converted is one without a prototype, and a result must be the one
 * the interpreter gives.
 */
function isEmptyLiteral(node: Node): boolean {
  const n = resolved(node);
  if (n.meta.macro) return false;
  if (n.op === "list") return Array.isArray(n.args) && n.args.length === 0;
  if (n.op === "call") {
    const [name, args] = n.args as [string, Node[]];
    return Array.isArray(args) && isDynConversion(n, name, args.length) && isEmptyLiteral(args[0] as Node);
  }
  return false;
}

/** `node`, or what replaces it (its alternate). */
function resolved(node: Node): Node {
  let n = node;
  while (n.meta.alternate) n = n.meta.alternate;
  return n;
}

/**
 * Whether `c` is `l.filter(x, p)` as cel-js expands it (macros.js): starts from `[]`, each step
 * `p ? accuPush(x) : accu`, the result the accumulator itself. Its elements are then elements
 * of `l`, as they are.
 */
function isFilter(c: Comprehension): boolean {
  if (!c.errorsAreFatal || c.condition || c.kind !== undefined || !isEmptyList(c.init)) return false;
  const probe: unknown[] = [];
  try {
    if (c.result(probe) !== probe) return false;
  } catch {
    return false;
  }
  const step = resolved(c.step);
  if (step.op !== "?:" || step.meta.macro || !Array.isArray(step.args)) return false;
  const [, pushNode, keepNode] = step.args as Node[];
  if (!pushNode || !keepNode) return false;
  const push = resolved(pushNode);
  const keep = resolved(keepNode);
  if (push.op !== "accuPush" || keep.op !== "accuValue") return false;
  const pushed = resolved(push.args as Node);
  return pushed.op === "id" && pushed.args === c.iterVarName;
}

/**
 * An `a.?b` or `a[?k]` node, or a ternary whose branches both are (not a macro, not replaced by
 * an alternate): an optional that the code may read unwrapped (its value, or undefined for none).
 */
function isOptionalAccess(node: Node): boolean {
  let n = node;
  while (n.meta.alternate) n = n.meta.alternate;
  if (n.meta.macro) return false;
  if (n.op === ".?" || n.op === "[?]") return true;
  // a ternary whose branches are both optional accesses: an optional too, unwrapped branch by branch
  if (n.op !== "?:" || !Array.isArray(n.args)) return false;
  const [, left, right] = n.args as Node[];
  return left !== undefined && right !== undefined && isOptionalAccess(left) && isOptionalAccess(right);
}

function isAsyncFunction(fn: unknown): boolean {
  return (
    typeof fn === "function" &&
    (fn as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === "AsyncFunction"
  );
}

interface Binding {
  name: string;
  local: string;
}

class Generator {
  readonly constants: unknown[] = [];
  private readonly constantIndex = new Map<unknown, number>();
  private temps = 0;
  private readonly roots = new Map<string, string>();
  /** Steps of the nodes generated in the current counting scope (the expression or a loop body). */
  private weight = 0;
  private readonly scope: Binding[] = [];
  /** The accumulator of each enclosing comprehension, innermost last. */
  private readonly accumulators: string[] = [];
  /** `==` nodes whose value side a comprehension's index takes from the loop (index-plan.ts). */
  private readonly captures = new Map<Node, { local: string; left: boolean }>();
  /**
   * The names (temporaries, roots, bound variables) whose value is read as it is from a
   * manifest variable: a converted primitive, or a map or list not converted yet.
   */
  private readonly raw = new Set<string>();

  /** Set by `program` when it returns a value read as it is (GenerateOptions.returnRaw). */
  rawResult = false;

  constructor(
    private readonly manifests: ReadonlySet<string>,
    private readonly rawVariables: ReadonlySet<string> = new Set(),
    private readonly returnRaw = false,
  ) {}

  private isRaw(value: string): boolean {
    return this.raw.has(value);
  }

  /** `value` as a CEL value: converted when it is read as it is. */
  private cel(value: string): string {
    return this.raw.has(value) ? `R.cel(${value})` : value;
  }

  /** Marks the temporary `t` as read as it is. */
  private markRaw(t: string): string {
    this.raw.add(t);
    return t;
  }

  constant(value: unknown): string {
    let index = this.constantIndex.get(value);
    if (index === undefined) {
      index = this.constants.length;
      this.constants.push(value);
      this.constantIndex.set(value, index);
    }
    return `k${index}`;
  }

  temp(): string {
    return `t${this.temps++}`;
  }

  /** The function's source. */
  program(root: Node): string {
    const out: string[] = [];
    const result = this.gen(root, out);
    // the interpreter counts every node below the root
    const entry = this.weight - 1;
    const lines = ['"use strict";'];
    for (let i = 0; i < this.constants.length; i++) lines.push(`const k${i} = K[${i}];`);
    lines.push("const ev = R.ev;", "const U = R.unread;", "return function compiledCel(act) {");
    lines.push("R.checkActivation(act);");
    if (this.roots.size > 0) lines.push(`let ${[...this.roots.values()].map((r) => `${r} = U`).join(", ")};`);
    if (this.temps > 0)
      lines.push(`let ${Array.from({ length: this.temps }, (_, i) => `t${i}`).join(", ")};`);
    if (entry > 0) lines.push(`R.charge(${entry});`);
    this.rawResult = this.returnRaw && this.isRaw(result);
    lines.push(...out, `return ${this.rawResult ? result : this.cel(result)};`, "};");
    return lines.join("\n");
  }

  /** Emits `node` into `out`; returns a JavaScript expression (a name or a literal) for its value. */
  gen(node: Node, out: string[], unwrapped = false): string {
    this.weight++;
    let n = node;
    while (n.meta.alternate) n = n.meta.alternate;
    if (unwrapped) {
      // an `a.?b` whose optional only feeds another `.?`, orValue() or hasValue(): its value, or undefined for none
      if (!isOptionalAccess(n)) throw new Unsupported("an unwrapped optional of another kind");
      if (n.op === "[?]") return this.unwrappedIndex(n, out);
      if (n.op === "?:") return this.ternary(n, out, true);
      const [leftNode, key] = n.args as [Node, string];
      const [left, opened] = this.optionalOperand(leftNode, out);
      if (this.isRaw(left))
        return this.markRaw(
          this.assign(`R.rawOptionalValue(${left}, ${this.constant(key)}, ${this.constant(n)})`, out),
        );
      return this.assign(
        `R.optionalValue(${left}, ${this.constant(key)}, ${this.constant(n)}${opened ? ", true" : ""})`,
        out,
      );
    }
    if (n.meta.macro) return this.macro(n, n.meta.macro, out);
    switch (n.op) {
      case "value":
        return this.value(n.args);
      case "id":
        return this.identifier(n, out);
      case ".":
        return this.field(n, out);
      case ".?": {
        const [leftNode, key] = n.args as [Node, string];
        const [left, opened] = this.optionalOperand(leftNode, out);
        if (this.isRaw(left))
          return this.assign(`R.rawOptionalField(${left}, ${this.constant(key)}, ${this.constant(n)})`, out);
        return this.assign(
          `R.optionalField(${left}, ${this.constant(key)}, ${this.constant(n)}${opened ? ", true" : ""})`,
          out,
        );
      }
      case "[]":
      case "[?]": {
        const [leftNode, rightNode] = n.args as [Node, Node];
        const left = this.gen(leftNode, out);
        const right = this.gen(rightNode as Node, out);
        if (n.op === "[]" && this.isRaw(left) && isDynamicContainer(leftNode.checkedType)) {
          if (typeof n.handle !== "function") throw new Unsupported("an unchecked [] node");
          return this.markRaw(
            this.assign(`R.rawIndex(${left}, ${this.cel(right)}, ${this.constant(n)})`, out),
          );
        }
        if (n.op === "[?]" && this.isRaw(left)) {
          if (typeof n.handle !== "function") throw new Unsupported("an unchecked [?] node");
          return this.assign(`R.rawOptionalIndex(${left}, ${this.cel(right)}, ${this.constant(n)})`, out);
        }
        if (n.op === "[?]") {
          // `m[?k]` has the handler of `m.?k`: with a string key, its common case (R.optionalField)
          const call = this.handlerCall(n, `${left}, ${this.cel(right)}, ${this.constant(n)}, ev`);
          return this.assign(
            `typeof ${right} === "string" ? R.optionalField(${left}, ${right}, ${this.constant(n)}) : ${call}`,
            out,
          );
        }
        if (n.op === "[]" && !this.isRaw(left) && isDynamicMap(leftNode.checkedType)) {
          // `h[k]` on dyn or a map of dyn: the handler is the one of `h.k`, so is its common case
          if (typeof n.handle !== "function") throw new Unsupported("an unchecked [] node");
          return this.assign(`R.field(${left}, ${this.cel(right)}, ${this.constant(n)})`, out);
        }
        return this.handled(n, `${this.cel(left)}, ${this.cel(right)}, ${this.constant(n)}, ev`, out);
      }
      case "call": {
        const [name, argNodes] = n.args as [string, Node[]];
        const values = this.reversed(argNodes, out);
        if (isDynConversion(n, name, values.length)) {
          // dyn(v) is v (cel-js's dyn(dyn) is the identity, found for every CEL value): a value
          // read as it is stays so; another goes to the handler unless it is a plain value
          const v = values[0] as string;
          if (this.isRaw(v)) return v;
          const k = this.constant(n);
          return this.assign(`R.plain(${v}) ? ${v} : ${k}.handle([${v}], ${k}, ev)`, out);
        }
        if (isStringConversion(n, name, values.length)) {
          // string(s) of a string is s, of an int its decimal digits, charged by their length as
          // the handler's result is (cel-js's overloads; celgate's override of string() is for
          // bytes only): other values go to the handler
          const v = values[0] as string;
          const k = this.constant(n);
          return this.assign(
            `typeof ${v} === "string" ? ${v} : typeof ${v} === "bigint" ? R.sized(String(${v})) : ${k}.handle([${this.cel(v)}], ${k}, ev)`,
            out,
          );
        }
        if (name === "size" && values.length === 1 && argNodes[0]?.checkedType?.hasDynType) {
          // size() of a dyn list: cel-js's size(list) overload is the length, without its run-time dispatch
          if (typeof n.handle !== "function") throw new Unsupported("an unchecked call");
          // (a list read as it is has the length of its CEL value)
          const v = values[0] as string;
          const k = this.constant(n);
          return this.assign(
            `Array.isArray(${v}) ? BigInt(${v}.length) : ${k}.handle([${this.cel(v)}], ${k}, ev)`,
            out,
          );
        }
        return this.handled(
          n,
          `[${values.map((v) => this.cel(v)).join(", ")}], ${this.constant(n)}, ev`,
          out,
        );
      }
      case "rcall": {
        const [name, receiver, argNodes] = n.args as [string, Node, Node[]];
        if (name === "hasValue" && argNodes.length === 0 && isOptionalAccess(receiver)) {
          // `a.?b.hasValue()`: the optional itself is never made
          const value = this.gen(receiver, out, true);
          return this.assign(`${value} !== undefined`, out);
        }
        const values = this.reversed([receiver, ...argNodes], out);
        return this.handled(
          n,
          `[${values.map((v) => this.cel(v)).join(", ")}], ev, ${this.constant(n)}`,
          out,
        );
      }
      case "!_":
      case "-_": {
        const operand = n.args as Node;
        const value = this.gen(operand, out);
        if (n.op === "!_" && operand.checkedType?.name === "bool" && !this.isRaw(value))
          return this.assign(`!${value}`, out);
        const call = this.handlerCall(n, `${this.cel(value)}, ${this.constant(n)}, ev`);
        // a bool, a double, or an int whose negation is an int: cel-js's overloads are JavaScript's
        // `!` and `-` (celgate's check refuses a negation outside the int64 range: the least
        // int's, or a manifest's integer beyond the range)
        const fast =
          n.op === "!_"
            ? `typeof ${value} === "boolean" ? !${value} : `
            : `typeof ${value} === "number" || (typeof ${value} === "bigint" && ${value} >= ${this.constant(-INT64_MAX)} && ${value} <= ${this.constant(INT64_MAX)}) ? -${value} : `;
        return this.assign(`${fast}${call}`, out);
      }
      case "?:":
        return this.ternary(n, out);
      case "&&":
      case "||":
        return this.logical(n, out);
      case "list": {
        if (optionalPositions(n)) return this.optionalList(n, out);
        const values = this.reversed(n.args as Node[], out);
        return this.assign(`[${values.map((v) => this.cel(v)).join(", ")}]`, out);
      }
      case "map":
        return this.mapLiteral(n, out);
      case "comprehension":
        return this.comprehension(n, out);
      case "accuValue":
        return this.accumulator(n);
      case "accuInc": {
        const accu = this.accumulator(n);
        return this.assign(`(${accu} += 1)`, out);
      }
      case "accuPush": {
        const accu = this.accumulator(n);
        const value = this.gen(n.args as Node, out);
        if (this.isRaw(accu) && !this.isRaw(value))
          throw new Unsupported("a list kept as it is given an element that is not (an internal error)");
        out.push(`${accu}.push(${this.isRaw(accu) ? value : this.cel(value)});`);
        return accu;
      }
      default:
        if (BINARY.has(n.op)) return this.binary(n, out);
        throw new Unsupported(`the ${n.op} construct`);
    }
  }

  /**
   * `a[?k]` unwrapped, as `gen` does `a.?b`: its value (read as it is when `a` is), or undefined
   * for none. A string key reads a map as `.?` does (cel-js's handler of `[?]` does so too); any
   * other goes to the handler, whose optional is opened here.
   */
  private unwrappedIndex(n: Node, out: string[]): string {
    if (typeof n.handle !== "function") throw new Unsupported("an unchecked [?] node");
    const [leftNode, rightNode] = n.args as [Node, Node];
    const [left, opened] = this.optionalOperand(leftNode, out);
    const right = this.gen(rightNode, out);
    const k = this.constant(n);
    const o = this.temp();
    if (this.isRaw(left)) {
      const other = `(${o} = R.rawOptionalIndex(${left}, ${this.cel(right)}, ${k}), ${o}.hasValue() ? ${o}.value() : undefined)`;
      return this.markRaw(
        this.assign(
          `typeof ${right} === "string" ? R.rawOptionalValue(${left}, ${right}, ${k}) : ${left} === undefined ? undefined : ${other}`,
          out,
        ),
      );
    }
    // an opened left is the value of the optional cel-js's handler is given (R.reopen)
    const call = this.handlerCall(n, `${opened ? `R.reopen(${left})` : left}, ${this.cel(right)}, ${k}, ev`);
    const other = `(${o} = ${call}, ${o}.hasValue() ? ${o}.value() : undefined)`;
    return this.assign(
      `typeof ${right} === "string" ? R.optionalValue(${left}, ${right}, ${k}${opened ? ", true" : ""}) : ${left} === undefined ? undefined : ${other}`,
      out,
    );
  }

  /**
   * The left side of `.?` and `[?]`: an unwrapped value when it is itself an optional access (no
   * optional is made; `opened` then, the value of that optional or undefined for none), else its
   * value (which may be an optional, opened by the reader).
   */
  private optionalOperand(node: Node, out: string[]): [value: string, opened: boolean] {
    const opened = isOptionalAccess(node);
    return [this.gen(node, out, opened), opened];
  }

  private assign(expression: string, out: string[]): string {
    const t = this.temp();
    out.push(`${t} = ${expression};`);
    return t;
  }

  private handled(n: Node, args: string, out: string[]): string {
    return this.assign(this.handlerCall(n, args), out);
  }

  /** The call of `n`'s handler with `args`; throws Unsupported for a node that cannot be compiled. */
  private handlerCall(n: Node, args: string): string {
    if (typeof n.handle !== "function") throw new Unsupported(`an unchecked ${n.op} node`);
    // cel-js marks every handler not declared synchronous as maybe async; only real async functions matter
    if (n.candidates?.declarations?.some((d) => isAsyncFunction(d.handler))) {
      throw new Unsupported("asynchronous functions");
    }
    return `${this.constant(n)}.handle(${args})`;
  }

  /** cel-js evaluates call arguments and list elements last to first; so do we (the first error thrown wins). */
  private reversed(nodes: readonly Node[], out: string[]): string[] {
    const values = new Array<string>(nodes.length);
    for (let i = nodes.length - 1; i >= 0; i--) values[i] = this.gen(nodes[i] as Node, out);
    return values;
  }

  private value(value: unknown): string {
    if (value === true || value === false || value === null) return String(value);
    return this.constant(value);
  }

  private identifier(n: Node, out: string[]): string {
    const name = n.args as string;
    for (let i = this.scope.length - 1; i >= 0; i--) {
      const binding = this.scope[i] as Binding;
      if (binding.name === name) return binding.local;
    }
    const type = n.checkedType;
    if (!type) throw new Unsupported("an unchecked variable");
    let local = this.roots.get(name);
    if (!local) {
      local = `r${this.roots.size}`;
      this.roots.set(name, local);
    }
    const raw = this.manifests.has(name);
    out.push(`if (${local} === U) ${local} = R.${raw ? "rawRoot" : "root"}(act, ${this.constant(n)});`);
    if (raw) this.raw.add(local);
    return local;
  }

  private field(n: Node, out: string[]): string {
    const [leftNode, key] = n.args as [Node, string];
    const left = this.gen(leftNode, out);
    if (this.rawVariables.has(key) && this.isVariablesRoot(leftNode))
      return this.markRaw(
        this.assign(`R.rawVariable(${left}, ${this.constant(key)}, ${this.constant(n)})`, out),
      );
    const type = leftNode.checkedType;
    const dynamic = isDynamicMap(type);
    if (dynamic && this.isRaw(left))
      return this.markRaw(
        this.assign(`R.rawField(${left}, ${this.constant(key)}, ${this.constant(n)})`, out),
      );
    if (dynamic) return this.assign(`R.field(${left}, ${this.constant(key)}, ${this.constant(n)})`, out);
    return this.handled(n, `${this.cel(left)}, ${this.constant(key)}, ${this.constant(n)}, ev`, out);
  }

  /** Whether `node` is the root variable `variables` (not a comprehension or bind variable of that name). */
  private isVariablesRoot(node: Node): boolean {
    let n = node;
    while (n.meta.alternate) n = n.meta.alternate;
    return n.op === "id" && n.args === "variables" && !this.scope.some((b) => b.name === "variables");
  }

  private binary(n: Node, out: string[]): string {
    const [leftNode, rightNode] = n.args as [Node, Node];
    const left = this.gen(leftNode, out);
    const right = this.gen(rightNode, out);
    const capture = this.captures.get(n);
    if (capture) out.push(`${capture.local} = ${capture.left ? left : right};`);
    const lt = leftNode.checkedType;
    const rt = rightNode.checkedType;
    const same = lt !== undefined && rt !== undefined && !lt.hasDynType && lt.name === rt.name;
    // a value read as it is is a converted primitive or a map or list: the primitive cases below
    // hold for it as they are; a map or list goes to a handler converted
    if (same && (n.op === "==" || n.op === "!=") && IDENTITY_EQUALITY.has(lt.name)) {
      return this.assign(`${left} ${n.op === "==" ? "===" : "!=="} ${right}`, out);
    }
    if (
      same &&
      (n.op === "<" || n.op === "<=" || n.op === ">" || n.op === ">=") &&
      NATIVE_ORDER.has(lt.name)
    ) {
      return this.assign(`${left} ${n.op} ${right}`, out);
    }
    if ((n.op === "==" || n.op === "!=") && (lt?.hasDynType || rt?.hasDynType)) {
      // two values of one primitive type: cel-js's overload for them is ===, so decide here
      if (typeof n.handle !== "function") throw new Unsupported(`an unchecked ${n.op} node`);
      const k = this.constant(n);
      const same = `typeof ${left} === typeof ${right} && (typeof ${left} === "string" || typeof ${left} === "boolean" || typeof ${left} === "bigint")`;
      const eq = n.op === "==" ? "===" : "!==";
      // against null (`x == null`, `podSpec != null`): cel-js finds every other value unequal to
      // null, whatever its type, so both are decided here (a map or list read as it is without
      // converting it)
      const withNull = `${left} === null || ${right} === null ? ${left} ${eq} ${right} : `;
      return this.assign(
        `${same} ? ${left} ${eq} ${right} : ${withNull}${k}.handle(${this.cel(left)}, ${this.cel(right)}, ${k}, ev)`,
        out,
      );
    }
    if (n.op === "in" && this.isRaw(right)) {
      // `'ALL' in c.?drop.orValue([])`: a list of strings read as it is is searched as it is
      if (typeof n.handle !== "function") throw new Unsupported("an unchecked in node");
      return this.assign(`R.rawIn(${this.cel(left)}, ${right}, ${this.constant(n)})`, out);
    }
    if (n.op === "in" && mayBeList(rt)) {
      // `x in variables.allowed`: a string in a list of strings is decided here (R.inList)
      if (typeof n.handle !== "function") throw new Unsupported("an unchecked in node");
      return this.assign(`R.inList(${this.cel(left)}, ${right}, ${this.constant(n)})`, out);
    }
    const strings = n.op === "+" && mayBeString(lt) && mayBeString(rt);
    const lists = n.op === "+" && mayBeList(lt) && mayBeList(rt);
    const rawSides =
      (this.isRaw(left) || isEmptyList(leftNode)) && (this.isRaw(right) || isEmptyList(rightNode));
    if (lists && rawSides && (this.isRaw(left) || this.isRaw(right))) {
      // two lists read as they are (`podSpec.?containers.orValue([]) + podSpec.?initContainers.orValue([])`)
      // join as they are: each element is read as it was in its list, and converted where it
      // escapes. Anything else goes the way below, as CEL values (readable as they are too).
      const t = this.temp();
      const k = this.constant(n);
      const call = this.handlerCall(n, `${this.cel(left)}, ${this.cel(right)}, ${k}, ev`);
      const text = strings
        ? `typeof ${left} === "string" && typeof ${right} === "string" ? R.sized(${left} + ${right}) : `
        : "";
      // what `+` builds is charged by its size, as the handler's is (budget.ts, chargeSize)
      out.push(
        `${t} = Array.isArray(${left}) && Array.isArray(${right}) ? R.sized([...${left}, ...${right}]) : ${text}${call};`,
      );
      return this.markRaw(t);
    }
    if (strings || lists) {
      // two strings, or two lists: cel-js's overloads for them are JavaScript's `+` and
      // `[...a, ...b]` (a list of any elements joins a list of any others), so decide here
      const l = this.isRaw(left) ? this.assign(this.cel(left), out) : left;
      const r = this.isRaw(right) ? this.assign(this.cel(right), out) : right;
      const call = this.handlerCall(n, `${l}, ${r}, ${this.constant(n)}, ev`);
      const fast = [
        strings ? `typeof ${l} === "string" && typeof ${r} === "string" ? R.sized(${l} + ${r}) : ` : "",
        lists ? `Array.isArray(${l}) && Array.isArray(${r}) ? R.sized([...${l}, ...${r}]) : ` : "",
      ];
      return this.assign(`${fast.join("")}${call}`, out);
    }
    return this.handled(n, `${this.cel(left)}, ${this.cel(right)}, ${this.constant(n)}, ev`, out);
  }

  /**
   * `c ? a : b`; `unwrapped`, a ternary of two optional accesses (isOptionalAccess) read as
   * `gen` reads one unwrapped: the value of the branch taken, or undefined for none.
   */
  private ternary(n: Node, out: string[], unwrapped = false): string {
    const [conditionNode, leftNode, rightNode] = n.args as [Node, Node, Node];
    const condition = this.gen(conditionNode, out);
    const left: string[] = [];
    let leftValue = this.gen(leftNode, left, unwrapped);
    const right: string[] = [];
    let rightValue = this.gen(rightNode, right, unwrapped);
    if (typeof n.handle !== "function") throw new Unsupported("an unchecked ternary");
    const t = this.temp();
    const k = this.constant(n);
    // the result is read as it is when both branches are (or give []); else both are CEL values
    const rawLeft = this.isRaw(leftValue) || isEmptyLiteral(leftNode);
    const rawRight = this.isRaw(rightValue) || isEmptyLiteral(rightNode);
    if (rawLeft && rawRight && (this.isRaw(leftValue) || this.isRaw(rightValue))) this.raw.add(t);
    else {
      leftValue = this.cel(leftValue);
      rightValue = this.cel(rightValue);
    }
    // a condition that is not a bool: cel-js's handler throws its error (labelled for macros)
    out.push(
      `if (${condition} === true) {`,
      ...left,
      `${t} = ${leftValue};`,
      `} else if (${condition} === false) {`,
      ...right,
      `${t} = ${rightValue};`,
      `} else ${t} = ${k}.handle(${this.cel(condition)}, ev, ${k}, undefined);`,
    );
    return t;
  }

  /**
   * `a && b`: an error or non-bool on the left waits for the right, which may decide (false)
   * and absorb it; `a || b` likewise with true (operators.js `&&`, `||`).
   */
  private logical(n: Node, out: string[]): string {
    const [leftNode, rightNode] = n.args as [Node, Node];
    const decides = n.op === "||";
    const l = this.temp();
    const left: string[] = [];
    const leftValue = this.gen(leftNode, left);
    out.push("try {", ...left, `${l} = ${this.cel(leftValue)};`, `} catch (e) { ${l} = e; }`);
    const right: string[] = [];
    const rightValue = this.gen(rightNode, right);
    const t = this.temp();
    out.push(
      `if (${l} === ${decides}) ${t} = ${decides}; else {`,
      // the interpreter counts a step before the right side, which throws the budget error once
      // a limit was crossed (in the left side, whose error was absorbed); this code counted the
      // right side ahead, so it asks the budget here (charge(0) throws once it is exceeded)
      `if (${l} !== ${!decides}) R.charge(0);`,
      ...right,
      `${t} = ${l} === ${!decides} && typeof ${rightValue} === "boolean" ? ${rightValue} : R.logical(${decides}, ${l}, ${this.cel(rightValue)}, ${this.constant(n)});`,
      "}",
    );
    return t;
  }

  /**
   * `[a, ?b]` (../lib/syntax): elements left to right, as the interpreter's rule for it does,
   * each optional one checked and unwrapped (or left out) before the next is evaluated.
   */
  private optionalList(n: Node, out: string[]): string {
    const optional = optionalPositions(n);
    const values = (n.args as Node[]).map((element, i) => {
      const value = this.gen(element, out);
      if (!optional?.has(i)) return value;
      return this.assign(`${this.constant(optionalElement)}(${value}, ${this.constant(element)})`, out);
    });
    return this.assign(`${this.constant(listOf)}([${values.join(", ")}])`, out);
  }

  private mapLiteral(n: Node, out: string[]): string {
    const entries = n.args as [Node, Node][];
    const optional = optionalPositions(n);
    if (optional) {
      // `{?k: v}` (../lib/syntax): entry by entry, as the interpreter's rule for it does
      const pairs = entries.map(([keyNode, valueNode], i) => {
        const key = this.gen(keyNode, out);
        let value = this.gen(valueNode, out);
        if (optional.has(i)) {
          const unwrap = this.constant(optionalElement);
          value = this.assign(`${unwrap}(${value}, ${this.constant(valueNode)}, ${key})`, out);
        }
        return `[${key}, ${value}]`;
      });
      return this.assign(`${this.constant(mapOf)}([${pairs.join(", ")}])`, out);
    }
    if (entries.length === 0) return this.assign("{}", out);
    const keys: string[] = [];
    const values: string[] = [];
    for (const [keyNode, valueNode] of entries) {
      keys.push(this.cel(this.gen(keyNode, out)));
      values.push(this.cel(this.gen(valueNode, out)));
    }
    if (entries.every(([keyNode]) => isPlainKeyLiteral(keyNode))) {
      // string keys known here, none that mapLiteral leaves out: the object is built at once
      // (a later key overwrites an earlier one, as there), without an array per entry
      return this.assign(`{ ${keys.map((k, i) => `[${k}]: ${values[i]}`).join(", ")} }`, out);
    }
    return this.assign(`R.mapLiteral([${keys.map((k, i) => `[${k}, ${values[i]}]`).join(", ")}])`, out);
  }

  private accumulator(n: Node): string {
    const accu = this.accumulators[this.accumulators.length - 1];
    if (accu === undefined) throw new Unsupported(`${n.op} outside a comprehension`);
    return accu;
  }

  /** Binds `local` to a value of `type` checked as cel-js checks a bound value. */
  private bind(local: string, type: CelTypeDecl, name: string): string {
    const k = this.constant(type);
    // dyn accepts every plain value at once; anything else asks the type, as cel-js does
    const quick = type.kind === "dyn" ? `!R.plain(${local}) && ` : "";
    return `if (${quick}!${k}.matchesValueType(${local}, ev)) ${local} = R.iterMismatch(${k}, ${local}, ${this.constant(name)});`;
  }

  /** A counting scope: the nodes generated by `fn` are charged by the caller, per iteration. */
  private counted<T>(fn: () => T): [T, number] {
    const outer = this.weight;
    this.weight = 0;
    try {
      return [fn(), this.weight];
    } finally {
      this.weight = outer;
    }
  }

  private comprehension(n: Node, out: string[]): string {
    const c = n.args as Comprehension;
    if (!c.iterCtx?.iterType) throw new Unsupported("an unchecked comprehension");
    if (!c.errorsAreFatal && !c.condition) throw new Unsupported("a quantifier without a condition");
    const items = this.temp();
    const accu = this.temp();
    const i = this.temp();
    const x = this.temp();
    const t = this.temp();
    let iterable = this.gen(c.iterable, out);
    // a range read as it is is walked as it is, each element read as it is, when the
    // variable's type checks such an element as it checks its CEL value
    const raw = this.isRaw(iterable) && rawBindable(c.iterCtx.iterType);
    if (!raw) iterable = this.cel(iterable);
    out.push(`${items} = ${iterable};`);
    const plan = indexPlan(c as unknown as Parameters<typeof indexPlan>[0], (name) =>
      this.scope.some((b) => b.name === name),
    );
    const index = plan ? this.indexSetup(plan, c, items, raw, out) : undefined;
    const range = raw ? "rawRange" : "range";
    out.push(`if (!Array.isArray(${items})) ${items} = R.${range}(${items}, ${this.constant(c.iterable)});`);
    if (raw) this.raw.add(x);
    // `l.filter(x, p)` over a list read as it is keeps the elements as they are: the result is a
    // list read as it is, its elements converted where they escape
    const keepsRaw = raw && isFilter(c);
    if (keepsRaw) this.raw.add(accu);
    const init = this.gen(c.init, out);
    out.push(`${accu} = ${init};`);
    const body: string[] = [];
    this.scope.push({ name: c.iterVarName, local: x });
    this.accumulators.push(accu);
    const [stepValue, weight] = this.counted(() => this.gen(c.step, body));
    this.accumulators.pop();
    this.scope.pop();
    for (const conjunct of plan?.conjuncts ?? []) this.captures.delete(conjunct.equality as Node);
    const bindValue = this.bind(x, c.iterCtx.iterType, c.iterVarName);
    const result = this.constant(c.result);
    const element = raw ? `R.rawElement(${items}[${i}])` : `${items}[${i}]`;
    if (c.errorsAreFatal) {
      const stop = c.condition ? `if (!${this.constant(c.condition)}(${accu})) break;` : "";
      const skip = index
        ? index(i, (count) => `${this.constant(chargeStepsTimes)}(${weight}, ${count});`)
        : "";
      out.push(
        `for (${i} = 0; ${i} < ${items}.length; ${i}++) {`,
        stop,
        skip,
        `${x} = ${element};`,
        bindValue,
        `R.charge(${weight});`,
        ...body,
        `${accu} = ${stepValue};`,
        "}",
        `${t} = ${result}(${accu});`,
      );
      return keepsRaw ? this.markRaw(t) : t;
    }
    // all/exists: an element's error is kept while the others may still decide (iterateQuantifier)
    const condition = this.constant(c.condition);
    const error = this.temp();
    const charge = this.constant(chargeStepsTimes);
    // a skipped element's charge is absorbed as its iteration's would be; its step sets the accumulator to false
    const skip = index
      ? index(
          i,
          (count) =>
            `try { ${charge}(${weight}, 1); ${accu} = false; ${charge}(${weight}, ${count} - 1); } catch (e) { if (e instanceof Error) { if (${error} === undefined) ${error} = e; } else ${accu} = e; }`,
        )
      : "";
    out.push(
      `${error} = undefined;`,
      `${t} = U;`,
      `for (${i} = 0; ${i} < ${items}.length; ${i}++) {`,
      `if (!${condition}(${accu})) { ${t} = ${result}(${accu}); break; }`,
      skip,
      `${x} = ${element};`,
      bindValue,
      "try {",
      `R.charge(${weight});`,
      ...body,
      `${accu} = ${stepValue};`,
      `} catch (e) { if (e instanceof Error) { if (${error} === undefined) ${error} = e; } else ${accu} = e; }`,
      "}",
      `if (${t} === U) {`,
      `if (${error} !== undefined && ${condition}(${accu})) throw ${error};`,
      `${t} = ${result}(${accu});`,
      "}",
    );
    return t;
  }

  /**
   * Emits, before a comprehension's loop, what its index needs (index-plan.ts, list-index.ts):
   * the candidates' state, the values of the key equalities that can be computed ahead, and
   * registers the ones taken from the loop. Returns the maker of the loop's head, which moves
   * the loop to the next candidate and charges the elements it skips (`charge(count)` emits
   * that charge).
   */
  private indexSetup(
    plan: IndexPlan,
    c: Comprehension,
    items: string,
    raw: boolean,
    out: string[],
  ): (i: string, charge: (count: string) => string) => string {
    const candidates = this.temp();
    const cursor = this.temp();
    const next = this.temp();
    // undefined: not looked up yet; null: no index for this run; else the candidates, ascending
    out.push(
      `${candidates} = Array.isArray(${items}) && ${items}.length >= ${MIN_INDEXED_LENGTH} ? undefined : null;`,
      `${cursor} = 0;`,
    );
    const values: string[] = [];
    const waits: string[] = [];
    for (const conjunct of plan.conjuncts) {
      if (conjunct.literal !== undefined) {
        values.push(this.constant(conjunct.literal));
        continue;
      }
      const local = this.temp();
      values.push(local);
      if (conjunct.lazy) {
        out.push(`${local} = U;`);
        waits.push(`${local} !== U`);
        this.captures.set(conjunct.equality as Node, { local, left: conjunct.valueIsLeft });
        continue;
      }
      const code: string[] = [];
      const [value] = this.counted(() => this.gen(conjunct.value as Node, code));
      out.push(
        `if (${candidates} === undefined) { try {`,
        ...code,
        `${local} = ${value};`,
        `} catch (e) { ${candidates} = null; } }`,
      );
    }
    // the key function: the element's keys (undefined for one it cannot read as a string), or
    // undefined when the element cannot be ruled out at all (its binding would fail)
    const element = this.temp();
    const keysOut = this.temp();
    const keyCode: string[] = [];
    this.scope.push({ name: c.iterVarName, local: element });
    // the elements of a list read as it is are read as they are here too (as the loop binds them)
    if (raw) this.raw.add(element);
    try {
      this.counted(() => {
        plan.conjuncts.forEach((conjunct, k) => {
          const code: string[] = [];
          const key = this.gen(conjunct.key as Node, code);
          keyCode.push(
            "try {",
            ...code,
            `if (typeof ${key} === "string") ${keysOut}[${k}] = ${key};`,
            "} catch (e) {}",
          );
        });
      });
    } finally {
      this.scope.pop();
    }
    const type = this.constant(c.iterCtx.iterType);
    const quick = c.iterCtx.iterType.kind === "dyn" ? `!R.plain(${element}) && ` : "";
    const keyOf = [
      `(${element}) => {`,
      raw ? `${element} = R.rawElement(${element});` : "",
      `if (${quick}!${type}.matchesValueType(${element}, ev)) return undefined;`,
      `${keysOut} = [${plan.conjuncts.map(() => "undefined").join(", ")}];`,
      ...keyCode,
      `return ${keysOut};`,
      "}",
    ].join("\n");
    const lookup = `${this.constant(listCandidates)}(${items}, ${this.constant(c)}, act, ${this.constant(plan.keyRoots)}, ${keyOf}, [${values.join(", ")}])`;
    const ready = waits.length > 0 ? `if (${waits.join(" && ")}) ` : "";
    return (i, charge) =>
      [
        `if (${candidates} !== null) {`,
        `if (${candidates} === undefined) ${ready}${candidates} = ${lookup} ?? null;`,
        `if (${candidates}) {`,
        `while (${cursor} < ${candidates}.length && ${candidates}[${cursor}] < ${i}) ${cursor}++;`,
        `${next} = ${cursor} < ${candidates}.length ? ${candidates}[${cursor}] : ${items}.length;`,
        `if (${next} > ${i}) {`,
        charge(`${next} - ${i}`),
        `${i} = ${next};`,
        `if (${i} >= ${items}.length) break;`,
        "}",
        `${cursor}++;`,
        "}",
        "}",
      ].join("\n");
  }

  /**
   * all/exists/existsOne/transform* with two variables: the library's own loop
   * (runTwoVariable) calls the filter and body compiled as functions of the two variables.
   */
  private twoVariable(m: TwoVariable, out: string[]): string {
    const firstType = m.firstCtx?.iterType;
    const secondType = m.secondCtx?.iterType;
    if (!firstType || !secondType) throw new Unsupported("an unchecked two-variable comprehension");
    const receiver = this.cel(this.gen(m.receiver, out));
    const step = (node: Node): string => {
      const first = this.temp();
      const second = this.temp();
      const body: string[] = [];
      this.scope.push({ name: m.first, local: first }, { name: m.second, local: second });
      const [value, weight] = this.counted(() => this.gen(node, body));
      this.scope.pop();
      this.scope.pop();
      return [
        "(a, b) => {",
        `${first} = a;`,
        this.bind(first, firstType, m.first),
        `${second} = b;`,
        this.bind(second, secondType, m.second),
        `R.charge(${weight});`,
        ...body,
        `return ${this.cel(value)};`,
        "}",
      ].join("\n");
    };
    const filter = m.filter === undefined ? "undefined" : step(m.filter);
    const body = step(m.body);
    return this.assign(`R.twoVariable(${this.constant(m.kind)}, ${receiver}, ${filter}, ${body})`, out);
  }

  private macro(n: Node, macro: Macro, out: string[]): string {
    if (Array.isArray(macro.macroHasProps)) {
      const props = macro.macroHasProps;
      const root = this.gen(props[props.length - 1] as Node, out);
      const helper = this.isRaw(root) ? "rawHas" : "has";
      return this.assign(`R.${helper}(${root}, ${this.constant(props)})`, out);
    }
    if (macro.bindCtx?.iterType && typeof macro.var === "string" && macro.val && macro.exp) {
      let value = this.gen(macro.val, out);
      const x = this.temp();
      const type = macro.bindCtx.iterType;
      if (this.isRaw(value) && rawBindable(type)) this.raw.add(x);
      else value = this.cel(value);
      out.push(`${x} = ${value};`, this.bind(x, type, macro.var));
      this.scope.push({ name: macro.var, local: x });
      try {
        return this.gen(macro.exp, out);
      } finally {
        this.scope.pop();
      }
    }
    if (
      (macro.functionDesc === "optional.orValue(value)" || macro.functionDesc === "optional.or(optional)") &&
      typeof macro.onEmpty === "function" &&
      macro.receiver &&
      macro.arg
    ) {
      // optional.or(o) and optional.orValue(v): the argument is evaluated only when the receiver is empty
      const orValue = macro.functionDesc === "optional.orValue(value)";
      if (orValue && isOptionalAccess(macro.receiver as Node)) {
        // `a.?b.orValue(d)`: read the value, no optional is made
        const value = this.gen(macro.receiver as Node, out, true);
        const t = this.temp();
        const empty: string[] = [];
        const arg = this.gen(macro.arg as Node, empty);
        // read as it is when both sides are (or the default is []); else both are CEL values
        const raw = this.isRaw(value) && (this.isRaw(arg) || isEmptyLiteral(macro.arg as Node));
        if (raw) this.raw.add(t);
        const [v, a] = raw ? [value, arg] : [this.cel(value), this.cel(arg)];
        out.push(`if (${value} !== undefined) ${t} = ${v}; else {`, ...empty, `${t} = ${a};`, "}");
        return t;
      }
      const receiver = this.gen(macro.receiver as Node, out);
      const t = this.temp();
      const description = this.constant(`${macro.functionDesc} receiver`);
      out.push(`R.optional(${receiver}, ${this.constant(macro.receiver)}, ${description});`);
      const empty: string[] = [];
      const arg = this.cel(this.gen(macro.arg as Node, empty));
      const argument = orValue
        ? arg
        : `R.optional(${arg}, ${this.constant(macro.arg)}, ${this.constant("optional.or(optional) argument")})`;
      out.push(
        `if (${receiver}.hasValue()) ${t} = ${orValue ? `${receiver}.value()` : receiver}; else {`,
        ...empty,
        `${t} = ${argument};`,
        "}",
      );
      return t;
    }
    if (isTwoVariableMacro(macro)) return this.twoVariable(macro as unknown as TwoVariable, out);
    const name = Array.isArray(n.args) && typeof n.args[0] === "string" ? n.args[0] : n.op;
    throw new Unsupported(`the ${name}() macro`);
  }
}

/**
 * The source and constants of the function that evaluates the checked tree `root`. Throws
 * `Unsupported` for a construct it does not compile.
 */
export function generate(root: unknown, options: GenerateOptions = {}): GeneratedSource {
  const node = root as Node;
  const generator = new Generator(options.manifests ?? new Set(), options.rawVariables, options.returnRaw);
  const body = generator.program(node);
  return { body, constants: generator.constants, rawResult: generator.rawResult };
}
