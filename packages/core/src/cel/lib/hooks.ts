/**
 * celgate's hooks into cel-js, which has no configuration for either:
 * (1) cel-js evaluates every node below the root through `evaluator.run`; a macro receives the
 *     evaluator instance, so we reach it once and wrap `run` to report every evaluation step
 *     (the budget counts them);
 * (2) cel-js's built-in functions cannot be re-registered, so after type checking,
 *     `installOverrides` wraps the overload dispatcher cel-js stores on each call node of a
 *     built-in whose semantics differ from Kubernetes' (`matches` with RE2's linear-time
 *     matching, the string functions by code point, `duration('0')`, time zone offsets), of
 *     the int negation and division, which cel-js lets overflow int64 (`-(-2^63)`,
 *     `-2^63 / -1`), and of the operators whose meaning differs for some operands (equality,
 *     `in` and ordering across numeric types, a uint list index, timestamp and duration ranges).
 */
import type { Environment } from "@marcbachmann/cel-js";
import { chargeSize } from "../budget.js";
import { astNodes } from "./ast.js";
import { bytesOverrides } from "./bytes/index.js";
import { numbersOperatorOverrides, numbersOverrides } from "./numbers/index.js";
import { optionalsOperatorOverrides } from "./optionals/index.js";
import { re2Matches } from "./regex/index.js";
import {
  type BuiltinOverride,
  celError,
  FALLBACK,
  INT64_MAX,
  INT64_MIN,
  type OperatorOverride,
} from "./shared.js";
import { stringsOverrides } from "./strings/index.js";
import { timeOperatorOverrides, timeOverrides } from "./time/index.js";

/** The parts of cel-js's AST nodes that celgate reads. */
export interface CelAst {
  op: string;
  args: unknown;
  evaluate(evaluator: CelEvaluator, ast: CelAst, ctx: unknown): unknown;
}

interface CelEvaluator {
  run(ast: CelAst, ctx: unknown): unknown;
}

/**
 * cel-js sets `handle` on call nodes when it type-checks them: the overload dispatcher, called
 * with the evaluated receiver and arguments (then the evaluator and node, in an order that
 * differs between methods and functions).
 */
interface CheckedCall extends CelAst {
  handle?: (values: unknown[], a: unknown, b: unknown, c?: unknown) => unknown;
}

/** Operators whose int result cel-js does not check against the int64 range. */
const int64Result = (result: unknown): unknown => {
  if (typeof result === "bigint" && (result > INT64_MAX || result < INT64_MIN)) {
    throw celError("integer overflow");
  }
  return result;
};
const UNCHECKED_INT_OPERATORS: readonly OperatorOverride[] = [
  { op: "-_", check: int64Result },
  { op: "/", check: int64Result },
];

const matchesOverride: BuiltinOverride = {
  method: true,
  name: "matches",
  apply: ([text, pattern]) => {
    if (typeof text !== "string" || typeof pattern !== "string") {
      throw celError(`matches() expects strings, got ${typeof text} and ${typeof pattern}`);
    }
    return re2Matches(text, pattern);
  },
};

const ALL: readonly BuiltinOverride[] = [
  matchesOverride,
  ...stringsOverrides,
  ...timeOverrides,
  ...numbersOverrides,
  ...bytesOverrides,
];
/** The overrides of methods (`rcall` nodes) and of global functions (`call` nodes), by name. */
const METHODS = new Map(ALL.filter((o) => o.method).map((o) => [o.name, o]));
const FUNCTIONS = new Map(ALL.filter((o) => !o.method).map((o) => [o.name, o]));

/**
 * `+` of two strings or two lists builds a value as large as both: charged by its size
 * (budget.ts, chargeSize), as compiled `+` charges what it builds.
 */
const SIZED_OPERATORS: readonly OperatorOverride[] = [
  { op: "+", applies: (node) => mayBuild(node), check: chargeSize },
];

/**
 * Whether a type-checked node's value may be a string or a list (its type is one, or dyn, or
 * not known): the nodes whose result chargeSize may charge. Numbers, bools, maps, timestamps
 * and the rest pass by without a wrapper.
 */
function mayBuild(node: { args: unknown }): boolean {
  const type = (node as { checkedType?: { name?: string; kind?: string; hasDynType?: boolean } }).checkedType;
  return type === undefined || type.hasDynType === true || type.name === "string" || type.kind === "list";
}

/** The operator overrides, by operator, in the order they apply. */
const OPERATORS = new Map<string, OperatorOverride[]>();
for (const o of [
  ...SIZED_OPERATORS,
  ...UNCHECKED_INT_OPERATORS,
  ...numbersOperatorOverrides,
  ...timeOperatorOverrides,
  ...optionalsOperatorOverrides,
]) {
  const list = OPERATORS.get(o.op) ?? [];
  list.push(o);
  OPERATORS.set(o.op, list);
}

type BinaryHandle = (a: unknown, b: unknown, c: unknown, d?: unknown) => unknown;

/**
 * `original` behind the `apply` of each override (the first outermost), its result through
 * every `check`. The node and evaluator cel-js passes last are the same on every call of one
 * node, and evaluation is synchronous, so they are kept aside rather than closed over per call.
 */
function operatorHandle(
  overrides: readonly OperatorOverride[],
  original: BinaryHandle,
  node: CelAst,
): BinaryHandle {
  const checks = overrides.flatMap((o) => (o.check ? [o.check] : []));
  let nodeArg: unknown;
  let evaluatorArg: unknown;
  let next = (left: unknown, right: unknown): unknown => {
    let result = original(left, right, nodeArg, evaluatorArg);
    for (const check of checks) result = check(result);
    return result;
  };
  for (let i = overrides.length - 1; i >= 0; i--) {
    const apply = overrides[i]?.apply;
    if (!apply) continue;
    const after = next;
    next = (left, right) => apply(left, right, after);
  }
  const first = next;
  return (a, b, c, d) => {
    nodeArg = c;
    evaluatorArg = d;
    try {
      return first(a, b);
    } catch (error) {
      throw withPosition(error, node);
    }
  };
}

function withPosition(error: unknown, ast: CelAst): unknown {
  const attach = (error as { withAst?: (node: CelAst) => unknown } | null)?.withAst;
  return typeof attach === "function" ? attach.call(error, ast) : error;
}

/**
 * Wraps the dispatcher of every overridden built-in call in a type-checked tree, so the
 * override runs on the evaluated values and hands back to cel-js (FALLBACK) when it does not
 * apply. Idempotent; call after a successful type check, before the first evaluation.
 */
export function installOverrides(root: CelAst): void {
  for (const item of astNodes<CheckedCall>(root)) {
    const op = item.op;
    const operatorOverrides = OPERATORS.get(op)?.filter((o) => o.applies?.(item) ?? true);
    if (operatorOverrides && operatorOverrides.length > 0) {
      const original = item.handle;
      if (!original || wrapped.has(original)) continue;
      const handle = operatorHandle(operatorOverrides, original as BinaryHandle, item);
      wrapped.add(handle);
      item.handle = handle as CheckedCall["handle"];
      continue;
    }
    if (op !== "rcall" && op !== "call") continue;
    const o = (op === "rcall" ? METHODS : FUNCTIONS).get((item.args as unknown[])[0] as string);
    const original = item.handle;
    if (!original || wrapped.has(original) || (!o && !mayBuild(item))) continue;
    const node = item;
    // every function's result that is a string or a list (join, replace, format, upperAscii,
    // split...) is charged by its size: a few calls could otherwise build strings too large to hold
    const sized = mayBuild(item);
    const handle = o
      ? (values: unknown[], a: unknown, b: unknown): unknown => {
          let result: unknown;
          try {
            result = o.apply(values);
            if (result === FALLBACK) {
              result = original(values, a, b);
              if (o.check) result = o.check(result);
            }
            return sized ? chargeBuilt(result, values) : result;
          } catch (error) {
            throw withPosition(error, node);
          }
        }
      : (values: unknown[], a: unknown, b: unknown): unknown => chargeBuilt(original(values, a, b), values);
    wrapped.add(handle);
    node.handle = handle;
  }
}

const wrapped = new WeakSet<object>();

/**
 * `result` of a call on `values`, charged by its size (chargeSize) unless it is one of them: a
 * call that hands back its input (`string(s)`, `s.trim()` of a trimmed string) built nothing.
 */
function chargeBuilt(result: unknown, values: readonly unknown[]): unknown {
  if (
    typeof result === "string" ? values.includes(result) : !Array.isArray(result) || values.includes(result)
  )
    return result;
  return chargeSize(result);
}

const evaluators = new WeakMap<Environment, CelEvaluator>();

/**
 * The evaluator of `env` (reached by installEvaluationHook), which compiled expressions pass to
 * cel-js's handlers as the interpreter does; undefined for an environment without the hook.
 */
export function evaluatorOf(env: Environment): unknown {
  return evaluators.get(env);
}

/**
 * Installs the step hook on `env`'s evaluator; `onStep` runs before every node below the root
 * is evaluated (it may throw to stop evaluation). Call once per Environment. Throws if cel-js's
 * internals changed so that the evaluator cannot be reached.
 */
export function installEvaluationHook(env: Environment, onStep: () => void): void {
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
  if (!evaluator) throw new Error("celgate: cannot reach the CEL evaluator to install its hook");
  const target = evaluator;
  evaluators.set(env, target);
  target.run = function run(ast: CelAst, ctx: unknown): unknown {
    onStep();
    return ast.evaluate(target, ast, ctx);
  };
}
