import { describe, expect, it } from "vitest";
import { parsePolicyDocuments } from "../policy/parse.js";
import { compilePolicySet } from "./compile.js";
import { acceptsParam, paramProblems } from "./params.js";

/** A policy declaring `params` (a YAML flow map) whose spec also holds `extra` (YAML lines under spec). */
function policy(name: string, params: string, extra: string): string {
  return `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: ${name}}
spec:
  params: ${params}
${extra}`;
}

function compiled(text: string) {
  const parsed = parsePolicyDocuments(text, "p.yaml");
  expect(parsed.diagnostics).toEqual([]);
  const { set, diagnostics } = compilePolicySet(parsed.located.policies);
  expect(diagnostics).toEqual([]);
  return set;
}

describe("the params a policy accepts: declared, or read by name in any expression", () => {
  const set = compiled(
    [
      policy(
        "reads",
        "{min: 1}",
        `  variables:
    - name: v
      expression: params.?fromVariable.orValue(0)
  matchConditions:
    - name: m
      expression: has(params.fromMatchCondition) || true
  validations:
    - expression: params.min <= 2 && params[?"fromIndex"].orValue(1) == 1 && params[?'quoted key'].hasValue() == false
      messageExpression: "'x' + string(params.?fromMessage.orValue(''))"
`,
      ),
      policy(
        "none",
        "{}",
        `  validations:
    - expression: "true"
`,
      ),
    ].join("---\n"),
  );

  it("collects declared keys and the keys each kind of expression reads", () => {
    const reads = set.byName.get("reads")!;
    expect([...reads.paramKeys].sort()).toEqual([
      "fromIndex",
      "fromMatchCondition",
      "fromMessage",
      "fromVariable",
      "min",
      "quoted key",
    ]);
    expect(reads.dynamicParams).toBe(false);
    expect(set.byName.get("none")!.paramKeys.size).toBe(0);
  });

  it("accepts those keys and refuses any other, naming the policy, the key and the keys it accepts", () => {
    expect(
      paramProblems(set, { reads: { min: 2, fromVariable: 1, fromMessage: "m", "quoted key": 1 } }),
    ).toEqual([]);
    expect(paramProblems(set, { reads: { mni: 2 }, none: { x: 1 }, nosuch: { a: 1 } })).toEqual([
      {
        code: "unknown-param",
        policy: "reads",
        key: "mni",
        path: "params.reads.mni",
        message:
          'policy reads has no param "mni": its params are fromIndex, fromMatchCondition, fromMessage, fromVariable, min, quoted key (declared under spec.params or read by its expressions)',
      },
      {
        code: "unknown-param",
        policy: "none",
        key: "x",
        path: "params.none.x",
        message:
          'policy none has no param "x": it has no params (declared under spec.params or read by its expressions)',
      },
      {
        code: "unknown-policy",
        policy: "nosuch",
        path: "params.nosuch",
        message: 'no policy named "nosuch"',
      },
    ]);
    // names an Object method or the prototype: a key like any other, not Object's own
    expect(paramProblems(set, JSON.parse('{"reads": {"__proto__": 1, "constructor": 2}}'))).toHaveLength(2);
  });

  it.each([
    ["an index that is not a literal", "params[string(1)] == 1"],
    ["params handed to a function", "dyn(params).anything == 1"],
    ["params bound to a name", "cel.bind(p, params, p.?anything.hasValue())"],
    ["params in a variable", "variables.all.?x.hasValue()"],
  ])("accepts any key when a policy reads params through %s", (_, expression) => {
    const dynamic = compiled(
      policy(
        "dynamic",
        "{a: 1}",
        `  variables:
    - name: all
      expression: "${expression.startsWith("variables") ? "params" : "1"}"
  validations:
    - expression: ${JSON.stringify(expression)}
`,
      ),
    );
    const p = dynamic.byName.get("dynamic")!;
    expect(p.dynamicParams).toBe(true);
    expect(acceptsParam(p, "whatever")).toBe(true);
    expect(paramProblems(dynamic, { dynamic: { whatever: 1 } })).toEqual([]);
  });
});
