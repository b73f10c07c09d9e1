import { describe, expect, it } from "vitest";
import { AUTHORIZER_MESSAGE } from "./static-checks.js";
import { compileError, evalCel, evalError, libraryEnv } from "./test-env.js";

/** The source range the compile error of `expression` points at. */
function errorRange(expression: string): string | undefined {
  const checked = libraryEnv().parse(expression).check();
  const range = (checked.error as { range?: { start: number; end: number } } | undefined)?.range;
  return range ? expression.slice(range.start, range.end) : undefined;
}

describe("compile-time checks Kubernetes makes", () => {
  // cel-go's ValidateRegexLiterals and Kubernetes' regex library, which compiles literal patterns
  // when the policy is created: an invalid literal is a compile error, under the pattern.
  it.each([["'abc'.matches('[')"], ["matches('abc', '(')"], ["'abc'.find('a(')"], ["'abc'.findAll('*', 2)"]])(
    "%s: an invalid regex literal is a compile error",
    (expression) => {
      expect(compileError(expression)).toMatch(/invalid regular expression/);
      expect(errorRange(expression)).toMatch(/^'.*'$/);
    },
  );

  it("checks a pattern that is not a literal at run time", () => {
    expect(compileError("'abc'.matches(p)")).toBeUndefined();
    expect(evalError("'abc'.matches(p)", { p: "[" })).toMatch(/invalid regular expression/);
  });

  // ValidateDurationLiterals and ValidateTimestampLiterals
  it.each([
    ["duration('1 hour')", "'1 hour'"],
    ["timestamp('yesterday') < now", "'yesterday'"],
  ])("%s is a compile error", (expression, under) => {
    expect(compileError(expression)).toMatch(/^invalid (duration|timestamp) literal/);
    expect(errorRange(expression)).toBe(under);
  });

  it("accepts Go's bare zero duration, signed or not (time.ParseDuration)", () => {
    expect(compileError("duration('0')")).toBeUndefined();
    expect(evalCel("duration('0') == duration('0s') && duration('-0') == duration('+0')")).toBe(true);
    expect(evalCel("duration(d).getSeconds()", { d: "0" })).toBe(0n);
    expect(evalError("duration(d)", { d: "00" })).toMatch(/Invalid duration/);
  });

  it("puts the caret of a format count error under the first unused argument", () => {
    expect(errorRange("'%s'.format(['a', 'b'])")).toBe("'b'");
  });

  it("puts the caret of a list element error under the call", () => {
    expect(errorRange("['a'].sum() == 'a'")).toBe("['a'].sum()");
  });

  // cel.HomogeneousAggregateLiterals: Kubernetes rejects literals that mix element types.
  it.each([
    ["[1, 'a']", "'a'"],
    ["[1, 2.0] == [1, 2]", "2.0"],
    ["{'a': 1, 'b': 'x'}.size() == 2", "'x'"],
    ["{'a': 1, 2: 1}.size() == 2", "2"],
    ["[[1], ['a']]", "['a']"],
  ])("%s is a compile error under the odd element", (expression, under) => {
    expect(compileError(expression)).toMatch(/must have one type .*expected type '.*' but found '.*'/);
    expect(errorRange(expression)).toBe(under);
  });

  it("accepts dyn elements, empty literals and format() argument lists (which cel-go exempts)", () => {
    expect(compileError("[1, dyn('a')]")).toBeUndefined();
    expect(compileError("[x, 'a', x.y]")).toBeUndefined();
    expect(compileError("[[], [1]]")).toBeUndefined();
    expect(compileError("{'a': [], 'b': [1]}")).toBeUndefined();
    expect(evalCel("'%s has %d replicas'.format(['web', 3])")).toBe("web has 3 replicas");
  });

  // Kubernetes' authorizer library exists only inside an API server.
  it("refuses authorizer with a reason, not as an unknown variable", () => {
    expect(compileError("authorizer.group('apps').resource('deployments').check('create').allowed()")).toBe(
      AUTHORIZER_MESSAGE,
    );
    expect(errorRange("true && authorizer.serviceAccount('ns', 'sa').check('get').allowed()")).toBe(
      "authorizer",
    );
  });
});

describe("every entry point of the environment runs the checks", () => {
  it("check(), parse().check() and evaluate() agree", () => {
    const env = libraryEnv();
    expect(env.check("[1, 'a']").valid).toBe(false);
    expect(env.parse("[1, 'a']").check().valid).toBe(false);
    expect(() => env.evaluate("[1, 'a']")).toThrow(/must have one type/);
    expect(env.check("'a'.matches('(')").valid).toBe(false);
    expect(env.check("1 +").valid).toBe(false);
  });
});
