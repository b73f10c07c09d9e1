import { describe, expect, it } from "vitest";
import { docCheckExpression, evalCel, evalError } from "../test-env.js";
import { compileRe2, re2Find, re2Matches, regexFunctions } from "./index.js";

describe("regex library", () => {
  it("gives every documented result", () => {
    for (const doc of regexFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  // k8s.io/apiserver/pkg/cel/library/regex.go; results are Go's regexp results.
  it.each([
    ["'abc 123'.find('[0-9]+')", "123"],
    ["'abc 123'.find('xyz')", ""],
    ["'123 abc 456'.findAll('[0-9]+')", ["123", "456"]],
    ["'123 abc 456'.findAll('[0-9]+', 1)", ["123"]],
    ["'123 abc 456'.findAll('[0-9]+', 0)", []],
    ["'123 abc 456'.findAll('[0-9]+', -1)", ["123", "456"]],
    ["'123 abc 456'.findAll('xyz')", []],
    ["'abc'.find('(?i)B')", "b"],
    ["'😀a😀'.findAll('.')", ["😀", "a", "😀"]],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toEqual(expected);
  });

  it("follows Go for empty matches (Kubernetes documents '[0-9]*' differently than it runs)", () => {
    // Go's FindString returns the leftmost match, which for '[0-9]*' is the empty string at 0.
    expect(evalCel("'abc 123'.find('[0-9]*')")).toBe("");
    expect(evalCel("'baaab'.findAll('a*')")).toEqual(["", "aaa", ""]);
  });

  it("uses RE2 syntax: no lookaround or backreferences", () => {
    expect(evalError("'ab'.find('a(?=b)')")).toMatch(/invalid regular expression 'a\(\?=b\)'/);
    expect(evalError("'aa'.find('(a)\\\\1')")).toMatch(/invalid regular expression/);
    expect(evalError("'x'.findAll('(')")).toMatch(/missing closing \)/);
    expect(() => re2Matches("x", "[")).toThrow(/invalid regular expression '\['/);
  });

  it("runs catastrophic patterns in linear time", () => {
    const input = `${"a".repeat(50_000)}!`;
    const start = Date.now();
    expect(re2Matches(input, "^(a+)+$")).toBe(false);
    expect(evalCel("s.findAll('(a|aa)+$').size()", { s: input })).toBe(0n);
    expect(Date.now() - start).toBeLessThan(2_000);
  });

  it("matches unanchored, like CEL's matches()", () => {
    expect(re2Matches("registry.example.com/app", "example")).toBe(true);
    expect(re2Matches("registry.example.com/app", "^example")).toBe(false);
    expect(re2Find("v1.2.3", "[0-9]+\\.[0-9]+")).toBe("1.2");
  });

  it("compiles each pattern once", () => {
    expect(compileRe2("^cached$")).toBe(compileRe2("^cached$"));
  });
});

describe("matches() runs RE2, wherever it stands in the expression", () => {
  // RE2 syntax Kubernetes accepts and JavaScript's RegExp does not: inline flags
  it.each([
    ["'ABC'.matches('(?i)abc')", true],
    ["true && 'ABC'.matches('(?i)abc')", true],
    ["matches('ABC', '(?i)b')", true],
    ["['ABC'].all(s, s.matches('(?i)^abc$'))", true],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toBe(expected);
  });
});
