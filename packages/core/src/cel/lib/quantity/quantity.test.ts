import { describe, expect, it } from "vitest";
import { docCheckExpression, evalCel, evalError } from "../test-env.js";
import { compareQuantities, parseQuantity, Quantity, quantityFunctions } from "./index.js";

describe("quantity library", () => {
  it("gives every documented result", () => {
    for (const doc of quantityFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  // k8s.io/apiserver/pkg/cel/library/quantity.go and quantity_test.go
  it.each([
    ["quantity('12Mi') == quantity('12582912')", true],
    ["isQuantity('20')", true],
    ["isQuantity('20M')", true],
    ["isQuantity('20Mi')", true],
    ["isQuantity('20Mo')", false],
    ["isQuantity('10Mm')", false],
    ["isQuantity('1.3G')", true],
    ["isQuantity('1.3Gi')", true],
    ["isQuantity('1,3G')", false],
    ["isQuantity('10000k')", true],
    ["isQuantity('200K')", false],
    ["isQuantity('Three')", false],
    ["isQuantity('Mi')", false],
    ["quantity('200M') == quantity('200M')", true],
    ["quantity('200M') == quantity('0.2G') && quantity('0.2G') == quantity('200M')", true],
    ["quantity('2M') == quantity('0.002G') && quantity('2000k') == quantity('2M')", true],
    ["quantity('200M') == quantity('0.3G')", false],
    ["quantity('200M') != quantity('0.3G')", true],
    ["quantity('2048Mi') == quantity('2Gi')", true],
    ["quantity('50M').isLessThan(quantity('50Mi'))", true],
    ["quantity('50M').isLessThan(quantity('100M'))", true],
    ["quantity('100M').isLessThan(quantity('50M'))", false],
    ["quantity('50Mi').isGreaterThan(quantity('50M'))", true],
    ["quantity('150Mi').isGreaterThan(quantity('100Mi'))", true],
    ["quantity('50M').isGreaterThan(quantity('100M'))", false],
    ["quantity('200M').compareTo(quantity('0.2G'))", 0n],
    ["quantity('50M').compareTo(quantity('50Mi'))", -1n],
    ["quantity('50Mi').compareTo(quantity('50M'))", 1n],
    ["quantity('50k').add(quantity('20')) == quantity('50.02k')", true],
    ["quantity('50k').add(20).isLessThan(quantity('50020'))", false],
    ["quantity('50k').sub(quantity('20')) == quantity('49.98k')", true],
    ["quantity('50k').sub(20) == quantity('49980')", true],
    ["quantity('50k').add(20).sub(quantity('100k')).asInteger()", -49980n],
    ["quantity('50k').add(20).sub(quantity('100k')).sub(-50000).asInteger()", 20n],
    ["quantity('50k').add(20).sub(quantity('100k')).sub(-50000) == quantity('20')", true],
    ["quantity('50k').asInteger()", 50000n],
    ["quantity('50k').asInteger() == 50000", true],
    ["quantity('50000000G').isInteger()", true],
    ["quantity('50k').isInteger()", true],
    ["quantity('9999999999999999999999999999999999999G').isInteger()", false],
    ["quantity('50').isInteger()", true],
    ["quantity('50.703k').asApproximateFloat()", 50703],
    ["quantity('50k').sub(20000).asApproximateFloat() == 30000.0", true],
    ["quantity('1.5G').sign()", 1n],
    ["quantity('-1m').sign()", -1n],
    ["quantity('0').sign()", 0n],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toEqual(expected);
  });

  it("reads suffixes, exponents and fractions exactly", () => {
    const nanos = (text: string) => parseQuantity(text).nanos;
    expect(nanos("1")).toBe(1_000_000_000n);
    expect(nanos("500m")).toBe(500_000_000n);
    expect(nanos("1n")).toBe(1n);
    expect(nanos("3u")).toBe(3_000n);
    expect(nanos("1k")).toBe(1_000n * 1_000_000_000n);
    expect(nanos("1Ki")).toBe(1024n * 1_000_000_000n);
    expect(nanos("1Ei")).toBe(2n ** 60n * 1_000_000_000n);
    expect(nanos("1E")).toBe(10n ** 18n * 1_000_000_000n);
    expect(nanos("1e3")).toBe(1_000n * 1_000_000_000n);
    expect(nanos("1E-3")).toBe(1_000_000n);
    expect(nanos("0.5Mi")).toBe(524_288n * 1_000_000_000n);
    expect(nanos("+1.5")).toBe(1_500_000_000n);
    expect(nanos("-1.5")).toBe(-1_500_000_000n);
    expect(nanos("1.")).toBe(1_000_000_000n);
    expect(nanos(".5")).toBe(500_000_000n);
    expect(nanos("0.000000002Ki")).toBe(2048n);
  });

  it("rounds below a nano-unit up, away from zero, as Kubernetes does", () => {
    expect(parseQuantity("0.1n").nanos).toBe(1n);
    expect(parseQuantity("-0.1n").nanos).toBe(-1n);
    expect(parseQuantity("1.0000000001").nanos).toBe(1_000_000_001n);
    expect(parseQuantity("1e-900").nanos).toBe(1n);
  });

  it("caps binary quantities at 2^63-1 like Kubernetes", () => {
    expect(parseQuantity("9Ei").nanos).toBe((2n ** 63n - 1n) * 1_000_000_000n);
    expect(parseQuantity("9E").nanos).toBe(9n * 10n ** 27n);
  });

  it("rejects malformed quantities with Kubernetes' messages", () => {
    expect(evalError("quantity('10Mo')")).toMatch(/^quantities must match the regular expression/);
    expect(evalError("quantity('10Mm')")).toBe("unable to parse quantity's suffix");
    for (const bad of [
      "",
      "Mi",
      ".",
      "1.1.M",
      "1+1.0M",
      "0.1mi",
      "0.1am",
      "aoeu",
      ".5i",
      "1i",
      "-3.01i",
      "-3.01e-",
      " 1",
      "1 ",
      "200K",
      "1e",
    ]) {
      expect(() => parseQuantity(bad), JSON.stringify(bad)).toThrow();
      expect(evalCel("isQuantity(q)", { q: bad })).toBe(false);
    }
  });

  it("refuses absurd exponents instead of building huge numbers", () => {
    expect(evalError("quantity('1e99999')")).toMatch(/out of range/);
  });

  it("asInteger fails for fractions and overflow", () => {
    expect(evalError("quantity('9999999999999999999999999999999999999G').asInteger()")).toBe(
      "cannot convert value to integer",
    );
    expect(evalError("quantity('1500m').asInteger()")).toBe("cannot convert value to integer");
    expect(evalCel("quantity('1500m').isInteger()")).toBe(false);
  });

  it("accepts YAML integers through string()", () => {
    expect(evalCel("quantity(string(cpu)) == quantity('1')", { cpu: 1n })).toBe(true);
    expect(evalCel("quantity(string(1)).isGreaterThan(quantity('500m'))")).toBe(true);
  });

  it("is a distinct CEL type that does not compare with ints", () => {
    expect(evalCel("type(quantity('1')) == type(quantity('2'))")).toBe(true);
    expect(evalError("quantity('1') == 1")).toMatch(/no such overload/);
    expect(evalCel("quantity('1') in [quantity('1000m')]")).toBe(true);
  });

  it("offers plain helpers for built-in policies", () => {
    expect(compareQuantities("2048Mi", "2Gi")).toBe(0);
    expect(compareQuantities("500m", 1n)).toBe(-1);
    expect(compareQuantities(parseQuantity("1.5"), 1)).toBe(1);
    expect(compareQuantities(0.25, "250m")).toBe(0);
    expect(parseQuantity(2n)).toBeInstanceOf(Quantity);
    expect(parseQuantity("1.5Gi").toString()).toBe("1610612736");
    expect(parseQuantity("-250m").toString()).toBe("-0.25");
    expect(() => parseQuantity(Number.NaN)).toThrow();
  });

  it("parses a text once and answers it again alike: the same quantity, a fresh error each time", () => {
    const first = parseQuantity("750m");
    expect(parseQuantity("750m")).toBe(first);
    expect(parseQuantity("750m").nanos).toBe(750_000_000n);
    const errors = [0, 1].map(() => {
      try {
        parseQuantity("1Mi0");
      } catch (error) {
        return error as Error;
      }
      return undefined;
    });
    expect(errors[0]?.message).toBe("unable to parse quantity's suffix");
    expect(errors[1]?.message).toBe(errors[0]?.message);
    expect(errors[1]).not.toBe(errors[0]);
    // a long text is parsed each time (it is not kept), alike
    const long = `${"1".repeat(100)}m`;
    expect(parseQuantity(long).nanos).toBe(parseQuantity(long).nanos);
    expect(parseQuantity(long)).not.toBe(parseQuantity(long));
    // a text refused once is refused again, inside CEL too
    expect(evalError("isQuantity('x') || quantity('x') == quantity('1')")).toMatch(/quantities must match/);
  });
});
