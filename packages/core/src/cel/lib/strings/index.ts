/**
 * cel-go's strings extension (ext/strings.go) as Kubernetes enables it (version 2), for the
 * functions cel-js lacks: charAt, replace, format, strings.quote; plus reverse (version 3).
 * cel-js itself provides indexOf, lastIndexOf, lowerAscii, upperAscii, split, substring, trim
 * and join; they are documented here so the reference lists every string function.
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { FunctionDoc } from "../doc.js";
import { celError, registerNamespace, toIndex } from "../shared.js";
import { formatString } from "./format.js";
import { NAMED_ESCAPES } from "./go-format.js";

/** The character (code point) at `index`; '' at the end of the string; an error outside it. */
function charAt(text: string, index: bigint): string {
  const chars = Array.from(text);
  if (index < 0n || index > BigInt(chars.length)) throw celError(`index out of range: ${index}`);
  return chars[Number(index)] ?? "";
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

/** Registers charAt, replace, format, reverse and strings.quote. */
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
  env.registerFunction("string.reverse(): string", (text: string) => Array.from(text).reverse().join(""));
  const strings = registerNamespace(env, "strings");
  env.registerFunction(`${strings}.quote(string): string`, (_: unknown, text: string) => quote(text));
}

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
    description: "The index of the first occurrence of the search string (from an optional start), or -1.",
    example: "'hello mellow'.indexOf('ello', 2)",
    result: "7",
  },
  {
    signature: "<string>.lastIndexOf(<string>[, <int>]) -> <int>",
    description:
      "The index of the last occurrence of the search string (starting at or before an optional index), or -1.",
    example: "'hello mellow'.lastIndexOf('ello')",
    result: "7",
  },
  {
    signature: "<string>.lowerAscii() -> <string>",
    description:
      "The string with ASCII letters lower-cased. Unlike Kubernetes, cel-js also lower-cases non-ASCII letters ('Æ' becomes 'æ').",
    example: "'TacoCat'.lowerAscii()",
    result: "'tacocat'",
  },
  {
    signature: "<string>.upperAscii() -> <string>",
    description:
      "The string with ASCII letters upper-cased. Unlike Kubernetes, cel-js also upper-cases non-ASCII letters.",
    example: "'TacoCat'.upperAscii()",
    result: "'TACOCAT'",
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
      "Splits at the separator; an optional limit caps the number of parts (0: none, negative: all).",
    example: "'hello hello hello'.split(' ', 2)",
    result: "['hello', 'hello hello']",
  },
  {
    signature: "<string>.substring(<int>[, <int>]) -> <string>",
    description: "The characters from start (inclusive) to end (exclusive); an error if out of range.",
    example: "'tacocat'.substring(0, 4)",
    result: "'taco'",
  },
  {
    signature: "<string>.trim() -> <string>",
    description: "The string without leading and trailing whitespace.",
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
      "printf-style formatting as Kubernetes does it: %s (any value; lists and maps print their strings quoted), %d, %f and %.Nf (en-US digit grouping), %e, %b, %x, %X, %o, and %% for a percent sign. Too few arguments or a wrong type is an error.",
    example: "'%s has %d replicas (%.1f%%)'.format(['web', 3, 37.5])",
    result: "'web has 3 replicas (37.5%)'",
  },
  {
    signature: "strings.quote(<string>) -> <string>",
    description: "The string as a double-quoted CEL literal, with escapes, safe to print.",
    example: "strings.quote('say \"hi\"')",
    result: '\'"say \\\\"hi\\\\""\'',
  },
  {
    signature: "<string>.reverse() -> <string>",
    description: "The characters in reverse order (cel-go strings version 3; not in Kubernetes).",
    example: "'gums'.reverse()",
    result: "'smug'",
  },
];
