import { Budget, type BudgetLimits, DEFAULT_BUDGET } from "../cel/budget.js";
import { checkExpression } from "../cel/check.js";
import { clearManifestConversions } from "../cel/compile/engine.js";
import { withBudget } from "../cel/environment.js";
import { celTypeName } from "../cel/lib/shared.js";
import { toCel } from "../cel/values.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { ImageFacts } from "../images/types.js";
import type { Resource } from "../resources/types.js";
import { convertObject, prepareResource, sharedActivation } from "./evaluate.js";

export interface ExpressionInput {
  /** The resource that `object`, `podSpec`, `containers` and `images` describe; none: an empty object. */
  resource?: Resource;
  /** Every resource of the evaluation (`bundle`); default: `resource` alone. */
  bundle?: readonly Resource[];
  images?: readonly ImageFacts[];
  /** What `params` holds. */
  params?: Record<string, unknown>;
  context?: Record<string, unknown>;
  now?: Date;
  budget?: BudgetLimits;
}

export type ExpressionResult =
  | {
      ok: true;
      /** The CEL value (ints are bigint, timestamps Date, maps plain objects). */
      value: unknown;
      /** The type the checker inferred (`dyn` when it cannot know). */
      checkedType: string;
      /** The type of the value computed. */
      type: string;
    }
  | { ok: false; phase: "compile" | "run"; diagnostic: Diagnostic };

/**
 * Evaluates one CEL expression with the environment a policy sees (object, podSpec, containers,
 * images, bundle, params, context, now; `variables` is empty), within the evaluation budget:
 * what `celgate eval` runs while a policy is being written. Never throws.
 */
export function evaluateExpression(source: string, input: ExpressionInput = {}): ExpressionResult {
  const checked = checkExpression(source);
  if (!checked.ok)
    return {
      ok: false,
      phase: "compile",
      diagnostic: { code: checked.code, message: checked.message, column: checked.offset + 1 },
    };
  const now = input.now ?? new Date();
  const resource: Resource = input.resource ?? {
    object: {},
    ref: { apiVersion: "", kind: "", name: "" },
  };
  const resources = input.bundle ?? [resource];
  const evaluation = { resources, images: input.images ?? [], context: input.context ?? {}, now };
  const converted = resources.map((r) => convertObject(r.object));
  const own = convertObject(resource.object);
  const shared = sharedActivation(evaluation, true, now, converted);
  const prepared = prepareResource(resource, own, evaluation, shared);
  if (!prepared.base)
    return {
      ok: false,
      phase: "run",
      diagnostic: { code: "resource", message: `cannot evaluate this resource: ${prepared.failure}` },
    };
  const activation = {
    ...prepared.base,
    params: toCel(input.params ?? {}),
    images: prepared.celImages,
    variables: {},
  };
  const budget = new Budget(input.budget ?? DEFAULT_BUDGET);
  clearManifestConversions();
  try {
    const value = withBudget(budget, () => {
      budget.beginExpression();
      const v = checked.run(activation);
      if (budget.tripped) throw budget.tripped;
      return v;
    });
    return { ok: true, value, checkedType: checked.type, type: celTypeName(value) };
  } catch (error) {
    return {
      ok: false,
      phase: "run",
      diagnostic: { code: "cel-runtime", message: (error as Error)?.message ?? String(error) },
    };
  }
}
