/**
 * Budget outcomes of compiled expressions equal the interpreter's: the per-expression limit,
 * the per-policy limit across expressions, the deadline, and a limit crossed inside an
 * error-absorbing construct (`||`, `all`, `exists`) still ends in the budget error.
 */
import { describe, expect, it } from "vitest";
import { Budget, BudgetExceededError, type BudgetLimits, DEFAULT_BUDGET } from "../budget.js";
import { celEnvironment, type ParsedExpression, withBudget } from "../environment.js";
import { compileCel } from "./compile-cel.js";
import { outcomeDifference, type RunOutcome, runCounted } from "./differential.js";

const env = celEnvironment();
const list = `[${Array.from({ length: 40 }, (_, i) => i).join(", ")}]`;
const activation = {
  object: { l: Array.from({ length: 40 }, (_, i) => BigInt(i)) },
  params: {},
  variables: {},
  containers: [],
  images: [],
  bundle: [],
  context: {},
  now: new Date(0),
};

function both(source: string): {
  interpreted: ParsedExpression;
  compiled: (a: Record<string, unknown>) => unknown;
} {
  const parsed = env.parse(source) as unknown as ParsedExpression;
  const checked = parsed.check();
  if (!checked.valid) throw checked.error;
  const compiled = compileCel(env, parsed.ast);
  if (!compiled.ok) throw new Error(compiled.reason);
  return { interpreted: parsed, compiled: compiled.run };
}

function outcomes(source: string, limits: BudgetLimits): [RunOutcome, RunOutcome] {
  const { interpreted, compiled } = both(source);
  return [runCounted(interpreted, activation, limits), runCounted(compiled, activation, limits)];
}

const SMALL: BudgetLimits = { perExpression: 20_000, perPolicy: 50_000, timeoutMs: 60_000 };

describe("compiled expressions keep the budget", () => {
  it.each([
    `${list}.all(x, ${list}.all(y, ${list}.all(z, true)))`,
    `object.l.exists(x, object.l.exists(y, object.l.exists(z, x + y + z < 0)))`,
    `${list}.map(x, ${list}.map(y, ${list}.map(z, x * y * z))).size() > 0`,
    `${list}.all(x, ${list}.all(y, ${list}.all(z, true))) || true`,
    `true && ${list}.exists(x, ${list}.exists(y, ${list}.exists(z, false)))`,
    `${list}.transformList(i, x, ${list}.transformList(j, y, ${list}.filter(z, z > x + y))).size() > 0`,
  ])("over the per-expression limit: %s", (source) => {
    const [interpreted, compiled] = outcomes(source, SMALL);
    expect(interpreted.kind).toBe("budget");
    expect(outcomeDifference(interpreted, compiled)).toBeUndefined();
    expect(compiled.kind === "budget" && compiled.error).toContain(
      "the expression took more than 20,000 steps",
    );
  });

  it.each([
    `${list}.all(x, ${list}.all(y, true))`,
    `object.l.map(x, object.l.filter(y, y > x)).size() == 40`,
    `${list}.exists(x, ${list}.exists(y, x * y == 1521))`,
  ])("well under the limit: %s", (source) => {
    const [interpreted, compiled] = outcomes(source, SMALL);
    expect(interpreted.kind).toBe("value");
    expect(outcomeDifference(interpreted, compiled)).toBeUndefined();
  });

  it("keep the first error of a quantifier when the limit is crossed among absorbed errors", () => {
    // the quantifiers keep their first element's error; the budget error comes later, as in the interpreter
    const [interpreted, compiled] = outcomes(
      `cel.bind(l, ${list}, l.all(x, l.all(y, l.all(z, 1 / 0 > 0))))`,
      SMALL,
    );
    expect(interpreted.kind).toBe("error");
    expect(outcomeDifference(interpreted, compiled)).toBeUndefined();
  });

  it.each([
    `${list}.all(x, ${list}.all(y, ${list}.all(z, true))) || {'a': 1}.b == 1`,
    `${list}.all(x, ${list}.all(y, ${list}.all(z, true))) && has(dyn({'a': 1}).b.c)`,
    // the left side's own error, kept by the quantifiers while the limit was crossed
    `cel.bind(l, ${list}, l.all(x, l.all(y, l.all(z, 1 / 0 > 0)))) || {'a': 1}.b == 1`,
    // a limit crossed in an inner `||` whose right side would decide
    `(${list}.all(x, ${list}.all(y, ${list}.all(z, true))) || true) && {'a': 1}.b == 1`,
  ])(
    "end in the budget error when an absorbed limit is followed by another error (found by raw-fuzz): %s",
    (source) => {
      // the interpreter counts a step before it evaluates the right side of `||`/`&&`, and that
      // step throws the budget error once a limit is crossed; compiled code counts that side ahead
      const [interpreted, compiled] = outcomes(source, SMALL);
      expect(interpreted.kind).toBe("budget");
      expect(outcomeDifference(interpreted, compiled)).toBeUndefined();
    },
  );

  it("share the per-policy limit across expressions", () => {
    const { interpreted, compiled } = both(`${list}.all(x, ${list}.all(y, true))`);
    const limits: BudgetLimits = { perExpression: 1_000_000, perPolicy: 12_000, timeoutMs: 60_000 };
    const run = (fn: (a: Record<string, unknown>) => unknown): string[] => {
      const budget = new Budget(limits);
      const results: string[] = [];
      withBudget(budget, () => {
        for (let i = 0; i < 4; i++) {
          budget.beginExpression();
          try {
            fn(activation);
            results.push(budget.tripped ? budget.tripped.message : "ok");
          } catch (error) {
            results.push(BudgetExceededError.is(error) ? error.message : "other error");
          }
        }
      });
      return results;
    };
    const expected = run(interpreted);
    expect(expected[0]).toBe("ok");
    expect(expected[3]).toContain("the policy took more than 12,000 steps");
    expect(run(compiled)).toEqual(expected);
  });

  it("stop at the deadline", () => {
    const { interpreted, compiled } = both(`${list}.all(x, ${list}.all(y, ${list}.all(z, true)))`);
    const run = (fn: (a: Record<string, unknown>) => unknown): string => {
      let now = 0;
      // a clock that advances 1 ms per reading: the 5 ms deadline passes after a few checks
      const budget = new Budget({ ...DEFAULT_BUDGET, timeoutMs: 5 }, () => now++);
      try {
        withBudget(budget, () => {
          budget.beginExpression();
          fn(activation);
          if (budget.tripped) throw budget.tripped;
        });
        return "finished";
      } catch (error) {
        return BudgetExceededError.is(error) ? error.message : "other error";
      }
    };
    expect(run(interpreted)).toBe("evaluation budget exceeded: the policy ran longer than 5 ms");
    expect(run(compiled)).toBe(run(interpreted));
  });
});
