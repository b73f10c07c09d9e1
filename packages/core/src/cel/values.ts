/**
 * The value adapter between JSON/YAML data and CEL. Whole numbers become CEL `int` (bigint),
 * other numbers stay `double`; maps become prototype-less objects so that keys such as
 * `__proto__` or `constructor` are plain data; depth is bounded so that a hostile document
 * cannot overflow the stack. Throws a ValueDepthError past the depth limit.
 */
export const MAX_VALUE_DEPTH = 200;

const hasOwn = Object.hasOwn;

export class ValueDepthError extends Error {
  constructor() {
    super(`document nested deeper than ${MAX_VALUE_DEPTH} levels`);
    this.name = "ValueDepthError";
  }
}

export function toCel(value: unknown, depth = 0): unknown {
  return convert(value, depth, false);
}

/**
 * Like `toCel`, for Kubernetes objects: a key whose value is null is left out, as the API
 * server does (`volumes:` with nothing after it means no volumes), so `has()` and `.?` see it
 * as absent.
 */
export function objectToCel(value: unknown): unknown {
  return convert(value, 0, true);
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
      // Built as an ordinary object and then cut loose from its prototype: V8 keeps such an
      // object in fast mode (shared shapes, quick reads), where Object.create(null) starts a
      // hash table per object, several times dearer to build and to collect.
      const out: Record<string, unknown> = {};
      // for...in with an own-key check walks the keys without allocating an array of them
      for (const key in value) {
        if (!hasOwn(value, key)) continue;
        const item = (value as Record<string, unknown>)[key];
        if (dropNulls && (item === null || item === undefined)) continue;
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
