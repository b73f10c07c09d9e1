/**
 * Compiles a type-checked expression to a JavaScript function (codegen.ts), or says why it
 * cannot. Never throws.
 */
import type { Environment } from "@marcbachmann/cel-js";
import { evaluatorOf } from "../lib/hooks.js";
import { type GenerateOptions, generate, Unsupported } from "./codegen.js";
import { type CelEvaluator, runtimeFor } from "./runtime.js";

/** A compiled expression: call it with an activation, as a parsed cel-js expression. */
export type CompiledCel = (activation: Record<string, unknown>) => unknown;

export type CompileCelResult =
  | { ok: true; run: CompiledCel; source: string; rawResult: boolean }
  | { ok: false; reason: string };

/**
 * Compiles `ast`, the root of an expression parsed by `env` and type-checked (with celgate's
 * overrides installed, which `parse(...).check()` of a CelgateEnvironment does). The function
 * throws what the interpreter throws and returns what it returns; steps are charged to the
 * budget of `withBudget`. Never throws: an expression it does not compile comes back with the
 * reason. With `options.manifests`, those variables are read as they are (runtime.ts): the
 * function then returns what the interpreter returns given `manifestToCel` of each of them.
 */
export function compileCel(env: Environment, ast: unknown, options: GenerateOptions = {}): CompileCelResult {
  const ev = evaluatorOf(env) as CelEvaluator | undefined;
  if (!ev) return { ok: false, reason: "the environment has no evaluation hook" };
  if (!(ast as { checkedType?: unknown } | null)?.checkedType) {
    return { ok: false, reason: "the expression is not type-checked" };
  }
  let generated: ReturnType<typeof generate>;
  try {
    generated = generate(ast, options);
  } catch (error) {
    if (error instanceof Unsupported)
      return { ok: false, reason: `the compiler does not handle ${error.message}` };
    // a syntax tree deeper than the stack, or a cel-js internal the compiler did not expect
    return { ok: false, reason: `the compiler failed: ${(error as Error)?.message ?? String(error)}` };
  }
  try {
    // the source holds no text of the expression: literals and names are in `constants`
    const factory = new Function("K", "R", generated.body) as (
      constants: unknown[],
      runtime: ReturnType<typeof runtimeFor>,
    ) => CompiledCel;
    return {
      ok: true,
      run: factory(generated.constants, runtimeFor(ev)),
      source: generated.body,
      rawResult: generated.rawResult,
    };
  } catch (error) {
    return {
      ok: false,
      reason: `the generated code did not load: ${(error as Error)?.message ?? String(error)}`,
    };
  }
}
