import { type CompiledPolicy, type CompiledPolicySet, subsetOf } from "../compile/compile.js";
import { type Selector, selectorMatches } from "./selector.js";

/** Which policies of a set a caller wants: a parsed label selector and/or names. */
export interface PolicySelection {
  /** Over policy labels; parse the text once with `parseLabelSelector`. */
  select?: Selector | undefined;
  /** Only these policies, by name; an empty list means no restriction. */
  policies?: readonly string[] | undefined;
}

/**
 * Why a selection is an input error: a name not in the set, or a selector that leaves no policy.
 * `path` names the request field (`select` or `policies`).
 */
export interface SelectionProblem {
  code: "unknown-policy" | "selector-matches-nothing";
  path: "select" | "policies";
  message: string;
}

/**
 * The policies of `set` a selection names, as a set with its own digest (`set` itself when the
 * selection keeps everything), and every problem: a named policy that is not in the set, a
 * selector that matches no policy (of those named, when both are given). Callers treat any
 * problem as an input error (a 400, exit code 2), never as "evaluate nothing and allow".
 * Never throws.
 */
export function selectPolicies(
  set: CompiledPolicySet,
  selection: PolicySelection,
): { set: CompiledPolicySet; problems: SelectionProblem[] } {
  // nothing asked for: the whole set, as subsetOf would return it, without visiting each policy
  if (selection.select === undefined && (selection.policies === undefined || selection.policies.length === 0))
    return { set, problems: [] };
  const problems: SelectionProblem[] = [];
  const names = selection.policies && selection.policies.length > 0 ? new Set(selection.policies) : undefined;
  for (const name of names ?? []) {
    if (!set.byName.has(name))
      problems.push({
        code: "unknown-policy",
        path: "policies",
        message: `policy ${name} is not in the policy set`,
      });
  }
  const select = selection.select;
  const keep = (p: CompiledPolicy) =>
    (names === undefined || names.has(p.name)) && (select === undefined || selectorMatches(select, p.labels));
  const subset = subsetOf(set, keep);
  if (select !== undefined && subset.policies.length === 0)
    problems.push({
      code: "selector-matches-nothing",
      path: "select",
      message: `no policy's labels match the selector ${JSON.stringify(select.text)}${names ? " among the named policies" : ""}`,
    });
  return { set: subset, problems };
}
