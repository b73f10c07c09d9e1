import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { formatPath } from "../util/path.js";

/**
 * The limits on the shape of one input (a manifest file or document, a request body, a data
 * file): one definition for the CLI and the service, so both refuse the same inputs. Each is
 * checked before anything else looks at the input, and a value over it is refused with the
 * field path and the limit's name, never truncated or partly used.
 */
export interface InputLimits {
  /** Deepest nesting of mappings and sequences (objects and arrays); the top level counts 1. */
  maxDepth: number;
  /** YAML aliases (`*name`) in one document, counting each use of an anchor. */
  maxAliases: number;
  /**
   * Size of one input once YAML aliases are expanded: every value counts 1, plus the length of
   * each string and mapping key (about the size of the input written out as JSON, without aliases).
   */
  maxExpandedSize: number;
  /** Longest string (or mapping key), in UTF-16 code units. */
  maxStringLength: number;
  /** YAML documents and Kubernetes objects (List items included) in one input. */
  maxDocuments: number;
}

/**
 * Each limit's environment variable (read by the service and the CLI alike), what it bounds,
 * and the range a configured value must be in.
 */
export const INPUT_LIMITS: Readonly<
  Record<
    keyof InputLimits,
    { readonly variable: string; readonly what: string; readonly min: number; readonly max: number }
  >
> = {
  // capped well below the ~900 levels at which PGlite 0.3.8 broke (0.6.1 holds 2,000)
  maxDepth: { variable: "CELGATE_MAX_DEPTH", what: "nesting depth", min: 2, max: 512 },
  maxAliases: {
    variable: "CELGATE_MAX_YAML_ALIASES",
    what: "YAML aliases per document",
    min: 0,
    max: 100_000,
  },
  maxExpandedSize: {
    variable: "CELGATE_MAX_EXPANDED_SIZE",
    what: "expanded size",
    min: 1024,
    max: 1024 ** 3,
  },
  maxStringLength: { variable: "CELGATE_MAX_STRING_LENGTH", what: "string length", min: 64, max: 1024 ** 3 },
  maxDocuments: { variable: "CELGATE_MAX_DOCUMENTS", what: "documents per input", min: 1, max: 10_000_000 },
};

/**
 * The defaults. Depth 128 is more than three times the deepest object in the manifest corpora
 * (35 levels: Argo CD's ApplicationSet CRD) and far below where engines break (PGlite 0.3.8
 * near 900, V8's structured clone near 10,000). 100 aliases is what policy documents have always allowed.
 * 32 MiB is the largest manifest input; 1 MiB is the most a ConfigMap or Secret can hold.
 */
export const DEFAULT_INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxDepth: 128,
  maxAliases: 100,
  maxExpandedSize: 32 * 1024 * 1024,
  maxStringLength: 1024 * 1024,
  maxDocuments: 10_000,
});

/**
 * The limits from environment variables (INPUT_LIMITS names them; unset or empty means the
 * default). Values are whole numbers within each limit's range. Pure: the caller passes the
 * environment. Returns every bad variable at once; never throws.
 */
export function inputLimitsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; limits: InputLimits } | { ok: false; errors: string[] } {
  const limits: InputLimits = { ...DEFAULT_INPUT_LIMITS };
  const errors: string[] = [];
  for (const key of Object.keys(INPUT_LIMITS) as (keyof InputLimits)[]) {
    const { variable, min, max } = INPUT_LIMITS[key];
    const raw = env[variable]?.trim();
    if (raw === undefined || raw === "") continue;
    const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max)
      errors.push(`${variable}: a whole number from ${min} to ${max}, not ${JSON.stringify(raw)}`);
    else limits[key] = value;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, limits };
}

/**
 * Why an input was refused: which limit, or `nul` / `unicode` for text no database can store
 * (a NUL character, a lone UTF-16 surrogate); where; and a message naming both.
 */
export interface LimitViolation {
  limit: keyof InputLimits | "nul" | "unicode";
  /** Path of the offending value (`spec.containers[0].args[3]`); empty for the input as a whole. */
  path: string;
  /** One line, naming the limit and its variable, without the path. */
  message: string;
}

/** `the nesting depth limit of 128 (CELGATE_MAX_DEPTH)`: how messages name a limit. */
export function describeLimit(limit: keyof InputLimits, limits: InputLimits): string {
  const { what, variable } = INPUT_LIMITS[limit];
  return `the ${what} limit of ${limits[limit]} (${variable})`;
}

/** A violation of a numeric limit, with its standard message. */
export function limitViolation(
  limit: keyof InputLimits,
  limits: InputLimits,
  path: readonly (string | number)[] | string,
  found: string,
): LimitViolation {
  return {
    limit,
    path: typeof path === "string" ? path : renderPath(path),
    message: `${found}, over ${describeLimit(limit, limits)}`,
  };
}

const NUL_MESSAGE = "contains a NUL character (U+0000), which cannot be stored; remove it";
const SURROGATE_MESSAGE = "contains a lone UTF-16 surrogate (not valid Unicode), which cannot be stored";
/** With the `u` flag, surrogates match only when unpaired. */
export const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** A violation as a diagnostic: code `input-limit`, or `input-nul` / `input-unicode` for unstorable text. */
export function limitDiagnostic(
  violation: LimitViolation,
  where: { file?: string | undefined; line?: number | undefined; column?: number | undefined } = {},
): Diagnostic {
  return {
    code:
      violation.limit === "nul" || violation.limit === "unicode" ? `input-${violation.limit}` : "input-limit",
    message: violation.message,
    ...(violation.path === "" ? {} : { path: violation.path }),
    ...(where.file === undefined ? {} : { file: where.file }),
    ...(where.line === undefined ? {} : { line: where.line }),
    ...(where.column === undefined ? {} : { column: where.column }),
  };
}

export interface CheckValueOptions {
  /**
   * Expanded size already used by earlier documents of the same input; checkValue adds this
   * value's, so that maxExpandedSize bounds the input as a whole.
   */
  budget?: { used: number };
  /**
   * True when the value is known to share no objects (straight from JSON.parse, or YAML
   * without aliases): skips the bookkeeping that finds aliases. A wrong `true` walks every
   * alias again, which maxExpandedSize still bounds, only much more slowly.
   */
  tree?: boolean;
  /** Path of the value inside a larger input, prefixed to every reported path. */
  at?: readonly (string | number)[];
  /**
   * Strings allowed past maxStringLength: text that is parsed further (a request's manifests)
   * and bounded by the body size instead. Called only for strings over the limit.
   */
  allowLongString?: (path: readonly (string | number)[]) => boolean;
  /**
   * True when the caller has checked the text the value was parsed from and no string or key
   * of it can hold a NUL or a lone surrogate (YAML without escapes, checked as a whole): skips
   * looking for them string by string. The other limits are checked as ever.
   */
  textChecked?: boolean;
}

interface Frame {
  value: object;
  parent: Frame | undefined;
  key: string | number | undefined;
  depth: number;
  expanded: boolean;
  size: number;
  height: number;
}

/**
 * Checks a parsed value (JSON, or YAML whose aliases are shared references) against the
 * limits, and that no string or key holds what no database can store (NUL, a lone
 * surrogate). Iterative, so no input can exhaust the stack (a tree is first measured
 * recursively, at most maxDepth + 1 levels deep, when maxDepth is at most 1,024); an aliased
 * subtree is measured once and its size reused, so an alias bomb is refused in time
 * proportional to its text, not its expansion. Returns the first violation found, or
 * undefined. Never throws.
 */
export function checkValue(
  value: unknown,
  limits: InputLimits,
  options: CheckValueOptions = {},
): LimitViolation | undefined {
  const at = options.at ?? [];
  if (value === null || typeof value !== "object") {
    if (options.budget) options.budget.used += typeof value === "string" ? 1 + value.length : 1;
    if (typeof value === "string") return checkString(value, () => at, limits, options);
    return undefined;
  }
  const base = options.budget?.used ?? 0;
  const tree = options.tree === true;
  if (tree && limits.maxDepth <= MAX_RECURSIVE_DEPTH) {
    // the common case, a tree within every limit, measured by a lighter walk; anything it
    // cannot vouch for is walked again below, which finds the violation and its path
    const size = treeSize(value, 1, limits, base, options.textChecked === true);
    if (size >= 0) {
      if (options.budget) options.budget.used += size;
      return undefined;
    }
  }
  const overSize = (size: number) => base + size > limits.maxExpandedSize;
  // keys are never allowed past maxStringLength
  const keyOptions: CheckValueOptions = options.textChecked ? { textChecked: true } : {};
  const measured = new Map<object, { size: number; height: number }>();
  const inProgress = new Set<object>();
  let aliases = 0;
  const pathOf = (frame: Frame | undefined, last?: string | number): (string | number)[] => {
    const parts: (string | number)[] = [];
    if (last !== undefined) parts.push(last);
    for (let f = frame; f?.key !== undefined; f = f.parent) parts.push(f.key);
    return [...at, ...parts.reverse()];
  };
  /** An object met again: a YAML alias. Returns a violation, or adds its measure to the parent. */
  const reuse = (
    known: { size: number; height: number },
    parent: Frame,
    key: string | number,
  ): LimitViolation | undefined => {
    aliases++;
    if (aliases > limits.maxAliases)
      return limitViolation("maxAliases", limits, pathOf(parent, key), `${aliases} aliases`);
    if (parent.depth + known.height > limits.maxDepth)
      return limitViolation(
        "maxDepth",
        limits,
        pathOf(parent, key),
        `nested ${parent.depth + known.height} levels deep through an alias`,
      );
    parent.size += known.size;
    if (overSize(parent.size))
      return limitViolation(
        "maxExpandedSize",
        limits,
        pathOf(parent, key),
        "too large once YAML aliases are expanded",
      );
    parent.height = Math.max(parent.height, known.height + 1);
    return undefined;
  };
  /** One child of an object being expanded: measured at once if a scalar or met before, else queued. */
  const visit = (
    frame: Frame,
    key: string | number,
    child: unknown,
    pending: Frame[],
  ): LimitViolation | undefined => {
    if (child !== null && typeof child === "object") {
      const seen = tree ? undefined : measured.get(child);
      if (seen !== undefined) return reuse(seen, frame, key);
      pending.push({
        value: child,
        parent: frame,
        key,
        depth: frame.depth + 1,
        expanded: false,
        size: 0,
        height: 0,
      });
      return undefined;
    }
    if (typeof child !== "string") {
      frame.size += 1;
      return undefined;
    }
    frame.size += 1 + child.length;
    return checkString(child, () => pathOf(frame, key), limits, options);
  };
  const stack: Frame[] = [
    { value, parent: undefined, key: undefined, depth: 1, expanded: false, size: 0, height: 0 },
  ];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    const object = frame.value;
    if (frame.expanded) {
      stack.pop();
      if (!tree) {
        inProgress.delete(object);
        measured.set(object, { size: frame.size, height: frame.height });
      }
      const parent = frame.parent;
      if (!parent && options.budget) options.budget.used += frame.size;
      if (parent) {
        parent.size += frame.size;
        parent.height = Math.max(parent.height, frame.height + 1);
        if (overSize(parent.size))
          return limitViolation(
            "maxExpandedSize",
            limits,
            pathOf(parent),
            "too large once YAML aliases are expanded",
          );
      }
      continue;
    }
    const known = tree ? undefined : measured.get(object);
    if (known !== undefined || (!tree && inProgress.has(object))) {
      stack.pop();
      const parent = frame.parent as Frame; // the root is never met twice
      if (known === undefined)
        return limitViolation(
          "maxDepth",
          limits,
          pathOf(frame),
          "an alias that contains itself is infinitely deep",
        );
      const v = reuse(known, parent, frame.key as string | number);
      if (v) return v;
      continue;
    }
    if (frame.depth > limits.maxDepth)
      return limitViolation("maxDepth", limits, pathOf(frame), "nested too deeply");
    frame.expanded = true;
    frame.size = 1;
    frame.height = 1;
    if (!tree) inProgress.add(object);
    const pending: Frame[] = [];
    if (Array.isArray(object)) {
      for (let i = 0; i < object.length; i++) {
        const v = visit(frame, i, object[i], pending);
        if (v) return v;
      }
    } else {
      for (const key of Object.keys(object)) {
        frame.size += key.length;
        const k = checkString(key, () => pathOf(frame, key), limits, keyOptions, "key");
        if (k) return k;
        const v = visit(frame, key, (object as Record<string, unknown>)[key], pending);
        if (v) return v;
      }
    }
    if (overSize(frame.size))
      return limitViolation(
        "maxExpandedSize",
        limits,
        pathOf(frame),
        "too large once YAML aliases are expanded",
      );
    // in reverse, so that children are visited in document order (an anchor before its aliases)
    for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i] as Frame);
  }
  return undefined;
}

/** The deepest limit up to which a tree is measured by recursion (treeSize): far from the stack's end. */
const MAX_RECURSIVE_DEPTH = 1024;

/**
 * The expanded size of a tree (a value that shares no objects) at `depth` that checkValue finds
 * within every limit, as checkValue counts it; or -1 when it may not be: nested past maxDepth,
 * over maxExpandedSize with `base`, a string or key over maxStringLength (which the caller may
 * allow), or (unless `textChecked`) one holding a NUL or a lone surrogate. Recursive: the depth
 * is at most maxDepth + 1. Never throws.
 */
function treeSize(
  object: object,
  depth: number,
  limits: InputLimits,
  base: number,
  textChecked: boolean,
): number {
  if (depth > limits.maxDepth) return -1;
  let size = 1;
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) {
      const n = childSize(object[i], depth, limits, base + size, textChecked);
      if (n < 0) return -1;
      size += n;
    }
  } else {
    const record = object as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (key.length > limits.maxStringLength || (!textChecked && unstorable(key))) return -1;
      const n = childSize(record[key], depth, limits, base + size, textChecked);
      if (n < 0) return -1;
      size += key.length + n;
    }
  }
  return base + size > limits.maxExpandedSize ? -1 : size;
}

/** treeSize of a child of an object at `depth`: its size, or -1. */
function childSize(
  child: unknown,
  depth: number,
  limits: InputLimits,
  base: number,
  textChecked: boolean,
): number {
  if (typeof child === "string") {
    if (child.length > limits.maxStringLength || (!textChecked && unstorable(child))) return -1;
    return 1 + child.length;
  }
  if (child === null || typeof child !== "object") return 1;
  return treeSize(child, depth + 1, limits, base, textChecked);
}

/** Whether a string holds what no database can store: a NUL, a lone surrogate. */
function unstorable(text: string): boolean {
  return text.includes("\u0000") || LONE_SURROGATE.test(text);
}

/** A string's problem, if any; its path is built only then. */
function checkString(
  text: string,
  path: () => readonly (string | number)[],
  limits: InputLimits,
  options: CheckValueOptions,
  what = "string",
): LimitViolation | undefined {
  if (text.length > limits.maxStringLength && !options.allowLongString?.(path()))
    return limitViolation("maxStringLength", limits, path(), `a ${what} of ${text.length} characters`);
  if (options.textChecked) return undefined;
  if (text.includes("\u0000")) return { limit: "nul", path: renderPath(path()), message: NUL_MESSAGE };
  if (LONE_SURROGATE.test(text))
    return { limit: "unicode", path: renderPath(path()), message: SURROGATE_MESSAGE };
  return undefined;
}

/**
 * Finds where a JSON text nests deeper than maxDepth, without parsing it: a linear scan that
 * keeps only the keys of the open containers, so a body nested a million levels is refused in
 * milliseconds and before any parser sees it. Returns the violation and the offset of the
 * opening bracket past the limit, or undefined (also for malformed text, which the parser
 * reports). Never throws.
 */
export function checkJsonDepth(
  text: string,
  limits: InputLimits,
): (LimitViolation & { offset: number }) | undefined {
  // per open container: its current key (object) or index (array), and whether a key is next
  const keys: (string | number)[] = [];
  const isObject: boolean[] = [];
  const expectKey: boolean[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = i;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34) break;
      }
      const top = keys.length - 1;
      if (top >= 0 && isObject[top] && expectKey[top]) {
        let key: string;
        try {
          key = JSON.parse(text.slice(start, i + 1)) as string;
        } catch {
          key = text.slice(start + 1, i);
        }
        keys[top] = key;
        expectKey[top] = false;
      }
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (keys.length >= limits.maxDepth) {
        return {
          ...limitViolation("maxDepth", limits, keys, "nested too deeply"),
          offset: i,
        };
      }
      keys.push(c === 91 ? 0 : "");
      isObject.push(c === 123);
      expectKey.push(c === 123);
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      keys.pop();
      isObject.pop();
      expectKey.pop();
    } else if (c === 44 /* , */) {
      const top = keys.length - 1;
      if (top >= 0) {
        if (isObject[top]) expectKey[top] = true;
        else keys[top] = (keys[top] as number) + 1;
      }
    }
  }
  return undefined;
}

const MAX_PATH_CHARS = 200;

/** The path as text, shortened in the middle when very long (a deeply nested one). */
function renderPath(path: readonly (string | number)[]): string {
  const text = formatPath(path);
  if (text.length <= MAX_PATH_CHARS) return text;
  return `${text.slice(0, MAX_PATH_CHARS / 2)}…${text.slice(-MAX_PATH_CHARS / 2)}`;
}
