// Steps count nodes, not bytes: a string or list that an expression builds is also charged by
// its size (budget.ts, chargeSize), in both engines alike, so that a hostile policy that keeps
// doubling a string ends as an `error` within its budget instead of running the process out of
// memory.
import { describe, expect, it } from "vitest";
import { compilePolicySet } from "../compile/compile.js";
import { parsePolicyDocuments } from "../policy/parse.js";
import { parseManifests } from "../resources/parse.js";
import { evaluate } from "./evaluate.js";

/** A policy whose variables double a string `levels` times from `seed`, then `validation` runs. */
function doubling(levels: number, seed: string, validation: string): string {
  const variables = [`    - name: v0\n      expression: "'${seed}'"`];
  for (let i = 1; i <= levels; i++)
    variables.push(`    - name: v${i}\n      expression: variables.v${i - 1} + variables.v${i - 1}`);
  return `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: doubling}
spec:
  severity: high
  action: deny
  match: {kinds: [Pod]}
  variables:
${variables.join("\n")}
  validations:
    - expression: ${JSON.stringify(validation)}
`;
}

const POD = parseManifests(
  "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec:\n  containers: [{name: c, image: x}]\n",
  "pod.yaml",
).resources;

function outcomes(policy: string) {
  const parsed = parsePolicyDocuments(policy, "doubling.yaml");
  expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return (["compile", "interpret"] as const).map((celEngine) => {
    const { set } = compilePolicySet(parsed.located.policies, { celEngine });
    const [result] = evaluate(set, { resources: POD, now: new Date("2026-06-01T00:00:00Z") }).results;
    return { outcome: result?.outcome, error: result?.error };
  });
}

describe("the size of what an expression builds", () => {
  it("ends a string doubled past the budget as an error, in both engines, before it is built", () => {
    // 100 characters doubled 21 times is 209,715,200: upperAscii() of it thirty times would
    // need gigabytes; the doubling alone is charged past the policy's 10,000,000 steps
    const policy = doubling(21, "x".repeat(100), "[1, 2, 3].map(i, variables.v21.upperAscii()).size() == 3");
    const [compiled, interpreted] = outcomes(policy);
    expect(compiled?.outcome).toBe("error");
    expect(compiled?.error).toMatch(/more than 10,000,000 steps|more than 1,000,000 steps/);
    expect(interpreted).toEqual(compiled);
  });

  it("charges join, replace and format by what they build", () => {
    for (const build of [
      "variables.v14.replace('x', 'xx')",
      "[variables.v14, variables.v14, variables.v14].join('')",
      "'%s%s'.format([variables.v14, variables.v14])",
    ]) {
      // v14 is 160 x 2^14 = 2,621,440 characters, each variable charged by its size; one more
      // call building twice that is past the expression's 1,000,000 steps
      const [compiled, interpreted] = outcomes(doubling(14, "x".repeat(160), `size(${build}) > 0`));
      expect(compiled?.outcome, build).toBe("error");
      expect(compiled?.error, build).toMatch(/more than 1,000,000 steps/);
      expect(interpreted, build).toEqual(compiled);
    }
  });

  it("leaves honest policies alone: short strings and lists cost no more than before", () => {
    const [compiled, interpreted] = outcomes(
      doubling(6, "ab", "size(variables.v6 + 'c') == 129 && size([1, 2] + [3]) == 3"),
    );
    expect(compiled).toEqual({ outcome: "pass", error: null });
    expect(interpreted).toEqual(compiled);
  });
});
