import { describe, expect, it } from "vitest";
import { parsePolicyDocuments } from "./parse.js";

const policy = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: run-as-non-root
  labels: {practice: security-context, pss: restricted}
spec:
  severity: high
  validations:
    - expression: "true"
`;

describe("parsePolicyDocuments", () => {
  it("reads several documents and applies defaults", () => {
    const text = `${policy}---
apiVersion: celgate.dev/v1
kind: PolicyException
metadata: {name: legacy}
spec:
  policies: [run-as-non-root]
  reason: vendor image
  expires: 2027-01-31T00:00:00Z
`;
    const parsed = parsePolicyDocuments(text, "p.yaml");
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.policies).toHaveLength(1);
    expect(parsed.policies[0]!.spec.action).toBe("deny");
    expect(parsed.policies[0]!.spec.failurePolicy).toBe("Fail");
    expect(parsed.exceptions[0]!.spec.expires).toBe("2027-01-31T00:00:00.000Z");
    expect(parsed.located.exceptions[0]!.origin.document).toBe(1);
  });

  it("reports every problem with its path, line and column", () => {
    const text = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: Bad_Name
spec:
  severity: urgent
  colour: red
  validations: []
`;
    const { diagnostics, policies } = parsePolicyDocuments(text, "bad.yaml");
    expect(policies).toEqual([]);
    const byPath = Object.fromEntries(diagnostics.map((d) => [d.path, d]));
    expect(byPath["metadata.name"]).toMatchObject({ file: "bad.yaml", line: 4, column: 9 });
    expect(byPath["spec.severity"]).toMatchObject({ line: 6, column: 13 });
    // an unknown field on its own line, not on its parent's first line
    expect(byPath["spec.colour"]).toMatchObject({ message: "unknown field colour", line: 7, column: 3 });
    expect(byPath["spec.validations"]?.message).toContain("at least one validation");
  });

  it("names a missing required field the same way for every document kind and field type", () => {
    const text = `apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: t}
spec:
  cases:
    - name: a
      resource: {}
---
apiVersion: celgate.dev/v1
kind: Policy
metadata:
  labels: {a: b}
spec:
  validations:
    - message: x
---
apiVersion: celgate.dev/v1
kind: PolicyException
metadata: {name: e}
spec:
  policies: [a]
  reason: r
`;
    const { diagnostics } = parsePolicyDocuments(text, "m.yaml");
    expect(diagnostics.map((d) => [d.path, d.message])).toEqual([
      ["spec.policy", "missing required field policy"],
      ["spec.cases[0].expect", "missing required field expect"],
      ["metadata.name", "missing required field name"],
      ["spec.validations[0].expression", "missing required field expression"],
      ["spec.expires", "missing required field expires"],
    ]);
  });

  it("reports YAML syntax errors with a position and keeps the good documents", () => {
    const text = `${policy}---
apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: broken
spec: {}
`;
    const parsed = parsePolicyDocuments(text, "x.yaml");
    expect(parsed.policies).toHaveLength(1);
    expect(parsed.diagnostics[0]).toMatchObject({ code: "yaml-syntax", file: "x.yaml" });
    expect(parsed.diagnostics[0]!.line).toBeGreaterThanOrEqual(13);
  });

  it("rejects foreign documents and unknown kinds", () => {
    const parsed = parsePolicyDocuments(
      "apiVersion: v1\nkind: Pod\n---\napiVersion: celgate.dev/v1\nkind: Rule\n",
      "f.yaml",
    );
    expect(parsed.diagnostics.map((d) => d.path)).toEqual(["apiVersion", "kind"]);
    expect(parsed.diagnostics[1]!.line).toBe(5);
  });

  it("ignores empty documents and survives binary junk and alias bombs", () => {
    expect(parsePolicyDocuments("---\n---\n", "e.yaml").diagnostics).toEqual([]);
    const junk = parsePolicyDocuments("\u0000\u0001\u0002garbage: [", "j.bin");
    expect(junk.diagnostics.length).toBeGreaterThan(0);
    const bomb = `a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]
`;
    const result = parsePolicyDocuments(bomb, "bomb.yaml");
    // the limit and its variable, not the yaml package's "Excessive alias count indicates..."
    expect(result.diagnostics).toEqual([
      {
        code: "input-limit",
        message:
          "too many aliases expanded, over the YAML aliases per document limit of 100 (the default for policy, exception and test files, whatever CELGATE_MAX_YAML_ALIASES says)",
        file: "bomb.yaml",
        line: 1,
        column: 1,
      },
    ]);
  });

  it("says collections nested past the yaml package's stack are over the depth limit, once", () => {
    for (const depth of [1_000, 20_000]) {
      const text = `a: 1\nb: ${"[".repeat(depth)}${"]".repeat(depth)}\n`;
      const { diagnostics } = parsePolicyDocuments(text, "deep.yaml");
      expect(diagnostics).toHaveLength(1);
      expect(diagnostics[0]).toMatchObject({
        code: "input-limit",
        message:
          "nested too deeply, over the nesting depth limit of 128 (the default for policy, exception and test files, whatever CELGATE_MAX_DEPTH says)",
        file: "deep.yaml",
        // the 128th "[" is at depth 129 (the top-level mapping counts 1)
        line: 2,
        column: 4 + 127,
      });
    }
  });
});

describe("parsePolicyDocuments: times are RFC 3339", () => {
  const exception = (expires: string) => `apiVersion: celgate.dev/v1
kind: PolicyException
metadata: {name: e}
spec:
  policies: [a]
  reason: r
  expires: ${JSON.stringify(expires)}
`;

  it("reads a date and time with its zone, and a date alone as midnight UTC", () => {
    for (const [text, iso] of [
      ["2027-01-31T00:00:00Z", "2027-01-31T00:00:00.000Z"],
      ["2027-01-31t01:30:00.5+02:00", "2027-01-30T23:30:00.500Z"],
      ["2027-01-31", "2027-01-31T00:00:00.000Z"],
    ]) {
      const parsed = parsePolicyDocuments(exception(text!), "e.yaml");
      expect(parsed.diagnostics).toEqual([]);
      expect(parsed.exceptions[0]!.spec.expires).toBe(iso);
    }
  });

  it("refuses what only JavaScript's Date reads: no zone, a bare number, words, an impossible day", () => {
    for (const text of ["2027-01-31T00:00:00", "1", "Jan 31 2027", "2027-02-30T00:00:00Z", "2027-13-01"]) {
      const { diagnostics, exceptions } = parsePolicyDocuments(exception(text), "e.yaml");
      expect(exceptions, text).toEqual([]);
      expect(
        diagnostics.map((d) => [d.path, d.message]),
        text,
      ).toEqual([["spec.expires", "must be an RFC 3339 timestamp such as 2027-01-31T00:00:00Z"]]);
    }
  });
});
