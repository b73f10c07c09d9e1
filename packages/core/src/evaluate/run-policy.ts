import { Budget, BudgetExceededError, type BudgetLimits } from "../cel/budget.js";
import { celOf, RAW_VARIABLE } from "../cel/compile/runtime.js";
import { swapBudget } from "../cel/environment.js";
import { celToText } from "../cel/values.js";
import type { CompiledExpression, CompiledPolicy, CompiledValidation } from "../compile/compile.js";
import type { Violation } from "../report/types.js";

/** Kubernetes caps a validation message at 5 KiB; so does celgate. */
export const MAX_MESSAGE_BYTES = 5 * 1024;

export type RawOutcome =
  | { outcome: "pass" }
  | { outcome: "skip" }
  | { outcome: "fail"; violations: Violation[] }
  | { outcome: "error"; error: string };

const SKIP: RawOutcome = Object.freeze({ outcome: "skip" });
const PASS: RawOutcome = Object.freeze({ outcome: "pass" });

/**
 * Evaluates one compiled policy against one activation (the CEL variables), within a budget:
 * matchConditions (all true, else skip), then every validation (each false one a violation).
 * Sets `activation.variables` to the policy's lazy variables: callers reuse one activation per
 * resource across policies. Never throws: runtime errors and exhausted budgets become an
 * `error` outcome. The outcomes `skip` and `pass` are shared, frozen objects.
 *
 * Runs once per (policy, resource) pair, so it allocates no closure and walks its lists by
 * index: most of an evaluation runs before the engine's code is optimized.
 */
export function runPolicy(
  policy: CompiledPolicy,
  activation: Record<string, unknown>,
  limits?: BudgetLimits,
  invariants?: InvariantCache,
): RawOutcome {
  const budget = new Budget(limits);
  activation.variables = lazyVariables(policy, activation, invariants);
  let current: CompiledExpression | undefined;
  const outer = swapBudget(budget);
  try {
    const conditions = policy.matchConditions;
    for (let i = 0; i < conditions.length; i++) {
      const condition = conditions[i] as CompiledPolicy["matchConditions"][number];
      current = condition;
      budget.beginExpression();
      const value = condition.run(activation);
      if (budget.tripped) throw budget.tripped;
      if (value === false) return SKIP;
      if (value !== true)
        throw new TypeError(`matchCondition ${condition.name} returned ${celToText(value)}, not a bool`);
    }
    let violations: Violation[] | undefined;
    const validations = policy.validations;
    for (let i = 0; i < validations.length; i++) {
      const validation = validations[i] as CompiledValidation;
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
      violations ??= [];
      violations.push(violation);
    }
    return violations ? { outcome: "fail", violations } : PASS;
  } catch (error) {
    return { outcome: "error", error: describeError(error, current) };
  } finally {
    swapBudget(outer);
  }
}

type VariableState = { value: unknown } | { error: unknown };

/**
 * Values of a policy's invariant variables, shared by every resource of one evaluation
 * (see CompiledVariable.invariant). One per policy per evaluation.
 */
export type InvariantCache = Map<string, VariableState>;

/** What a variable slot holds in the current run. */
const UNSET = 0;
const VALUE = 1;
const ERROR = 2;
/** VALUE, and its CEL value made (in `converted`): for a variable whose value is read as it is. */
const CONVERTED = 3;

/**
 * A policy's `variables` map, made once per compiled policy and reused by every run of it, in
 * every evaluation: its getters read the state of the current run (`status`, `values`,
 * `activation` and `invariants`, all reset by `lazyVariables` at the start of each run) and
 * compute a variable on first use. This relies on evaluation being synchronous and on one
 * (policy, resource) pair running at a time: a run of a policy never starts while another run
 * of the same policy is under way (CEL cannot call back into the engine, and a caller's sink
 * runs between resources, never within a run).
 */
interface VariableSlots {
  object: Record<string, unknown>;
  /** The variables the slots were made for (a policy whose list changed gets new slots). */
  variables: CompiledPolicy["variables"];
  /**
   * Per variable: UNSET, VALUE (its value in `values`), CONVERTED (also its CEL value in
   * `converted`) or ERROR (the error in `values`).
   */
  status: Uint8Array;
  values: unknown[];
  /**
   * The CEL values of the variables whose compiled function may return a manifest's part as it
   * is (`rawResult`): made when the variable is read by name, which must give a CEL value.
   * Compiled readers of it read `values` instead, through RAW_VARIABLE.
   */
  converted: unknown[];
  activation: Record<string, unknown>;
  /** The invariant values of the current run's evaluation; none: every variable is the run's own. */
  invariants: InvariantCache | undefined;
}

const slotsByPolicy = new WeakMap<CompiledPolicy, VariableSlots>();

/** An activation that holds nothing: what idle slots point at, so that they keep nothing alive. */
const NO_ACTIVATION: Record<string, unknown> = Object.freeze(Object.create(null));

function lazyVariables(
  policy: CompiledPolicy,
  activation: Record<string, unknown>,
  invariants: InvariantCache | undefined,
): Record<string, unknown> {
  let slots = slotsByPolicy.get(policy);
  if (!slots || slots.variables !== policy.variables || slots.status.length !== policy.variables.length) {
    slots = makeSlots(policy);
    slotsByPolicy.set(policy, slots);
  } else if (slots.status.length > 0) {
    // the values of the last run stay until overwritten: only the status says what is set
    slots.status.fill(UNSET);
  }
  // first run since the last release: the slots now hold something to let go of
  if (slots.activation === NO_ACTIVATION) holding.push(slots);
  slots.activation = activation;
  slots.invariants = invariants;
  return slots.object;
}

/** The slots that have run since the last `releaseVariables`, each once. */
const holding: VariableSlots[] = [];

/**
 * Lets go of what every policy's slots hold from their last run (the resource's activation, the
 * variables' values, the evaluation's invariant values), so that nothing of an evaluation stays
 * reachable after it; the slots themselves stay, for the next run. Call it when no run is under
 * way (at the end of an evaluation). An evaluation nested in another's sink releases the outer
 * one's slots too, which is harmless: each run sets its slots afresh when it starts.
 */
export function releaseVariables(): void {
  for (let i = 0; i < holding.length; i++) {
    const slots = holding[i] as VariableSlots;
    slots.status.fill(UNSET);
    slots.values.fill(undefined);
    slots.converted.fill(undefined);
    slots.activation = NO_ACTIVATION;
    slots.invariants = undefined;
  }
  holding.length = 0;
}

function makeSlots(policy: CompiledPolicy): VariableSlots {
  const variables = policy.variables;
  const count = variables.length;
  const slots: VariableSlots = {
    // an ordinary object, cut loose from its prototype once its getters are defined: V8 keeps it
    // in fast mode (a shape per policy, reads the compiled expressions cache), where an object
    // made by Object.create(null) is a hash table (see toCel in cel/values.ts)
    object: {},
    variables,
    status: new Uint8Array(count),
    values: new Array(count).fill(undefined),
    converted: new Array(count).fill(undefined),
    activation: NO_ACTIVATION,
    invariants: undefined,
  };
  const index = new Map<string, number>();
  const readers = new Array<() => unknown>(count);
  variables.forEach((variable, i) => {
    const compute = (): void => {
      const shared = variable.invariant ? slots.invariants : undefined;
      if (!shared) {
        // a variable of this resource's run: its value (or error) goes straight into the slot
        try {
          slots.values[i] = variable.run(slots.activation);
          slots.status[i] = VALUE;
        } catch (error) {
          slots.values[i] = BudgetExceededError.is(error) ? error : new VariableError(variable.name, error);
          slots.status[i] = ERROR;
        }
        return;
      }
      let state = shared.get(variable.name);
      if (!state) {
        try {
          state = { value: variable.run(slots.activation) };
        } catch (error) {
          state = {
            error: BudgetExceededError.is(error) ? error : new VariableError(variable.name, error),
          };
        }
        // a budget overrun belongs to this resource's run, not to the variable's value
        if (!("error" in state && BudgetExceededError.is(state.error))) shared.set(variable.name, state);
      }
      if ("error" in state) {
        slots.status[i] = ERROR;
        slots.values[i] = state.error;
      } else {
        slots.status[i] = VALUE;
        slots.values[i] = state.value;
      }
    };
    readers[i] = () => {
      if (slots.status[i] === UNSET) compute();
      if (slots.status[i] === ERROR) throw slots.values[i];
      return slots.values[i];
    };
    const raw = variable.rawResult === true;
    Object.defineProperty(slots.object, variable.name, {
      enumerable: true,
      get() {
        if (slots.status[i] === UNSET) compute();
        const status = slots.status[i];
        if (status === ERROR) throw slots.values[i];
        if (!raw) return slots.values[i];
        if (status === CONVERTED) return slots.converted[i];
        const value = celOf(slots.values[i]);
        slots.converted[i] = value;
        slots.status[i] = CONVERTED;
        return value;
      },
    });
    index.set(variable.name, i);
  });
  // compiled readers of a variable whose value may be read as it is take it as it is (the
  // variable's name gives its CEL value); a symbol, which CEL never sees
  Object.defineProperty(slots.object, RAW_VARIABLE, {
    value: (name: string): unknown => {
      const i = index.get(name);
      return i === undefined ? undefined : (readers[i] as () => unknown)();
    },
  });
  Object.setPrototypeOf(slots.object, null);
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
