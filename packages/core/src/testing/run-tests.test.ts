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

describe("a case judges one object: never the first of a list", () => {
  const pod = (name: string, privileged: boolean) =>
    `{apiVersion: v1, kind: Pod, metadata: {name: ${name}}, spec: {containers: [{name: c, securityContext: {privileged: ${privileged}}}]}}`;
  const test = (cases: string) => `apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: lists}
spec:
  policy: no-privileged
  cases:
${cases}`;

  it("refuses an inline resource read as several objects at its key, and fails the case so", () => {
    const { parsed, result } = run(
      test(`    - name: a List of a good and a bad pod
      expect: pass
      resource: {apiVersion: v1, kind: List, items: [${pod("good", false)}, ${pod("bad", true)}]}
    - name: a PodList of kind-less items
      expect: pass
      resource:
        apiVersion: v1
        kind: PodList
        items:
          - {metadata: {name: a}, spec: {containers: [{name: c}]}}
          - {metadata: {name: b}, spec: {containers: [{name: c}]}}
    - name: an object that is not a list but has items is itself and its items
      expect: pass
      resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: x}, items: [${pod("bad", true)}]}
    - name: a List of one object judges that object
      expect: fail
      resource: {apiVersion: v1, kind: List, items: [${pod("bad", true)}]}
`),
    );
    // at each `resource` key (the PolicyTest starts on line 21 of the text run() parses)
    expect(parsed.diagnostics.map((d) => [d.file, d.line, d.column, d.path, d.code])).toEqual([
      ["p.test.yaml", 29, 7, "spec.cases[0].resource", "schema"],
      ["p.test.yaml", 32, 7, "spec.cases[1].resource", "schema"],
      ["p.test.yaml", 40, 7, "spec.cases[2].resource", "schema"],
    ]);
    expect(parsed.diagnostics[0]!.message).toBe(
      "a case's `resource` (kind List) is read as 2 objects, as kubectl reads an object with a list of `items`, and a case judges one object: write one object, or name a fixture with `file:` whose first document is the object judged (its other documents are the case's bundle)",
    );
    expect(parsed.diagnostics[2]!.message).toContain("(kind ConfigMap) is read as 2 objects");
    // the service runs what it read: each such case fails with the same words, never judged on its first item
    expect(result.cases.map((c) => [c.case, c.passed, c.actual, c.reason])).toEqual([
      ["a List of a good and a bad pod", false, undefined, parsed.diagnostics[0]!.message],
      ["a PodList of kind-less items", false, undefined, parsed.diagnostics[1]!.message],
      [
        "an object that is not a list but has items is itself and its items",
        false,
        undefined,
        parsed.diagnostics[2]!.message,
      ],
      ["a List of one object judges that object", true, "fail", undefined],
    ]);
  });

  it("judges a fixture's first document, which must be one object; its other documents are the bundle", () => {
    const parsed = parsePolicyDocuments(
      `${policies}---\n${test(`    - name: first document a List of a good and a bad pod
      expect: pass
      file: list-first.yaml
    - name: a good pod first, then a List in the bundle
      expect: pass
      file: list-second.yaml
    - name: a bad pod first
      expect: fail
      file: bad-first.yaml
`)}`,
      "p.test.yaml",
    );
    expect(parsed.diagnostics).toEqual([]);
    const { set } = compilePolicySet(parsed.located.policies);
    const fixtures: Record<string, string> = {
      "list-first.yaml": `apiVersion: v1\nkind: List\nitems: [${pod("good", false)}, ${pod("bad", true)}]\n`,
      "list-second.yaml": `${pod("good", false)}\n---\napiVersion: v1\nkind: List\nitems: [${pod("bad", true)}]\n`,
      "bad-first.yaml": `${pod("bad", true)}\n---\n${pod("good", false)}\n`,
    };
    const result = runPolicyTests(parsed.located.tests, set, { readFixture: (_, path) => fixtures[path] });
    expect(result.cases.map((c) => [c.case, c.passed, c.actual, c.reason])).toEqual([
      [
        "first document a List of a good and a bad pod",
        false,
        undefined,
        "fixture list-first.yaml: its first document is read as 2 objects, as kubectl reads an object with a list of `items`, and a case judges one object: write the object judged alone as the fixture's first document (its other documents are the case's bundle)",
      ],
      ["a good pod first, then a List in the bundle", true, "pass", undefined],
      ["a bad pod first", true, "fail", undefined],
    ]);
  });
});

describe("a fixture is read under the default limits, as its test file is", () => {
  it("says so when a fixture is over one", () => {
    const parsed = parsePolicyDocuments(
      `${policies}---
apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: deep-fixture}
spec:
  policy: no-privileged
  cases:
    - {name: deep, expect: pass, file: deep.json}
`,
      "p.test.yaml",
    );
    const { set } = compilePolicySet(parsed.located.policies);
    const deep = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"x":${"[".repeat(130)}${"]".repeat(130)}}`;
    const [c] = runPolicyTests(parsed.located.tests, set, { readFixture: () => deep }).cases;
    expect(c).toMatchObject({ passed: false });
    expect(c!.reason).toMatch(
      /^case resource is not usable: .*over the nesting depth limit of 128 \(the default for policy, exception and test files, whatever CELGATE_MAX_DEPTH says\)$/,
    );
  });
});

describe("runPolicyTests: a case's image facts", () => {
  const facts = (user: string) => `{ref: "registry.example/app@sha256:${"a".repeat(64)}", user: "${user}"}`;
  const testDoc = (images: string) => `apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: facts}
spec:
  policy: no-privileged
  cases:
    - name: two entries for one image
      expect: pass
      images: ${images}
      resource:
        apiVersion: v1
        kind: Pod
        metadata: {name: a}
        spec:
          containers:
            - {name: c, image: "registry.example/app@sha256:${"a".repeat(64)}"}
`;

  it("refuses entries whose order would decide what a policy sees, as --images and the service do", () => {
    for (const images of [`[${facts("root")}, ${facts("1000")}]`, `[${facts("1000")}, ${facts("root")}]`]) {
      const { result } = run(testDoc(images));
      expect(result.cases).toHaveLength(1);
      expect(result.cases[0]).toMatchObject({ passed: false });
      expect(result.cases[0]!.reason).toMatch(
        /case images are not usable: .*cases\[0\]\.images\[0\].*cases\[0\]\.images\[1\].*user/,
      );
    }
  });

  it("takes entries that agree", () => {
    const { result } = run(testDoc(`[${facts("1000")}, ${facts("1000")}]`));
    expect(result.cases[0]).toMatchObject({ passed: true });
  });
});
