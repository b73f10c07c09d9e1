/**
 * A celgate Environment (libraries, evaluation hook, static checks) configured like celgate's
 * own (cel/environment.ts), for the libraries' tests. Unknown variables are dyn.
 */

import { type CelgateEnvironment, createCelgateEnvironment } from "./celgate-environment.js";
import type { FunctionDoc } from "./doc.js";

let env: CelgateEnvironment | undefined;

export function libraryEnv(): CelgateEnvironment {
  env ??= createCelgateEnvironment({
    enableOptionalTypes: true,
    homogeneousAggregateLiterals: false,
    unlistedVariablesAreDyn: true,
  });
  return env;
}

/**
 * Checks then evaluates a CEL expression, as celgate compiles then runs a policy; throws the
 * parse, type, static-check or evaluation error.
 */
export function evalCel(expression: string, variables: Record<string, unknown> = {}): unknown {
  const parsed = libraryEnv().parse(expression);
  const checked = parsed.check();
  if (!checked.valid) throw checked.error;
  return parsed(variables);
}

/** The compile-time error of `expression` (parse, type or static check), or undefined. */
export function compileError(expression: string): string | undefined {
  try {
    const checked = libraryEnv().parse(expression).check();
    return checked.valid
      ? undefined
      : ((checked.error as { summary?: string }).summary ?? checked.error?.message);
  } catch (error) {
    return (error as { summary?: string }).summary ?? (error as Error).message;
  }
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
