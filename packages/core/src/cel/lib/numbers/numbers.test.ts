import { describe, expect, it } from "vitest";
import { docCheckExpression, evalCel, evalError } from "../test-env.js";
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
    ["9223372036854775807 == 9223372036854775808.0", false],
    ["x == 1.0", true],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression, { x: 1n })).toBe(expected);
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
