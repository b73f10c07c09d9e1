/**
 * Budget.chargeTimes counts as that many calls of charge() would: the same steps, and when a
 * limit is crossed, the same limit named, with the same count at the crossing.
 */
import { describe, expect, it } from "vitest";
import { Budget, BudgetExceededError, type BudgetLimits } from "./budget.js";

function outcome(budget: Budget, run: () => void): { steps: number; error?: string; after?: string } {
  let error: string | undefined;
  try {
    run();
  } catch (e) {
    if (!BudgetExceededError.is(e)) throw e;
    error = e.message;
  }
  // once tripped, every later charge throws the same error
  let after: string | undefined;
  try {
    budget.charge(1);
  } catch (e) {
    after = (e as Error).message;
  }
  return { steps: budget.used, ...(error ? { error } : {}), ...(after ? { after } : {}) };
}

describe("Budget.chargeTimes", () => {
  const limits: BudgetLimits[] = [
    { perExpression: 100, perPolicy: 1_000, timeoutMs: 60_000 },
    { perExpression: 1_000, perPolicy: 100, timeoutMs: 60_000 },
    { perExpression: 99, perPolicy: 100, timeoutMs: 60_000 },
    { perExpression: 100, perPolicy: 100, timeoutMs: 60_000 },
    { perExpression: 10_000, perPolicy: 10_000, timeoutMs: 60_000 },
  ];
  const cases: [number, number, number][] = [];
  for (const before of [0, 7, 95, 100])
    for (const n of [0, 1, 3, 7, 50]) for (const times of [0, 1, 2, 13, 40]) cases.push([before, n, times]);

  it.each(limits)("equals repeated charge() under %o", (limit) => {
    for (const [before, n, times] of cases) {
      const a = new Budget(limit);
      const b = new Budget(limit);
      a.beginExpression();
      b.beginExpression();
      const pre = (budget: Budget) => {
        for (let i = 0; i < before; i++) budget.charge(1);
      };
      const once = outcome(a, () => {
        pre(a);
        a.chargeTimes(n, times);
      });
      const repeated = outcome(b, () => {
        pre(b);
        for (let i = 0; i < times; i++) b.charge(n);
      });
      expect(once, `before ${before}, ${times} x ${n}`).toEqual(repeated);
    }
  });
});
