import { describe, expect, it } from "vitest";
import type { CelAst } from "../hooks.js";
import { docCheckExpression, evalCel, libraryEnv } from "../test-env.js";
import { celgateFunctions, vapUnavailableCalls } from "./index.js";

describe("celgate library", () => {
  it("gives every documented result", () => {
    for (const doc of celgateFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  it("multiplies quantities (Kubernetes' quantity library has no mul)", () => {
    expect(evalCel("quantity('250m').mul(4) == quantity('1')")).toBe(true);
    expect(evalCel("quantity('1Gi').mul(-1).sign()")).toBe(-1n);
  });

  it("finds every call of a function a VAP lacks, with the offset of its name", () => {
    const source = "quantity('1').mul(2) == quantity('2') && q.mul(3).isInteger()";
    const calls = vapUnavailableCalls(libraryEnv().parse(source).ast as unknown as CelAst);
    expect(calls.map((c) => [c.fn.display, c.offset])).toEqual([
      ["<Quantity>.mul()", source.indexOf("mul")],
      ["<Quantity>.mul()", source.lastIndexOf("mul")],
    ]);
    expect(vapUnavailableCalls(libraryEnv().parse("quantity('1').add(2)").ast as unknown as CelAst)).toEqual(
      [],
    );
  });
});
