import { prepareRun } from "./compile/engine.js";
import { celEnvironment, MANIFEST_VARIABLES, type ParsedExpression } from "./environment.js";

/** A CEL expression parsed and type-checked in celgate's environment, or why it is not. */
export type CheckedExpression =
  | { ok: true; run: ParsedExpression; type: string }
  | { ok: false; code: "cel-syntax" | "cel-type"; message: string; offset: number };

/**
 * Parses and type-checks `source` against celgate's variables. Never throws: a syntax or type
 * error comes back with its offset in `source` (for a caret).
 */
export function checkExpression(source: string): CheckedExpression {
  let run: ParsedExpression;
  try {
    run = celEnvironment().parse(source) as unknown as ParsedExpression;
  } catch (error) {
    const e = error as Error & { summary?: string; range?: { start: number } };
    return {
      ok: false,
      code: "cel-syntax",
      message: `CEL syntax error: ${e.summary ?? e.message.split("\n")[0]}`,
      offset: e.range?.start ?? 0,
    };
  }
  const checked = run.check();
  if (!checked.valid) {
    const e = checked.error as Error & { summary?: string; range?: { start: number } };
    return {
      ok: false,
      code: "cel-type",
      message: `CEL type error: ${e.summary ?? e.message.split("\n")[0]}`,
      offset: e.range?.start ?? 0,
    };
  }
  // compiled to JavaScript unless CELGATE_CEL_ENGINE=interpret or the compiler does not handle it
  return {
    ok: true,
    run: prepareRun(celEnvironment(), run, undefined, MANIFEST_VARIABLES).run,
    type: checked.type,
  };
}
