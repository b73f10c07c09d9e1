import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderDiagnostic } from "../diagnostics/render.js";
import { parsePolicyDocuments } from "../policy/parse.js";
import { ENGINE_VERSION } from "../version.js";
import {
  compilePolicySet,
  policySetDigest,
  subsetOf,
  type TypedFactsMemo,
  typedFactsKey,
} from "./compile.js";

function compile(text: string) {
  const parsed = parsePolicyDocuments(text, "p.yaml");
  expect(parsed.diagnostics).toEqual([]);
  const lines = text.split("\n");
  return compilePolicySet(parsed.located.policies, { fileLines: () => lines });
}

const header = (name: string) => `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: ${name}}
spec:
`;

describe("compilePolicySet", () => {
  it("reports syntax and type errors at once, with file, line, column and a caret", () => {
    const text = `${header("broken")}  validations:
    - expression: "object.spec.replicas >"
    - expression: object.spec.replicas + 1
    - expression: "undeclared == 1"
    - expression: "true"
      messageExpression: "1 + 2"
`;
    const { set, diagnostics } = compile(text);
    expect(set.policies).toEqual([]);
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([
      ["cel-syntax", "spec.validations[0].expression"],
      ["cel-type", "spec.validations[1].expression"],
      ["cel-type", "spec.validations[2].expression"],
      ["cel-type", "spec.validations[3].messageExpression"],
    ]);
    expect(diagnostics[0]).toMatchObject({ file: "p.yaml", line: 6 });
    expect(diagnostics[2]).toMatchObject({ line: 8, column: 20 });
    expect(diagnostics[1]!.message).toMatch(/must evaluate to bool/);
    const rendered = renderDiagnostic(diagnostics[2]!);
    expect(rendered).toContain("ERROR: p.yaml:8:20:");
    expect(rendered.split("\n")[2]).toBe(` | ${" ".repeat(19)}^`);
  });

  it("points into literal blocks", () => {
    const text = `${header("block")}  validations:
    - expression: |
        object.kind == 'Pod' &&
          nope
`;
    const { diagnostics } = compile(text);
    expect(diagnostics[0]).toMatchObject({ line: 8, column: 11, code: "cel-type" });
  });

  it("checks variables: unknown, used before declaration, duplicated", () => {
    const text = `${header("vars")}  variables:
    - {name: a, expression: variables.b + 1}
    - {name: b, expression: "1"}
    - {name: b, expression: "2"}
  validations:
    - expression: variables.a > 0 && variables.zzz
`;
    const { diagnostics } = compile(text);
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([
      ["cel-unknown-variable", "spec.variables[0].expression"],
      ["duplicate-variable", "spec.variables[2].name"],
      ["cel-unknown-variable", "spec.validations[0].expression"],
    ]);
  });

  it("refuses an expression with a bidirectional control or an invisible character, at its line and column", () => {
    // the namespace looks like kube-system and never equals it: the exemption would silently never apply
    const zeroWidth = `${header("zw")}  validations:
    - expression: "object.metadata.namespace != 'kube-system\u200b'"
`;
    const zw = compile(zeroWidth).diagnostics;
    expect(zw).toMatchObject([{ code: "cel-hidden-character", line: 6, column: 61 }]);
    expect(zw[0]?.message).toContain("U+200B ZERO WIDTH SPACE");
    expect(zw[0]?.message).toContain("\\u200b");
    // "Trojan source": the override makes the condition read as something it is not
    const override = `${header("rlo")}  validations:
    - expression: "object.kind != 'Pod' \u202e|| true"
`;
    expect(compile(override).diagnostics).toMatchObject([
      { code: "cel-hidden-character", path: "spec.validations[0].expression" },
    ]);
    // the same characters written as escapes read as what they are, and compile
    const escaped = `${header("esc")}  validations:
    - expression: 'object.metadata.namespace != "kube-system\\u200b" && "\\u202e" != ""'
`;
    expect(compile(escaped).diagnostics).toEqual([]);
  });

  it("refuses duplicate policy names and gives a stable digest", () => {
    const one = `${header("same")}  validations: [{expression: "true"}]\n`;
    const dup = compile(`${one}---\n${one}`);
    expect(dup.diagnostics[0]!.code).toBe("duplicate-policy");
    const a = compile(one).set.digest;
    const b = compile(one.replace("spec:\n", "spec:\n  severity: medium\n")).set.digest;
    expect(a).toBe(b); // the same document after defaults
    expect(compile(one.replace('"true"', '"1 == 1"')).set.digest).not.toBe(a);
  });

  it("records which variables and functions a policy reads", () => {
    const { set } = compile(
      `${header("reads")}  validations: [{expression: "images.all(i, i.ref.startsWith('r')) && size(bundle) > 0"}]\n`,
    );
    const p = set.policies[0]!;
    expect([...p.reads].sort()).toEqual(["bundle", "images"]);
    expect(p.calls.has("startsWith")).toBe(true);
  });
});

describe("the typed check's findings, remembered", () => {
  const text = `${header("typed")}  match: {kinds: [Deployment]}
  variables:
    - name: replicas
      expression: object.spec.replicas
  validations:
    - expression: variables.replicas <= 10
      messageExpression: "'too many: ' + string(variables.replicas)"
`;

  it("records one finding per expression that passed, and replays them instead of checking", () => {
    const parsed = parsePolicyDocuments(text, "p.yaml");
    const typedFacts: TypedFactsMemo = new Map();
    const cold = compilePolicySet(parsed.located.policies, { typedFacts });
    expect(cold.diagnostics).toEqual([]);
    expect([...typedFacts.keys()]).toEqual([
      typedFactsKey("typed", "spec.variables[0].expression"),
      typedFactsKey("typed", "spec.validations[0].expression"),
      typedFactsKey("typed", "spec.validations[0].messageExpression"),
    ]);
    // the variable's type from the Deployment schema, as the checker inferred it
    expect(typedFacts.get(typedFactsKey("typed", "spec.variables[0].expression"))?.types).toEqual(["int"]);
    // replayed: the same set, each expression with the remembered cost
    const warm = compilePolicySet(parsed.located.policies, { typedFacts: new Map(typedFacts) });
    expect(warm.set.digest).toBe(cold.set.digest);
    const altered = new Map(typedFacts);
    altered.set(typedFactsKey("typed", "spec.validations[0].expression"), { types: ["bool"], cost: 12345 });
    const replayed = compilePolicySet(parsed.located.policies, { typedFacts: altered });
    expect(replayed.set.policies[0]!.validations[0]!.expression.cost).toBe(12345);
    // a finding is taken as it is: one that calls the validation a string is refused as one
    altered.set(typedFactsKey("typed", "spec.validations[0].expression"), { types: ["string"], cost: 1 });
    expect(
      compilePolicySet(parsed.located.policies, { typedFacts: altered }).diagnostics[0]?.message,
    ).toMatch(/must evaluate to bool, but its type is string/);
  });

  it("records nothing for an expression the check refuses", () => {
    const parsed = parsePolicyDocuments(
      text.replace("variables.replicas <= 10", "variables.replicas == 'ten'"),
      "p.yaml",
    );
    const typedFacts: TypedFactsMemo = new Map();
    expect(compilePolicySet(parsed.located.policies, { typedFacts }).diagnostics).toHaveLength(1);
    expect(typedFacts.has(typedFactsKey("typed", "spec.validations[0].expression"))).toBe(false);
  });
});

describe("policy set identity", () => {
  const two = `${header("a")}  validations: [{expression: "true"}]\n---\n${header("b")}  validations: [{expression: "size(bundle) >= 0"}]\n`;

  it("names the engine version and every policy's content; a subset is another set", () => {
    const { set } = compile(two);
    expect(set.digest).toBe(policySetDigest(set.policies));
    const withoutBundle = subsetOf(set, (p) => !p.reads.has("bundle"));
    expect(withoutBundle.policies.map((p) => p.name)).toEqual(["a"]);
    expect(withoutBundle.digest).not.toBe(set.digest);
    // a subset is identified by what it holds, whatever rule chose it
    expect(withoutBundle.digest).toBe(
      compile(`${header("a")}  validations: [{expression: "true"}]\n`).set.digest,
    );
    expect(subsetOf(set, () => true)).toBe(set);
  });

  it("keeps ENGINE_VERSION equal to the package version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(ENGINE_VERSION).toBe(pkg.version);
  });
});
