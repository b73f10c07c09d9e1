import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import { describe, expect, it } from "vitest";
import { compileError, docCheckExpression, evalCel, evalError } from "../test-env.js";
import { listsFunctions } from "./index.js";

describe("lists library", () => {
  it("gives every documented result", () => {
    for (const doc of listsFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  // k8s.io/apiserver/pkg/cel/library/lists.go documentation
  it.each([
    ["[1, 2, 3].isSorted()", true],
    ["['a', 'b', 'b', 'c'].isSorted()", true],
    ["[2.0, 1.0].isSorted()", false],
    ["[1].isSorted()", true],
    ["[].isSorted()", true],
    ["[1, 3].sum()", 4n],
    ["[1.0, 3.0].sum()", 4],
    ["[].sum()", 0n],
    ["[1, 3].min()", 1n],
    ["[1, 3].max()", 3n],
    ["[1].min()", 1n],
    ["([0] + []).min()", 0n],
    ["['b', 'a', 'c'].max()", "c"],
    ["[1, 2, 2, 3].indexOf(2)", 1n],
    ["['a', 'b', 'b', 'c'].lastIndexOf('b')", 2n],
    ["[1.0].indexOf(1.1)", -1n],
    ["[].indexOf('string')", -1n],
    ["[[1], [2]].indexOf([2])", 1n],
    ["[1, dyn(2.0), dyn(3u)].indexOf(2)", 1n],
    // cel-go lists extension
    ["[1, 2, 3, 4].slice(0, 4)", [1n, 2n, 3n, 4n]],
    ["[1, 2, 3, 4].slice(2, 2)", []],
    ["[1, dyn([2, dyn([3, dyn([4])])])].flatten(2)", [1n, 2n, 3n, [4n]]],
    ["[1, dyn([2, dyn([3, dyn([4])])])].flatten(0)", [1n, [2n, [3n, [4n]]]]],
    ["[].flatten()", []],
    ["[1, dyn(1.0), 2].distinct()", [1n, 2n]],
    ["['c', 'a', 'b', 'a'].distinct().sort()", ["a", "b", "c"]],
    ["[3, dyn(1.5), dyn(2u)].sort()", [1.5, new UnsignedInt(2n), 3n]],
    ["[].reverse()", []],
    ["[].first().hasValue()", false],
    ["[1, 2].last().value()", 2n],
    ["lists.range(0)", []],
    ["lists.range(-3)", []],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toEqual(expected);
  });

  it("works on lists read from the resource (dyn)", () => {
    const vars = { ports: [80n, 443n, 8080n], names: ["b", "a"] };
    expect(evalCel("ports.max() < 9000 && ports.isSorted() && ports.sum() == 8603", vars)).toBe(true);
    expect(evalCel("names.sort() == ['a', 'b'] && names.indexOf('a') == 1", vars)).toBe(true);
  });

  it("sums uints and durations", () => {
    expect(evalCel("[uint(1), uint(2)].sum() == uint(3)")).toBe(true);
    const total = evalCel("[duration('1m'), duration('1s')].sum()") as Duration;
    expect(total).toBeInstanceOf(Duration);
    expect(evalCel("[duration('1m'), duration('1s')].sum() == duration('61s')")).toBe(true);
  });

  it("reports errors instead of crashing", () => {
    expect(evalError("[].min()")).toBe("min called on empty list");
    expect(evalError("[].max()")).toBe("max called on empty list");
    expect(evalError("[1, dyn('a')].sort()")).toMatch(/no such overload/);
    expect(evalError("[1, dyn(2.5)].sum()")).toMatch(/no such overload: int \+ double/);
    expect(evalError("[9223372036854775807, 1].sum()")).toBe("integer overflow");
    expect(evalError("[1, 2].slice(-1, 1)")).toBe("cannot slice(-1, 1), negative indexes not supported");
    expect(evalError("[1, 2].slice(2, 1)")).toBe(
      "cannot slice(2, 1), start index must be less than or equal to end index",
    );
    expect(evalError("[1, 2].slice(0, 3)")).toBe("cannot slice(0, 3), list is length 2");
    expect(evalError("[[1]].flatten(-1)")).toBe("level must be non-negative");
    expect(evalError("lists.range(2000000)")).toMatch(/longer than/);
  });

  it("type-checks element types like Kubernetes", () => {
    expect(evalError("[1, 2].indexOf('a')")).toMatch(/no matching overload/);
  });

  // Kubernetes declares sum() for lists of int, uint, double and duration, and min(), max(),
  // isSorted() and sort() for lists of comparable types, so another element type known at
  // compile time is a compile error there; a dyn element type is checked at run time.
  it.each([
    ["[[1], [2]].isSorted()", "isSorted"],
    ["['a', 'b'].sum()", "sum"],
    ["[true].sum()", "sum"],
    ["[{'a': 1}].min()", "min"],
    ["[[1]].max()", "max"],
    ["[{'a': 1}].sort()", "sort"],
  ])("%s is a compile error", (expression, name) => {
    expect(compileError(expression)).toMatch(
      new RegExp(`found no matching overload for '.*\\.${name}\\(\\)'`),
    );
  });

  it("checks dyn element types at run time", () => {
    expect(compileError("l.sum()")).toBeUndefined();
    expect(evalError("l.sum()", { l: ["a"] })).toBe("sum() is not defined for lists of string");
    expect(compileError("['a', 'b'].min() == 'a' && [2.5, 1.0].sum() == 3.5")).toBeUndefined();
  });
});

// cel-go ext/lists.go sortBy (lists version 2, which Kubernetes 1.34 enables at version 3)
describe("sortBy", () => {
  it.each([
    ["[3, 1, 2].sortBy(e, e)", [1n, 2n, 3n]],
    ["[3, 1, 2].sortBy(e, -e)", [3n, 2n, 1n]],
    ["['bb', 'a', 'ccc'].sortBy(s, s.size())", ["a", "bb", "ccc"]],
    ["[].sortBy(e, e)", []],
    // equal keys keep their order (map values of two types need dyn(): literals are homogeneous)
    [
      "[{'n': 'x', 'p': dyn(1)}, {'n': 'y', 'p': dyn(0)}, {'n': 'z', 'p': dyn(1)}].sortBy(e, e.p).map(e, e.n)",
      ["y", "x", "z"],
    ],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toEqual(expected);
  });

  it("sorts lists read from the resource by a field", () => {
    const containers = [
      { name: "b", port: 8080n },
      { name: "a", port: 80n },
    ];
    expect(evalCel("containers.sortBy(c, c.port).map(c, c.name)", { containers })).toEqual(["a", "b"]);
  });

  it("requires comparable keys: a compile error when the key type is known, else a run-time one", () => {
    expect(compileError("[1, 2].sortBy(e, [e])")).toMatch(/sortBy\(\) keys must be comparable/);
    expect(compileError("[1, 2].sortBy(1, e)")).toMatch(/simple name/);
    expect(evalError("l.sortBy(e, e)", { l: [[1n], [2n]] })).toMatch(/no such overload/);
  });
});

describe("lists library on dyn values", () => {
  it("returns elements that operators accept", () => {
    const vars = { ports: [80n, 443n] };
    expect(
      evalCel(
        "ports.sort()[0] < 9000 && ports.first().value() < 9000 && ports.last().orValue(0) == 443",
        vars,
      ),
    ).toBe(true);
    expect(evalCel("ports.reverse().slice(0, 1)[0] + 1 == 444 && ports.distinct().min() == 80", vars)).toBe(
      true,
    );
  });
});
