import { describe, expect, it } from "vitest";
import { compilePolicySet } from "../compile/compile.js";
import { parsePolicyDocuments } from "../policy/parse.js";
import { runPolicyTests } from "./run-tests.js";

const policies = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: no-privileged}
spec:
  match: {kinds: [Pod]}
  validations:
    - expression: object.spec.containers.all(c, c.?securityContext.?privileged.orValue(false) != true)
      message: privileged
---
apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: modes}
spec:
  match: {kinds: [Pod]}
  validations:
    - expression: >-
        object.spec.volumes.all(v, v.secret.defaultMode == 420) &&
        object.spec.securityContext.runAsUser == 1000
      message: modes
`;

/** Runs the PolicyTest documents of \`text\` against the two policies above. */
function run(text: string) {
  const parsed = parsePolicyDocuments(`${policies}---\n${text}`, "p.test.yaml");
  const { set, diagnostics } = compilePolicySet(parsed.located.policies);
  expect(diagnostics).toEqual([]);
  return { parsed, result: runPolicyTests(parsed.located.tests, set) };
}

describe("runPolicyTests: a case's objects are read as kubectl reads a manifest", () => {
  it("sees YAML 1.1 booleans, octal and underscored ints, and merge keys as kubectl deploys them", () => {
    const { parsed, result } = run(`apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: kubectl-reading}
spec:
  policy: no-privileged
  cases:
    - name: privileged yes is true
      expect: fail
      resource:
        apiVersion: v1
        kind: Pod
        metadata: {name: a}
        spec:
          containers:
            - name: c
              securityContext: {privileged: yes}
    - name: privileged On is true
      expect: fail
      resource:
        apiVersion: v1
        kind: Pod
        metadata: {name: b}
        spec:
          containers:
            - name: c
              securityContext:
                privileged: On
    - name: a securityContext merged from an anchor is applied
      expect: fail
      resource:
        apiVersion: v1
        kind: Pod
        metadata: {name: c}
        spec:
          # the policy looks at containers only: the anchor is not checked where it is written
          ephemeralContainers:
            - name: debug
              securityContext: &privileged {privileged: y}
          containers:
            - name: c
              securityContext:
                <<: *privileged
                runAsNonRoot: true
    - name: a quoted "yes" stays a string
      expect: pass
      resource:
        apiVersion: v1
        kind: Pod
        metadata: {name: d}
        spec:
          containers:
            - name: c
              securityContext: {privileged: "yes"}
---
apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: kubectl-numbers}
spec:
  policy: modes
  cases:
    - name: 0644 is octal 420 and 1_000 is 1000
      expect: pass
      resource:
        apiVersion: v1
        kind: Pod
        metadata: {name: e}
        spec:
          securityContext: {runAsUser: 1_000}
          volumes:
            - name: s
              secret: {secretName: s, defaultMode: 0644}
`);
    expect(parsed.diagnostics).toEqual([]);
    expect(result.cases.map((c) => [c.case, c.passed, c.reason])).toEqual(
      result.cases.map((c) => [c.case, true, undefined]),
    );
    expect(result).toMatchObject({ passed: 5, failed: 0 });
  });

  it("reads bundle and namespaceObject as kubectl would, the test's own fields and params as written", () => {
    const { parsed } = run(`apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: on}
spec:
  policy: no-privileged
  cases:
    - name: yes
      expect: pass
      messageContains: on
      params: {mode: yes, count: 0644}
      resource: {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {hostPID: on}}
      namespaceObject: {apiVersion: v1, kind: Namespace, metadata: {name: ns}, spec: {x: off}}
      bundle:
        - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}, data: {size: 0x10}}
`);
    expect(parsed.diagnostics).toEqual([]);
    const test = parsed.tests[0]!;
    const c = test.spec.cases[0]!;
    // a PolicyTest's own fields and params are read as before: params reach `celgate check`
    // from a policy's spec.params or a --params file, both read as YAML 1.2
    expect([test.metadata.name, c.name, c.messageContains]).toEqual(["on", "yes", "on"]);
    expect(c.params).toEqual({ mode: "yes", count: 644 });
    expect(c.resource?.spec).toEqual({ hostPID: true });
    expect(c.namespaceObject?.spec).toEqual({ x: false });
    expect(c.bundle?.[0]?.data).toEqual({ size: 16 });
  });

  it("refuses an ambiguous merge in a case's object, naming the file and the mapping's line", () => {
    const text = `apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: ambiguous}
spec:
  policy: no-privileged
  cases:
    - name: privileged written before the merge that also gives it
      expect: pass
      resource:
        apiVersion: v1
        kind: Pod
        metadata: {name: a}
        spec:
          containers:
            - name: base
              securityContext: &privileged {privileged: true}
            - name: c
              securityContext:
                privileged: false
                <<: *privileged
`;
    const { parsed, result } = run(text);
    expect(parsed.tests).toEqual([]);
    expect(result.cases).toEqual([]);
    // the mapping's first line, in the file (after the two policies)
    const line = `${policies}---\n${text}`.split("\n").indexOf("                privileged: false") + 1;
    expect(parsed.diagnostics).toEqual([
      expect.objectContaining({
        code: "yaml-syntax",
        file: "p.test.yaml",
        line,
        path: "spec.cases[0].resource.spec.containers[1].securityContext",
        message: expect.stringContaining('the merge key `<<` also gives "privileged"'),
      }),
    ]);
  });

  it("refuses what kubectl's reading refuses in a case's object, with the file's line", () => {
    const test = (object: string) => `apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: refused}
spec:
  policy: no-privileged
  cases:
    - name: c
      expect: pass
      resource:
${object}
`;
    // two keys that are both \`true\` to go-yaml v2: a key given twice
    const object = "        apiVersion: v1\n        kind: Pod\n        y: 1\n        yes: 2";
    const twice = run(test(object));
    expect(twice.parsed.tests).toEqual([]);
    expect(twice.parsed.diagnostics).toEqual([
      expect.objectContaining({
        code: "yaml-syntax",
        file: "p.test.yaml",
        message: expect.stringContaining("duplicated mapping key"),
      }),
    ]);
    const line = `${policies}---\n${test(object)}`.split("\n").indexOf("        yes: 2") + 1;
    expect(twice.parsed.diagnostics[0]?.line).toBe(line);
    // an explicit merge tag, which readers merge differently
    const tagged = run(
      test(
        "        apiVersion: v1\n        kind: Pod\n        base: &b {a: 1}\n        spec: {!!merge <<: *b}",
      ),
    );
    expect(tagged.parsed.diagnostics).toEqual([
      expect.objectContaining({
        code: "yaml-syntax",
        message: expect.stringContaining("explicit merge tag"),
      }),
    ]);
  });

  it("takes `!!merge` written as text: a case named after it, an annotation", () => {
    const { parsed, result } = run(`apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: merge-text}
spec:
  policy: no-privileged
  cases:
    - name: "explains !!merge"
      expect: pass
      resource:
        apiVersion: v1
        kind: Pod
        metadata:
          name: a
          annotations: {why: 'no !!merge <<: here', tag: "!<tag:yaml.org,2002:merge> is text"}
        spec:
          containers: [{name: c, image: x}]
`);
    expect(parsed.diagnostics).toEqual([]);
    expect(result.cases.map((c) => [c.case, c.passed])).toEqual([["explains !!merge", true]]);
  });

  it("reads a PolicyTest written as JSON as it is: JSON has one reading", () => {
    const parsed = parsePolicyDocuments(
      JSON.stringify({
        apiVersion: "celgate.dev/v1",
        kind: "PolicyTest",
        metadata: { name: "json" },
        spec: {
          policy: "no-privileged",
          cases: [
            { name: "c", expect: "pass", resource: { apiVersion: "v1", kind: "Pod", spec: { x: "yes" } } },
          ],
        },
      }),
      "p.test.json",
    );
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.tests[0]?.spec.cases[0]?.resource?.spec).toEqual({ x: "yes" });
  });
});

describe("planPolicyTests: a case's params the policy does not accept", () => {
  it("fail the case, naming the key and the policy's params (the service runs cases so)", () => {
    const { result } = run(`apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: params-typo}
spec:
  policy: no-privileged
  cases:
    - name: typo
      expect: pass
      params: {privilegedAllowed: true}
      resource: {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c}]}}
`);
    expect(result.cases).toMatchObject([
      {
        case: "typo",
        passed: false,
        line: 27,
        reason:
          'params.privilegedAllowed: policy no-privileged has no param "privilegedAllowed": it has no params (declared under spec.params or read by its expressions)',
      },
    ]);
  });
});
