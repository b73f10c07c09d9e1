import { describe, expect, it } from "vitest";
import { compileError, docCheckExpression, evalCel, evalError } from "../test-env.js";
import { numbersFunctions } from "./index.js";

// CEL heterogeneous equality (cel-spec comparisons.textproto, cel-go as Kubernetes runs it)
describe("numeric equality across types", () => {
  it("gives every documented result", () => {
    for (const doc of numbersFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  it.each([
    ["1 == 1.0", true],
    ["1.0 == 1", true],
    ["1 != 1.5", true],
    ["2u == 2", true],
    ["2 != 2u", false],
    ["3u == 3.0", true],
    ["-1 == 18446744073709551615u", false],
    // cel-go's Int.Equal(Double) is compareIntDouble(i, d) == 0: the int converted to a double
    ["9223372036854775807 == 9223372036854775808.0", true],
    ["9007199254740993 == 9007199254740992.0", true],
    ["9223372036854775807 == 1e19", false],
    ["18446744073709551615u == 18446744073709551616.0", true],
    ["1 == double('NaN')", false],
    ["x == 1.0", true],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression, { x: 1n })).toBe(expected);
  });
});

// cel-go compares lists and maps element by element with the same heterogeneous equality, at run
// time (its checker refuses list<int> == list<double>, and so does celgate: see the next block)
describe("lists and maps of numbers of different types", () => {
  it.each([
    ["dyn([1, 2]) == [1.0, 2.0]", true],
    ["[1, 2] == dyn([1u, 2u])", true],
    ["dyn([1, 2]) != [1u, 2u]", false],
    ["dyn([1, 2]) == [1.0, 2.5]", false],
    ["dyn({'a': 1}) == {'a': 1.0}", true],
    ["dyn({'a': [1u]}) == {'a': [1]}", true],
    ["dyn({'a': 1}) == {'b': 1.0}", false],
    ["x == [1.0, 2.0]", true],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression, { x: [1n, 2n] })).toBe(expected);
  });

  it("refuses == between lists of different static element types at compile time, as cel-go's checker does", () => {
    expect(compileError("[1] == [1.0]")).toMatch(/no such overload/);
    expect(compileError("{'a': 1} == {'a': 1.0}")).toMatch(/no such overload/);
  });
});

// cel-go's `in` on a list uses the same equality (cel-spec lists/in uint_in_ints, int_in_uints, ...)
describe("in across numeric types", () => {
  it.each([
    ["dyn(3u) in [5, 4, 3]", true],
    ["dyn(3u) in [5.0, 3.0]", true],
    ["dyn(3) in [5u, 3u]", true],
    ["dyn(3.0) in [5u, 3u]", true],
    ["dyn(3.5) in [3u]", false],
    ["dyn([1]) in [[1.0], [2.0]]", true],
    ["'a' in ['a']", true],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toBe(expected);
  });
});

// cel-go's list index (IndexOrError): int, uint, or a double without a fraction (lists/index zero_based_uint)
describe("list index of another numeric type", () => {
  it("indexes with a uint or an integral double at run time", () => {
    expect(evalCel("[7, 8, 9][dyn(0u)]")).toBe(7n);
    expect(evalCel("[7, 8, 9][dyn(2.0)]")).toBe(9n);
  });

  it("fails at run time on a double with a fraction, and out of range as for an int", () => {
    expect(evalError("[7, 8, 9][dyn(1.5)]")).toMatch(/unsupported index value 1.5/);
    expect(evalError("[7, 8, 9][dyn(3u)]")).toMatch(/out of/i);
  });

  it("refuses a uint index on a typed list at compile time, as cel-go's checker (index_list takes an int)", () => {
    expect(compileError("[7, 8, 9][0u]")).toMatch(/List index must be int/);
  });
});

// cel-go orders an int or uint against a double by converting it to a double (common/types/compare.go;
// cel-spec comparisons not_lt_dyn_int_big_lossy_double and its siblings)
describe("ordering across numeric types", () => {
  it.each([
    ["dyn(9223372036854775807) < 9223372036854775808.0", false],
    ["dyn(9223372036854775807) >= 9223372036854775808.0", true],
    ["dyn(9223372036854775808.0) <= 9223372036854775807", true],
    ["dyn(-9223372036854775808) > -1e19", true],
    ["dyn(18446744073709551615u) < 1e20", true],
    ["dyn(0u) > -0.5", true],
    ["dyn(1) < 1.5", true],
    ["dyn(2) <= 1.5", false],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toBe(expected);
  });
});

// cel-go reports int64 overflow for every int operation (cel-spec integer_math int64_math)
describe("int64 overflow", () => {
  it.each([
    ["-(-9223372036854775808)"],
    ["-9223372036854775808 / -1"],
    ["-x"],
    ["x / -1"],
    ["9223372036854775807 + 1"],
  ])("%s is an error", (expression) => {
    expect(evalError(expression, { x: -(2n ** 63n) })).toMatch(/integer overflow/);
  });

  it("leaves results in range alone", () => {
    expect(evalCel("-(-9223372036854775807) / 1", {})).toBe(9223372036854775807n);
    expect(evalCel("x % -1", { x: -(2n ** 63n) })).toBe(0n);
    expect(evalCel("-(2.5) / -1.0", {})).toBe(2.5);
  });
});

// cel-go's checked conversions (cel-spec conversions int/uint range tests)
describe("int() and uint() of a double out of range", () => {
  it.each([["int(1e19)"], ["int(-1e19)"], ["int(double('NaN'))"], ["uint(-1.0)"], ["uint(2e19)"]])(
    "%s is an error",
    (expression) => {
      expect(evalError(expression)).toMatch(/range error/);
    },
  );

  it("converts values in range", () => {
    expect(evalCel("int(-5.9)")).toBe(-5n);
    expect(evalCel("int(9.2e18)")).toBe(9200000000000000000n);
    expect(evalCel("uint(2.5) == 2u")).toBe(true);
    expect(evalCel("int('12')")).toBe(12n);
  });
});

describe("int(uint) and bytes ordering (CEL standard library)", () => {
  it.each([
    ["int(42u)", 42n],
    ["b'a' < b'b'", true],
    ["b'ab' > b'a'", true],
    ["b'' >= b''", true],
    ["b'b' <= b'a'", false],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toBe(expected);
  });

  it("refuses a uint above the int range", () => {
    expect(evalError("int(18446744073709551615u)")).toBe(
      "range error converting 18446744073709551615 to int",
    );
  });
});
