import { Environment } from "@marcbachmann/cel-js";
import type { Budget } from "./budget.js";
import { re2Matches, registerKubernetesLibraries } from "./lib/index.js";

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

/** A parsed (not yet checked) expression: call it with an activation to evaluate. */
export interface ParsedExpression {
  (activation: Record<string, unknown>): unknown;
  check():
    | { valid: true; type: string }
    | { valid: false; error: Error & { range?: { start: number; end: number } } };
  ast: CelAst;
}

/** The parts of cel-js's AST nodes that celgate reads. */
export interface CelAst {
  op: string;
  args: unknown;
  evaluate(evaluator: CelEvaluator, ast: CelAst, ctx: unknown): unknown;
}

interface CelEvaluator {
  run(ast: CelAst, ctx: unknown): unknown;
}

let activeBudget: Budget | null = null;

/**
 * Runs `fn` with `budget` counting every evaluation step. Evaluation is synchronous, so only
 * one budget is active at a time; nested calls restore the outer one.
 */
export function withBudget<T>(budget: Budget, fn: () => T): T {
  const outer = activeBudget;
  activeBudget = budget;
  try {
    return fn();
  } finally {
    activeBudget = outer;
  }
}

let shared: Environment | undefined;

/**
 * The one CEL environment of the process: the standard library, optional types, the
 * Kubernetes libraries and celgate's variables. Building it is costly, so it is built once.
 */
export function celEnvironment(): Environment {
  if (shared) return shared;
  const env = new Environment({
    enableOptionalTypes: true,
    homogeneousAggregateLiterals: false,
    limits: {
      maxAstNodes: 20_000,
      maxDepth: 100,
      maxListElements: 1_000,
      maxMapEntries: 1_000,
      maxCallArguments: 32,
    },
  });
  for (const [name, type] of Object.entries(CEL_VARIABLES)) env.registerVariable(name, type);
  registerKubernetesLibraries(env);
  installEvaluationHook(env);
  shared = env;
  return env;
}

/**
 * cel-js evaluates every node through `evaluator.run`, which it does not let us configure.
 * A macro receives the evaluator instance, so we reach it once and wrap `run` to
 * (1) count steps against the active budget and (2) evaluate `matches` with RE2 semantics
 * (linear time) instead of JavaScript's backtracking RegExp.
 */
function installEvaluationHook(env: Environment): void {
  let evaluator: CelEvaluator | undefined;
  env.registerFunction("__celgateEvaluator(ast): bool", ({ args }: { args: unknown[] }) => ({
    args,
    typeCheck(checker: { getType(name: string): unknown }) {
      return checker.getType("bool");
    },
    evaluate(ev: CelEvaluator) {
      evaluator = ev;
      return true;
    },
  }));
  env.evaluate("__celgateEvaluator(true)", {
    object: {},
    params: {},
    variables: {},
    containers: [],
    images: [],
    bundle: [],
    context: {},
    now: new Date(0),
  });
  if (!evaluator) throw new Error("celgate: cannot reach the CEL evaluator to install the budget");
  const target = evaluator;
  const matches = (ast: CelAst, ctx: unknown): unknown => {
    const args = ast.args as unknown[];
    const operands = (
      ast.op === "rcall" ? [args[1], ...(args[2] as CelAst[])] : (args[1] as CelAst[])
    ) as CelAst[];
    if (operands.length !== 2) return ast.evaluate(target, ast, ctx);
    return re2Matches(
      expectString(target.run(operands[0]!, ctx)),
      expectString(target.run(operands[1]!, ctx)),
    );
  };
  target.run = function run(ast: CelAst, ctx: unknown): unknown {
    activeBudget?.step();
    // one string comparison per node; the destructuring happens only for calls named matches
    if ((ast.args as unknown[] | undefined)?.[0] === "matches" && (ast.op === "rcall" || ast.op === "call")) {
      return matches(ast, ctx);
    }
    return ast.evaluate(target, ast, ctx);
  };
}

function expectString(value: unknown): string {
  if (typeof value !== "string") throw new Error(`matches() expects strings, got ${typeof value}`);
  return value;
}
