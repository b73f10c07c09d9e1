/**
 * The parts of cel-js's macro interface that celgate's macros use: a macro registered with
 * `ast` parameters returns an object whose `typeCheck` and `evaluate` cel-js calls (see the
 * `registerFunction` documentation of @marcbachmann/cel-js).
 */

/** A type as cel-js's checker returns it. */
export interface MacroType {
  kind: string;
  name: string;
  keyType?: MacroType;
  valueType?: MacroType;
  hasDynType?: boolean;
  hasPlaceholderType?: boolean;
}

export interface MacroChecker {
  check(node: unknown, ctx: unknown): MacroType;
  getType(name: string): MacroType;
  createError(code: string, message: string, node: unknown): Error;
  registry: {
    getListType(type: MacroType): MacroType;
    getMapType(key: MacroType, value: MacroType): MacroType;
  };
}

/** A checking or evaluation scope; `forkWithVariable` binds one more name. */
export interface MacroContext {
  forkWithVariable(name: string, type: MacroType): MacroContext;
  reuse(parent: unknown): MacroContext;
  setIterValue(value: unknown, ev: unknown): MacroContext;
}

export interface MacroEvaluator {
  run(node: unknown, ctx: unknown): unknown;
}

/** A parsed macro argument. */
export interface MacroArg {
  op: string;
  args: unknown;
}

/** The name a macro argument binds (`e` in `sortBy(e, ...)`), or undefined if it is not a plain name. */
export function boundName(arg: MacroArg | undefined): string | undefined {
  return arg?.op === "id" && typeof arg.args === "string" ? arg.args : undefined;
}
