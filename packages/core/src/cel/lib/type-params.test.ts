import { describe, expect, it } from "vitest";
import { compileError, evalCel, libraryEnv } from "./test-env.js";
import { typeNameWithoutParams } from "./type-params.js";

// cel-go substitutes dyn for a type parameter nothing binds (checker.go's final substitution), so
// these compile in Kubernetes; cel-spec macros list_empty, transformMap empty, optionals
// optional_none_optselect_hasValue, type_deductions unconstrained_type_var_as_dyn
describe("unbound type parameters are dyn, as in cel-go", () => {
  it.each([
    ["[].all(e, e > 0)", true],
    ["[].exists(e, e == 2)", false],
    ["[].exists_one(a, a == 7)", false],
    ["[].all(i, v, i > -1 || v > 0)", true],
    ["size({}.transformMap(k, v, k + v))", 0n],
    ["[].map(x, x * 2)", []],
    ["optional.none().?field.hasValue()", false],
    ["optional.none()[?0].hasValue()", false],
    ["{}.?key.optFlatMap(k, k.?subkey).hasValue()", false],
    ["{}.?key.subkey.hasValue()", false],
    ["optional.of({'c': {}}).c.missing.or(optional.none()[0]).orValue('default')", "default"],
  ])("%s compiles and evaluates", (expression, expected) => {
    expect(compileError(expression)).toBeUndefined();
    expect(evalCel(expression)).toEqual(expected);
  });

  it("reports the type of an expression with an unbound parameter as dyn", () => {
    const checked = libraryEnv().parse("[[], [[]]]").check();
    expect(checked.valid && checked.type).toBe("list<list<list<dyn>>>");
    const element = libraryEnv().parse("([].map(x, x))[0].foo").check();
    expect(element.valid && element.type).toBe("dyn");
  });

  it("names only single-letter parameters", () => {
    expect(typeNameWithoutParams("map<K, list<T>>")).toBe("map<dyn, list<dyn>>");
    expect(typeNameWithoutParams("google.protobuf.Timestamp")).toBe("google.protobuf.Timestamp");
    expect(typeNameWithoutParams("optional<A.B>")).toBe("optional<A.B>");
  });

  it("keeps the type errors cel-go reports on bound types", () => {
    expect(compileError("[1].all(e, e == 'a')")).toMatch(/no such overload/);
    expect(compileError("[1][0].foo")).toMatch(/Cannot index type 'int'/);
  });
});
