import { describe, expect, it } from "vitest";
import { evalCel, evalError } from "./test-env.js";

// CEL (and Kubernetes) define has(e.f) for any operand e: e is evaluated as usual and only
// the field f is tested for presence. cel-js's has accepts only x.a.b chains.
describe("has() on an index or call result", () => {
  const x = { items: [{ name: "a" }, {}], m: { k: { f: 1 } } };

  it("tests the last field of an indexed element", () => {
    expect(evalCel("has(x.items[0].name)", { x })).toBe(true);
    expect(evalCel("has(x.items[1].name)", { x })).toBe(false);
    expect(evalCel("has(x.m['k'].f)", { x })).toBe(true);
    expect(evalCel("has({'a': 1}.a)", {})).toBe(true);
  });

  it("keeps the operand's errors: only the last field is tested", () => {
    expect(evalError("has(x.items[5].name)", { x })).toMatch(/index|out of range|bounds/i);
    expect(evalError("has(x.nope[0].name)", { x })).toMatch(/No such key: nope/);
  });

  it("leaves a plain field chain to cel-js", () => {
    expect(evalCel("has(x.m.k)", { x })).toBe(true);
    expect(evalCel("has(x.m.z)", { x })).toBe(false);
  });
});
