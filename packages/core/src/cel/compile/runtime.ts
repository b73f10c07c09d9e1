/**
 * What compiled CEL calls at run time besides the node handlers cel-js stored at type check
 * (which compiled code calls directly, so every operator and function has one implementation).
 * The few functions here restate small private parts of cel-js's evaluator that compiled code
 * cannot reach: reading a root variable, the range of a comprehension, map literals, `has()`,
 * the errors of `&&` and `||`. Each says which cel-js function it restates; the differential
 * tests (differential.test.ts) hold them equal.
 */
import { Optional } from "@marcbachmann/cel-js";
import { chargeSteps } from "../environment.js";
import { runTwoVariable } from "../lib/comprehensions/index.js";

/** The parts of cel-js's evaluator that compiled code and these helpers use. */
export interface CelEvaluator {
  createError(code: string, message: string, node?: unknown): Error;
  debugType(value: unknown): CelTypeDecl;
  debugRuntimeType(value: unknown, checkedType?: unknown): CelTypeDecl;
  objectTypes: Map<string, { convert?: (value: unknown) => unknown }>;
  objectTypesByConstructor: Map<unknown, unknown>;
}

/** A cel-js TypeDeclaration, as far as compiled code uses it. */
export interface CelTypeDecl {
  kind: string;
  name: string;
  valueType?: CelTypeDecl;
  keyType?: CelTypeDecl;
  hasDynType: boolean;
  matchesValueType(value: unknown, ev: CelEvaluator): boolean;
  fieldLazy(obj: unknown, key: unknown, node: unknown, ev: CelEvaluator): unknown;
  toString(): string;
}

/** A node as compiled code hands it back to cel-js (for its handler and its error positions). */
export interface HandledNode {
  args: unknown;
  handle: (...args: unknown[]) => unknown;
  checkedType?: CelTypeDecl;
}

/** Marks a root variable not read yet in this evaluation. */
export const UNREAD: unique symbol = Symbol("celgate.unread");

const hasOwn = Object.hasOwn;
const NONE = Optional.none();

/** Primitives, plain (or prototype-less) objects and arrays: what `dyn` accepts without a registry lookup. */
function isPlain(v: unknown): boolean {
  switch (typeof v) {
    case "string":
    case "bigint":
    case "number":
    case "boolean":
      return true;
    case "object": {
      if (v === null) return true;
      const c = (v as { constructor?: unknown }).constructor;
      return c === undefined || c === Object || c === Array;
    }
    default:
      return false;
  }
}

/**
 * The helpers compiled code receives. Built once per evaluator: they close over it.
 */
export interface Runtime {
  ev: CelEvaluator;
  unread: typeof UNREAD;
  /** Throws unless `activation` is an object (RootContext's constructor). */
  checkActivation(activation: unknown): void;
  /** A root variable's value, type-checked (RootContext.getCheckedValue). */
  root(activation: unknown, node: HandledNode & { checkedType: CelTypeDecl }): unknown;
  /** A value bound to a comprehension or bind variable that is not of its checked type (OverlayContext.setIterValue). */
  iterMismatch(type: CelTypeDecl, value: unknown, name: string): unknown;
  /** The elements a comprehension ranges over when its range is not an array (toIterable). */
  range(value: unknown, iterable: unknown): unknown[];
  /** `a.b` on a dyn operand or a map of dyn, with the common case inline (fieldAccess). */
  field(left: unknown, key: string, node: HandledNode): unknown;
  /** `a.?b`, with the common case inline (the optional type's field access, #getOptionalField). */
  optionalField(left: unknown, key: string, node: HandledNode): unknown;
  /** `a.?b` as its value, or undefined for none; `left` may be an optional, a value or undefined (none). */
  optionalValue(left: unknown, key: string, node: HandledNode): unknown;
  /** True for the values cel-js's `dyn` type accepts without looking further: primitives, plain maps, arrays. */
  plain(value: unknown): boolean;
  /** A map literal from its entries (safeFromEntries). */
  mapLiteral(entries: [unknown, unknown][]): Record<string, unknown>;
  /** `has(a.b.c)` once `a` is evaluated (the has() macro's evaluate). */
  has(root: unknown, props: readonly { op: string; args: unknown }[]): boolean;
  /** The result of `&&` (exp false) or `||` (exp true) when the left operand did not decide (_logicalOp). */
  logical(exp: boolean, left: unknown, right: unknown, node: { left: unknown }): boolean;
  /** `&&`/`||` when the left operand is the non-deciding bool and the right is not a bool. */
  logicalOperand(right: unknown, node: { left: unknown }): never;
  /** Returns `value` if it is an optional, else throws cel-js's error naming `description` (ensureOptional). */
  optional(value: unknown, node: unknown, description: string): Optional<unknown>;
  /** A two-variable comprehension (the library's runTwoVariable). */
  twoVariable: typeof runTwoVariable;
  /** Counts `n` evaluation steps against the active budget. */
  charge(n: number): void;
}

const runtimes = new WeakMap<object, Runtime>();

/** The runtime for `ev`, made once. */
export function runtimeFor(ev: CelEvaluator): Runtime {
  let runtime = runtimes.get(ev);
  if (!runtime) {
    runtime = makeRuntime(ev);
    runtimes.set(ev, runtime);
  }
  return runtime;
}

function makeRuntime(ev: CelEvaluator): Runtime {
  const operandError = (value: unknown, node: unknown): Error =>
    ev.createError(
      "invalid_logical_operand",
      `Logical operator requires bool operands, got '${ev.debugRuntimeType(value)}'`,
      node,
    );
  return {
    ev,
    unread: UNREAD,
    checkActivation(activation) {
      if (activation === undefined || activation === null) return;
      if (typeof activation !== "object")
        throw ev.createError("invalid_context", "Context must be an object");
    },
    root(activation, node) {
      const name = node.args as string;
      let value: unknown;
      if (activation instanceof Map) value = activation.get(name);
      else if (activation !== undefined && activation !== null)
        value = (activation as Record<string, unknown>)[name];
      if (value === undefined) throw ev.createError("unknown_variable", `Unknown variable: ${name}`, node);
      const type = node.checkedType;
      if (type.matchesValueType(value, ev)) return value;
      const valueType = ev.debugType(value);
      // a map given for a variable of a registered message type is converted (once per evaluation: the caller keeps it)
      if (type.kind === "message" && valueType.kind === "map") {
        const converted = ev.objectTypes.get(type.name)?.convert?.(value);
        if (converted) return converted;
      }
      throw ev.createError(
        "variable_type_mismatch",
        `Variable '${name}' is not of type '${type}', got '${valueType}'`,
        node,
      );
    },
    iterMismatch(type, value, name) {
      const valueType = ev.debugType(value);
      if (type.kind === "message" && valueType.kind === "map") {
        const converted = ev.objectTypes.get(type.name)?.convert?.(value);
        if (converted) return converted;
      }
      throw ev.createError(
        "variable_type_mismatch",
        `Variable '${name}' is not of type '${type}', got '${valueType}'`,
      );
    },
    range(value, iterable) {
      if (value instanceof Set) return [...value];
      if (value instanceof Map) return [...value.keys()];
      if (value && typeof value === "object") return Object.keys(value);
      throw ev.createError(
        "invalid_comprehension_range",
        `Expression of type '${ev.debugType(value)}' cannot be range of a comprehension (must be list, map, or dynamic).`,
        iterable,
      );
    },
    field(left, key, node) {
      if (left !== null && typeof left === "object") {
        const c = (left as { constructor?: unknown }).constructor;
        if ((c === undefined || c === Object) && hasOwn(left, key)) {
          const v = (left as Record<string, unknown>)[key];
          if (isPlain(v)) return v;
        }
      }
      return node.handle(left, key, node, ev);
    },
    optionalField(left, key, node) {
      let obj = left;
      if (obj instanceof Optional) obj = obj.orValue(undefined);
      if (obj === undefined) return NONE;
      if (obj !== null && typeof obj === "object") {
        const c = (obj as { constructor?: unknown }).constructor;
        if (c === undefined || c === Object) {
          if (!hasOwn(obj, key)) return NONE;
          const v = (obj as Record<string, unknown>)[key];
          if (v === undefined) return NONE;
          if (isPlain(v)) return Optional.of(v);
        }
      }
      return node.handle(left, key, node, ev);
    },
    optionalValue(left, key, node) {
      let obj = left;
      if (obj instanceof Optional) obj = obj.orValue(undefined);
      if (obj === undefined) return undefined;
      if (obj !== null && typeof obj === "object") {
        const c = (obj as { constructor?: unknown }).constructor;
        if (c === undefined || c === Object) {
          if (!hasOwn(obj, key)) return undefined;
          const v = (obj as Record<string, unknown>)[key];
          if (v === undefined || isPlain(v)) return v;
        }
      }
      return (node.handle(obj, key, node, ev) as Optional<unknown>).orValue(undefined);
    },
    plain: isPlain,
    mapLiteral(entries) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < entries.length; i++) {
        const [k, v] = entries[i] as [unknown, unknown];
        if (k === "__proto__" || k === "constructor" || k === "prototype") continue;
        out[k as string] = v;
      }
      return out;
    },
    has(root, props) {
      let obj = root;
      let i = props.length - 1;
      let inOptionalContext: boolean | undefined;
      while (i--) {
        const node = props[i] as { op: string; args: unknown[] };
        if (node.op === ".?") inOptionalContext ??= true;
        obj = ev.debugType(obj).fieldLazy(obj, node.args[1], node, ev);
        if (obj !== undefined) continue;
        if (!(!inOptionalContext && i && node.op === ".")) break;
        throw ev.createError("no_such_key", `No such key: ${node.args[1]}`, node);
      }
      return obj !== undefined;
    },
    logical(exp, left, right, node) {
      if (right === exp) return exp;
      if (right === !exp) {
        if (left === right) return right as boolean;
        throw left instanceof Error ? left : operandError(left, node.left);
      }
      throw operandError(right, node.left);
    },
    logicalOperand(right, node) {
      throw operandError(right, node.left);
    },
    optional(value, node, description) {
      if (value instanceof Optional) return value;
      throw ev.createError("optional_expected", `${description} must be optional`, node);
    },
    twoVariable: runTwoVariable,
    charge: chargeSteps,
  };
}
