/**
 * cel-go's strings extension (ext/strings.go) at version 2, as Kubernetes 1.34 enables it
 * (cel-go v0.26). cel-js provides some of these functions itself with JavaScript semantics
 * (UTF-16 indexes, Unicode case mapping, JavaScript's whitespace set, '' splitting into
 * UTF-16 units), and its built-ins cannot be re-registered, so `stringsOverrides` replaces
 * them at evaluation time (see ../hooks.ts). Indexes and lengths count Unicode code points,
 * as Go's []rune does. `reverse()` is version 3, which Kubernetes does not enable, so it is
 * not registered.
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { FunctionDoc } from "../doc.js";
import { type BuiltinOverride, celError, FALLBACK, registerNamespace, toIndex } from "../shared.js";
import { formatString } from "./format.js";
import { NAMED_ESCAPES } from "./go-format.js";

/** The character (code point) at `index`; '' at the end of the string; an error outside it. */
function charAt(text: string, index: bigint): string {
  const chars = Array.from(text);
  if (index < 0n || index > BigInt(chars.length)) throw celError(`index out of range: ${index}`);
  return chars[Number(index)] ?? "";
}

/** Where `sub` (code points) occurs in `chars` at `at`. */
function occursAt(chars: readonly string[], sub: readonly string[], at: number): boolean {
  for (let j = 0; j < sub.length; j++) if (chars[at + j] !== sub[j]) return false;
  return true;
}

/**
 * cel-go's indexOfOffset (v0.22 and later): '' is found at the offset itself; a negative offset
 * is an error; an offset at or past the end finds nothing (-1).
 */
export function indexOf(text: string, search: string, offset: bigint): bigint {
  if (search === "") return offset;
  if (offset < 0n) throw celError(`index out of range: ${offset}`);
  const chars = Array.from(text);
  if (offset >= BigInt(chars.length)) return -1n;
  const sub = Array.from(search);
  for (let i = Number(offset); i <= chars.length - sub.length; i++)
    if (occursAt(chars, sub, i)) return BigInt(i);
  return -1n;
}

/**
 * cel-go's lastIndexOfOffset: the last match starting at or before the offset. '' is found at
 * the offset; a negative offset is an error; an offset at or past the end finds nothing (-1).
 */
export function lastIndexOf(text: string, search: string, offset?: bigint): bigint {
  const chars = Array.from(text);
  if (offset === undefined) {
    if (search === "") return BigInt(chars.length);
    // a search string longer than the text cannot occur (newer cel-go says so before the offset check)
    if (chars.length === 0) return -1n;
    return lastIndexOf(text, search, BigInt(chars.length - 1));
  }
  if (search === "") return offset;
  if (offset < 0n) throw celError(`index out of range: ${offset}`);
  if (offset >= BigInt(chars.length)) return -1n;
  const sub = Array.from(search);
  for (let i = Math.min(Number(offset), chars.length - sub.length); i >= 0; i--) {
    if (occursAt(chars, sub, i)) return BigInt(i);
  }
  return -1n;
}

/** cel-go's substr and substrRange, by code point. */
export function substring(text: string, start: bigint, end?: bigint): string {
  const chars = Array.from(text);
  const length = BigInt(chars.length);
  if (end !== undefined && start > end) {
    throw celError(`invalid substring range. start: ${start}, end: ${end}`);
  }
  if (start < 0n || start > length) throw celError(`index out of range: ${start}`);
  if (end !== undefined && (end < 0n || end > length)) throw celError(`index out of range: ${end}`);
  return chars.slice(Number(start), end === undefined ? undefined : Number(end)).join("");
}

/** lowerAscii / upperAscii: only A-Z and a-z change, as Go's loop over runes <= MaxASCII does. */
export function lowerAscii(text: string): string {
  return text.replace(/[A-Z]+/g, (run) => run.toLowerCase());
}

export function upperAscii(text: string): string {
  return text.replace(/[a-z]+/g, (run) => run.toUpperCase());
}

/**
 * Go's unicode.IsSpace, which strings.TrimSpace uses: the Unicode White_Space characters.
 * Unlike JavaScript's trim() it includes U+0085 (NEL) and excludes U+FEFF (BOM).
 */
const GO_SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const GO_TRIM = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, "g");

export function trim(text: string): string {
  return text.replace(GO_TRIM, "");
}

/** Go's strings.SplitN with an empty separator: one part per code point, the last holding the rest. */
function splitChars(text: string, limit: number): string[] {
  if (limit === 0) return [];
  const chars = Array.from(text);
  if (limit < 0 || chars.length <= limit) return chars;
  return [...chars.slice(0, limit - 1), chars.slice(limit - 1).join("")];
}

/** Go's strings.Replace: at most `limit` replacements (all when negative), by code point for ''. */
function replace(text: string, search: string, replacement: string, limit: number): string {
  if (limit === 0 || search === replacement) return text;
  let remaining = limit < 0 ? Number.POSITIVE_INFINITY : limit;
  if (search === "") {
    // An empty search string matches before every character and at the end.
    let out = "";
    for (const char of text) {
      if (remaining-- > 0) out += replacement;
      out += char;
    }
    return remaining > 0 ? out + replacement : out;
  }
  let out = "";
  let from = 0;
  while (remaining-- > 0) {
    const at = text.indexOf(search, from);
    if (at < 0) break;
    out += text.slice(from, at) + replacement;
    from = at + search.length;
  }
  return out + text.slice(from);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** strings.quote: a double-quoted CEL string literal; invalid UTF-16 becomes U+FFFD. */
export function quote(text: string): string {
  const clean = text.replace(LONE_SURROGATE, "\uFFFD");
  return `"${Array.from(clean, (c) => NAMED_ESCAPES[c] ?? c).join("")}"`;
}

/** Registers charAt, replace, format and strings.quote. */
export function registerStringsLibrary(env: Environment): void {
  env.registerFunction("string.charAt(int): string", charAt);
  env.registerFunction(
    "string.replace(string, string): string",
    (text: string, search: string, with_: string) => replace(text, search, with_, -1),
  );
  env.registerFunction(
    "string.replace(string, string, int): string",
    (text: string, search: string, with_: string, n: bigint) => replace(text, search, with_, toIndex(n)),
  );
  env.registerFunction("string.format(list): string", (template: string, args: unknown[]) =>
    formatString(template, args),
  );
  const strings = registerNamespace(env, "strings");
  env.registerFunction(`${strings}.quote(string): string`, (_: unknown, text: string) => quote(text));
}

const str = (value: unknown): value is string => typeof value === "string";
const int = (value: unknown): value is bigint => typeof value === "bigint";

/**
 * The cel-js string built-ins replaced by Kubernetes' semantics. Each applies when the receiver
 * (and arguments) are strings at run time; otherwise cel-js's own overload runs (lists, for
 * instance, also have indexOf).
 */
export const stringsOverrides: readonly BuiltinOverride[] = [
  {
    method: true,
    name: "indexOf",
    apply: ([text, search, offset]) =>
      str(text) && str(search) && (offset === undefined || int(offset))
        ? indexOf(text, search, offset ?? 0n)
        : FALLBACK,
  },
  {
    method: true,
    name: "lastIndexOf",
    apply: ([text, search, offset]) =>
      str(text) && str(search) && (offset === undefined || int(offset))
        ? lastIndexOf(text, search, offset)
        : FALLBACK,
  },
  {
    method: true,
    name: "substring",
    apply: ([text, start, end]) =>
      str(text) && int(start) && (end === undefined || int(end)) ? substring(text, start, end) : FALLBACK,
  },
  { method: true, name: "lowerAscii", apply: ([text]) => (str(text) ? lowerAscii(text) : FALLBACK) },
  { method: true, name: "upperAscii", apply: ([text]) => (str(text) ? upperAscii(text) : FALLBACK) },
  { method: true, name: "trim", apply: ([text]) => (str(text) ? trim(text) : FALLBACK) },
  {
    method: true,
    name: "split",
    apply: ([text, separator, limit]) =>
      str(text) && separator === "" && (limit === undefined || int(limit))
        ? splitChars(text, limit === undefined ? -1 : toIndex(limit))
        : FALLBACK,
  },
];

export const stringsFunctions: FunctionDoc[] = [
  {
    signature: "<string>.charAt(<int>) -> <string>",
    description:
      "The character at a code-point index; '' when the index equals the length; an error when it is negative or beyond.",
    example: "'hello'.charAt(4)",
    result: "'o'",
  },
  {
    signature: "<string>.indexOf(<string>[, <int>]) -> <int>",
    description:
      "The code-point index of the first occurrence of the search string at or after an optional offset, or -1. An offset at or past the end finds nothing (-1); a negative offset is an error; '' is found at the offset.",
    example: "'hello mellow'.indexOf('ello', 2)",
    result: "7",
  },
  {
    signature: "<string>.lastIndexOf(<string>[, <int>]) -> <int>",
    description:
      "The code-point index of the last occurrence of the search string starting at or before an optional offset, or -1. An offset at or past the end finds nothing (-1); a negative offset is an error.",
    example: "'hello mellow'.lastIndexOf('ello')",
    result: "7",
  },
  {
    signature: "<string>.lowerAscii() -> <string>",
    description: "The string with ASCII letters lower-cased; other characters are left as they are.",
    example: "'TacoCÆt'.lowerAscii()",
    result: "'tacocÆt'",
  },
  {
    signature: "<string>.upperAscii() -> <string>",
    description: "The string with ASCII letters upper-cased; other characters are left as they are.",
    example: "'TacoCæt'.upperAscii()",
    result: "'TACOCæT'",
  },
  {
    signature: "<string>.replace(<string>, <string>[, <int>]) -> <string>",
    description:
      "Replaces occurrences of the search string; an optional limit caps the replacements (negative: all).",
    example: "'hello hello'.replace('he', 'we', 1)",
    result: "'wello hello'",
  },
  {
    signature: "<string>.split(<string>[, <int>]) -> <list<string>>",
    description:
      "Splits at the separator (an empty separator splits into characters); an optional limit caps the number of parts (0: none, negative: all).",
    example: "'hello hello hello'.split(' ', 2)",
    result: "['hello', 'hello hello']",
  },
  {
    signature: "<string>.substring(<int>[, <int>]) -> <string>",
    description:
      "The code points from start (inclusive) to an optional end (exclusive); an error if either is outside the string or start > end.",
    example: "'tacocat'.substring(0, 4)",
    result: "'taco'",
  },
  {
    signature: "<string>.trim() -> <string>",
    description:
      "The string without leading and trailing Unicode whitespace (Go's unicode.IsSpace: includes U+0085 and U+00A0, not the zero-width U+FEFF).",
    example: "'  \\ttrim\\n    '.trim()",
    result: "'trim'",
  },
  {
    signature: "<list<string>>.join([<string>]) -> <string>",
    description: "Concatenates the strings, with an optional separator.",
    example: "['hello', 'mellow'].join(' ')",
    result: "'hello mellow'",
  },
  {
    signature: "<string>.format(<list>) -> <string>",
    description:
      "printf-style formatting as Kubernetes does it: %s (any value; lists and maps print their strings quoted), %d, %f and %.Nf (en-US digit grouping), %e, %b, %x, %X, %o, and %% for a percent sign. Too few arguments or a wrong type is an error. When the format string and the argument list are literals, an unknown clause, a wrong argument count and an argument of a type its clause does not take are compile errors, as in Kubernetes.",
    example: "'%s has %d replicas (%.1f%%)'.format(['web', 3, 37.5])",
    result: "'web has 3 replicas (37.5%)'",
  },
  {
    signature: "strings.quote(<string>) -> <string>",
    description: "The string as a double-quoted CEL literal, with escapes, safe to print.",
    example: "strings.quote('say \"hi\"')",
    result: '\'"say \\\\"hi\\\\""\'',
  },
];
