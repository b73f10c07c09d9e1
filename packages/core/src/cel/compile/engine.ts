/**
 * Which engine runs an expression: compiled JavaScript (the default) or cel-js's interpreter.
 * `CELGATE_CEL_ENGINE=interpret` forces the interpreter everywhere (to compare the two); an
 * expression the compiler does not handle is interpreted whatever the setting, with the reason.
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { ParsedExpression } from "../environment.js";
import { manifestToCel } from "../values.js";
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
 *
 * `manifests` names the variables that an activation may hold as Kubernetes objects as they
 * are (parsed YAML or JSON, numbers not yet CEL ints): compiled code reads them without a copy,
 * and an interpreted expression is handed `manifestToCel` of each, so both see the same values.
 */
export function prepareRun(
  env: Environment,
  parsed: ParsedExpression,
  engine: CelEngine = defaultCelEngine(),
  manifests: ReadonlySet<string> = new Set(),
): PreparedRun {
  if (engine === "interpret") {
    return {
      run: interpretedRun(parsed, manifests),
      engine: "interpreted",
      interpretedBecause: "CELGATE_CEL_ENGINE=interpret",
    };
  }
  const compiled = compileCel(env, parsed.ast, { manifests });
  if (!compiled.ok)
    return {
      run: interpretedRun(parsed, manifests),
      engine: "interpreted",
      interpretedBecause: compiled.reason,
    };
  const run = Object.assign(compiled.run, { check: parsed.check, ast: parsed.ast });
  return { run, engine: "compiled" };
}

/** The value each manifest variable had in the last interpreted run, and its conversion. */
const lastConverted = new Map<string, { value: unknown; converted: unknown }>();

/**
 * Forgets the conversions kept for interpreted expressions (see interpretedRun). An evaluation
 * calls it before it starts and after it ends: the values it was given may change afterwards,
 * and what it converted is not kept beyond it.
 */
export function clearManifestConversions(): void {
  lastConverted.clear();
}

/**
 * `parsed`, run on an activation whose manifest variables are converted to CEL values. The
 * conversion of each variable is kept while the variable holds the same value (the
 * expressions of one resource share its object, every resource the same bundle), until
 * clearManifestConversions.
 */
function interpretedRun(parsed: ParsedExpression, manifests: ReadonlySet<string>): ParsedExpression {
  if (manifests.size === 0) return parsed;
  const run = (activation: Record<string, unknown>) => {
    if (activation === null || typeof activation !== "object" || activation instanceof Map)
      return parsed(activation);
    let converted: Record<string, unknown> | undefined;
    for (const name of manifests) {
      const value = activation[name];
      if (value === undefined || value === null) continue;
      let last = lastConverted.get(name);
      if (last?.value !== value) {
        last = { value, converted: manifestToCel(value) };
        lastConverted.set(name, last);
      }
      converted ??= { ...activation };
      converted[name] = last.converted;
    }
    return parsed(converted ?? activation);
  };
  return Object.assign(run, { check: parsed.check, ast: parsed.ast });
}
