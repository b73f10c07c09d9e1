import { describe, expect, it } from "vitest";
import { compileError, docCheckExpression, evalCel, evalError } from "../test-env.js";
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

// cel-go: a plain select on an optional selects from its value; a value without fields is an
// error at run time (cel-spec optionals map_null_entry_no_such_key, map_present_key_invalid_field)
describe("a field selected from an optional's value", () => {
  it("is an error when the value has no fields, as in cel-go", () => {
    expect(evalError("{'k': dyn(null)}.?k.invalid.hasValue()")).toMatch(/No such key: invalid/);
    expect(evalError("{true: dyn(0)}[?true].absent.hasValue()")).toMatch(/No such key: absent/);
    expect(evalError("optional.of(dyn([1])).size.hasValue()")).toMatch(/No such key: size/);
  });

  it("is empty for an empty optional or a map without the key, and the value otherwise", () => {
    expect(evalCel("{'a': {'b': 1}}.?x.c.hasValue()")).toBe(false);
    expect(evalCel("{'a': {'b': 1}}.?a.c.hasValue()")).toBe(false);
    expect(evalCel("{'a': {'b': 1}}.?a.b.orValue(0)")).toBe(1n);
  });
});
