import { formatPath } from "../util/path.js";
import type { CompiledPolicy, CompiledPolicySet } from "./compile.js";

/** Why a caller's params for a policy set cannot be used as given. */
export interface ParamProblem {
  /** `unknown-policy`: params for a policy the set does not have; `unknown-param`: a key the policy neither declares nor reads. */
  code: "unknown-policy" | "unknown-param";
  policy: string;
  /** The key, for `unknown-param`. */
  key?: string;
  /** `params.<policy>` or `params.<policy>.<key>`. */
  path: string;
  message: string;
}

/**
 * Whether a caller may set the param `key` of `policy`: a key it declares in `spec.params` or
 * reads by name in an expression (`params.?x`), or any key when it reads params by a computed
 * key (CompiledPolicy.paramKeys, dynamicParams). Any other key would change nothing.
 */
export function acceptsParam(
  policy: Pick<CompiledPolicy, "paramKeys" | "dynamicParams">,
  key: string,
): boolean {
  return policy.dynamicParams || policy.paramKeys.has(key);
}

/**
 * Every problem of a caller's params (policy name -> key -> value) for `set`: a policy the set
 * does not have (a typo in its name), a key its policy does not accept (acceptsParam: a typo in
 * the key, which would otherwise be ignored without a word while the caller believes it set
 * it). The one rule for the CLI's `--param`/`--params`, the service's `params` and a
 * PolicyTest case's `params`; callers refuse any problem (exit 2, a 400, a failing case).
 * In the order given. Never throws.
 */
export function paramProblems(
  set: Pick<CompiledPolicySet, "byName">,
  params: Readonly<Record<string, unknown>> | undefined,
): ParamProblem[] {
  const problems: ParamProblem[] = [];
  for (const [name, values] of Object.entries(params ?? {})) {
    const policy = set.byName.get(name);
    if (!policy) {
      problems.push({
        code: "unknown-policy",
        policy: name,
        path: formatPath(["params", name]),
        message: `no policy named ${JSON.stringify(name)}`,
      });
      continue;
    }
    if (typeof values !== "object" || values === null) continue;
    for (const key of Object.keys(values)) {
      if (acceptsParam(policy, key)) continue;
      const known = [...policy.paramKeys].sort();
      problems.push({
        code: "unknown-param",
        policy: name,
        key,
        path: formatPath(["params", name, key]),
        message: `policy ${name} has no param ${JSON.stringify(key)}: ${
          known.length > 0 ? `its params are ${known.join(", ")}` : "it has no params"
        } (declared under spec.params or read by its expressions)`,
      });
    }
  }
  return problems;
}
