import { describe, expect, it } from "vitest";
import { compileError, docCheckExpression, evalCel, evalError } from "../test-env.js";
import { comprehensionsFunctions } from "./index.js";

// cel-go ext/comprehensions.go (TwoVarComprehensions), enabled by Kubernetes from 1.32
describe("two-variable comprehensions", () => {
  it("gives every documented result", () => {
    for (const doc of comprehensionsFunctions)
      expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  it.each([
    ["[1, 2, 3].all(i, v, i < v)", true],
    ["[1, 2, 3].all(i, v, i > 0)", false],
    ["{'a': 1}.all(k, v, k == 'a' && v == 1)", true],
    ["[].all(i, v, false)", true],
    ["[0, 5].exists(i, v, i == 1 && v == 5)", true],
    ["{}.exists(k, v, true)", false],
    ["[0, 1, 5].existsOne(i, v, i == v)", false],
    ["[0, 2, 5].existsOne(i, v, i == v)", true],
    ["[1, 2].transformList(i, v, i * v)", [0n, 2n]],
    ["{'a': 1, 'b': 2}.transformList(k, v, k + string(v))", ["a1", "b2"]],
    ["[1, 2, 3].transformList(i, v, v % 2 == 1, v * 10)", [10n, 30n]],
    ["[10, 20].transformMap(i, v, v + i)[1]", 21n],
    ["{'a': 1, 'b': 2}.transformMap(k, v, v > 1, k)", new Map([["b", "b"]])],
    [
      "['x', 'y'].transformMapEntry(i, v, {v: i})",
      new Map([
        ["x", 0n],
        ["y", 1n],
      ]),
    ],
    ["{'a': 'x'}.transformMapEntry(k, v, v != 'x', {v: k}).size()", 0n],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toEqual(expected);
  });

  it("works on lists and maps read from the resource (dyn)", () => {
    const object = { metadata: { labels: { app: "web", team: "shop" } }, spec: { ports: [80n, 443n] } };
    expect(evalCel("object.metadata.labels.all(k, v, k.size() <= 63 && v != '')", { object })).toBe(true);
    expect(evalCel("object.spec.ports.exists(i, p, i == 1 && p == 443)", { object })).toBe(true);
    expect(evalCel("object.metadata.labels.transformList(k, v, k + '=' + v)", { object })).toEqual([
      "app=web",
      "team=shop",
    ]);
  });

  it("lets the deciding value win over an error elsewhere, as CEL's && and || do", () => {
    expect(evalCel("l.all(i, v, v / 1 > 0)", { l: [0n, 1n] })).toBe(false);
    expect(evalCel("l.exists(i, v, 1 / v == 1)", { l: [0n, 1n] })).toBe(true);
    expect(evalError("l.all(i, v, 1 / v > 0)", { l: [0n, 1n] })).toMatch(/division by zero/);
  });

  it("reports errors at compile time where the types are known", () => {
    expect(compileError("[1].all(i, v, v)")).toMatch(/predicate must return bool, got 'int'/);
    expect(compileError("1.all(i, v, true)")).toMatch(/needs a list or a map, got 'int'/);
    expect(compileError("[1].all(i, i, true)")).toMatch(/different names/);
    expect(compileError("[1].transformMapEntry(i, v, v)")).toMatch(/must return a map/);
    expect(compileError("['a'].all(i, v, v.size() > i)")).toBeUndefined();
  });

  it("refuses a key produced twice by transformMapEntry", () => {
    expect(evalError("['x', 'x'].transformMapEntry(i, v, {v: i})")).toBe(
      "insert failed: key x already exists",
    );
  });
});
