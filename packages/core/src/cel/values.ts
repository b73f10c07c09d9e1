/**
 * The value adapter between JSON/YAML data and CEL. Whole numbers become CEL `int` (bigint),
 * other numbers stay `double`; maps become prototype-less objects so that keys such as
 * `__proto__` are plain data, and a map with a `constructor` key of its own becomes a
 * JavaScript Map (cel-js tells a value's type by its `constructor` property, which that key
 * would shadow); depth is bounded so that a hostile document cannot overflow the stack.
 * Throws a ValueDepthError past the depth limit.
 */
export const MAX_VALUE_DEPTH = 200;

const hasOwn = Object.hasOwn;

export class ValueDepthError extends Error {
  constructor() {
    super(`document nested deeper than ${MAX_VALUE_DEPTH} levels`);
    this.name = "ValueDepthError";
  }
}

function isData(value: unknown): boolean {
  const t = typeof value;
  return t !== "function" && t !== "symbol";
}

export function toCel(value: unknown, depth = 0): unknown {
  return convert(value, depth, false);
}

/**
 * Like `toCel`, for Kubernetes objects: a key whose value is null is left out, as the API
 * server does (`volumes:` with nothing after it means no volumes), so `has()` and `.?` see it
 * as absent; so is a key whose value is not data (a function or a symbol, which JSON and YAML
 * never give), so that no map of the result holds a null.
 */
export function objectToCel(value: unknown): unknown {
  return convert(value, 0, true);
}

/**
 * The CEL value of a variable that holds Kubernetes objects (MANIFEST_VARIABLES): `objectToCel`
 * of it, a list element by element (each object of `bundle` or `containers` is converted as
 * the object it is, so the list adds no level of depth). Throws a ValueDepthError past the
 * depth limit.
 */
export function manifestToCel(value: unknown): unknown {
  if (!Array.isArray(value)) return convert(value, 0, true);
  const out = new Array(value.length);
  for (let i = 0; i < value.length; i++) out[i] = convert(value[i], 0, true);
  return out;
}

const depthChecked = new WeakSet<object>();

/**
 * Throws the ValueDepthError that `manifestToCel(value)` would throw, without copying anything:
 * for Kubernetes objects that compiled CEL reads as they are (see compile/runtime.ts). A value
 * found within the limit is remembered (by identity, in a WeakSet: nothing is written on it),
 * so a value read by many expressions is walked once; a caller that makes one deeper
 * afterwards must not hand it in again.
 */
export function checkManifestDepth(value: unknown): void {
  if (typeof value !== "object" || value === null || depthChecked.has(value)) return;
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) walkDepth(value[i], 0);
  else walkDepth(value, 0);
  depthChecked.add(value);
}

/**
 * Records that `value` is within the depth limit without walking it: for a part of a value
 * checked by checkManifestDepth (a pod spec inside its workload), or a list of such parts.
 */
export function markDepthChecked(value: unknown): void {
  if (typeof value === "object" && value !== null) depthChecked.add(value);
}

/** The recursion of `convert` with dropNulls, counting depth the same way, building nothing. */
function walkDepth(value: unknown, depth: number): void {
  if (depth > MAX_VALUE_DEPTH) throw new ValueDepthError();
  if (typeof value !== "object" || value === null || value instanceof Date) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) walkDepth(value[i], depth + 1);
    return;
  }
  for (const key in value) {
    if (!hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    if (item !== null && item !== undefined && isData(item)) walkDepth(item, depth + 1);
  }
}

function convert(value: unknown, depth: number, dropNulls: boolean): unknown {
  if (depth > MAX_VALUE_DEPTH) throw new ValueDepthError();
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) ? BigInt(value) : value;
    case "string":
    case "boolean":
    case "bigint":
      return value;
    case "undefined":
      return null;
    case "object": {
      if (value === null) return null;
      if (Array.isArray(value)) {
        const out = new Array(value.length);
        for (let i = 0; i < value.length; i++) out[i] = convert(value[i], depth + 1, dropNulls);
        return out;
      }
      if (value instanceof Date) return value;
      // a CEL map already (only this adapter makes Maps, with their values converted)
      if (value instanceof Map) return value;
      if (hasOwn(value, "constructor")) return convertToMap(value, depth, dropNulls);
      // Built as an ordinary object and then cut loose from its prototype: V8 keeps such an
      // object in fast mode (shared shapes, quick reads), where Object.create(null) starts a
      // hash table per object, several times dearer to build and to collect.
      const out: Record<string, unknown> = {};
      // for...in with an own-key check walks the keys without allocating an array of them
      for (const key in value) {
        if (!hasOwn(value, key)) continue;
        const item = (value as Record<string, unknown>)[key];
        // a key without a value is absent; so is one whose value is not data (a function)
        if (dropNulls && (item === null || item === undefined || !isData(item))) continue;
        const converted = convert(item, depth + 1, dropNulls);
        // assigning `__proto__` would set the prototype: define it as the plain key it is
        if (key === "__proto__") {
          Object.defineProperty(out, key, {
            value: converted,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else out[key] = converted;
      }
      Object.setPrototypeOf(out, null);
      return out;
    }
    default:
      return null;
  }
}

/**
 * A map with a `constructor` key of its own, as a Map. As an object, cel-js would read that key
 * for its type and find none: an error (under failurePolicy Ignore, an allow) for a map that
 * Kubernetes evaluates like any other. A Map's keys are no properties; cel-js reads them with
 * `get` in every operation on maps.
 */
function convertToMap(value: object, depth: number, dropNulls: boolean): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const key in value) {
    if (!hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    if (dropNulls && (item === null || item === undefined || !isData(item))) continue;
    out.set(key, convert(item, depth + 1, dropNulls));
  }
  return out;
}

/** Converts a CEL result back to JSON-friendly data (bigint -> number, Date -> ISO text). */
export function fromCel(value: unknown, depth = 0): unknown {
  if (depth > MAX_VALUE_DEPTH) return null;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => fromCel(v, depth + 1));
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = fromCel(v, depth + 1);
    return out;
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value))
      out[key] = fromCel((value as Record<string, unknown>)[key], depth + 1);
    return out;
  }
  return value;
}

/** Renders a CEL value for a message: strings as they are, everything else as JSON-ish text. */
export function celToText(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(fromCel(value));
  } catch {
    return String(value);
  }
}
