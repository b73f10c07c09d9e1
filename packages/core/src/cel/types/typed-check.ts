/**
 * Type-checks a policy's expressions with the types Kubernetes would give them, on top of the
 * dynamic check of environment.ts (which keeps `object`, `params` and `variables` dynamic, as
 * evaluation needs): `params` typed from the policy's defaults (params.ts), `variables` with
 * the inferred type of each variable, and, for each built-in kind the policy matches, `object`,
 * `oldObject`, `podSpec` and `containers` typed from the Kubernetes schema of that kind
 * (kinds.ts). Like the API server type-checking a ValidatingAdmissionPolicy, an expression is
 * checked once per matched kind; a kind celgate has no schema for keeps `object` dynamic.
 *
 * The typed environments only check; expressions are evaluated in the dynamic one.
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { PolicyMatch } from "../../policy/schema.js";
import { isWorkloadKind, WORKLOAD_KINDS } from "../../resources/workload.js";
import { CEL_OPTIONS, CEL_VARIABLES } from "../environment.js";
import { createCelgateEnvironment } from "../lib/celgate-environment.js";
import { rewriteHasChains } from "../lib/has-chain.js";
import type { CelAst } from "../lib/hooks.js";
import { installSyntax } from "../lib/syntax/index.js";
import { estimateCost } from "./cost.js";
import { KUBERNETES_SCHEMA_RELEASE, type KubernetesKind } from "./kinds.js";
import { builtinKind, kindTypeName, kubernetesMessageTypes, modelTypeName } from "./kubernetes.js";
import { paramTypes } from "./params.js";

/** The CEL type of `params`: one field per declared param. */
export const PARAMS_TYPE = "celgate.Params";
/** The CEL type of `variables`: one field per variable declared so far. */
export const VARIABLES_TYPE = "celgate.Variables";

let base: Environment | undefined;

/** Typed environments by what they declare (kind, param types, variable types); only read once built. */
const environments = new Map<string, Environment>();
const MAX_SHARED_ENVIRONMENTS = 512;

/**
 * celgate's environment without variables, plus a message type per Kubernetes schema model,
 * each comparable with itself and with null (Kubernetes' object types are nullable). Built on
 * first use; the per-policy environments are clones of it.
 */
function checkingBase(): Environment {
  if (base) return base;
  const env = createCelgateEnvironment(CEL_OPTIONS, {});
  const same = (a: unknown, b: unknown) => a === b;
  for (const [name, fields] of kubernetesMessageTypes()) {
    env.registerType(name, { ctor: class {}, fields } as never);
  }
  for (const name of kubernetesMessageTypes().keys()) {
    env.registerOperator(`${name} == ${name}`, same);
    env.registerOperator(`${name} == null`, same);
  }
  base = env;
  return env;
}

const templates = new WeakMap<Environment, CelAst>();
function hasTemplate(env: Environment): CelAst {
  let template = templates.get(env);
  if (!template) {
    template = env.parse("x.?y.hasValue()").ast as unknown as CelAst;
    templates.set(env, template);
  }
  return template;
}

/** A type error found by the typed check, with the offset in the expression to put the caret at. */
export interface TypedError {
  message: string;
  offset: number;
}

/** The expression's type in each pass, and its estimated worst-case cost (the most of any pass). */
export type TypedResult = { ok: true; types: string[]; cost: number } | { ok: false; error: TypedError };

interface Pass {
  /** The kind `object` is in this pass; undefined when it is dynamic. */
  kind?: KubernetesKind;
  variables: Record<string, string>;
  env?: Environment;
  /** The variables `env` declares. */
  envVariables?: Set<string>;
}

/**
 * The kinds to check a policy's expressions against: each built-in kind it matches, and
 * `undefined` (a dynamic `object`) when it may match any other kind.
 */
export function typedKinds(match: PolicyMatch | undefined): (KubernetesKind | undefined)[] {
  const kinds = match?.kinds;
  if (!kinds || kinds.length === 0 || kinds.includes("*")) return [undefined];
  const expanded = kinds.flatMap((k) => (k === "Workload" ? [...WORKLOAD_KINDS] : [k]));
  return [...new Set(expanded.map((k) => builtinKind(k, match?.apiGroups)))];
}

/** The typed check of one policy: call `check` for each expression in declaration order. */
export class PolicyTypes {
  readonly #passes: Pass[];
  readonly #params: Record<string, string>;

  constructor(params: Readonly<Record<string, unknown>> | undefined, match: PolicyMatch | undefined) {
    this.#params = paramTypes(params);
    this.#passes = typedKinds(match).map((kind) => ({ kind, variables: {} }));
  }

  /**
   * Checks `source`, which reads the top-level variables `uses`, once per kind; the first error,
   * or the expression's type in each pass. An expression that reads neither `object` nor
   * `oldObject`, nor a variable whose type differs between kinds, types alike in every pass, so
   * it is checked once.
   */
  check(source: string, uses: ReadonlySet<string>, variableNames: readonly string[] = []): TypedResult {
    const perKind =
      uses.has("object") ||
      uses.has("oldObject") ||
      ((uses.has("podSpec") || uses.has("containers")) && this.#podSpecDiffersByKind()) ||
      (uses.has("variables") && this.#variablesDifferByKind());
    const passes = perKind ? this.#passes : this.#passes.slice(0, 1);
    const types: string[] = [];
    let cost = 0;
    for (const pass of passes) {
      const env = this.#environment(pass, variableNames);
      let parsed: ReturnType<Environment["parse"]>;
      try {
        parsed = env.parse(source);
        rewriteHasChains(parsed.ast as unknown as CelAst, hasTemplate(env));
      } catch (error) {
        return { ok: false, error: this.#describe(error, source, pass) };
      }
      const result = parsed.check();
      if (!result.valid) return { ok: false, error: this.#describe(result.error, source, pass) };
      types.push(result.type ?? "dyn");
      cost = Math.max(cost, estimateCost(parsed.ast as unknown as CelAst));
    }
    while (types.length < this.#passes.length) types.push(types[0] ?? "dyn");
    return { ok: true, types, cost };
  }

  /** Declares `variables.<name>` with its type in each pass (from `check`), or dyn when it did not compile. */
  declareVariable(name: string, types: readonly string[] | undefined): void {
    this.#passes.forEach((pass, i) => {
      pass.variables[name] = types?.[i] ?? "dyn";
    });
  }

  #podSpecDiffersByKind(): boolean {
    const workload = this.#passes.map((p) => p.kind !== undefined && isWorkloadKind(p.kind));
    return workload.some((w) => w !== workload[0]);
  }

  #variablesDifferByKind(): boolean {
    const [first, ...rest] = this.#passes;
    if (!first) return false;
    return Object.entries(first.variables).some(([name, type]) =>
      rest.some((p) => p.variables[name] !== type),
    );
  }

  /**
   * The pass's environment. Building one costs more than checking an expression, so one is
   * kept until an expression reads a variable declared after it was built.
   */
  #environment(pass: Pass, reads: readonly string[]): Environment {
    if (pass.env && reads.every((name) => pass.envVariables?.has(name))) return pass.env;
    // policies often share params, kind and variables (none, say): share their environments
    const key = JSON.stringify([pass.kind ?? "", this.#params, pass.variables]);
    const cached = environments.get(key);
    if (cached) {
      pass.env = cached;
      pass.envVariables = new Set(Object.keys(pass.variables));
      return cached;
    }
    const env = checkingBase().clone({});
    // a clone parses with a new cel-js parser, which needs celgate's syntax (optional literals) too
    installSyntax(env);
    env.registerType(PARAMS_TYPE, { ctor: class {}, fields: this.#params } as never);
    env.registerType(VARIABLES_TYPE, { ctor: class {}, fields: { ...pass.variables } } as never);
    const kind = pass.kind;
    const object = kind ? kindTypeName(kind) : "dyn";
    const workload = kind !== undefined && isWorkloadKind(kind);
    const types: Record<string, string> = {
      ...CEL_VARIABLES,
      object,
      oldObject: object,
      namespaceObject: modelTypeName("V1Namespace"),
      params: PARAMS_TYPE,
      variables: VARIABLES_TYPE,
      podSpec: workload ? modelTypeName("V1PodSpec") : "dyn",
      containers: workload ? `list<${modelTypeName("V1Container")}>` : "list",
    };
    for (const [name, type] of Object.entries(types)) env.registerVariable(name, type);
    if (environments.size >= MAX_SHARED_ENVIRONMENTS) environments.clear();
    environments.set(key, env);
    pass.env = env;
    pass.envVariables = new Set(Object.keys(pass.variables));
    return env;
  }

  #describe(error: unknown, source: string, pass: Pass): TypedError {
    const e = error as Error & { summary?: string; code?: string; node?: Node; range?: { start: number } };
    const summary = e.summary ?? e.message.split("\n")[0] ?? "type error";
    const node = e.node;
    const offset = node ? faultOffset(node, source) : (e.range?.start ?? 0);
    const where = pass.kind
      ? ` (object is a ${pass.kind}, Kubernetes ${KUBERNETES_SCHEMA_RELEASE} schema)`
      : "";
    if (e.code === "no_such_key" && node) {
      const receiverNode = (node.args as Node[])[0];
      const receiver = receiverNode?.checkedType?.name;
      const field = fieldName(node);
      if (receiver === PARAMS_TYPE) {
        const declared = Object.keys(this.#params);
        return {
          message: `unknown param ${field}: spec.params declares ${declared.length > 0 ? declared.join(", ") : "no params"}`,
          offset,
        };
      }
      if (receiver?.startsWith("k8s.")) {
        const text = source.slice(receiverNode?.start ?? 0, receiverNode?.end ?? 0).trim();
        const model = receiver.slice("k8s.".length);
        return {
          message: `no such field ${field} in ${text || model} (${model}; object is a ${pass.kind ?? "resource"}, Kubernetes ${KUBERNETES_SCHEMA_RELEASE} schema)`,
          offset,
        };
      }
    }
    const mentionsSchema = summary.includes("k8s.");
    return { message: `CEL type error: ${summary}${mentionsSchema ? where : ""}`, offset };
  }
}

/** A node as cel-js leaves it after (failed) type checking. */
interface Node extends CelAst {
  start?: number;
  end?: number;
  checkedType?: { name: string };
}

function fieldName(node: Node): string {
  const field = (node.args as unknown[])[1];
  if (typeof field === "string") return field;
  const value = (field as Node | undefined)?.args;
  return typeof value === "string" ? value : "?";
}

const BINARY = new Set(["==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "in", "&&", "||"]);

/**
 * Where the caret belongs for an error at `node`: under the operator of a binary operation,
 * under the name of a called method, under the field of a selection, else at the node.
 */
export function faultOffset(node: Node, source: string): number {
  const start = node.start ?? 0;
  const args = node.args as unknown[];
  if (BINARY.has(node.op)) {
    const left = args[0] as Node | undefined;
    let i = left?.end ?? start;
    while (i < source.length && /[\s)]/.test(source[i] ?? "")) i++;
    return source.startsWith(node.op, i) ? i : start;
  }
  if (node.op === "rcall") {
    const receiver = args[1] as Node | undefined;
    const at = source.indexOf(String(args[0]), receiver?.end ?? start);
    return at >= 0 ? at : start;
  }
  if (node.op === "." || node.op === ".?") {
    const receiver = args[0] as Node | undefined;
    const at = source.indexOf(String(args[1]), receiver?.end ?? start);
    return at >= 0 ? at : start;
  }
  return start;
}
