/**
 * Evaluation budgets. cel-js has no cost limit of its own, so celgate counts evaluation steps
 * (one per AST node evaluated, including every iteration of a comprehension) and checks a
 * wall-clock deadline every few thousand steps. Exceeding either throws a BudgetExceededError,
 * which the evaluator turns into an `error` outcome. Kubernetes' figures are kept as defaults:
 * 1,000,000 per expression and 10,000,000 per policy per object.
 */
export interface BudgetLimits {
  /** Steps one expression may take. */
  perExpression: number;
  /** Steps all expressions of one policy may take on one resource. */
  perPolicy: number;
  /** Milliseconds one policy may take on one resource. */
  timeoutMs: number;
}

export const DEFAULT_BUDGET: BudgetLimits = {
  perExpression: 1_000_000,
  perPolicy: 10_000_000,
  timeoutMs: 1_000,
};

const brand = Symbol.for("celgate.BudgetExceededError");

export class BudgetExceededError extends Error {
  readonly [brand] = true;
  constructor(message: string) {
    super(message);
    this.name = "BudgetExceededError";
  }
  static is(error: unknown): error is BudgetExceededError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[brand] === true;
  }
}

/** The running count of one policy on one resource. Evaluation is synchronous, so one is active at a time. */
export class Budget {
  private policySteps = 0;
  private expressionSteps = 0;
  private readonly deadline: number;
  private expressionStart = 0;
  private exceeded: BudgetExceededError | undefined;

  constructor(
    readonly limits: BudgetLimits = DEFAULT_BUDGET,
    private readonly clock: () => number = Date.now,
  ) {
    this.deadline = clock() + limits.timeoutMs;
  }

  /** Starts counting a new expression. */
  beginExpression(): void {
    this.expressionStart = this.policySteps;
    this.expressionSteps = 0;
  }

  /**
   * Called once per evaluated node; throws when a limit is crossed. Once crossed, every later
   * step throws too: CEL's `all` and `exists` absorb the errors of single elements and go on
   * iterating, so a budget that tripped once must stay tripped for the iterations to end.
   */
  step(): void {
    if (this.exceeded) throw this.exceeded;
    this.policySteps++;
    const steps = ++this.expressionSteps;
    if (steps > this.limits.perExpression) {
      this.trip(`the expression took more than ${this.limits.perExpression.toLocaleString("en")} steps`);
    }
    if (this.policySteps > this.limits.perPolicy) {
      this.trip(
        `the policy took more than ${this.limits.perPolicy.toLocaleString("en")} steps on this resource`,
      );
    }
    if ((steps & 1023) === 0 && this.clock() > this.deadline) {
      this.trip(`the policy ran longer than ${this.limits.timeoutMs} ms`);
    }
  }

  /**
   * Counts `n` steps at once, as `step()` does one by one: compiled expressions (./compile/)
   * charge a comprehension's body once per iteration instead of one step per node. The deadline
   * is checked whenever the count passes a multiple of 1,024, as with `step()`.
   */
  charge(n: number): void {
    if (this.exceeded) throw this.exceeded;
    const before = this.expressionSteps;
    this.policySteps += n;
    this.expressionSteps += n;
    const steps = this.expressionSteps;
    if (steps > this.limits.perExpression) {
      this.trip(`the expression took more than ${this.limits.perExpression.toLocaleString("en")} steps`);
    }
    if (this.policySteps > this.limits.perPolicy) {
      this.trip(
        `the policy took more than ${this.limits.perPolicy.toLocaleString("en")} steps on this resource`,
      );
    }
    if (steps >>> 10 !== before >>> 10 && this.clock() > this.deadline) {
      this.trip(`the policy ran longer than ${this.limits.timeoutMs} ms`);
    }
  }

  /**
   * Counts `times` charges of `n` steps, exactly as `times` calls of `charge(n)` would: the
   * same steps counted and, when a limit is crossed, the same limit named (at the first of those
   * calls that would cross one, the per-expression limit first, as `charge` checks it). The
   * deadline is checked once, if the count passes a multiple of 1,024. Compiled comprehensions
   * use it to charge, at once, the iterations an index let them skip (./compile/list-index.ts).
   */
  chargeTimes(n: number, times: number): void {
    if (times <= 0) return;
    if (this.exceeded) throw this.exceeded;
    if (n <= 0) return;
    // the first call k (1-based) after which a limit is crossed: steps + k * n > limit
    const expressionAt = Math.floor((this.limits.perExpression - this.expressionSteps) / n) + 1;
    const policyAt = Math.floor((this.limits.perPolicy - this.policySteps) / n) + 1;
    const crossing = Math.min(expressionAt, policyAt);
    if (crossing <= times) {
      this.policySteps += crossing * n;
      this.expressionSteps += crossing * n;
      if (expressionAt <= policyAt) {
        this.trip(`the expression took more than ${this.limits.perExpression.toLocaleString("en")} steps`);
      }
      this.trip(
        `the policy took more than ${this.limits.perPolicy.toLocaleString("en")} steps on this resource`,
      );
    }
    const before = this.expressionSteps;
    this.policySteps += times * n;
    this.expressionSteps += times * n;
    if (this.expressionSteps >>> 10 !== before >>> 10 && this.clock() > this.deadline) {
      this.trip(`the policy ran longer than ${this.limits.timeoutMs} ms`);
    }
  }

  /** The error, once a limit was crossed (even when a quantifier absorbed it). */
  get tripped(): BudgetExceededError | undefined {
    return this.exceeded;
  }

  private trip(reason: string): never {
    this.exceeded = new BudgetExceededError(`evaluation budget exceeded: ${reason}`);
    throw this.exceeded;
  }

  get used(): number {
    return this.policySteps - this.expressionStart;
  }
}

/** The budget counting the evaluation under way (environment.ts sets it); none outside one. */
let active: Budget | null = null;

/** Makes `budget` the active one; returns the one it replaces (environment.ts's swapBudget). */
export function swapActiveBudget(budget: Budget | null): Budget | null {
  const outer = active;
  active = budget;
  return outer;
}

/** The active budget, if an evaluation is under way. */
export function activeBudget(): Budget | null {
  return active;
}

/**
 * Characters (of a string) or elements (of a list) that count one step when a value is built:
 * Kubernetes' cost of traversing a string, 0.1 per character. A step counts nodes, not bytes,
 * so without this a few steps could build strings of hundreds of millions of characters
 * (`s + s`, repeated in variables) and run the process out of memory.
 */
export const SIZE_PER_STEP = 10;

/**
 * Charges the active budget for `value`, a string or list an operator or function has just
 * built: one step per SIZE_PER_STEP characters or elements (none below that). Returns `value`.
 * Throws what `Budget.charge` throws. Both engines call it at the same places (cel-js's
 * handlers of calls and `+`, lib/hooks.ts; compiled `+`, compile/runtime.ts), so they count
 * alike.
 */
export function chargeSize<T>(value: T): T {
  const size = typeof value === "string" || Array.isArray(value) ? value.length : 0;
  if (size >= SIZE_PER_STEP && active !== null) active.charge(Math.floor(size / SIZE_PER_STEP));
  return value;
}
