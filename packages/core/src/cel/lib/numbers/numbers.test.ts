import { describe, expect, it } from "vitest";
import { docCheckExpression, evalCel } from "../test-env.js";
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
