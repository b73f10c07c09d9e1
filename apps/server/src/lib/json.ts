/** Where a JSON text stops being valid: 0-based offset and 1-based line and column. */
export interface JsonErrorLocation {
  offset: number;
  line: number;
  column: number;
  message: string;
}

/**
 * Parses strict JSON (RFC 8259). On failure returns the first error's line and column, which
 * V8's messages do not always carry. Never throws.
 */
export function parseJson(
  text: string,
): { ok: true; value: unknown } | { ok: false; error: JsonErrorLocation } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const offset = locateJsonError(text);
    const raw = e instanceof Error ? e.message : String(e);
    // Keep V8's wording but drop its echo of the input.
    const message = raw.replace(/, ".*" is not valid JSON$/s, "").replace(/ in JSON at position \d+.*$/s, "");
    return { ok: false, error: { offset, ...lineColumn(text, offset), message } };
  }
}

/** 1-based line and column of a 0-based offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** The offset of the first JSON syntax error (the text's length if it ends too soon). */
function locateJsonError(text: string): number {
  let i = 0;
  const fail = (at: number): never => {
    throw at;
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail(i);
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail(i);
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 0x20) fail(i);
      if (c === 92) {
        const next = text[i + 1];
        if (next === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail(i);
          i += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i += 2;
        else fail(i);
      } else i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === "" || m[0] === "-") fail(i);
    i += (m as RegExpExecArray)[0].length;
  };
  const value = (depth: number): void => {
    if (depth > 10_000) fail(i);
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(i);
        string();
        ws();
        if (text[i] !== ":") fail(i);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        fail(i);
      }
    } else if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        fail(i);
      }
    } else if (c === '"') string();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) number();
    else fail(i);
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(i);
    return Math.min(i, text.length);
  } catch (at) {
    return typeof at === "number" ? at : 0;
  }
}

/** The one object key no request body may hold: objects built from the value drop it, or make it their prototype. */
export const PROTO_KEY = "__proto__";

/**
 * The path to the first `__proto__` key of a parsed value (JSON.parse and the YAML parser keep
 * it as a key; a schema or a spread that builds an object from it drops it silently, and an
 * assignment makes it the object's prototype); undefined when none. Iterative. Never throws.
 */
export function findProtoKey(value: unknown): (string | number)[] | undefined {
  const stack: { node: unknown; path: (string | number)[] }[] = [{ node: value, path: [] }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const { node, path } = top;
    if (node === null || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ node: node[i], path: [...path, i] });
      continue;
    }
    if (Object.hasOwn(node, PROTO_KEY)) return [...path, PROTO_KEY];
    const keys = Object.keys(node);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      stack.push({ node: (node as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return undefined;
}

/** A key of a JSON text that a request body may not hold, where it is. */
export interface RefusedKey {
  /** The key's path (`spec.match` and the key). */
  path: (string | number)[];
  key: string;
  reason: "duplicate" | "proto";
  offset: number;
  line: number;
  column: number;
}

/**
 * The first key of `text` (valid JSON, whose parsed value is `value`) repeated in its object:
 * JSON.parse keeps the last one silently, where another reader of the same text (a proxy, an
 * admission check in front) may keep the first. Undefined when none. A key count decides first
 * (cheap: a walk of `value` and a pass over the text); the text is scanned for the position
 * only when one is there. Never throws.
 */
export function findDuplicateKey(text: string, value: unknown): RefusedKey | undefined {
  if (countKeys(value) === countWrittenKeys(text)) return undefined;
  return scanKeys(text, { proto: false });
}

/** Where the first `__proto__` key of valid JSON text is (findProtoKey, with its position). Never throws. */
export function locateProtoKey(text: string): RefusedKey | undefined {
  return scanKeys(text, { proto: true });
}

/** How many keys the objects of a parsed value hold. Iterative. */
function countKeys(value: unknown): number {
  let n = 0;
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      for (const child of node) stack.push(child);
      continue;
    }
    for (const key of Object.keys(node)) {
      n++;
      stack.push((node as Record<string, unknown>)[key]);
    }
  }
  return n;
}

/** How many keys valid JSON text writes: a string followed by a colon is a key. */
function countWrittenKeys(text: string): number {
  let n = 0;
  for (let i = text.indexOf('"'); i >= 0; ) {
    // the end of the string that starts at i
    let end = i + 1;
    for (;;) {
      end = text.indexOf('"', end);
      if (end < 0) return n;
      let backslashes = 0;
      while (text.charCodeAt(end - 1 - backslashes) === 92) backslashes++;
      if (backslashes % 2 === 0) break;
      end++;
    }
    let next = end + 1;
    while (next < text.length && isJsonSpace(text.charCodeAt(next))) next++;
    if (text.charCodeAt(next) === 58) n++;
    i = text.indexOf('"', next);
  }
  return n;
}

const isJsonSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/** Scans valid JSON for the first duplicate key, or with `proto` the first `__proto__` key. */
function scanKeys(text: string, options: { proto: boolean }): RefusedKey | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  /** Skips the string at i; returns its raw text, quotes included. */
  const string = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return text.slice(start, i);
  };
  const found = (path: (string | number)[], key: string, at: number, reason: RefusedKey["reason"]) => ({
    path: [...path, key],
    key,
    reason,
    offset: at,
    ...lineColumn(text, at),
  });
  const value = (path: (string | number)[]): RefusedKey | undefined => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const seen = new Set<string>();
      for (;;) {
        ws();
        if (text[i] === "}") break;
        if (text[i] === ",") {
          i++;
          continue;
        }
        const at = i;
        const key = JSON.parse(string()) as string;
        if (options.proto) {
          if (key === PROTO_KEY) return found(path, key, at, "proto");
        } else if (seen.has(key)) return found(path, key, at, "duplicate");
        seen.add(key);
        ws();
        i++; // the colon
        const inner = value([...path, key]);
        if (inner) return inner;
      }
      i++;
    } else if (c === "[") {
      i++;
      for (let index = 0; ; ) {
        ws();
        if (text[i] === "]") break;
        if (text[i] === ",") {
          i++;
          index++;
          continue;
        }
        const inner = value([...path, index]);
        if (inner) return inner;
      }
      i++;
    } else if (c === '"') string();
    else while (i < text.length && !",]} \t\n\r".includes(text[i] as string)) i++;
    return undefined;
  };
  try {
    return value([]);
  } catch {
    // not valid JSON after all: nothing to say about its keys
    return undefined;
  }
}

/**
 * Canonical JSON (object keys sorted, `__proto__` kept as data): core's, the one canonical form
 * of the engine and the service, re-exported so the service's imports stay where they were.
 */
export { canonicalJson } from "@celgate/core";
