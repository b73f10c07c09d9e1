/**
 * Runs one expression both compiled and interpreted and says how the two differ: in value (by
 * CEL type and value, map keys in order, prototypes too), in error (class, code and message)
 * or in budget outcome. The differential tests use it; it is not part of the engine.
 */
import { Optional } from "@marcbachmann/cel-js";
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import { Budget, BudgetExceededError, type BudgetLimits } from "../budget.js";
import { celEnvironment, MANIFEST_VARIABLES, type ParsedExpression, withBudget } from "../environment.js";
import { isTypeValue } from "../lib/shared.js";
import { prepareRun } from "./engine.js";

/**
 * `source` parsed and checked in celgate's environment with the manifest variables, made ready
 * both compiled and interpreted. Throws when it does not check.
 */
export function prepareBoth(source: string) {
  const env = celEnvironment();
  const parsed = env.parse(source) as unknown as ParsedExpression;
  const checked = parsed.check();
  if (!checked.valid) throw new Error(`${source}: ${checked.error.message}`);
  return {
    parsed,
    compiled: prepareRun(env, parsed, "compile", MANIFEST_VARIABLES),
    interpreted: prepareRun(env, parsed, "interpret", MANIFEST_VARIABLES),
  };
}

/** What one run produced, and the steps it counted. */
export type RunOutcome =
  | { kind: "value"; value: unknown; steps: number }
  | { kind: "error"; error: string; steps: number }
  | { kind: "budget"; error: string; steps: number };

/** Runs `fn` on `activation` within a fresh budget of `limits`. Never throws. */
export function runCounted(
  fn: (activation: Record<string, unknown>) => unknown,
  activation: Record<string, unknown>,
  limits: BudgetLimits,
): RunOutcome {
  const budget = new Budget(limits);
  try {
    const value = withBudget(budget, () => {
      budget.beginExpression();
      const v = fn(activation);
      if (budget.tripped) throw budget.tripped;
      return v;
    });
    return { kind: "value", value, steps: budget.used };
  } catch (error) {
    if (BudgetExceededError.is(error)) return { kind: "budget", error: error.message, steps: budget.used };
    return { kind: "error", error: describeError(error), steps: budget.used };
  }
}

/** An error as the comparison sees it: class, cel-js code and message without the source excerpt. */
export function describeError(error: unknown): string {
  if (error instanceof RangeError) return "RangeError (stack exhausted)";
  if (error instanceof Error) {
    const e = error as Error & { code?: string; summary?: string };
    return `${e.name}${e.code ? `[${e.code}]` : ""}: ${e.summary ?? e.message}`;
  }
  return `thrown ${typeof error}: ${String(error)}`;
}

/** How two outcomes differ (value, error or budget), or undefined when they are the same. */
export function outcomeDifference(interpreted: RunOutcome, compiled: RunOutcome): string | undefined {
  if (interpreted.kind !== compiled.kind) {
    return `interpreted: ${show(interpreted)}; compiled: ${show(compiled)}`;
  }
  if (interpreted.kind === "value" && compiled.kind === "value") {
    return valueDifference(interpreted.value, compiled.value, "result");
  }
  const a = interpreted as { error: string };
  const b = compiled as { error: string };
  return a.error === b.error ? undefined : `interpreted: ${a.error}; compiled: ${b.error}`;
}

function show(outcome: RunOutcome): string {
  return outcome.kind === "value" ? `value ${describe(outcome.value)}` : `${outcome.kind} ${outcome.error}`;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Where two CEL values differ, or undefined. Strict: 1 and 1.0 differ, NaN equals NaN. */
export function valueDifference(a: unknown, b: unknown, at: string): string | undefined {
  if (typeof a !== typeof b) return `${at}: ${typeof a} vs ${typeof b}`;
  switch (typeof a) {
    case "number":
      return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) ? undefined : `${at}: ${a} vs ${b}`;
    case "object":
      break;
    default:
      return a === b ? undefined : `${at}: ${String(a)} vs ${String(b)}`;
  }
  if (a === null || b === null) return a === b ? undefined : `${at}: null vs non-null`;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${at}: different prototypes`;
  if (a instanceof UnsignedInt)
    return a.value === (b as UnsignedInt).value ? undefined : `${at}: uint differs`;
  if (a instanceof Date)
    return a.getTime() === (b as Date).getTime() ? undefined : `${at}: timestamp differs`;
  if (a instanceof Duration) {
    const d = b as Duration;
    return a.seconds === d.seconds && a.nanos === d.nanos ? undefined : `${at}: duration differs`;
  }
  if (a instanceof Uint8Array) {
    const c = b as Uint8Array;
    return a.length === c.length && a.every((x, i) => x === c[i]) ? undefined : `${at}: bytes differ`;
  }
  if (a instanceof Optional) {
    const o = b as Optional<unknown>;
    if (a.hasValue() !== o.hasValue()) return `${at}: optional presence differs`;
    return a.hasValue() ? valueDifference(a.value(), o.value(), `${at}.value()`) : undefined;
  }
  if (isTypeValue(a)) return a.name === (b as { name: string }).name ? undefined : `${at}: type differs`;
  if (Array.isArray(a)) {
    const l = b as unknown[];
    if (a.length !== l.length) return `${at}: length ${a.length} vs ${l.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = valueDifference(a[i], l[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (a instanceof Map) {
    const m = b as Map<unknown, unknown>;
    const ka = [...a.keys()];
    const kb = [...m.keys()];
    if (ka.length !== kb.length) return `${at}: ${ka.length} vs ${kb.length} entries`;
    for (let i = 0; i < ka.length; i++) {
      const d =
        valueDifference(ka[i], kb[i], `${at} key ${i}`) ??
        valueDifference(a.get(ka[i]), m.get(kb[i]), `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  if (ka.join("\u0000") !== kb.join("\u0000")) return `${at}: keys ${ka.join(",")} vs ${kb.join(",")}`;
  for (const key of ka) {
    const d = valueDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${at}.${key}`,
    );
    if (d) return d;
  }
  return undefined;
}
