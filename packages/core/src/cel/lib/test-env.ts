/**
 * A cel-js Environment with every library registered, configured like celgate's own
 * (cel/environment.ts), for the libraries' tests. Unknown variables are dyn.
 */
import { Environment } from "@marcbachmann/cel-js";
import type { FunctionDoc } from "./doc.js";
import { registerKubernetesLibraries } from "./index.js";

let env: Environment | undefined;

export function libraryEnv(): Environment {
  if (!env) {
    env = new Environment({
      enableOptionalTypes: true,
      homogeneousAggregateLiterals: false,
      unlistedVariablesAreDyn: true,
    });
    registerKubernetesLibraries(env);
  }
  return env;
}

/** Evaluates a CEL expression; throws cel-js's parse, type or evaluation error. */
export function evalCel(expression: string, variables: Record<string, unknown> = {}): unknown {
  return libraryEnv().evaluate(expression, variables);
}

/** The message of the error evaluating `expression` throws, or undefined if it succeeds. */
export function evalError(expression: string, variables: Record<string, unknown> = {}): string | undefined {
  try {
    evalCel(expression, variables);
    return undefined;
  } catch (error) {
    return (error as { summary?: string }).summary ?? (error as Error).message;
  }
}

/** `example == result` as one CEL expression, for checking a FunctionDoc. */
export function docCheckExpression(doc: FunctionDoc): string {
  return `(${doc.example}) == (${doc.result})`;
}
