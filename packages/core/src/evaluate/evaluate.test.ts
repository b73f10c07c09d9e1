import { describe, expect, it } from "vitest";
import { compilePolicySet, subsetOf } from "../compile/compile.js";
import { parseImageFacts } from "../images/parse.js";
import { selectPolicies } from "../match/select-policies.js";
import { parseLabelSelector } from "../match/selector.js";
import { parsePolicyDocuments } from "../policy/parse.js";
import { buildReport, withResults } from "../report/outcome.js";
import type { Result } from "../report/types.js";
import { parseManifests } from "../resources/parse.js";
import type { Resource } from "../resources/types.js";
import { deepFreeze } from "../util/freeze.js";
import { type EvaluateInput, evaluate, evaluateStream, isoTime } from "./evaluate.js";

function policies(yaml: string) {
  const parsed = parsePolicyDocuments(yaml, "test.yaml");
  expect(parsed.diagnostics).toEqual([]);
  const { set, diagnostics } = compilePolicySet(parsed.located.policies);
  expect(diagnostics).toEqual([]);
  return { set, exceptions: parsed.exceptions };
}

function policy(name: string, spec: string, labels = "{}"): string {
  return `---
apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: ${name}, labels: ${labels}}
spec:
${spec
  .trim()
  .split("\n")
  .map((l) => `  ${l}`)
  .join("\n")}
`;
}

function manifests(text: string) {
  const parsed = parseManifests(text, "k8s.yaml");
  expect(parsed.diagnostics).toEqual([]);
  return parsed.resources;
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true}
      initContainers:
        - {name: init, image: "busybox:latest", securityContext: {runAsNonRoot: false}}
      containers:
        - name: web
          image: registry.example/shop/web:1.4.2
          resources: {limits: {cpu: 1, memory: 2048Mi}}
`;

const NON_ROOT = policy(
  "run-as-non-root",
  `
severity: high
match: {kinds: [Workload]}
matchConditions:
  - {name: has-pod-spec, expression: podSpec != null}
variables:
  - name: rootContainers
    expression: containers.filter(c, !c.?securityContext.?runAsNonRoot.orValue(podSpec.?securityContext.?runAsNonRoot.orValue(false)))
validations:
  - expression: size(variables.rootContainers) == 0
    message: Some containers may run as root.
    messageExpression: "'containers ' + variables.rootContainers.map(c, c.name).join(', ') + ' may run as root'"
    fieldPath: spec.template.spec.containers
    reason: Forbidden
`,
  "{pss: restricted}",
);

function run(
  set: ReturnType<typeof policies>["set"],
  input: Partial<EvaluateInput> & Pick<EvaluateInput, "resources">,
) {
  return evaluate(set, { now: new Date("2026-11-29T10:00:00Z"), ...input });
}

describe("evaluate", () => {
  it("fails with the messageExpression, names the resource and its source, decides deny", () => {
    const { set } = policies(NON_ROOT);
    const report = run(set, { resources: manifests(deployment) });
    expect(report.decision).toBe("deny");
    expect(report.summary).toEqual({ resources: 1, pass: 0, fail: 1, error: 0, skip: 0, waived: 0 });
    expect(report.results[0]).toMatchObject({
      policy: "run-as-non-root",
      outcome: "fail",
      severity: "high",
      action: "deny",
      resource: {
        kind: "Deployment",
        namespace: "shop",
        name: "web",
        source: { file: "k8s.yaml", line: 1, document: 0 },
      },
      violations: [
        {
          message: "containers init may run as root",
          fieldPath: "spec.template.spec.containers",
          reason: "Forbidden",
        },
      ],
    });
    expect(report.policySet.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("reports progress after each resource", () => {
    const { set } = policies(NON_ROOT);
    const seen: [number, number][] = [];
    run(set, {
      resources: manifests(`${deployment}---\n${deployment}`),
      onProgress: (d, t) => seen.push([d, t]),
    });
    expect(seen).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });

  it("skips what does not match and lists skips only when asked", () => {
    const { set } = policies(NON_ROOT);
    const resources = manifests("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n");
    const report = run(set, { resources });
    expect(report.results).toEqual([]);
    expect(report.summary.skip).toBe(1);
    expect(report.decision).toBe("allow");
    expect(run(set, { resources, includeSkipped: true }).results[0]!.outcome).toBe("skip");
  });

  it("lists results by resource, then policy name; counts every skip, listed or not", () => {
    const { set } = policies(
      policy("b-pods", "match: {kinds: [Pod]}\nvalidations:\n  - expression: 'true'") +
        policy("a-all", "validations:\n  - expression: 'false'") +
        policy(
          "c-conditional",
          "matchConditions:\n  - {name: web, expression: 'object.metadata.name == \"web\"'}\nvalidations:\n  - expression: 'true'",
        ),
    );
    const resources = manifests(
      "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
    );
    const pairs = (report: ReturnType<typeof run>) =>
      report.results.map((r) => `${r.resource.name}/${r.policy}/${r.outcome}`);
    const report = run(set, { resources });
    expect(pairs(report)).toEqual([
      "web/a-all/fail",
      "web/c-conditional/pass",
      "p/a-all/fail",
      "p/b-pods/pass",
    ]);
    // one skip by match (b-pods on the Service), one by matchCondition (c-conditional on p)
    expect(report.summary).toMatchObject({ pass: 2, fail: 2, skip: 2 });
    const all = run(set, { resources, includeSkipped: true });
    expect(pairs(all)).toEqual([
      "web/a-all/fail",
      "web/b-pods/skip",
      "web/c-conditional/pass",
      "p/a-all/fail",
      "p/b-pods/pass",
      "p/c-conditional/skip",
    ]);
    expect(all.summary).toEqual(report.summary);
    const failing = run(set, { resources, omitPassing: true });
    expect(pairs(failing)).toEqual(["web/a-all/fail", "p/a-all/fail"]);
    expect(failing.summary).toEqual(report.summary);
    expect(failing.decision).toBe(report.decision);
  });

  it("an internal failure midway keeps what was decided and turns every later pair into an error", () => {
    const { set } = policies(
      policy("a", "validations:\n  - expression: 'true'") +
        policy("b", "validations:\n  - expression: 'true'"),
    );
    const resources = manifests(
      "apiVersion: v1\nkind: X\nmetadata: {name: one}\n---\napiVersion: v1\nkind: X\nmetadata: {name: two}\n",
    );
    const report = run(set, {
      resources,
      onProgress: (done) => {
        if (done === 1) throw new Error("progress display failed");
      },
    });
    expect(report.results.map((r) => `${r.resource.name}/${r.policy}/${r.outcome}`)).toEqual([
      "one/a/pass",
      "one/b/pass",
      "two/a/error",
      "two/b/error",
    ]);
    expect(report.decision).toBe("deny");
  });

  it("reads integers as CEL ints, keeps __proto__ as data, and knows the effective namespace", () => {
    const { set } = policies(
      policy(
        "shape",
        `
validations:
  - expression: object.spec.replicas + 1 > 2 && object.spec.replicas * 2 == 6
  - expression: object.data["__proto__"] == "x" && !has(object.data.constructor)
`,
      ),
    );
    const report = run(set, {
      resources: manifests(
        'apiVersion: v1\nkind: X\nmetadata: {name: a}\nspec: {replicas: 3}\ndata: {"__proto__": x}\n',
      ),
    });
    expect(report.results[0]!.outcome).toBe("pass");
  });

  it("evaluates a map with a constructor key like any other map: a deny stays a deny under failurePolicy Ignore", () => {
    // cel-js reads a value's type from `constructor`: such a map was an error, which Ignore
    // turned into an allow; Kubernetes evaluates it as a map
    const { set } = policies(
      policy(
        "no-debug",
        `
failurePolicy: Ignore
validations:
  - expression: "!('debug' in object.metadata.labels)"
    message: debug label
  - expression: object.spec.containers.all(c, c.name != '' && c.constructor == 'x')
    message: containers
`,
      ),
    );
    // (compiled here; manifests.test.ts compares both engines on such maps)
    const report = run(set, {
      resources: manifests(`apiVersion: v1
kind: Pod
metadata: {name: p, labels: {debug: "1", constructor: x}}
spec: {containers: [{name: app, image: a, constructor: x}]}
`),
    });
    expect(report.summary).toMatchObject({ fail: 1, error: 0 });
    expect(report.results[0]!.violations.map((v) => v.message)).toEqual(["debug label"]);
    expect(report.decision).toBe("deny");
  });

  it("treats explicit nulls in manifests as absent fields, as the API server does", () => {
    const { set } = policies(
      policy(
        "nulls",
        "validations:\n  - expression: object.spec.?volumes.orValue([]).all(v, true) && !has(object.metadata.annotations)",
      ),
    );
    const report = run(set, {
      resources: manifests(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations:\nspec:\n  volumes:\n",
      ),
    });
    expect(report.results[0]!.outcome).toBe("pass");
  });

  it("uses the default message, then `failed expression`", () => {
    const { set } = policies(
      policy(
        "msgs",
        `
validations:
  - {expression: "false", message: plain message}
  - {expression: "1 > 2"}
  - {expression: "false", message: fallback, messageExpression: "string(1/0)"}
`,
      ),
    );
    const [result] = run(set, {
      resources: manifests("apiVersion: v1\nkind: X\nmetadata: {name: a}\n"),
    }).results;
    expect(result!.violations.map((v) => v.message)).toEqual([
      "plain message",
      "failed expression: 1 > 2",
      "fallback",
    ]);
  });

  it("turns runtime errors into error outcomes that count as fail under failurePolicy Fail only", () => {
    const { set } = policies(
      policy("strict", "validations:\n  - expression: object.spec.missing == 1") +
        policy("lenient", "failurePolicy: Ignore\nvalidations:\n  - expression: object.spec.missing == 1"),
    );
    const report = run(set, {
      resources: manifests("apiVersion: v1\nkind: X\nmetadata: {name: a}\nspec: {}\n"),
    });
    expect(report.results.map((r) => [r.policy, r.outcome])).toEqual([
      ["lenient", "error"],
      ["strict", "error"],
    ]);
    expect(report.results[1]!.error).toContain("spec.validations[0].expression");
    expect(report.results[1]!.error).toContain("missing");
    expect(report.decision).toBe("deny");
    const onlyLenient = run(set, {
      resources: manifests("apiVersion: v1\nkind: X\nmetadata: {name: a}\nspec: {}\n"),
      policies: ["lenient"],
    });
    expect(onlyLenient.decision).toBe("allow");
  });

  it("decides warn for warn-action failures and ignores audit", () => {
    const { set } = policies(
      policy("w", "action: warn\nvalidations:\n  - expression: 'false'") +
        policy("a", "action: audit\nvalidations:\n  - expression: 'false'"),
    );
    const report = run(set, { resources: manifests("apiVersion: v1\nkind: X\nmetadata: {name: a}\n") });
    expect(report.decision).toBe("warn");
    expect(report.summary.fail).toBe(2);
  });

  it("selects policies by label selector and overrides params", () => {
    const { set } = policies(
      NON_ROOT +
        policy(
          "max-replicas",
          "params: {max: 5}\nvalidations:\n  - expression: object.?spec.?replicas.orValue(0) <= params.max",
          "{practice: resource-quotas}",
        ),
    );
    const resources = manifests(deployment);
    const sel = (text: string) => {
      const parsed = parseLabelSelector(text);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.selector;
    };
    const baseline = run(set, { resources, select: sel("pss in (baseline,restricted)") });
    expect(baseline.results.map((r) => r.policy)).toEqual(["run-as-non-root"]);
    // the report names the set evaluated: the selection has its own digest
    expect(baseline.policySet).toEqual({
      digest: subsetOf(set, (p) => p.name === "run-as-non-root").digest,
      policies: 1,
    });
    expect(baseline.policySet.digest).not.toBe(set.digest);
    expect(run(set, { resources, select: sel("practice=resource-quotas") }).results[0]!.outcome).toBe("pass");
    const tight = run(set, {
      resources,
      select: sel("practice=resource-quotas"),
      params: { "max-replicas": { max: 2 } },
    });
    expect(tight.results[0]!.outcome).toBe("fail");
    const none = run(set, { resources, select: sel("practice=nothing") });
    expect(none.notices?.[0]?.message).toBe(`no policy's labels match the selector "practice=nothing"`);
    expect(selectPolicies(set, { select: sel("practice=nothing") }).problems.map((p) => p.code)).toEqual([
      "selector-matches-nothing",
    ]);
    expect(selectPolicies(set, { policies: ["nope", "max-replicas"] }).problems).toEqual([
      { code: "unknown-policy", path: "policies", message: "policy nope is not in the policy set" },
    ]);
    expect(selectPolicies(set, {}).set).toBe(set);
  });

  it("matches namespaces by glob, excludes, label selectors and the default namespace", () => {
    const { set } = policies(
      policy(
        "in-shop",
        "match: {namespaces: [shop-*], excludeNamespaces: [shop-legacy]}\nvalidations:\n  - expression: 'false'",
      ) +
        policy(
          "labelled",
          "match: {labelSelector: {matchExpressions: [{key: app, operator: In, values: [web]}]}}\nvalidations:\n  - expression: 'false'",
        ) +
        policy("in-default", "match: {namespaces: [default]}\nvalidations:\n  - expression: 'false'"),
    );
    const resources = manifests(`apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop-eu, labels: {app: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: shop-legacy}
---
apiVersion: v1
kind: Pod
metadata: {name: c}
---
apiVersion: v1
kind: Namespace
metadata: {name: default}
`);
    const report = run(set, { resources });
    expect(report.results.map((r) => `${r.resource.name}:${r.policy}`)).toEqual([
      "a:in-shop",
      "a:labelled",
      "c:in-default",
    ]);
    const viaContext = run(set, { resources: resources.slice(2, 3), context: { namespace: "shop-de" } });
    expect(viaContext.results.map((r) => r.policy)).toEqual(["in-shop"]);
  });

  it("computes resource-invariant variables once per evaluation, the others once per resource", () => {
    const { set } = policies(
      policy(
        "has-quota",
        `variables:
  - {name: quotas, expression: "bundle.filter(r, r.kind == 'ResourceQuota').map(r, r.metadata.namespace)"}
  - {name: quotaCount, expression: size(variables.quotas)}
  - {name: mine, expression: "object.metadata.?namespace.orValue('') in variables.quotas"}
validations:
  - expression: variables.mine && variables.quotaCount > 0`,
      ),
    );
    const compiled = set.byName.get("has-quota")!;
    expect(compiled.variables.map((v) => [v.name, v.invariant])).toEqual([
      ["quotas", true],
      ["quotaCount", true],
      ["mine", false],
    ]);
    const calls = new Map<string, number>();
    for (const v of compiled.variables) {
      const run = v.run;
      v.run = Object.assign((activation: Record<string, unknown>) => {
        calls.set(v.name, (calls.get(v.name) ?? 0) + 1);
        return run(activation);
      }, run);
    }
    const docs = Array.from(
      { length: 50 },
      (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}, namespace: ns${i % 5}}\n`,
    );
    docs.push("apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: ns1}\n");
    const report = run(set, { resources: manifests(docs.join("---\n")) });
    expect(Object.fromEntries(calls)).toEqual({ quotas: 1, quotaCount: 1, mine: 51 });
    expect(report.summary.pass).toBe(11); // ten ConfigMaps and the quota in ns1
    // a second evaluation starts afresh: the bundle may differ
    run(set, { resources: manifests(docs[0]!) });
    expect(calls.get("quotas")).toBe(2);
  });

  describe("state kept from one evaluation to the next", () => {
    // a resource-invariant variable (from params and the bundle), a per-resource one that fails
    // for some resources, and one that depends on both
    const { set } = policies(
      policy(
        "quota-and-limit",
        `match: {kinds: [Deployment]}
params: {limit: 3}
variables:
  - {name: limit, expression: "params.limit + size(bundle.filter(r, r.kind == 'ResourceQuota'))"}
  - {name: replicas, expression: "object.spec.replicas"}
  - {name: over, expression: "variables.replicas > variables.limit"}
validations:
  - expression: "!variables.over"
    messageExpression: "'replicas ' + string(variables.replicas) + ' over ' + string(variables.limit)"`,
      ),
    );
    const workloads = (...replicas: (number | null)[]) =>
      manifests(
        replicas
          .map((n, i) =>
            n === null
              ? `apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q${i}}\n`
              : `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d${i}}\nspec: ${n < 0 ? "{}" : `{replicas: ${n}}`}\n`,
          )
          .join("---\n"),
      );
    const outcomes = (report: { results: Result[] }) =>
      report.results.map(
        (r) => `${r.resource.name}:${r.outcome}:${r.violations[0]?.message ?? r.error ?? ""}`,
      );

    it("evaluations one after another give the results each gives alone", () => {
      const first = workloads(5, -1, 2);
      const second = workloads(null, 4, 5);
      const alone = [outcomes(run(set, { resources: first })), outcomes(run(set, { resources: second }))];
      expect(alone[0]).toEqual([
        "d0:fail:replicas 5 over 3",
        expect.stringMatching(/^d1:error:.*variables\.replicas/),
        "d2:pass:",
      ]);
      expect(alone[1]).toEqual(["d1:pass:", "d2:fail:replicas 5 over 4"]);
      for (let i = 0; i < 3; i++) {
        expect(outcomes(run(set, { resources: second }))).toEqual(alone[1]);
        expect(outcomes(run(set, { resources: first }))).toEqual(alone[0]);
      }
    });

    it("an evaluation inside another's sink leaves the outer one's results as they were", () => {
      const outer = workloads(null, 5, -1, 4, 6);
      const inner = workloads(5, 2);
      const expected = outcomes(run(set, { resources: outer }));
      const innerExpected = outcomes(run(set, { resources: inner }));
      const streamed: Result[] = [];
      const nested: string[][] = [];
      evaluateStream(set, { now: new Date("2026-11-29T10:00:00Z"), resources: outer }, (results) => {
        streamed.push(...results);
        // a fresh evaluation of the same policies between two resources of the outer one
        nested.push(outcomes(run(set, { resources: inner })));
      });
      expect(outcomes({ results: streamed })).toEqual(expected);
      expect(expected).toEqual([
        "d1:fail:replicas 5 over 4",
        expect.stringMatching(/^d2:error:.*variables\.replicas/),
        "d3:pass:",
        "d4:fail:replicas 6 over 4",
      ]);
      expect(nested).toEqual(Array.from({ length: outer.length }, () => innerExpected));
      expect(innerExpected).toEqual(["d0:fail:replicas 5 over 3", "d1:pass:"]);
    });

    it("params without an override are shared, frozen; an override is the call's own", () => {
      const resources = workloads(5);
      const seen: unknown[] = [];
      const compiled = set.byName.get("quota-and-limit")!;
      const validation = compiled.validations[0]!.expression;
      const original = validation.run;
      validation.run = Object.assign((activation: Record<string, unknown>) => {
        seen.push(activation.params);
        return original(activation);
      }, original);
      try {
        expect(outcomes(run(set, { resources }))).toEqual(["d0:fail:replicas 5 over 3"]);
        expect(outcomes(run(set, { resources, params: { "quota-and-limit": { limit: 7 } } }))).toEqual([
          "d0:pass:",
        ]);
        expect(outcomes(run(set, { resources }))).toEqual(["d0:fail:replicas 5 over 3"]);
        expect(outcomes(run(set, { resources, params: { "quota-and-limit": { limit: 4 } } }))).toEqual([
          "d0:fail:replicas 5 over 4",
        ]);
      } finally {
        validation.run = original;
      }
      expect(seen).toHaveLength(4);
      expect(seen[0]).toBe(seen[2]);
      expect(Object.isFrozen(seen[0])).toBe(true);
      expect(() => {
        (seen[0] as Record<string, unknown>).limit = 100n;
      }).toThrow(TypeError);
      expect(seen[1]).not.toBe(seen[0]);
      expect(seen[1]).toEqual({ limit: 7n });
      expect(Object.isFrozen(seen[1])).toBe(false);
    });
  });

  it("stops a runaway comprehension within the budget and keeps the other results", () => {
    const big = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    const { set } = policies(
      policy(
        "runaway",
        "validations:\n  - expression: object.data.all(a, object.data.all(b, object.data.all(c, a != '')))",
      ) + policy("zz-fine", "validations:\n  - expression: object.kind == 'ConfigMap'"),
    );
    const resources = manifests(
      JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "m" }, data: big }),
    );
    const started = Date.now();
    const report = run(set, { resources });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(report.results[0]).toMatchObject({ policy: "runaway", outcome: "error" });
    expect(report.results[0]!.error).toContain("budget exceeded");
    expect(report.results[1]).toMatchObject({ policy: "zz-fine", outcome: "pass" });
  });

  it("bounds the whole evaluation with timeoutMs: later pairs become errors, matching skips stay skips", () => {
    const big = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    const { set } = policies(
      policy(
        "slow",
        "validations:\n  - expression: object.data.all(a, object.data.all(b, object.data.all(c, a != '')))",
      ) + policy("pods-only", "match: {kinds: [Pod]}\nvalidations:\n  - expression: 'true'"),
    );
    const doc = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "m" }, data: big });
    const resources = manifests(Array.from({ length: 20 }, () => doc).join("\n---\n"));
    const started = Date.now();
    const report = run(set, {
      resources,
      timeoutMs: 300,
      budget: { perExpression: 1e12, perPolicy: 1e12, timeoutMs: 1000 },
    });
    expect(Date.now() - started).toBeLessThan(2000);
    const errors = report.results.filter((r) => r.outcome === "error").map((r) => r.error);
    expect(errors).toHaveLength(20);
    expect(errors.at(-1)).toContain("evaluation deadline exceeded: the whole evaluation may take 300 ms");
    expect(report.summary.skip).toBe(20);
  });

  it("a budget that tripped stays an error even where CEL absorbs errors (|| true, exists)", () => {
    const big = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    const { set } = policies(
      policy(
        "absorbed",
        "validations:\n  - expression: object.data.all(a, object.data.all(b, object.data.all(c, a != ''))) || true",
      ) +
        policy(
          "absorbed-exists",
          // a billion steps per iteration: past the time limit on any machine, however fast
          "validations:\n  - expression: \"object.data.exists(a, a == 'k999' || object.data.all(b, object.data.all(c, object.data.all(d, a != ''))))\"",
        ),
    );
    const resources = manifests(
      JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "m" }, data: big }),
    );
    const report = run(set, { resources, budget: { perExpression: 1e12, perPolicy: 1e12, timeoutMs: 200 } });
    expect(report.results.map((r) => [r.policy, r.outcome])).toEqual([
      ["absorbed", "error"],
      ["absorbed-exists", "error"],
    ]);
    expect(report.results[0]!.error).toContain("ran longer than 200 ms");
  });

  it("evaluates catastrophic regular expressions in linear time", () => {
    const { set } = policies(
      policy("redos", "validations:\n  - expression: \"!object.data.s.matches('^(a+)+$')\""),
    );
    const resources = manifests(
      JSON.stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "m" },
        data: { s: `${"a".repeat(5000)}!` },
      }),
    );
    const started = Date.now();
    const report = run(set, { resources });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(report.results[0]!.outcome).toBe("pass");
  });

  it("an internal failure never reads as allow: every pair becomes an error", () => {
    const { set } = policies(policy("any", "validations:\n  - expression: 'true'"));
    const hostile = Object.defineProperty({}, "boom", {
      enumerable: true,
      get() {
        throw new Error("getter exploded");
      },
    });
    const report = run(set, {
      resources: manifests("apiVersion: v1\nkind: X\nmetadata: {name: a}\n"),
      context: hostile,
    });
    expect(report.decision).toBe("deny");
    expect(report.results[0]).toMatchObject({ outcome: "error" });
    expect(report.results[0]!.error).toContain("getter exploded");
  });

  it("an object nested too deeply is an error outcome, not a crash", () => {
    const { set } = policies(policy("any", "validations:\n  - expression: 'true'"));
    let nested: Record<string, unknown> = {};
    const root = nested;
    for (let i = 0; i < 500; i++) {
      const next = {};
      nested.n = next;
      nested = next;
    }
    const report = run(set, {
      resources: [
        {
          object: { apiVersion: "v1", kind: "X", metadata: { name: "deep" }, spec: root },
          ref: { apiVersion: "v1", kind: "X", name: "deep" },
        },
      ],
    });
    expect(report.results[0]!.outcome).toBe("error");
    expect(report.results[0]!.error).toContain("nested deeper");
  });

  it("reads manifests as they are, with CEL's numbers, in both engines, and never writes them", () => {
    const doc =
      policy(
        "numbers",
        `
match: {kinds: [Deployment]}
variables:
  - name: ports
    expression: object.spec.template.spec.containers.map(c, c.ports.map(p, p.containerPort))
validations:
  - expression: object.spec.replicas == 3 && type(object.spec.replicas) == int
  - expression: variables.ports == [[80, 8080]] && podSpec.containers[0].ports[1].containerPort == 8080
  - expression: bundle.exists(o, o.kind == 'Widget' && o.spec.count == 2 && o.spec.ratio == 0.5)
  - expression: containers.all(c, c.ports.all(p, p.containerPort > 79))
  - expression: size(containers[0].ports) == 3
    messageExpression: "'ports ' + string(variables.ports[0][1] + 1)"
`,
      ) +
      policy(
        "widgets",
        `
match: {kinds: [Widget]}
validations:
  - expression: object.spec.ratio == 0.5 && type(object.spec.ratio) == double && type(object.spec.count) == int
  - expression: "!has(object.spec.paused) && object.metadata.labels.__proto__ == 'p'"
  - expression: object.spec.count > 2
    messageExpression: "'count ' + string(object.spec.count) + ', ratio ' + string(object.spec.ratio)"
`,
      );
    const parsed = parsePolicyDocuments(doc, "numbers.yaml");
    expect(parsed.diagnostics).toEqual([]);
    const text = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - {name: web, image: "nginx:1", ports: [{containerPort: 80}, {containerPort: 8080}]}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: shop, labels: {"__proto__": p}}
spec: {count: 2, ratio: 0.5, paused: null}
`;
    const resources = manifests(text);
    const before = JSON.stringify(resources.map((r) => r.object));
    for (const r of resources) deepFreeze(r.object);
    const reports = (["compile", "interpret"] as const).map((celEngine) => {
      const { set, diagnostics } = compilePolicySet(parsed.located.policies, { celEngine });
      expect(diagnostics).toEqual([]);
      return run(set, { resources, includeSkipped: false });
    });
    for (const report of reports) {
      expect(report.results.map((r) => [r.policy, r.outcome, r.violations.map((v) => v.message)])).toEqual([
        ["numbers", "fail", ["ports 8081"]],
        ["widgets", "fail", ["count 2, ratio 0.5"]],
      ]);
    }
    expect(reports[0]!.results).toEqual(reports[1]!.results);
    expect(JSON.stringify(resources.map((r) => r.object))).toBe(before);
  });
});

describe("images and exceptions", () => {
  const IMAGE_POLICIES =
    policy(
      "image-vulnerability-budget",
      "match: {kinds: [Workload]}\nvalidations:\n  - expression: images.all(i, i.scan == null || i.scan.summary.critical == 0)\n    messageExpression: \"images.filter(i, i.scan != null && i.scan.summary.critical > 0).map(i, i.ref).join(', ')\"",
    ) +
    policy(
      "image-scan-fresh",
      "match: {kinds: [Workload]}\nparams: {maxAge: 168h}\nvalidations:\n  - expression: images.all(i, i.scan == null || now - i.scan.scannedAt <= duration(params.maxAge))",
    ) +
    policy(
      "no-latest",
      "match: {kinds: [Workload]}\nvalidations:\n  - expression: images.all(i, i.tag != 'latest')",
    );

  const facts = parseImageFacts([
    {
      ref: "registry.example/shop/web:1.4.2",
      scan: {
        scanner: "trivy 0.58.0",
        scannedAt: "2026-11-20T10:00:00Z",
        vulnerabilities: [
          {
            id: "CVE-2024-3094",
            severity: "CRITICAL",
            package: "xz",
            installedVersion: "5.6.0",
            fixedVersion: "5.6.2",
          },
        ],
      },
    },
  ]).images;

  it("sees image facts with timestamps and severities", () => {
    const { set } = policies(IMAGE_POLICIES);
    const report = run(set, { resources: manifests(deployment), images: facts });
    const outcome = Object.fromEntries(report.results.map((r) => [r.policy, r.outcome]));
    expect(outcome).toEqual({
      "image-scan-fresh": "fail",
      "image-vulnerability-budget": "fail",
      "no-latest": "fail",
    });
    expect(
      report.results.find((r) => r.policy === "image-vulnerability-budget")!.violations[0]!.message,
    ).toBe("registry.example/shop/web:1.4.2");
    const fresh = run(set, {
      resources: manifests(deployment),
      images: facts,
      now: new Date("2026-11-21T00:00:00Z"),
    });
    expect(fresh.results.find((r) => r.policy === "image-scan-fresh")!.outcome).toBe("pass");
    expect(fresh.notices ?? []).toEqual([]);
  });

  it("sees each evaluation's own image facts, whether or not the evaluation before had any", () => {
    const { set } = policies(
      policy(
        "what-is-known",
        `match: {kinds: [Workload]}
validations:
  - expression: "false"
    messageExpression: "images.map(i, i.ref + '|' + i.registry + '|' + i.repository + '|' + (i.tag == null ? 'none' : i.tag) + '|' + string(i.known) + '|' + string(i.scan != null)).join(', ')"`,
      ),
    );
    const resources = manifests(deployment.replace("busybox:latest", "Not A Reference"));
    const known = (images?: typeof facts) =>
      run(set, { resources, ...(images ? { images } : {}) }).results[0]!.violations[0]!.message;
    const unknown =
      "registry.example/shop/web:1.4.2|registry.example|shop/web|1.4.2|false|false, Not A Reference|||none|false|false";
    const scanned = unknown.replace("1.4.2|false|false", "1.4.2|true|true");
    for (let i = 0; i < 2; i++) {
      expect(known()).toBe(unknown);
      expect(known(facts)).toBe(scanned);
      expect(known([])).toBe(unknown);
    }
  });

  it("sees a signature's verifiedAt as a timestamp", () => {
    const { set } = policies(
      policy(
        "signature-fresh",
        "match: {kinds: [Workload]}\nvalidations:\n  - expression: images.exists(i, i.signatures.exists(s, s.source == 'cosign' && now - s.verifiedAt <= duration('24h')))",
      ),
    );
    const signed = parseImageFacts([
      {
        ref: "registry.example/shop/web:1.4.2",
        signatures: [{ verified: true, source: "cosign", verifiedAt: "2026-11-20T10:00:00Z" }],
      },
    ]).images;
    const outcome = (now: string) =>
      run(set, { resources: manifests(deployment), images: signed, now: new Date(now) }).results[0]!.outcome;
    expect(outcome("2026-11-20T12:00:00Z")).toBe("pass");
    expect(outcome("2026-11-22T12:00:00Z")).toBe("fail");
  });

  it("gives a notice for facts of an image no evaluated resource uses", () => {
    const { set } = policies(IMAGE_POLICIES);
    const unused = parseImageFacts(
      { ref: "registry.example/shop/wbe:1.4.2", user: "1000" },
      "typo.json",
    ).images;
    const report = run(set, { resources: manifests(deployment), images: [...facts, ...unused] });
    expect(report.notices).toEqual([
      {
        kind: "unused-image-facts",
        image: "registry.example/shop/wbe:1.4.2",
        message: "image facts for registry.example/shop/wbe:1.4.2 match no image of the evaluated resources",
      },
    ]);
  });

  it("carries the caller's notices first (documents it skipped), streamed or not", () => {
    const { set } = policies(IMAGE_POLICIES);
    const unused = parseImageFacts({ ref: "registry.example/shop/wbe:1.4.2" }, "typo.json").images;
    const skipped = {
      kind: "skipped-document" as const,
      message: "k8s.yaml:9: document has no apiVersion or kind, so it is not a Kubernetes object; skipped",
      source: { file: "k8s.yaml", document: 1, line: 9 },
    };
    const input = { resources: manifests(deployment), images: [...facts, ...unused], notices: [skipped] };
    const report = run(set, input);
    expect(report.notices?.map((n) => n.kind)).toEqual(["skipped-document", "unused-image-facts"]);
    expect(report.notices?.[0]).toEqual(skipped);
    expect(evaluateStream(set, input, () => {}).notices).toEqual(report.notices);
  });

  it("waives a whole policy for matched resources, reports expired exceptions", () => {
    const { set, exceptions } = policies(
      IMAGE_POLICIES +
        `---
apiVersion: celgate.dev/v1
kind: PolicyException
metadata: {name: legacy-latest}
spec:
  policies: [no-latest]
  match: {namespaces: [shop], names: [we*]}
  reason: vendor image
  expires: 2027-01-31T00:00:00Z
---
apiVersion: celgate.dev/v1
kind: PolicyException
metadata: {name: old}
spec:
  policies: ["*"]
  reason: gone
  owner: sec@example.com
  expires: 2026-01-01T00:00:00Z
`,
    );
    const report = run(set, { resources: manifests(deployment), images: facts, exceptions });
    const latest = report.results.find((r) => r.policy === "no-latest")!;
    expect(latest).toMatchObject({ outcome: "waived", exception: "legacy-latest" });
    expect(report.summary.waived).toBe(1);
    expect(report.notices?.some((n) => n.kind === "expired-exception" && n.exception === "old")).toBe(true);
    expect(report.results.find((r) => r.policy === "image-vulnerability-budget")!.outcome).toBe("fail");
  });

  it("waives accepted CVEs only: a fail that becomes a pass is waived, naming the exception", () => {
    const { set, exceptions } = policies(
      IMAGE_POLICIES +
        `---
apiVersion: celgate.dev/v1
kind: PolicyException
metadata: {name: accept-xz}
spec:
  policies: [image-vulnerability-budget]
  images: ["registry.example/shop/*"]
  vulnerabilities: [CVE-2024-3094]
  reason: not reachable
  expires: 2027-01-31T00:00:00Z
`,
    );
    const report = run(set, { resources: manifests(deployment), images: facts, exceptions });
    expect(report.results.find((r) => r.policy === "image-vulnerability-budget")).toMatchObject({
      outcome: "waived",
      exception: "accept-xz",
    });
    // the exception names one policy only
    expect(report.results.find((r) => r.policy === "no-latest")!.outcome).toBe("fail");
  });
});

describe("evaluateStream", () => {
  // Every kind of outcome: a pass, fails (deny, warn, audit), a runtime error under each
  // failurePolicy, a whole-policy waiver, a CVE waiver, skips by match and by matchCondition;
  // an object nested too deeply (an error for every policy that applies to it) and a Namespace.
  const { set, exceptions } = policies(
    policy(
      "image-vulnerability-budget",
      "match: {kinds: [Workload]}\nvalidations:\n  - expression: images.all(i, i.scan == null || i.scan.summary.critical == 0)",
      "{pss: restricted}",
    ) +
      policy(
        "no-latest",
        "match: {kinds: [Workload]}\nvalidations:\n  - expression: images.all(i, i.tag != 'latest')",
      ) +
      policy("strict", "validations:\n  - expression: object.spec.missing == 1", "{pss: baseline}") +
      policy("lenient", "failurePolicy: Ignore\nvalidations:\n  - expression: object.spec.missing == 1") +
      policy("warned", "action: warn\nmatch: {kinds: [Service]}\nvalidations:\n  - expression: 'false'") +
      policy("audited", "action: audit\nvalidations:\n  - expression: object.kind != 'Deployment'") +
      policy(
        "only-web",
        "matchConditions:\n  - {name: web, expression: 'object.metadata.name == \"web\"'}\nvalidations:\n  - expression: 'true'",
        "{pss: baseline}",
      ) +
      `---
apiVersion: celgate.dev/v1
kind: PolicyException
metadata: {name: legacy-latest}
spec:
  policies: [no-latest]
  match: {namespaces: [shop]}
  reason: vendor image
  expires: 2027-01-31T00:00:00Z
---
apiVersion: celgate.dev/v1
kind: PolicyException
metadata: {name: accept-xz}
spec:
  policies: [image-vulnerability-budget]
  images: ["registry.example/*"]
  vulnerabilities: [CVE-2024-3094]
  reason: not reachable
  expires: 2027-01-31T00:00:00Z
---
apiVersion: celgate.dev/v1
kind: PolicyException
metadata: {name: lapsed}
spec:
  policies: ["*"]
  reason: gone
  expires: 2026-01-01T00:00:00Z
`,
  );
  const images = parseImageFacts([
    {
      ref: "registry.example/shop/web:1.4.2",
      scan: {
        scanner: "trivy",
        scannedAt: "2026-11-20T10:00:00Z",
        vulnerabilities: [
          { id: "CVE-2024-3094", severity: "CRITICAL", package: "xz", installedVersion: "5.6.0" },
        ],
      },
    },
    { ref: "registry.example/unused:1", user: "1000" },
  ]).images;
  let deep: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < 200; i++) deep = { deep };
  const resources = [
    ...manifests(
      `${deployment}---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: old, namespace: other}
spec:
  template:
    spec:
      containers: [{name: app, image: "busybox:latest"}]
`,
    ),
    {
      object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "deep" }, data: deep },
      ref: { apiVersion: "v1", kind: "ConfigMap", name: "deep" },
    },
  ];
  const selector = parseLabelSelector("pss in (baseline,restricted)");
  if (!selector.ok) throw new Error(selector.error);
  const base: EvaluateInput = {
    resources,
    images,
    exceptions,
    now: new Date("2026-11-29T10:00:00Z"),
    id: "ev_1",
  };
  const variants: Record<string, Partial<EvaluateInput>> = {
    default: {},
    includeSkipped: { includeSkipped: true },
    omitPassing: { omitPassing: true },
    both: { includeSkipped: true, omitPassing: true },
    select: { select: selector.selector },
    policies: { policies: ["strict", "warned"], omitPassing: true },
    nothingSelected: { policies: [] as string[], select: parseSelector("pss=none") },
  };

  function parseSelector(text: string) {
    const parsed = parseLabelSelector(text);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.selector;
  }

  function stream(input: EvaluateInput) {
    const calls: { resource: Resource; results: Result[] }[] = [];
    const head = evaluateStream(set, input, (results, resource) => calls.push({ resource, results }));
    return { head, calls };
  }

  it("hands each resource's results to the sink in input order, and gives evaluate's report", () => {
    for (const [name, variant] of Object.entries(variants)) {
      const input = { ...base, ...variant };
      const { head, calls } = stream(input);
      // one call per resource, in input order, each with that resource's results only
      expect(
        calls.map((c) => c.resource),
        name,
      ).toEqual(resources);
      for (const call of calls)
        for (const result of call.results) expect(result.resource, name).toBe(call.resource.ref);
      const report = evaluate(set, input);
      expect(
        withResults(
          head,
          calls.flatMap((c) => c.results),
        ),
        name,
      ).toEqual(report);
      expect(
        JSON.stringify(
          withResults(
            head,
            calls.flatMap((c) => c.results),
          ),
        ),
        name,
      ).toBe(JSON.stringify(report));
    }
  });

  it("counts and decides as a report built from every pair listed would", () => {
    const every = evaluate(set, { ...base, includeSkipped: true });
    // the scenario has every outcome, and errors under both failure policies
    expect(new Set(every.results.map((r) => r.outcome))).toEqual(
      new Set(["pass", "fail", "error", "skip", "waived"]),
    );
    expect(every.results.filter((r) => r.exception === "accept-xz")).toHaveLength(1);
    expect(every.notices?.map((n) => n.kind).sort()).toEqual(["expired-exception", "unused-image-facts"]);
    for (const [name, variant] of Object.entries(variants)) {
      if (variant.select || variant.policies) continue;
      const { head, calls } = stream({ ...base, ...variant });
      const listed = every.results.filter(
        (r) =>
          (r.outcome !== "skip" || variant.includeSkipped) && (r.outcome !== "pass" || !variant.omitPassing),
      );
      expect(
        calls.flatMap((c) => c.results),
        name,
      ).toEqual(listed);
      expect(head.summary, name).toEqual(every.summary);
      expect(head.decision, name).toBe(every.decision);
      const failurePolicies = new Map(set.policies.map((p) => [p.name, p.failurePolicy]));
      expect(
        buildReport({
          results: every.results,
          resources: resources.map((r) => r.ref),
          policySet: every.policySet,
          evaluatedAt: every.evaluatedAt,
          failurePolicies,
          includeSkipped: variant.includeSkipped,
          id: "ev_1",
          notices: every.notices,
        }).decision,
        name,
      ).toBe(head.decision);
    }
  });

  it("turns pairs after an internal failure into errors, still resource by resource", () => {
    const { head, calls } = stream({
      ...base,
      onProgress: (done) => {
        if (done === 2) throw new Error("progress display failed");
      },
    });
    expect(calls.map((c) => c.resource)).toEqual(resources);
    expect(calls.slice(2).every((c) => c.results.every((r) => r.outcome === "error"))).toBe(true);
    expect(head.decision).toBe("deny");
    expect(head.notices?.some((n) => n.message.includes("progress display failed"))).toBe(true);
  });

  it("throws what the sink throws: its failure is not an evaluation's", () => {
    const failure = new Error("disk full");
    let calls = 0;
    expect(() =>
      evaluateStream(set, base, () => {
        calls++;
        throw failure;
      }),
    ).toThrow(failure);
    expect(calls).toBe(1);
    // and the next evaluation starts afresh
    expect(stream(base).calls).toHaveLength(resources.length);
  });

  it("lists a set that is not in name order by policy name, as a compiled set is", () => {
    const reversed = { ...set, policies: [...set.policies].reverse() };
    const input = { ...base, includeSkipped: true };
    expect(evaluate(reversed, input).results).toEqual(evaluate(set, input).results);
  });
});

describe("isoTime", () => {
  it("writes what toISOString writes, within a second, across seconds, in any year, and throws as it throws", () => {
    const times = [
      Date.UTC(2026, 10, 29, 10, 0, 0, 0),
      Date.UTC(2026, 10, 29, 10, 0, 0, 7),
      Date.UTC(2026, 10, 29, 10, 0, 0, 42),
      Date.UTC(2026, 10, 29, 10, 0, 0, 999),
      Date.UTC(2026, 10, 29, 10, 0, 1, 0),
      Date.UTC(2026, 10, 29, 10, 0, 0, 500),
      0,
      -1,
      -999,
      -1000,
      -1001,
      Date.UTC(1969, 11, 31, 23, 59, 59, 5),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1, 0, 0, 0, 3),
      Date.UTC(10000, 0, 1, 0, 0, 0, 4),
      Date.UTC(-1, 0, 1, 0, 0, 0, 1),
      Date.UTC(-1, 0, 1, 0, 0, 0, 2),
      Date.UTC(2026, 10, 29, 10, 0, 0, 1),
      8.64e15,
      -8.64e15,
    ];
    for (const time of [...times, ...times.reverse()]) {
      const date = new Date(time);
      expect(isoTime(date), String(time)).toBe(date.toISOString());
      expect(isoTime(date), String(time)).toBe(date.toISOString());
    }
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});
