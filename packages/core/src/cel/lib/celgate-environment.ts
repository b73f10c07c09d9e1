/**
 * The cel-js Environment celgate compiles with: the Kubernetes libraries, the evaluation hook
 * (hooks.ts) and the compile-time checks Kubernetes makes (static-checks.ts), which run as part
 * of `parse(...).check()`.
 */
import { Environment, type ParseResult, type TypeCheckResult } from "@marcbachmann/cel-js";
import { rewriteHasChains } from "./has-chain.js";
import { type CelAst, installEvaluationHook, installOverrides } from "./hooks.js";
import { registerKubernetesLibraries } from "./index.js";
import { checkAfterTypes, checkBeforeTypes } from "./static-checks.js";
import { installSyntax } from "./syntax/index.js";
import { checkDurationPlusTimestamp } from "./time/index.js";
import { bindTypeParamsToDyn, typeNameWithoutParams } from "./type-params.js";

type EnvironmentOptions = ConstructorParameters<typeof Environment>[0];

/**
 * A cel-js Environment whose `parse(...).check()` also runs celgate's static checks and
 * installs the built-in overrides. An expression is always checked this way before it is
 * evaluated: evaluating an unchecked expression checks it first (and throws its error).
 */
export class CelgateEnvironment extends Environment {
  #hasTemplate: CelAst | undefined;

  override parse(expression: string): ParseResult {
    const parsed = super.parse(expression);
    const ast = parsed.ast as unknown as CelAst;
    this.#hasTemplate ??= super.parse("x.?y.hasValue()").ast as unknown as CelAst;
    rewriteHasChains(ast, this.#hasTemplate);
    checkDurationPlusTimestamp(ast);
    bindTypeParamsToDyn(ast);
    let result: TypeCheckResult | undefined;
    const check = (): TypeCheckResult => {
      if (result) return result;
      const early = checkBeforeTypes(ast);
      if (early) {
        result = { valid: false, error: early as never };
        return result;
      }
      result = parsed.check();
      if (!result.valid) return result;
      if (result.type !== undefined) result = { ...result, type: typeNameWithoutParams(result.type) };
      installOverrides(ast);
      const late = checkAfterTypes(ast, (literal) => this.#evaluateLiteral(literal));
      if (late) result = { valid: false, error: late as never };
      return result;
    };
    const evaluate = (context?: Record<string, unknown>): unknown => {
      const checked = check();
      if (!checked.valid) throw checked.error;
      return parsed(context);
    };
    return Object.assign(evaluate, { ast: parsed.ast, check });
  }

  /** Evaluates a constant expression without the static checks (which call this). */
  #evaluateLiteral(expression: string): unknown {
    const parsed = super.parse(expression);
    const checked = parsed.check();
    if (!checked.valid) throw checked.error;
    installOverrides(parsed.ast as unknown as CelAst);
    return parsed();
  }

  override check(expression: string): TypeCheckResult {
    try {
      return this.parse(expression).check();
    } catch (error) {
      return { valid: false, error: error as never };
    }
  }

  override evaluate(expression: string, context?: Record<string, unknown>): unknown {
    return this.parse(expression)(context);
  }
}

/**
 * A new environment with `options`, the declared `variables` (name to CEL type), every library
 * and the evaluation hook; `onStep` runs before each evaluation step.
 */
export function createCelgateEnvironment(
  options: EnvironmentOptions,
  variables: Readonly<Record<string, string>> = {},
  onStep: () => void = () => {},
): CelgateEnvironment {
  const env = new CelgateEnvironment(options);
  installSyntax(env);
  for (const [name, type] of Object.entries(variables)) env.registerVariable(name, type);
  registerKubernetesLibraries(env);
  installEvaluationHook(env, onStep);
  return env;
}
