import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { compilePolicySet } from "../../compile/compile.js";
import { parsePolicyDocuments } from "../../policy/parse.js";
import { KUBERNETES_KINDS, KUBERNETES_SCHEMA_RELEASE } from "./kinds.js";
import { attributeType, kubernetesMessageTypes } from "./kubernetes.js";
import { KUBERNETES_MODELS } from "./kubernetes-models.js";
import { paramTypes } from "./params.js";
import { typedKinds } from "./typed-check.js";

/** Compiles one policy whose spec is `spec` (YAML, indented by two) and returns its diagnostics. */
function problems(spec: string) {
  const text = `apiVersion: celgate.dev/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n${spec}`;
  const parsed = parsePolicyDocuments(text, "p.yaml");
  expect(parsed.diagnostics).toEqual([]);
  const lines = text.split("\n");
  return compilePolicySet(parsed.located.policies, { fileLines: () => lines }).diagnostics.map((d) => ({
    message: d.message,
    line: d.line,
    column: d.column,
    caretUnder: d.sourceLine?.slice((d.column ?? 1) - 1, (d.column ?? 1) + 9),
  }));
}

const validation = (expression: string) =>
  `  validations:\n    - expression: ${JSON.stringify(expression)}\n`;

describe("params typed from their defaults (Kubernetes types params from the paramKind's schema)", () => {
  it("an int param compared with a string is a compile error, the caret under the operator", () => {
    const [p] = problems(`  params: {min: 2}\n${validation("params.min == 'two'")}`);
    expect(p?.message).toBe("CEL type error: no such overload: int == string");
    expect(p?.caretUnder?.startsWith("== 'two'")).toBe(true);
  });

  it("a misspelled param is a compile error naming the declared ones, the caret under the name", () => {
    const [p] = problems(
      `  params: {min: 2, max: 5}\n${validation("object.spec.replicas >= params.minimum")}`,
    );
    expect(p?.message).toBe("unknown param minimum: spec.params declares min, max");
    expect(p?.caretUnder?.startsWith("minimum")).toBe(true);
  });

  it("a policy without params has none", () => {
    expect(problems(validation("params.x == 1"))[0]?.message).toBe(
      "unknown param x: spec.params declares no params",
    );
  });

  it("types each default: whole numbers int, others double, lists and maps by their common element type", () => {
    expect(
      paramTypes({ a: 1, b: 0.5, c: "s", d: true, e: ["x", "y"], f: [1, "x"], g: [], h: { k: 1 }, i: null }),
    ).toEqual({
      a: "int",
      b: "double",
      c: "string",
      d: "bool",
      e: "list<string>",
      f: "list<dyn>",
      g: "list<dyn>",
      h: "map<string, int>",
      i: "dyn",
    });
    expect(
      problems(
        `  params: {registries: [a, b]}\n${validation("params.registries.exists(r, r.startsWith('a'))")}`,
      ),
    ).toEqual([]);
  });
});

describe("result types (Kubernetes: a validation is bool, a messageExpression string)", () => {
  it("a validation returning an int is a compile error", () => {
    expect(problems(validation("size(object.metadata.name)"))[0]?.message).toBe(
      "must evaluate to bool, but its type is int",
    );
  });

  it("a param-typed validation is checked too", () => {
    expect(problems(`  params: {min: 2}\n${validation("params.min")}`)[0]?.message).toBe(
      "must evaluate to bool, but its type is int",
    );
  });

  it("a messageExpression must be a string", () => {
    const spec = `  params: {min: 2}\n  validations:\n    - expression: "true"\n      messageExpression: params.min\n`;
    expect(problems(spec)[0]?.message).toBe("must evaluate to string, but its type is int");
  });

  it("variables keep their inferred types", () => {
    const spec = `  params: {min: 2}
  variables:
    - name: count
      expression: params.min + 1
  validations:
    - expression: "variables.count == 'three'"
`;
    expect(problems(spec)[0]?.message).toBe("CEL type error: no such overload: int == string");
    const ok = `  variables:\n    - name: count\n      expression: "3"\n${validation("variables.count > 2")}`;
    expect(problems(ok)).toEqual([]);
  });
});

describe("object typed from the Kubernetes 1.34 schema of each matched built-in kind", () => {
  it("a field typo on a Deployment is a compile error under the field, in a folded block", () => {
    const spec = `  match: {kinds: [Deployment]}
  validations:
    - expression: >-
        object.spec.replicas > 1 &&
        object.spec.replicaz < 10
`;
    const [p] = problems(spec);
    expect(p?.message).toMatch(
      /^no such field replicaz in object\.spec \(V1DeploymentSpec; object is a Deployment/,
    );
    expect(p).toMatchObject({ line: 9, column: 21, caretUnder: "replicaz <" });
  });

  it("types fields: replicas is an int, labels a map of strings, containers Container messages", () => {
    const spec = (e: string) => `  match: {kinds: [Deployment]}\n${validation(e)}`;
    expect(problems(spec("object.spec.replicas == 'x'"))[0]?.message).toBe(
      "CEL type error: no such overload: int == string",
    );
    expect(problems(spec("object.metadata.labels['app'] == 'web'"))).toEqual([]);
    expect(problems(spec("containers.all(c, c.imagez != '')"))[0]?.message).toMatch(
      /^no such field imagez in c \(V1Container/,
    );
    expect(problems(spec("podSpec != null && podSpec.securityContext != null"))).toEqual([]);
  });

  it("checks each kind a Workload policy matches", () => {
    const [p] = problems(
      `  match: {kinds: [Workload]}\n${validation("object.spec.template.metadata != null")}`,
    );
    expect(p?.message).toMatch(/object is a Pod/);
  });

  it("keeps object dynamic for kinds without a schema, and for another API group", () => {
    expect(problems(`  match: {kinds: [Widget]}\n${validation("object.spec.replicaz == 1")}`)).toEqual([]);
    expect(
      problems(
        `  match: {kinds: [Deployment], apiGroups: [example.com]}\n${validation("object.spec.replicaz == 1")}`,
      ),
    ).toEqual([]);
    expect(problems(validation("object.spec.replicaz == 1"))).toEqual([]);
    expect(typedKinds({ kinds: ["Pod", "Widget"] })).toEqual(["Pod", undefined]);
  });
});

describe("carets under the part at fault", () => {
  it("puts the caret under a binary operator, a called method, a selected field or a bad operand", () => {
    const at = (e: string, spec = "  match: {kinds: [Pod]}\n") =>
      problems(`${spec}${validation(e)}`)[0]?.caretUnder;
    expect(at("object.metadata.name + 1 == 'a'")).toMatch(/^\+ 1/);
    expect(at("object.metadata.name.startsWith(1)")).toMatch(/^startsWith/);
    expect(at("object.metadata.namez == 'a'")).toMatch(/^namez/);
    expect(at("object.spec.hostNetwork || 1")).toMatch(/^\|\| 1/);
    expect(at("size(1) > 0")).toMatch(/^size\(1\)/);
  });
});

describe("the schema table", () => {
  it("has every model the kinds reach (else rerun scripts/kubernetes-models.mjs)", () => {
    const types = kubernetesMessageTypes();
    for (const { model } of Object.values(KUBERNETES_KINDS)) expect(types.has(`k8s.${model}`)).toBe(true);
    for (const fields of types.values()) {
      for (const type of Object.values(fields)) {
        for (const ref of type.match(/k8s\.\w+/g) ?? []) expect(types.has(ref), ref).toBe(true);
      }
    }
    expect(Object.keys(KUBERNETES_MODELS).length).toBe(types.size);
  });

  it("states the Kubernetes release the models were generated from", () => {
    const require = createRequire(import.meta.url);
    const model = require.resolve("@kubernetes/client-node/dist/gen/models/V1Pod.js");
    const version = /OpenAPI spec version: v(\d+\.\d+)\./.exec(readFileSync(model, "utf8"))?.[1];
    expect(version).toBe(KUBERNETES_SCHEMA_RELEASE);
  });

  it("maps schema types as Kubernetes does, dates and int-or-string as dyn", () => {
    expect(attributeType("number", "int32")).toBe("int");
    expect(attributeType("number", "double")).toBe("double");
    expect(attributeType("Array<V1Container>", "")).toBe("list<k8s.V1Container>");
    expect(attributeType("{ [key: string]: string; }", "")).toBe("map<string, string>");
    expect(attributeType("IntOrString", "")).toBe("dyn");
    expect(attributeType("Date", "date-time")).toBe("dyn");
    expect(attributeType("V1NoSuchModel", "")).toBeUndefined();
  });
});
