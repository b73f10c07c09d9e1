/**
 * Every CEL conformance case that the conformance test runs (../conformance/), compiled and
 * interpreted: identical values, errors and budget outcomes, and the compiled run never counts
 * fewer steps than the interpreter. Cases the compiler does not handle are listed with the
 * reason and must stay few.
 */
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_BUDGET } from "../budget.js";
import { type ConformanceTest, loadConformanceFiles } from "../conformance/load.js";
import { activation, environmentFor } from "../conformance/setup.js";
import type { ParsedExpression } from "../environment.js";
import { compileCel } from "./compile-cel.js";
import { outcomeDifference, runCounted } from "./differential.js";

const files = loadConformanceFiles();
const fallbacks = new Map<string, number>();
let compiled = 0;

/** Compares the two engines on one case; returns false when the case cannot run at all. */
function compare(test: ConformanceTest): boolean {
  if (test.expect.kind === "unknown" || test.checkOnly) return false;
  let env: ReturnType<typeof environmentFor>;
  let context: Record<string, unknown>;
  let parsed: ParsedExpression;
  try {
    env = environmentFor(test);
    context = activation(test);
    parsed = env.parse(test.expr) as unknown as ParsedExpression;
  } catch {
    return false; // the conformance test reports these
  }
  if (!parsed.check().valid) return false;
  const result = compileCel(env, parsed.ast);
  if (!result.ok) {
    fallbacks.set(result.reason, (fallbacks.get(result.reason) ?? 0) + 1);
    return true;
  }
  compiled++;
  const interpreted = runCounted(parsed, context, DEFAULT_BUDGET);
  const own = runCounted(result.run, context, DEFAULT_BUDGET);
  const difference = outcomeDifference(interpreted, own);
  expect(difference, `${test.expr}\n${result.source}`).toBeUndefined();
  expect(own.steps, "compiled steps >= interpreted steps").toBeGreaterThanOrEqual(interpreted.steps);
  return true;
}

for (const file of files) {
  if (file.sections.every((section) => section.tests.length === 0)) continue;
  describe(file.name, () => {
    for (const section of file.sections) {
      const tests = section.tests;
      if (tests.length === 0) continue;
      it(`${section.name} (${tests.length} cases)`, () => {
        for (const test of tests) compare(test);
      });
    }
  });
}

describe("coverage", () => {
  it("compiles nearly every conformance expression", () => {
    const interpreted = [...fallbacks.values()].reduce((a, b) => a + b, 0);
    expect(compiled).toBeGreaterThan(1000);
    expect(interpreted, JSON.stringify(Object.fromEntries(fallbacks), null, 1)).toBeLessThan(compiled / 20);
  });
});

afterAll(() => {
  const lines = [`compiled ${compiled} conformance expressions; interpreted:`];
  for (const [reason, count] of fallbacks) lines.push(`  ${count} ${reason}`);
  console.log(lines.join("\n"));
});
