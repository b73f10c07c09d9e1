import { Budget, BudgetExceededError, type BudgetLimits } from "../cel/budget.js";
import { withBudget } from "../cel/environment.js";
import { celToText } from "../cel/values.js";
import type { CompiledExpression, CompiledPolicy } from "../compile/compile.js";
import type { Violation } from "../report/types.js";

/** Kubernetes caps a validation message at 5 KiB; so does celgate. */
export const MAX_MESSAGE_BYTES = 5 * 1024;

export type RawOutcome =
  | { outcome: "pass" }
  | { outcome: "skip" }
  | { outcome: "fail"; violations: Violation[] }
  | { outcome: "error"; error: string };

/**
 * Evaluates one compiled policy against one activation (the CEL variables), within a budget:
 * matchConditions (all true, else skip), then every validation (each false one a violation).
 * Sets `activation.variables` to the policy's lazy variables: callers reuse one activation per
 * resource across policies. Never throws: runtime errors and exhausted budgets become an
 * `error` outcome.
 */
export function runPolicy(
  policy: CompiledPolicy,
  activation: Record<string, unknown>,
  limits?: BudgetLimits,
  invariants?: InvariantCache,
): RawOutcome {
  const budget = new Budget(limits);
  activation.variables = lazyVariables(policy, () => activation, invariants);
  let current: CompiledExpression | undefined;
  try {
    return withBudget(budget, () => {
      for (const condition of policy.matchConditions) {
        current = condition;
        budget.beginExpression();
        const value = condition.run(activation);
        if (budget.tripped) throw budget.tripped;
        if (value === false) return { outcome: "skip" as const };
        if (value !== true)
          throw new TypeError(`matchCondition ${condition.name} returned ${celToText(value)}, not a bool`);
      }
      const violations: Violation[] = [];
      for (const validation of policy.validations) {
        current = validation.expression;
        budget.beginExpression();
        const value = validation.expression.run(activation);
        if (budget.tripped) throw budget.tripped;
        if (value === true) continue;
        if (value !== false) throw new TypeError(`returned ${celToText(value)}, not a bool`);
        let message = validation.message;
        if (validation.messageExpression) {
          current = validation.messageExpression;
          budget.beginExpression();
          try {
            const text = validation.messageExpression.run(activation);
            if (budget.tripped) throw budget.tripped;
            if (typeof text === "string" && text.trim() !== "") message = text;
          } catch (error) {
            // as in Kubernetes, a failing messageExpression falls back to `message`; a budget overrun does not
            if (BudgetExceededError.is(error)) throw error;
          }
        }
        const violation: Violation = {
          message: capMessage(message ?? `failed expression: ${validation.expression.source.trim()}`),
        };
        if (validation.fieldPath) violation.fieldPath = validation.fieldPath;
        if (validation.reason) violation.reason = validation.reason;
        violations.push(violation);
      }
      return violations.length > 0 ? { outcome: "fail" as const, violations } : { outcome: "pass" as const };
    });
  } catch (error) {
    return { outcome: "error", error: describeError(error, current) };
  }
}

type VariableState = { value: unknown } | { error: unknown };

/**
 * Values of a policy's invariant variables, shared by every resource of one evaluation
 * (see CompiledVariable.invariant). One per policy per evaluation.
 */
export type InvariantCache = Map<string, VariableState>;

/**
 * A policy's `variables` map for one evaluation, made once and reused for every resource: its
 * getters read the state of the current run (`states`, reset per run) and compute a variable on
 * first use. Evaluation is synchronous and runs one (policy, resource) pair at a time.
 */
interface VariableSlots {
  object: Record<string, unknown>;
  states: (VariableState | undefined)[];
  activation: Record<string, unknown>;
}

const slotsByCache = new WeakMap<InvariantCache, VariableSlots>();

function lazyVariables(
  policy: CompiledPolicy,
  activation: () => Record<string, unknown>,
  invariants: InvariantCache | undefined,
): Record<string, unknown> {
  let slots = invariants ? slotsByCache.get(invariants) : undefined;
  if (!slots) {
    slots = makeSlots(policy, invariants);
    if (invariants) slotsByCache.set(invariants, slots);
  }
  slots.activation = activation();
  slots.states.fill(undefined);
  return slots.object;
}

function makeSlots(policy: CompiledPolicy, invariants: InvariantCache | undefined): VariableSlots {
  const slots: VariableSlots = {
    object: Object.create(null),
    states: new Array(policy.variables.length).fill(undefined),
    activation: {},
  };
  policy.variables.forEach((variable, i) => {
    const shared = variable.invariant ? invariants : undefined;
    Object.defineProperty(slots.object, variable.name, {
      enumerable: true,
      get() {
        let state = slots.states[i] ?? shared?.get(variable.name);
        if (!state) {
          try {
            state = { value: variable.run(slots.activation) };
          } catch (error) {
            state = {
              error: BudgetExceededError.is(error) ? error : new VariableError(variable.name, error),
            };
          }
          // a budget overrun belongs to this resource's run, not to the variable's value
          if (!("error" in state && BudgetExceededError.is(state.error))) shared?.set(variable.name, state);
        }
        slots.states[i] = state;
        if ("error" in state) throw state.error;
        return state.value;
      },
    });
  });
  return slots;
}

class VariableError extends Error {
  constructor(name: string, cause: unknown) {
    super(`variables.${name}: ${errorSummary(cause)}`);
  }
}

function errorSummary(error: unknown): string {
  if (error && typeof error === "object") {
    const e = error as { summary?: unknown; message?: unknown };
    if (typeof e.summary === "string") return e.summary;
    if (typeof e.message === "string") return e.message.split("\n")[0] ?? e.message;
  }
  return String(error);
}

function describeError(error: unknown, where: CompiledExpression | undefined): string {
  if (error instanceof RangeError) return `${where?.path ?? "policy"}: evaluation too deep (stack exhausted)`;
  return capMessage(`${where?.path ?? "policy"}: ${errorSummary(error)}`);
}

const encoder = new TextEncoder();
const TRUNCATED = "... (truncated)";

/** Caps a message at MAX_MESSAGE_BYTES of UTF-8, cutting at a character boundary. */
export function capMessage(message: string): string {
  // a UTF-16 unit is at most 3 UTF-8 bytes: short messages need no encoding
  if (message.length * 3 <= MAX_MESSAGE_BYTES) return message;
  if (encoder.encode(message).length <= MAX_MESSAGE_BYTES) return message;
  const budget = MAX_MESSAGE_BYTES - TRUNCATED.length;
  let bytes = 0;
  let end = 0;
  for (const char of message) {
    const size = encoder.encode(char).length;
    if (bytes + size > budget) break;
    bytes += size;
    end += char.length;
  }
  return `${message.slice(0, end)}${TRUNCATED}`;
}
