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
  /**
   * With `variable.returnRaw`: `run` may return a value read as it is from a manifest (not its
   * CEL value); the variable's holder converts it where it is read by name (run-policy.ts).
   */
  rawResult?: boolean;
}

/** How a policy variable's expression, or a reader of policy variables, is compiled. */
export interface VariableOptions {
  /** The variables that may hold values read as they are (their `rawResult`). */
  rawVariables?: ReadonlySet<string>;
  /** This expression is a variable's: it may return a value read as it is. */
  returnRaw?: boolean;
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
  variables: VariableOptions = {},
): PreparedRun {
  if (engine === "interpret") {
    return {
      run: interpretedRun(parsed, manifests),
      engine: "interpreted",
      interpretedBecause: "CELGATE_CEL_ENGINE=interpret",
    };
  }
  const compiled = compileCel(env, parsed.ast, { manifests, ...variables });
  if (!compiled.ok)
    return {
      run: interpretedRun(parsed, manifests),
      engine: "interpreted",
      interpretedBecause: compiled.reason,
    };
  const run = Object.assign(compiled.run, { check: parsed.check, ast: parsed.ast });
  return compiled.rawResult ? { run, engine: "compiled", rawResult: true } : { run, engine: "compiled" };
}

/** The CEL values interpreted expressions were given for manifests, by the manifest. */
let conversions = new WeakMap<object, unknown>();
/** Per activation, what interpreted expressions read instead, and the manifests it was made for. */
let views = new WeakMap<object, { view: Record<string, unknown>; sources: unknown[] }>();

/**
 * Forgets the conversions kept for interpreted expressions (see interpretedRun). An evaluation
 * calls it before it starts and after it ends: the values it was given may change afterwards,
 * and what it converted is not kept beyond it.
 */
export function clearManifestConversions(): void {
  conversions = new WeakMap();
  views = new WeakMap();
}

function converted(value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (typeof value !== "object") return manifestToCel(value);
  let cel = conversions.get(value);
  if (cel === undefined) {
    cel = manifestToCel(value);
    conversions.set(value, cel);
  }
  return cel;
}

/**
 * `parsed`, run on an activation whose manifest variables are converted to CEL values. Each
 * manifest is converted once (every expression of a resource reads its object, every resource
 * the same bundle) and its conversion kept until clearManifestConversions or until the
 * manifest itself is collected. The activation is read through a view that holds the
 * converted manifests and inherits every other variable from it, so variables set on the
 * activation later (params, variables) are seen.
 */
function interpretedRun(parsed: ParsedExpression, manifests: ReadonlySet<string>): ParsedExpression {
  if (manifests.size === 0) return parsed;
  const names = [...manifests];
  const run = (activation: Record<string, unknown>) => {
    if (activation === null || typeof activation !== "object" || activation instanceof Map)
      return parsed(activation);
    let entry = views.get(activation);
    if (!entry || names.some((name, i) => activation[name] !== entry?.sources[i])) {
      const sources = names.map((name) => activation[name]);
      const view: Record<string, unknown> = Object.create(activation);
      names.forEach((name, i) => {
        const source = sources[i];
        // defined, not assigned: the activation's own property may be read-only (a frozen activation)
        if (source !== undefined && source !== null)
          Object.defineProperty(view, name, { value: converted(source), enumerable: true });
      });
      entry = { view, sources };
      views.set(activation, entry);
    }
    return parsed(entry.view);
  };
  return Object.assign(run, { check: parsed.check, ast: parsed.ast });
}
