import { describe, expect, it } from "vitest";
import { compileError, docCheckExpression, evalCel } from "../test-env.js";
import { optionalsFunctions } from "./index.js";

// cel-go's optional types library (cel.OptionalTypes), which Kubernetes enables from 1.28
describe("optional values", () => {
  it("gives every documented result", () => {
    for (const doc of optionalsFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  it.each([
    // Kubernetes' format library documents this idiom
    ["format.named('dns1123Label') != optional.none()", true],
    ["optional.none() == optional.none()", true],
    ["optional.of(1) == optional.of(1)", true],
    ["optional.of(1) != optional.of(2)", true],
    ["optional.of(1) == optional.none()", false],
    ["m.?a == optional.of('x')", true],
    ["m.?b == optional.none()", true],
    ["optional.ofNonZeroValue(0).hasValue()", false],
    ["optional.ofNonZeroValue([]).hasValue()", false],
    ["optional.ofNonZeroValue({}).hasValue()", false],
    ["optional.ofNonZeroValue(null).hasValue()", false],
    ["optional.ofNonZeroValue(duration('0s')).hasValue()", false],
    ["optional.ofNonZeroValue('a').value()", "a"],
    ["optional.ofNonZeroValue(false).orValue(true)", true],
    ["optional.none().optMap(v, v + 1).hasValue()", false],
    ["optional.of(1).optMap(v, v + 1).value()", 2n],
    ["m.?a.optMap(v, v + '!').orValue('')", "x!"],
    ["optional.of({'c': 1}).optFlatMap(v, v.?c).value()", 1n],
    ["optional.of({'c': 1}).optFlatMap(v, v.?d).hasValue()", false],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression, { m: { a: "x" } })).toEqual(expected);
  });

  it("type-checks the macros", () => {
    expect(compileError("optional.of(1).optFlatMap(v, v + 1)")).toMatch(/must return an optional/);
    expect(compileError("[1].optMap(v, v)")).toMatch(/needs an optional/);
  });
});
