import { describe, expect, it } from "vitest";
import { docCheckExpression, evalCel, evalError } from "../test-env.js";
import { setsFunctions } from "./index.js";

describe("sets library", () => {
  it("gives every documented result", () => {
    for (const doc of setsFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  // cel-go ext/sets.go documentation and tests
  // cel-go's examples, with dyn() where they mix types: Kubernetes checks literals as homogeneous
  it.each([
    ["sets.contains([], [])", true],
    ["sets.contains([], [1])", false],
    ["sets.contains([1, 2, 3, 4], [2, 3])", true],
    ["sets.contains([1, dyn(2.0), dyn(3u)], [1.0, dyn(2u), dyn(3)])", true],
    ["sets.contains([[1], [2, 3]], [[2, dyn(3.0)]])", true],
    ["sets.contains(['a', 'b'], ['c'])", false],
    ["sets.equivalent([], [])", true],
    ["sets.equivalent([1], [1, 1])", true],
    ["sets.equivalent([1], [1u, dyn(1.0)])", true],
    ["sets.equivalent([1, 2, 3], [3u, dyn(2.0), dyn(1)])", true],
    ["sets.equivalent([1, 2], [2, 2, 2])", false],
    ["sets.intersects([1], [])", false],
    ["sets.intersects([1], [1, 2])", true],
    ["sets.intersects([[1], [2, 3]], [[1, 2], [2, dyn(3.0)]])", true],
    ["sets.intersects(['a'], ['b'])", false],
    ["sets.contains(labels, ['app'])", true],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression, { labels: ["app", "tier"] })).toBe(expected);
  });

  it("rejects arguments that are not lists", () => {
    expect(evalError("sets.contains('abc', ['a'])")).toMatch(/no matching overload/);
  });
});
