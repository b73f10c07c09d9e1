/**
 * The "expressions only" tier of the comparison: the compiled CEL expressions of a policy run
 * directly on activations built beforehand, with no matching, no value conversion, no budget
 * and no report. The difference between this tier and `evaluate()` is the engine's own
 * overhead; the difference between this tier and JavaScript is the interpreter's.
 */
import type { CompiledPolicy, Resource } from "../lib/core.js";
import { containersOf, isReferenceError, parseImageReference, podSpecOf } from "../lib/core.js";
import type { JsOutcome } from "./five-rules.js";

export type Activation = Record<string, unknown>;

/**
 * The engine's value adaptation (policy-format.md): whole numbers become CEL ints (bigint),
 * maps become prototype-less objects. Rewritten here because the bench uses only core's public API.
 */
function adapt(value: unknown): unknown {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(adapt);
  if (value instanceof Date) return value;
  if (typeof value === "object" && value !== null) {
    // as the engine builds them: an ordinary object cut loose from its prototype (fast properties)
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = adapt((value as Record<string, unknown>)[key]);
      if (key === "__proto__") {
        Object.defineProperty(out, key, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else out[key] = item;
    }
    Object.setPrototypeOf(out, null);
    return out;
  }
  return value;
}

/** The CEL variables of one workload, as `evaluate()` would build them (image facts left empty). */
export function activationFor(resource: Resource, now: Date): Activation | null {
  const object = adapt(resource.object) as Record<string, unknown>;
  const podSpec = podSpecOf(object);
  if (!podSpec) return null;
  const containers = containersOf(podSpec);
  const refs = [...new Set(containers.map((c) => c.image).filter((i): i is string => typeof i === "string"))];
  const images = refs.map((ref) => {
    const parsed = parseImageReference(ref);
    const reference = isReferenceError(parsed)
      ? { ref, registry: "", repository: "", tag: null, digest: null }
      : {
          ref,
          registry: parsed.registry,
          repository: parsed.repository,
          tag: parsed.tag,
          digest: parsed.digest,
        };
    return adapt({
      ...reference,
      known: false,
      scan: null,
      signatures: [],
      createdAt: null,
      labels: null,
      user: null,
    });
  });
  return {
    object,
    oldObject: null,
    request: null,
    namespaceObject: null,
    params: Object.create(null),
    podSpec,
    containers,
    images,
    bundle: [],
    context: Object.create(null),
    now,
  };
}

/**
 * Runs a compiled policy on a prepared activation: matchConditions, then variables (in order),
 * then validations and the messages of the failing ones. Throws what CEL throws.
 */
export function runDirect(policy: CompiledPolicy, base: Activation): JsOutcome {
  const variables: Record<string, unknown> = Object.create(null);
  // the activation is reused, as evaluate() reuses one per resource: only `variables` changes
  const activation = base;
  activation.variables = variables;
  for (const condition of policy.matchConditions)
    if (condition.run(activation) !== true) return { outcome: "skip" };
  for (const variable of policy.variables) variables[variable.name] = variable.run(activation);
  const messages: string[] = [];
  for (const validation of policy.validations) {
    if (validation.expression.run(activation) === true) continue;
    const text = validation.messageExpression?.run(activation);
    messages.push(typeof text === "string" ? text : (validation.message ?? ""));
  }
  return messages.length === 0 ? { outcome: "pass" } : { outcome: "fail", messages };
}
