import { Budget, DEFAULT_BUDGET } from "../cel/budget.js";
import { clearManifestConversions } from "../cel/compile/engine.js";
import { celOf } from "../cel/compile/runtime.js";
import { withBudget } from "../cel/environment.js";
import { celToText, toCel } from "../cel/values.js";
import type { CompiledExpression, CompiledPolicySet } from "../compile/compile.js";
import { matches } from "../match/match.js";
import type { PolicyMatch } from "../policy/schema.js";
import type { Result } from "../report/types.js";
import type { Resource } from "../resources/types.js";
import {
  convertObject,
  type EvaluateInput,
  evaluate,
  prepareResource,
  sharedActivation,
} from "./evaluate.js";

/** One step of an explanation: what was evaluated and what came out. */
export interface ExplainedStep {
  /** `kinds`, `namespaces`... for match criteria; the name or the expression otherwise. */
  name: string;
  /** The criterion's values, or the CEL source. */
  detail: string;
  /** The value as CEL text (`true`, `["a", "b"]`), or null when it failed. */
  value: string | null;
  error?: string;
}

/** Why a policy's outcome for one resource is what it is. */
export interface Explanation {
  /** The result exactly as `evaluate` gives it (outcome, violations, exception). */
  result: Result;
  /** Each `match` criterion with whether it holds. */
  match: ExplainedStep[];
  matchConditions: ExplainedStep[];
  variables: ExplainedStep[];
  validations: ExplainedStep[];
}

/**
 * Explains one (policy, resource) pair: the outcome that `evaluate` gives with the same input,
 * then each `match` criterion, each matchCondition, each variable's value and each
 * validation's value, evaluated the same way (same activation, same budget). Steps after the
 * first that stops the evaluation (a false matchCondition, an error) are still shown, so an
 * author sees every value. Returns undefined when the policy is not in the set. Never throws.
 */
export function explain(
  set: CompiledPolicySet,
  policyName: string,
  resource: Resource,
  input: Omit<EvaluateInput, "policies" | "select" | "includeSkipped">,
): Explanation | undefined {
  const policy = set.byName.get(policyName);
  if (!policy) return undefined;
  const report = evaluate(set, { ...input, policies: [policyName], includeSkipped: true });
  const result = report.results.find((r) => r.resource === resource.ref && r.policy === policyName);
  if (!result) return undefined;

  const now = input.now ?? new Date(report.evaluatedAt);
  const converted = input.resources.map((r) => convertObject(r.object));
  const shared = sharedActivation(input, policy.reads.has("bundle"), now, converted);
  const prepared = prepareResource(resource, convertObject(resource.object), input, shared);

  const match: ExplainedStep[] = [];
  const m = policy.match ?? {};
  for (const key of Object.keys(m) as (keyof PolicyMatch)[]) {
    const holds = matches({ [key]: m[key] } as PolicyMatch, prepared.subject);
    match.push({ name: key, detail: JSON.stringify(m[key]), value: String(holds) });
  }
  const explanation: Explanation = { result, match, matchConditions: [], variables: [], validations: [] };
  if (!prepared.base) return explanation;

  const activation: Record<string, unknown> = {
    ...prepared.base,
    params: toCel({ ...policy.params, ...(input.params?.[policy.name] ?? {}) }),
    images: prepared.celImages,
  };
  const variables: Record<string, unknown> = Object.create(null);
  activation.variables = variables;
  const budget = new Budget(input.budget ?? DEFAULT_BUDGET);
  clearManifestConversions();
  const step = (name: string, expr: CompiledExpression): ExplainedStep & { raw?: unknown } => {
    try {
      const raw = withBudget(budget, () => {
        budget.beginExpression();
        const value = expr.run(activation);
        if (budget.tripped) throw budget.tripped;
        // a variable whose compiled function may return a manifest's part as it is: its CEL value
        return expr.rawResult ? celOf(value) : value;
      });
      return { name, detail: expr.source.trim(), value: celToText(raw), raw };
    } catch (error) {
      const message = (error as Error)?.message?.split("\n")[0] ?? String(error);
      return { name, detail: expr.source.trim(), value: null, error: message };
    }
  };
  for (const c of policy.matchConditions) explanation.matchConditions.push(strip(step(c.name, c)));
  for (const v of policy.variables) {
    const s = step(v.name, v);
    // later variables see this one, as in an evaluation; a failed one fails where it is read
    if (s.error === undefined) Object.defineProperty(variables, v.name, { value: s.raw, enumerable: true });
    else
      Object.defineProperty(variables, v.name, {
        enumerable: true,
        get() {
          throw new Error(`variables.${v.name}: ${s.error}`);
        },
      });
    explanation.variables.push(strip(s));
  }
  policy.validations.forEach((v, i) => {
    explanation.validations.push(strip(step(`validations[${i}]`, v.expression)));
  });
  return explanation;
}

function strip(step: ExplainedStep & { raw?: unknown }): ExplainedStep {
  const { raw: _, ...rest } = step;
  return rest;
}
