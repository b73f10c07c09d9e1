/**
 * What compiled CEL calls at run time besides the node handlers cel-js stored at type check
 * (which compiled code calls directly, so every operator and function has one implementation).
 * The few functions here restate small private parts of cel-js's evaluator that compiled code
 * cannot reach: reading a root variable, the range of a comprehension, map literals, `has()`,
 * the errors of `&&` and `||`. Each says which cel-js function it restates; the differential
 * tests (differential.test.ts) hold them equal.
 */
import { Optional } from "@marcbachmann/cel-js";
import { chargeSize } from "../budget.js";
import { chargeSteps } from "../environment.js";
import { runTwoVariable } from "../lib/comprehensions/index.js";
import { checkManifestDepth, manifestToCel, objectToCel } from "../values.js";
import { scopedConversion } from "./list-index.js";

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

/** Stands for a map without the key read: what a missing key's error needs of its map. */
const EMPTY_MAP: Record<string, unknown> = Object.freeze(Object.create(null));

/** rawRead's answer when the value read needs the whole container converted (see rawRead). */
const CONVERT: unique symbol = Symbol("celgate.convert");

/**
 * A value read as it is from a Kubernetes object (present, not null or undefined), as the CEL
 * value `objectToCel` would have put there: whole numbers become ints and other numbers stay
 * doubles; strings, bools and bigints are themselves; plain maps and arrays are returned as
 * they are (read further by the raw helpers, converted where they escape). Anything else (a
 * Date, an instance of a class, a map whose `constructor` is a key of its own, a function)
 * answers CONVERT: the caller then converts the container and takes cel-js's path, so such
 * values behave exactly as they did when every object was converted up front.
 */
function rawRead(v: unknown): unknown {
  switch (typeof v) {
    case "number":
      return Number.isInteger(v) ? BigInt(v) : v;
    case "string":
    case "boolean":
    case "bigint":
      return v;
    case "object": {
      const c = (v as { constructor?: unknown }).constructor;
      return c === Object || c === Array || c === undefined ? v : CONVERT;
    }
    default:
      return CONVERT;
  }
}

/** A map read as it is: a non-null object that is not an array, without a `constructor` key of its own. */
function isRawMap(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const c = (v as { constructor?: unknown }).constructor;
  return c === Object || c === undefined;
}

/** A list element read as it is: as objectToCel converts it (null for undefined), objects kept when plain. */
function rawElement(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  const r = rawRead(v);
  return r === CONVERT ? objectToCel(v) : r;
}

/**
 * A value that escapes compiled code's raw reads (to a function, a list, a result): its CEL
 * value, converted once in an evaluation (list-index.ts, scopedConversion). A list's objects
 * are converted (and remembered) one by one, so that a container converted for one expression
 * (`containers.filter(...)` keeps it) is the one another gets in its list
 * (`podSpec.containers + podSpec.initContainers`).
 */
export function celOf(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  // an empty list or map (a default such as `orValue({})`) is converted afresh: cheaper than
  // remembering it
  if (isEmpty(v)) return manifestToCel(v);
  return scopedConversion(v, Array.isArray(v) ? listToCel : manifestToCel);
}

/** Whether `v`, an object, is an empty array or a map without keys of its own. */
function isEmpty(v: object): boolean {
  if (Array.isArray(v)) return v.length === 0;
  for (const key in v) if (hasOwn(v, key)) return false;
  return true;
}

/**
 * `manifestToCel` of a list read as it is, its objects converted by celOf. The same value:
 * manifestToCel converts each element of a list as the object it is, and the depth of what is
 * read as it is has been checked (rawRoot).
 */
function listToCel(list: object): unknown {
  const items = list as unknown[];
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    out[i] = typeof item === "object" && item !== null ? celOf(item) : manifestToCel(item);
  }
  return out;
}

/**
 * Whether the string `value` is in `list`, when `list` is a non-empty array of strings (cel-js
 * then types it a list of strings, and its `in` compares with `===`); undefined otherwise, for
 * cel-js to decide (it types a list by its first element and may find no overload).
 */
function stringIn(value: unknown, list: unknown): boolean | undefined {
  if (typeof value !== "string" || !Array.isArray(list) || list.length === 0) return undefined;
  let found = false;
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (typeof item !== "string") return undefined;
    if (item === value) found = true;
  }
  return found;
}

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
  /**
   * `a.b` or `a[b]` on a dyn operand or a map of dyn, with the common case inline (fieldAccess;
   * `[]` has the handler of `.`). A key that is not a string is read as cel-js reads it (hasOwn).
   */
  field(left: unknown, key: string, node: HandledNode): unknown;
  /**
   * `a.?b`, with the common case inline (the optional type's field access, #getOptionalField).
   * `opened`: `left` is the value of the optional `a` (undefined for none), as an unwrapped
   * `.?` gives it, not `a` itself: an optional there is a value (cel-js opens `a` once, and
   * reads the field of the optional it holds), not one to open.
   */
  optionalField(left: unknown, key: string, node: HandledNode, opened?: boolean): unknown;
  /** `a.?b` as its value, or undefined for none; `left` may be an optional, a value or undefined (none); `opened` as for optionalField. */
  optionalValue(left: unknown, key: string, node: HandledNode, opened?: boolean): unknown;
  /** What cel-js's handler of `a[?k]` is given for `a` when `value` is the value of the optional `a` (defined): `value`, or an optional of it when it is one. */
  reopen(value: unknown): unknown;
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
  /** Charges the active budget for a string or list `+` has built, by its size; returns it (budget.ts). */
  sized<T>(value: T): T;
  /*
   * Reading Kubernetes objects as they are. The variables that hold them (MANIFEST_VARIABLES)
   * are read by compiled code without a copy: every value read from them is, to CEL, the value
   * `objectToCel` of the variable would hold there. Numbers are converted where they are read,
   * maps and lists are returned as they are and read further by these helpers, and a map or
   * list that escapes (to a function or operator, into a list or map, as a result) is
   * converted by `cel` first. The interpreter is handed `objectToCel` of the same variables
   * (engine.ts), so both engines see the same values.
   */
  /** A manifest variable's value: as `root` of its objectToCel (depth checked, numbers converted), without copying a map or list. */
  rawRoot(activation: unknown, node: HandledNode & { checkedType: CelTypeDecl }): unknown;
  /** The CEL value of a value read as it is (a copy of a map or list; anything else is itself). */
  cel(value: unknown): unknown;
  /** `a.b` on a value read as it is, `a` of a dynamic type: `field` of its CEL value. */
  rawField(left: unknown, key: string, node: HandledNode): unknown;
  /** `a.?b` on a value read as it is (or undefined for none): `optionalField` of its CEL value. */
  rawOptionalField(left: unknown, key: string, node: HandledNode): unknown;
  /** `a.?b` as its value read as it is, or undefined for none: `optionalValue` of its CEL value. */
  rawOptionalValue(left: unknown, key: string, node: HandledNode): unknown;
  /** `a[i]` on a value read as it is, `a` of a dynamic type: the node's handler on its CEL value. */
  rawIndex(left: unknown, index: unknown, node: HandledNode): unknown;
  /**
   * `v in l`, `l` read as it is: the node's handler on its CEL value; for a string in a list of
   * strings (the same read as it is) what that handler answers there (listIncludes: `===`).
   */
  rawIn(value: unknown, list: unknown, node: HandledNode): unknown;
  /**
   * `v in l` on CEL values: for a string in a non-empty list of strings, what the node's handler
   * answers there (listIncludes: `===`); else the handler's answer.
   */
  inList(value: unknown, list: unknown, node: HandledNode): unknown;
  /** `a[?i]` on a value read as it is: the node's handler on its CEL value (a map's key read as `a.?i`). */
  rawOptionalIndex(left: unknown, index: unknown, node: HandledNode): unknown;
  /** A list element read as it is (a comprehension's variable over a list read as it is). */
  rawElement(value: unknown): unknown;
  /** What a comprehension ranges over when its range, read as it is, is not an array: `range` of its CEL value. */
  rawRange(value: unknown, iterable: unknown): unknown[];
  /** `has(a.b.c)` once `a`, read as it is, is evaluated: `has` of its CEL value. */
  rawHas(root: unknown, props: readonly { op: string; args: unknown }[]): boolean;
  /**
   * `variables.<key>` for a variable whose compiled function may return a value read as it is
   * (GenerateOptions.rawVariables): that value, through the variables' RAW_VARIABLE reader; for
   * variables without one (made by another caller), `field` of them, a CEL value.
   */
  rawVariable(variables: unknown, key: string, node: HandledNode): unknown;
}

/**
 * The key of the function by which a policy's variables (evaluate/run-policy.ts) answer a
 * variable's value as its compiled function returned it, possibly read as it is; reading the
 * variable by its name answers its CEL value. A symbol: CEL never sees it.
 */
export const RAW_VARIABLE: unique symbol = Symbol("celgate.rawVariable");

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
  const runtime: Runtime = {
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
    optionalField(left, key, node, opened) {
      let obj = left;
      if (obj instanceof Optional) {
        // an optional held as the value read: cel-js reads the field of that optional
        if (opened) return node.handle(Optional.of(obj), key, node, ev);
        obj = obj.orValue(undefined);
      }
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
    optionalValue(left, key, node, opened) {
      let obj = left;
      if (obj instanceof Optional) {
        if (opened)
          return (node.handle(Optional.of(obj), key, node, ev) as Optional<unknown>).orValue(undefined);
        obj = obj.orValue(undefined);
      }
      if (obj === undefined) return undefined;
      if (obj !== null && typeof obj === "object") {
        const c = (obj as { constructor?: unknown }).constructor;
        if (c === undefined || c === Object) {
          if (!hasOwn(obj, key)) return undefined;
          const v = (obj as Record<string, unknown>)[key];
          if (v === undefined || isPlain(v)) return v;
        }
      }
      // the handler is given what cel-js's is: the optional itself, opened once there
      return (node.handle(left, key, node, ev) as Optional<unknown>).orValue(undefined);
    },
    reopen(value) {
      return value instanceof Optional ? Optional.of(value) : value;
    },
    plain: isPlain,
    mapLiteral(entries) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < entries.length; i++) {
        // by index, not destructured: this runs before it is optimized, where destructuring iterates
        const entry = entries[i] as [unknown, unknown];
        const k = entry[0];
        const v = entry[1];
        if (k === "__proto__" || k === "constructor" || k === "prototype") continue;
        out[k as string] = v;
      }
      return out;
    },
    has(root, props) {
      return hasChain(ev, root, props, (obj, key, node) => ev.debugType(obj).fieldLazy(obj, key, node, ev));
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
    sized: chargeSize,
    rawRoot(activation, node) {
      let value: unknown;
      if (activation instanceof Map) value = activation.get(node.args as string);
      else if (activation !== undefined && activation !== null && typeof activation === "object")
        value = (activation as Record<string, unknown>)[node.args as string];
      if (value !== undefined && value !== null) {
        // converting it would throw for a document too deep: so does reading it
        checkManifestDepth(value);
        const r = rawRead(value);
        if (r !== value) {
          const converted = r === CONVERT ? manifestToCel(value) : r;
          return runtime.root(new Map([[node.args as string, converted]]), node);
        }
      }
      return runtime.root(activation, node);
    },
    cel: celOf,
    rawVariable(variables, key, node) {
      const read =
        variables !== null && typeof variables === "object"
          ? (variables as { [RAW_VARIABLE]?: unknown })[RAW_VARIABLE]
          : undefined;
      return typeof read === "function"
        ? (read as (key: string) => unknown)(key)
        : runtime.field(variables, key, node);
    },
    rawField(left, key, node) {
      if (isRawMap(left)) {
        const v = hasOwn(left, key) ? left[key] : undefined;
        // a key whose value is null is absent (objectToCel leaves it out)
        if (v === null || v === undefined) return node.handle(EMPTY_MAP, key, node, ev);
        const r = rawRead(v);
        if (r !== CONVERT) return r;
      }
      return runtime.field(celOf(left), key, node);
    },
    rawOptionalField(left, key, node) {
      if (left === undefined) return NONE;
      if (isRawMap(left)) {
        const v = hasOwn(left, key) ? left[key] : undefined;
        if (v === null || v === undefined) return NONE;
        const r = rawRead(v);
        if (r !== CONVERT) return Optional.of(celOf(r));
      }
      return runtime.optionalField(celOf(left), key, node);
    },
    rawOptionalValue(left, key, node) {
      if (left === undefined) return undefined;
      if (isRawMap(left)) {
        const v = hasOwn(left, key) ? left[key] : undefined;
        if (v === null || v === undefined) return undefined;
        const r = rawRead(v);
        if (r !== CONVERT) return r;
      }
      return runtime.optionalValue(celOf(left), key, node);
    },
    rawIndex(left, index, node) {
      if (typeof index === "bigint" && Array.isArray(left)) {
        if (index >= 0n && index < BigInt(left.length)) {
          const v = left[Number(index)];
          if (v === null || v === undefined) return null;
          const r = rawRead(v);
          if (r !== CONVERT) return r;
        }
      } else if (typeof index === "string" && isRawMap(left)) {
        const v = hasOwn(left, index) ? left[index] : undefined;
        if (v === null || v === undefined) return node.handle(EMPTY_MAP, index, node, ev);
        const r = rawRead(v);
        if (r !== CONVERT) return r;
      }
      return node.handle(celOf(left), index, node, ev);
    },
    rawIn(value, list, node) {
      const found = stringIn(value, list);
      return found === undefined ? node.handle(value, celOf(list), node, ev) : found;
    },
    inList(value, list, node) {
      const found = stringIn(value, list);
      return found === undefined ? node.handle(value, list, node, ev) : found;
    },
    rawOptionalIndex(left, index, node) {
      // cel-js reads `m[?'k']` of a map as `m.?k` (the optional type's field access)
      if (typeof index === "string" && isRawMap(left)) return runtime.rawOptionalField(left, index, node);
      return node.handle(celOf(left), index, node, ev);
    },
    rawElement,
    rawRange(value, iterable) {
      if (isRawMap(value)) {
        const keys: string[] = [];
        for (const key of Object.keys(value)) {
          const v = value[key];
          // the keys objectToCel keeps: not those without a value or whose value is not data
          if (v !== null && v !== undefined && typeof v !== "function" && typeof v !== "symbol")
            keys.push(key);
        }
        return keys;
      }
      return runtime.range(celOf(value), iterable);
    },
    rawHas(root, props) {
      // has() of the CEL value: a step on a map read as it is reads it as it is, any other step
      // (a list, a value that needs converting) is cel-js's on the converted value
      return hasChain(ev, root, props, (obj, key, node) => {
        if (typeof key === "string" && isRawMap(obj)) {
          const v = hasOwn(obj, key) ? obj[key] : undefined;
          if (v === null || v === undefined) return undefined;
          const r = rawRead(v);
          if (r !== CONVERT) return r;
        }
        const converted = celOf(obj);
        return ev.debugType(converted).fieldLazy(converted, key, node, ev);
      });
    },
  };
  return runtime;
}

/**
 * has() of a chain of field selections (`has(a.b.c)`, props innermost last): each step is
 * `step`; a missing field ends it false, except under a plain `.` that is not the last, which
 * is cel-go's "no such key" (unless an earlier `.?` made the chain optional).
 */
function hasChain(
  ev: CelEvaluator,
  root: unknown,
  props: readonly unknown[],
  step: (obj: unknown, key: unknown, node: unknown) => unknown,
): boolean {
  let obj = root;
  let i = props.length - 1;
  let inOptionalContext: boolean | undefined;
  while (i--) {
    const node = props[i] as { op: string; args: unknown[] };
    if (node.op === ".?") inOptionalContext ??= true;
    obj = step(obj, node.args[1], node);
    if (obj !== undefined) continue;
    if (!(!inOptionalContext && i && node.op === ".")) break;
    throw ev.createError("no_such_key", `No such key: ${node.args[1]}`, node);
  }
  return obj !== undefined;
}
