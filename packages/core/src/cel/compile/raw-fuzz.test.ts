/**
 * A seeded differential fuzz of the paths that keep manifest parts as they are (unconverted)
 * beyond a single read: lists joined with `+`, `filter` over a list read as it is, `a[?k]` read
 * unwrapped, ternaries of optional accesses, `[]`/`dyn([])` beside values read as they are, and
 * what a policy variable's function returns as it is (`returnRaw`). Random manifests (maps and
 * lists nested a few levels; null, ints, doubles such as 0.5, -0 and 1e300, strings, bools,
 * empty maps and lists; keys such as `__proto__`, `constructor`, `toString`; keys whose value
 * is null) and random expressions built around those constructs must give the interpreter's
 * value, error and budget outcome, compiled and interpreted, inside one list-index scope per
 * manifest as an evaluation runs them. A failure names the expression and the activation.
 */
import { describe, expect, it } from "vitest";
import { Budget, BudgetExceededError, type BudgetLimits, DEFAULT_BUDGET } from "../budget.js";
import { celEnvironment, MANIFEST_VARIABLES, type ParsedExpression, withBudget } from "../environment.js";
import { describeError, outcomeDifference, type RunOutcome, runCounted } from "./differential.js";
import { clearManifestConversions, prepareRun } from "./engine.js";
import { listIndexStats, withListIndexes } from "./list-index.js";
import { expressions, random, randomActivation, showActivation } from "./raw-fuzz.js";
import { celOf } from "./runtime.js";

type Expressions = ReturnType<typeof expressions>;

/** Like runCounted, the result converted as a policy variable's holder converts it. */
function runVariable(
  fn: (a: Record<string, unknown>) => unknown,
  rawResult: boolean,
  activation: Record<string, unknown>,
): RunOutcome {
  const budget = new Budget(DEFAULT_BUDGET);
  try {
    const value = withBudget(budget, () => {
      budget.beginExpression();
      const v = fn(activation);
      if (budget.tripped) throw budget.tripped;
      return rawResult ? celOf(v) : v;
    });
    return { kind: "value", value, steps: budget.used };
  } catch (error) {
    if (BudgetExceededError.is(error)) return { kind: "budget", error: error.message, steps: budget.used };
    return { kind: "error", error: describeError(error), steps: budget.used };
  }
}

interface FuzzStats {
  checked: number;
  kinds: Record<RunOutcome["kind"], number>;
  rawResults: number;
  /** Outcomes under a limit below the steps both counted. */
  tight: Record<RunOutcome["kind"], number>;
  /** Lookups answered by a list index, and conversions remembered in a scope: both paths run. */
  indexed: number;
  conversionsReused: number;
  fallbacks: string[];
  failures: string[];
}

/**
 * Runs `count` checked expressions of `make` over fresh random activations (a new one every
 * `perActivation` expressions, all of them in one list-index scope, as an evaluation runs the
 * expressions of a resource), each compiled, compiled as a variable, and interpreted.
 */
function fuzz(seed: number, count: number, make: (e: Expressions) => string, long?: boolean): FuzzStats {
  const env = celEnvironment();
  const next = random(seed);
  const gen = expressions(next);
  const stats: FuzzStats = {
    checked: 0,
    kinds: { value: 0, error: 0, budget: 0 },
    rawResults: 0,
    tight: { value: 0, error: 0, budget: 0 },
    indexed: 0,
    conversionsReused: 0,
    fallbacks: [],
    failures: [],
  };
  const perActivation = 25;
  for (let tries = 0; stats.checked < count && tries < count * 20; ) {
    const activation = randomActivation(next, long);
    clearManifestConversions();
    withListIndexes(() => {
      for (let j = 0; j < perActivation && stats.checked < count; j++, tries++) {
        const source = make(gen);
        let parsed: ParsedExpression;
        try {
          parsed = env.parse(source) as unknown as ParsedExpression;
        } catch {
          continue;
        }
        if (!parsed.check().valid) continue;
        stats.checked++;
        const compiled = prepareRun(env, parsed, "compile", MANIFEST_VARIABLES);
        const variable = prepareRun(env, parsed, "compile", MANIFEST_VARIABLES, { returnRaw: true });
        if (compiled.engine !== "compiled") {
          stats.fallbacks.push(`${source}: ${compiled.interpretedBecause}`);
          continue;
        }
        const interpreted = prepareRun(env, parsed, "interpret", MANIFEST_VARIABLES).run;
        const a = runCounted(interpreted, activation, DEFAULT_BUDGET);
        const b = runCounted(compiled.run, activation, DEFAULT_BUDGET);
        const c = runVariable(variable.run, variable.rawResult === true, activation);
        if (variable.rawResult) stats.rawResults++;
        const where = `\n  expression: ${source}\n  activation: ${showActivation(activation)}`;
        const d1 = outcomeDifference(a, b);
        if (d1) stats.failures.push(`compiled: ${d1}${where}`);
        // again in the same scope, where a comprehension's list may now be indexed and a
        // conversion is remembered
        const again = outcomeDifference(a, runCounted(compiled.run, activation, DEFAULT_BUDGET));
        if (again) stats.failures.push(`compiled, run again: ${again}${where}`);
        const d2 = outcomeDifference(a, c);
        if (d2) stats.failures.push(`as a variable: ${d2}${where}`);
        if (b.steps < a.steps) stats.failures.push(`compiled counts ${b.steps} < ${a.steps} steps${where}`);
        if (a.steps === b.steps && a.steps > 1) {
          // the same steps counted: a limit crossed on the way must end both alike
          const limit = 1 + Math.floor(next() * (a.steps - 1));
          const tight: BudgetLimits = { perExpression: limit, perPolicy: limit + 5, timeoutMs: 60_000 };
          const t1 = runCounted(interpreted, activation, tight);
          const t2 = runCounted(compiled.run, activation, tight);
          const d3 = outcomeDifference(t1, t2);
          if (d3) stats.failures.push(`budget of ${limit} steps: ${d3}${where}`);
          stats.tight[t2.kind]++;
        }
        stats.kinds[b.kind]++;
        if (stats.failures.length >= 3) return;
      }
      const used = listIndexStats();
      if (used) {
        stats.indexed += used.lookups;
        stats.conversionsReused += used.conversionsReused;
      }
    });
    if (stats.failures.length >= 3) break;
  }
  return stats;
}

// FUZZ_SEED (added to each seed) and FUZZ_COUNT (cases per suite) search further by hand; the
// suite itself always runs the same cases
const SEED_OFFSET = Number(process.env.FUZZ_SEED ?? 0);
const CASES = Number(process.env.FUZZ_COUNT ?? 1000);

describe("values kept as they are, fuzzed against the interpreter", () => {
  it.each([
    ["values", 20261208, (e: Expressions) => e.value(4), false],
    ["conditions", 20261209, (e: Expressions) => e.bool(4), false],
    ["lists", 20261210, (e: Expressions) => e.list(4), false],
    ["optionals", 20261211, (e: Expressions) => e.optional(4), false],
    ["indexed comprehensions", 20261213, (e: Expressions) => e.keyed(3), true],
  ] as const)("%s (seeded)", (name, seed, make, long) => {
    const stats = fuzz(seed + SEED_OFFSET, CASES, make, long || undefined);
    expect(stats.failures.join("\n\n")).toBe("");
    expect(stats.fallbacks).toEqual([]);
    expect(stats.checked).toBe(CASES);
    // the cases reach values, errors, budgets crossed on the way, results kept as they are,
    // conversions remembered in a scope and (for the keyed comprehensions) the list index
    expect(stats.kinds.value).toBeGreaterThan(CASES / 5);
    expect(stats.kinds.error).toBeGreaterThan(CASES / 5);
    expect(stats.tight.budget).toBeGreaterThan(CASES / 20);
    expect(stats.conversionsReused).toBeGreaterThan(0);
    if (name === "lists") expect(stats.rawResults).toBeGreaterThan(CASES / 3);
    if (long) expect(stats.indexed).toBeGreaterThan(0);
  });
});
