/**
 * Which engine runs an expression: compiled JavaScript (the default) or cel-js's interpreter.
 * `CELGATE_CEL_ENGINE=interpret` forces the interpreter everywhere (to compare the two); an
 * expression the compiler does not handle is interpreted whatever the setting, with the reason.
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { ParsedExpression } from "../environment.js";
import { compileCel } from "./compile-cel.js";

export type CelEngine = "compile" | "interpret";

/**
 * The engine chosen by `CELGATE_CEL_ENGINE` (`interpret` or `compile`, default `compile`).
 * The engine reads no other setting from its environment: this one is read here, where the
 * process has one (CLI, service, workers, tests), so that every caller follows it alike.
 */
export function defaultCelEngine(): CelEngine {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.CELGATE_CEL_ENGINE;
  return value?.trim().toLowerCase() === "interpret" ? "interpret" : "compile";
}

/** How an expression runs: `run` behaves as the parsed expression does, whichever engine is behind it. */
export interface PreparedRun {
  run: ParsedExpression;
  engine: "compiled" | "interpreted";
  /** Why the expression is interpreted (the setting, or what the compiler does not handle). */
  interpretedBecause?: string;
}

/**
 * Compiles a parsed, type-checked expression of `env` unless `engine` is `interpret` or the
 * compiler does not handle it. Never throws.
 */
export function prepareRun(
  env: Environment,
  parsed: ParsedExpression,
  engine: CelEngine = defaultCelEngine(),
): PreparedRun {
  if (engine === "interpret") {
    return { run: parsed, engine: "interpreted", interpretedBecause: "CELGATE_CEL_ENGINE=interpret" };
  }
  const compiled = compileCel(env, parsed.ast);
  if (!compiled.ok) return { run: parsed, engine: "interpreted", interpretedBecause: compiled.reason };
  const run = Object.assign(compiled.run, { check: parsed.check, ast: parsed.ast });
  return { run, engine: "compiled" };
}
