import type { Environment } from "@marcbachmann/cel-js";
import { activeBudget, type Budget, swapActiveBudget } from "./budget.js";
import { createCelgateEnvironment } from "./lib/celgate-environment.js";
import type { CelAst } from "./lib/hooks.js";

export type { CelAst } from "./lib/hooks.js";

/** The variables every policy expression sees, with their CEL types (policy-format.md). */
export const CEL_VARIABLES = {
  object: "map",
  oldObject: "dyn",
  request: "dyn",
  namespaceObject: "dyn",
  params: "map",
  variables: "map",
  podSpec: "dyn",
  containers: "list",
  images: "list",
  bundle: "list",
  context: "map",
  now: "google.protobuf.Timestamp",
} as const;

export type CelVariableName = keyof typeof CEL_VARIABLES;

/**
 * The variables that hold Kubernetes objects: an evaluation hands them to CEL as they are
 * (parsed YAML or JSON), and CEL sees `manifestToCel` of them (cel/values.ts): whole numbers
 * as ints, keys without a value left out. Compiled expressions read them without copying
 * (compile/runtime.ts); interpreted ones are given the converted values (compile/engine.ts).
 */
export const MANIFEST_VARIABLES: ReadonlySet<string> = new Set<CelVariableName>([
  "object",
  "oldObject",
  "namespaceObject",
  "podSpec",
  "containers",
  "bundle",
]);

/** A parsed (not yet checked) expression: call it with an activation to evaluate. */
export interface ParsedExpression {
  (activation: Record<string, unknown>): unknown;
  check():
    | { valid: true; type: string }
    | { valid: false; error: Error & { range?: { start: number; end: number } } };
  ast: CelAst;
}

/**
 * Runs `fn` with `budget` counting every evaluation step. Evaluation is synchronous, so only
 * one budget is active at a time; nested calls restore the outer one.
 */
export function withBudget<T>(budget: Budget, fn: () => T): T {
  const outer = swapActiveBudget(budget);
  try {
    return fn();
  } finally {
    swapActiveBudget(outer);
  }
}

/**
 * Makes `budget` the active one and returns the one it replaces, for callers that restore it
 * themselves (in a `finally`), without the closure `withBudget` takes: a policy's run, once
 * per (policy, resource) pair.
 */
export function swapBudget(budget: Budget | null): Budget | null {
  return swapActiveBudget(budget);
}

/** Counts `n` steps against the active budget, if any (compiled expressions call this). */
export function chargeSteps(n: number): void {
  activeBudget()?.charge(n);
}

/** Counts `times` charges of `n` steps against the active budget, as that many `chargeSteps(n)` would. */
export function chargeStepsTimes(n: number, times: number): void {
  activeBudget()?.chargeTimes(n, times);
}

/** cel-js options of every celgate environment (the runtime one and the typed checking one). */
export const CEL_OPTIONS = {
  enableOptionalTypes: true,
  homogeneousAggregateLiterals: false,
  limits: {
    maxAstNodes: 20_000,
    maxDepth: 100,
    maxListElements: 1_000,
    maxMapEntries: 1_000,
    maxCallArguments: 32,
  },
} as const;

let shared: Environment | undefined;

/**
 * The one CEL environment of the process: the standard library, optional types, the
 * Kubernetes libraries, celgate's variables and its compile-time checks. Building it is costly,
 * so it is built once.
 */
export function celEnvironment(): Environment {
  if (shared) return shared;
  shared = createCelgateEnvironment(CEL_OPTIONS, CEL_VARIABLES, () => activeBudget()?.step());
  return shared;
}
