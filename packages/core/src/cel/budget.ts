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

  /** Called once per evaluated node; throws when a limit is crossed. */
  step(): void {
    this.policySteps++;
    const steps = ++this.expressionSteps;
    if (steps > this.limits.perExpression) {
      throw new BudgetExceededError(
        `evaluation budget exceeded: the expression took more than ${this.limits.perExpression.toLocaleString("en")} steps`,
      );
    }
    if (this.policySteps > this.limits.perPolicy) {
      throw new BudgetExceededError(
        `evaluation budget exceeded: the policy took more than ${this.limits.perPolicy.toLocaleString("en")} steps on this resource`,
      );
    }
    if ((steps & 1023) === 0 && this.clock() > this.deadline) {
      throw new BudgetExceededError(
        `evaluation budget exceeded: the policy ran longer than ${this.limits.timeoutMs} ms`,
      );
    }
  }

  get used(): number {
    return this.policySteps - this.expressionStart;
  }
}
