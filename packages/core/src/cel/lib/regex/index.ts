/**
 * Regular expressions with RE2 semantics (k8s.io/apiserver/pkg/cel/library/regex.go), run by
 * re2js: RE2 syntax and linear-time matching, so no pattern can make evaluation hang.
 */
import type { Environment } from "@marcbachmann/cel-js";
import { RE2JS } from "re2js";
import type { FunctionDoc } from "../doc.js";
import { celError, toIndex } from "../shared.js";

const CACHE_SIZE = 500;
const cache = new Map<string, RE2JS | Error>();

/**
 * Compiles an RE2 pattern, remembering the last few hundred patterns (compiled or failed).
 * Throws a CEL error naming the pattern if it is not valid RE2 syntax.
 */
export function compileRe2(pattern: string): RE2JS {
  let entry = cache.get(pattern);
  if (entry === undefined) {
    try {
      entry = RE2JS.compile(pattern);
    } catch (error) {
      entry = celError(`invalid regular expression '${pattern}': ${(error as Error).message}`);
    }
    if (cache.size >= CACHE_SIZE) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(pattern, entry);
  }
  if (entry instanceof Error) throw entry;
  return entry;
}

/**
 * CEL's `matches`: true if `pattern` matches anywhere in `text` (unanchored, like RE2's
 * PartialMatch). Throws a CEL error for an invalid pattern.
 */
export function re2Matches(text: string, pattern: string): boolean {
  return compileRe2(pattern).test(text);
}

/** The leftmost match of `pattern` in `text`, or '' if there is none (Go's FindString). */
export function re2Find(text: string, pattern: string): string {
  return findAll(text, pattern, 1)[0] ?? "";
}

/** Up to `limit` successive non-overlapping matches (all when negative), as Go's FindAllString. */
function findAll(text: string, pattern: string, limit: number): string[] {
  if (limit === 0) return [];
  // re2js mirrors Go's allMatches, including how empty matches next to a previous match are skipped.
  const matches: string[] | null = compileRe2(pattern)
    .re2()
    .findAll(text, limit < 0 ? -1 : limit);
  return matches ?? [];
}

/** Registers `find` and `findAll` on strings, and the global form of the standard `matches`. */
export function registerRegexLibrary(env: Environment): void {
  // cel-js has only the method form; the method itself is replaced in ../hooks.ts
  env.registerFunction("matches(string, string): bool", re2Matches);
  env.registerFunction("string.find(string): string", (text: string, pattern: string) =>
    re2Find(text, pattern),
  );
  env.registerFunction("string.findAll(string): list<string>", (text: string, pattern: string) =>
    findAll(text, pattern, -1),
  );
  env.registerFunction(
    "string.findAll(string, int): list<string>",
    (text: string, pattern: string, n: bigint) => findAll(text, pattern, toIndex(n)),
  );
}

export const regexFunctions: FunctionDoc[] = [
  {
    signature: "<string>.matches(<string>) -> <bool>",
    description:
      "True if the RE2 pattern matches anywhere in the string (anchor it with ^ and $ to match the whole string). Evaluated in linear time; an invalid pattern is an error.",
    example: "'registry.example.com/app:1.2'.matches('^registry\\\\.example\\\\.com/')",
    result: "true",
  },
  {
    signature: "<string>.find(<string>) -> <string>",
    description: "The first match of the RE2 pattern, or '' if it does not match.",
    example: "'abc 123'.find('[0-9]+')",
    result: "'123'",
  },
  {
    signature: "<string>.findAll(<string>) -> <list<string>>",
    description: "Every non-overlapping match of the RE2 pattern, in order.",
    example: "'123 abc 456'.findAll('[0-9]+')",
    result: "['123', '456']",
  },
  {
    signature: "<string>.findAll(<string>, <int>) -> <list<string>>",
    description: "At most n matches; a negative n means all of them.",
    example: "'123 abc 456'.findAll('[0-9]+', 1)",
    result: "['123']",
  },
];
