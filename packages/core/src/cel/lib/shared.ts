/**
 * Helpers the function libraries share: runtime errors, CEL type names, CEL equality and
 * ordering over the JavaScript values cel-js uses (bigint int, number double, UnsignedInt,
 * string, boolean, null, Uint8Array bytes, arrays, Map or plain/prototype-less objects,
 * Date timestamps, Duration).
 */

import type { Environment } from "@marcbachmann/cel-js";
import { EvaluationError, Optional } from "@marcbachmann/cel-js";
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** A CEL evaluation error; cel-js attaches the call's source position when a handler throws it. */
export function celError(message: string): EvaluationError {
  return new EvaluationError(message);
}

/** Values of celgate's own CEL types (Quantity, IP, ...) name their CEL type with this. */
export interface CelObject {
  readonly celType: string;
  equals(other: unknown): boolean;
}

/** True for class instances only, so that a user map with a `celType` key stays a map. */
function isClassInstance(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto !== null && proto !== Object.prototype;
}

function isCelObject(value: object): value is CelObject {
  return isClassInstance(value) && typeof (value as Partial<CelObject>).celType === "string";
}

/** The CEL types with an order (`<`, sort, min, max): what cel-go's lists library accepts as elements or keys. */
export const ORDERED_TYPES: ReadonlySet<string> = new Set([
  "int",
  "uint",
  "double",
  "bool",
  "string",
  "bytes",
  "google.protobuf.Duration",
  "google.protobuf.Timestamp",
]);

/** The CEL type name of a runtime value, as cel-go spells it in error messages. */
export function celTypeName(value: unknown): string {
  switch (typeof value) {
    case "bigint":
      return "int";
    case "number":
      return "double";
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "undefined":
      return "null_type";
  }
  if (value === null) return "null_type";
  if (value instanceof UnsignedInt) return "uint";
  if (value instanceof Uint8Array) return "bytes";
  if (Array.isArray(value)) return "list";
  if (value instanceof Date) return "google.protobuf.Timestamp";
  if (value instanceof Duration) return "google.protobuf.Duration";
  if (value instanceof Optional) return "optional_type";
  if (typeof value === "object" && isCelObject(value)) return value.celType;
  if (isTypeValue(value)) return "type";
  return "map";
}

/** cel-js's `type(x)` values are instances of an unexported class with a `name`. */
export function isTypeValue(value: unknown): value is { name: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    isClassInstance(value) &&
    value.constructor.name === "Type" &&
    typeof (value as { name?: unknown }).name === "string"
  );
}

/** True for a CEL map: a Map, or an object that is none of the other CEL values. */
export function isCelMap(value: unknown): value is Map<unknown, unknown> | Record<string, unknown> {
  return celTypeName(value) === "map";
}

/** The entries of a CEL map, whichever representation it has. */
export function mapEntries(value: Map<unknown, unknown> | Record<string, unknown>): [unknown, unknown][] {
  if (value instanceof Map) return [...value.entries()];
  return Object.keys(value).map((key) => [key, value[key]]);
}

function isNumeric(value: unknown): value is bigint | number | UnsignedInt {
  return typeof value === "bigint" || typeof value === "number" || value instanceof UnsignedInt;
}

/** 2^63 and 2^64 as doubles: Go's math.MaxInt64 and math.MaxUint64 when compared with a float64. */
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/**
 * Numeric comparison across int, uint and double as cel-go orders them (common/types/compare.go):
 * int with uint exactly; an int or uint with a double by the double's sign or range first, then
 * by converting the integer to a double, so 2^63 - 1 and 2^63 compare equal (cel-spec's
 * `not_lt_dyn_int_big_lossy_double`). NaN compares as undefined.
 */
function compareNumbers(
  a: bigint | number | UnsignedInt,
  b: bigint | number | UnsignedInt,
): number | undefined {
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === "number") {
    const flipped = compareNumbers(b, a);
    return flipped === undefined ? undefined : -flipped;
  }
  const x = a instanceof UnsignedInt ? a.value : a;
  if (typeof b !== "number") {
    const y = b instanceof UnsignedInt ? b.value : b;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (Number.isNaN(b)) return undefined;
  const [low, high] = a instanceof UnsignedInt ? [0, TWO_64] : [-TWO_63, TWO_63];
  if (b < low) return 1;
  if (b > high) return -1;
  const converted = Number(x);
  return converted < b ? -1 : converted > b ? 1 : 0;
}

/** CEL equality (`==`), with numbers equal across int, uint and double as in cel-go. */
export function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return !Number.isNaN(a); // NaN is not equal to itself
  if (isNumeric(a) && isNumeric(b)) return compareNumbers(a, b) === 0;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && compareBytes(a, b) === 0;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => celEquals(x, b[i]))
    );
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (a instanceof Duration || b instanceof Duration) {
    return a instanceof Duration && b instanceof Duration && a.seconds === b.seconds && a.nanos === b.nanos;
  }
  if (a instanceof Optional || b instanceof Optional) {
    if (!(a instanceof Optional && b instanceof Optional)) return false;
    if (!a.hasValue() || !b.hasValue()) return a.hasValue() === b.hasValue();
    return celEquals(a.value(), b.value());
  }
  if (isCelObject(a)) return a.equals(b);
  if (isTypeValue(a) || isTypeValue(b)) return isTypeValue(a) && isTypeValue(b) && a.name === b.name;
  if (!isCelMap(a) || !isCelMap(b)) return false;
  if (!(a instanceof Map) && !(b instanceof Map)) {
    // both keyed by strings: look each key up rather than search
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && celEquals(a[key], b[key]));
  }
  const left = mapEntries(a);
  const right = mapEntries(b);
  if (left.length !== right.length) return false;
  return left.every(([key, value]) => {
    const match = right.find(([otherKey]) => celEquals(key, otherKey));
    return match !== undefined && celEquals(value, match[1]);
  });
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Compares strings by Unicode code point, as Go compares UTF-8 strings (JS `<` uses UTF-16 units). */
export function compareStrings(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/**
 * CEL ordering (`<`) for the comparable types: numbers (across int, uint, double), strings,
 * bools, bytes, timestamps and durations. Throws a CEL error for other or mixed types.
 */
export function celCompare(a: unknown, b: unknown): number {
  if (isNumeric(a) && isNumeric(b)) {
    const result = compareNumbers(a, b);
    if (result === undefined) throw celError("NaN values cannot be ordered");
    return result;
  }
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  if (typeof a === "boolean" && typeof b === "boolean") return a === b ? 0 : a ? 1 : -1;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime());
  if (a instanceof Duration && b instanceof Duration) {
    if (a.seconds !== b.seconds) return a.seconds < b.seconds ? -1 : 1;
    return Math.sign(a.nanos - b.nanos);
  }
  throw celError(`no such overload: ${celTypeName(a)} < ${celTypeName(b)}`);
}

/** Converts a CEL int argument to a JS number, clamped to the safe range (indexes, counts). */
export function toIndex(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (value < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(value);
}

/** Throws a CEL overflow error unless `value` fits a CEL int (int64). */
export function checkInt64(value: bigint): bigint {
  if (value < INT64_MIN || value > INT64_MAX) throw celError("integer overflow");
  return value;
}

/**
 * Registers a namespace constant such as `sets` so that `sets.contains(a, b)` parses as a
 * method call on it, the way cel-js provides `cel.bind`. Returns the namespace's type name.
 */
export function registerNamespace(env: Environment, name: string): string {
  const typeName = `celgate.${name}Namespace`;
  // A distinct class per namespace: cel-js maps constructors to types one to one.
  const Namespace = class {};
  Object.defineProperty(Namespace, "name", { value: typeName });
  env.registerType(typeName, Namespace);
  env.registerConstant(name, typeName, new Namespace());
  return typeName;
}

/** Returned by a BuiltinOverride that does not apply to its arguments: cel-js's own overload runs. */
export const FALLBACK: unique symbol = Symbol("celgate.fallback");

/**
 * A replacement for a cel-js built-in function, which cel-js does not let us re-register.
 * The evaluation hook (../hooks.ts) calls `apply` with the evaluated receiver (for a method)
 * and arguments; FALLBACK hands the call back to cel-js.
 */
export interface BuiltinOverride {
  /** A method (`x.name(...)`) rather than a global function (`name(...)`). */
  method: boolean;
  name: string;
  apply(values: readonly unknown[]): unknown;
  /** Checks (and returns) the result of cel-js's own overload when `apply` fell back. */
  check?(result: unknown): unknown;
}

/**
 * A replacement for part of a cel-js operator (`==`, `in`, `[]`, `+`, ...), which cel-js does
 * not let us re-register. The evaluation hook (../hooks.ts) wraps the handler cel-js chose at
 * type check: `apply` sees the evaluated operands first and either answers or hands them (as
 * they are or converted) to cel-js's handler through `next`; `check` sees the result.
 */
export interface OperatorOverride {
  op: string;
  /** Whether the override concerns this type-checked node (all nodes of `op` when absent). */
  applies?(node: { args: unknown }): boolean;
  apply?(left: unknown, right: unknown, next: (left: unknown, right: unknown) => unknown): unknown;
  check?(result: unknown): unknown;
}
