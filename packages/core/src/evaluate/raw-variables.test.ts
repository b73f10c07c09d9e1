// Policy variables whose compiled expression returns a manifest's parts as they are (a filter of
// `containers`, containers joined with init containers, a bundle filter): compiled readers take
// them as they are, a reader by any other path (`variables['name']`, the interpreter, explain)
// gets their CEL value, and every outcome, message and explanation is the interpreter's.
import { describe, expect, it } from "vitest";
import { compilePolicySet } from "../compile/compile.js";
import { parsePolicyDocuments } from "../policy/parse.js";
import { parseManifests } from "../resources/parse.js";
import { deepFreeze } from "../util/freeze.js";
import { evaluate } from "./evaluate.js";
import { explain } from "./explain.js";

const POLICY = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: raw-variables}
spec:
  match: {kinds: [Workload]}
  variables:
    - name: all
      expression: podSpec.?containers.orValue([]) + podSpec.?initContainers.orValue([])
    - name: limited
      expression: variables.all.filter(c, c.?resources.?limits.?cpu.hasValue())
    - name: users
      expression: variables.all.map(c, c.?securityContext.?runAsUser.orValue(0))
    - name: services
      expression: bundle.filter(o, o.kind == 'Service' && o.metadata.namespace == object.metadata.namespace)
    - name: broken
      expression: containers.filter(c, c.ports[0].containerPort == 80)
  validations:
    - expression: size(variables.limited) == size(variables.all)
      messageExpression: >-
        'unlimited: ' + variables.all.filter(c, !(c in variables.limited)).map(c, c.name).join(', ')
    - expression: variables.all.all(c, c.?securityContext.?runAsUser.orValue(1000) == 1000)
      messageExpression: "'users: ' + variables.users.map(u, string(u)).join(', ')"
    - expression: variables['all'].all(c, c.?securityContext.?runAsUser.orValue(1000) == 1000)
      message: read by index
    - expression: variables['all'].all(c, type(c.?securityContext.?runAsUser.orValue(1)) == int)
      message: not ints when read by index
    - expression: "!variables['all'].exists(c, has(c.resources) && has(c.resources.requests))"
      message: a key without a value is present when read by index
    - expression: variables['limited'] == variables.limited && variables.limited == variables['limited']
      message: the two readings differ
    - expression: variables.services.exists(s, s.spec.ports[0].port == 8080) || size(variables.services) == 0
      messageExpression: "'ports: ' + variables.services.map(s, string(s.spec.ports[0].port)).join(', ')"
    - expression: size(variables.broken) >= 0
      message: broken is read
`;

const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      initContainers:
        - {name: init, image: "busybox:1", resources: {limits: {cpu: 1}, requests: null}}
      containers:
        - name: app
          image: "nginx:1"
          ports: [{containerPort: 80}]
          resources: {limits: {cpu: "500m", memory: 1Gi}}
          securityContext: {runAsUser: 1000}
        - name: side
          image: "envoy:1"
          ports: [{containerPort: 80}]
          securityContext: {runAsUser: 0}
---
apiVersion: v1
kind: Pod
metadata: {name: lone, namespace: shop}
spec:
  containers:
    - {name: only, image: "nginx:1", ports: [], resources: {limits: {cpu: 2}}}
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: shop}
spec: {ports: [{port: 8081}]}
`;

function sets() {
  const parsed = parsePolicyDocuments(POLICY, "raw.yaml");
  expect(parsed.diagnostics).toEqual([]);
  return (["compile", "interpret"] as const).map((celEngine) => {
    const { set, diagnostics } = compilePolicySet(parsed.located.policies, { celEngine });
    expect(diagnostics).toEqual([]);
    return set;
  });
}

describe("policy variables holding manifest parts as they are", () => {
  const [compiled, interpreted] = sets() as [
    ReturnType<typeof sets>[number],
    ReturnType<typeof sets>[number],
  ];
  const resources = parseManifests(MANIFESTS, "k8s.yaml").resources;
  for (const r of resources) deepFreeze(r.object);
  const input = { resources, now: new Date("2026-06-01T00:00:00Z") };

  it("are compiled to be read as they are", () => {
    const byName = new Map(compiled.policies[0]?.variables.map((v) => [v.name, v]));
    expect([...byName].map(([name, v]) => [name, v.engine, v.rawResult === true])).toEqual([
      ["all", "compiled", true],
      ["limited", "compiled", true],
      ["users", "compiled", false],
      ["services", "compiled", true],
      ["broken", "compiled", true],
    ]);
  });

  it("decide and explain as the interpreter does", () => {
    const a = evaluate(compiled, input);
    const b = evaluate(interpreted, input);
    expect(a.results).toEqual(b.results);
    const web = a.results.find((r) => r.resource.name === "web");
    expect(web?.outcome).toBe("error");
    // the error of `broken` (a container without ports) ends the run: without it, the messages
    const withoutBroken = POLICY.replace("c.ports[0].containerPort == 80", "c.name != ''");
    const parsed = parsePolicyDocuments(withoutBroken, "raw.yaml");
    const [c2, i2] = (["compile", "interpret"] as const).map(
      (celEngine) => compilePolicySet(parsed.located.policies, { celEngine }).set,
    );
    const a2 = evaluate(c2 as never, input);
    const b2 = evaluate(i2 as never, input);
    expect(a2.results).toEqual(b2.results);
    const messages = a2.results.find((r) => r.resource.name === "web")?.violations.map((v) => v.message);
    expect(messages).toEqual(["unlimited: side", "users: 1000, 0, 0", "read by index", "ports: 8081"]);
    expect(a2.results.find((r) => r.resource.name === "lone")?.violations.map((v) => v.message)).toEqual([
      "ports: 8081",
    ]);
    for (const resource of resources.filter((r) => r.object.kind !== "Service")) {
      const x = explain(c2 as never, "raw-variables", resource, input);
      const y = explain(i2 as never, "raw-variables", resource, input);
      expect(x).toBeDefined();
      expect(x).toEqual(y);
    }
  });

  it("end in the variable's own error, read either way", () => {
    const a = evaluate(compiled, input);
    const web = a.results.find((r) => r.resource.name === "web");
    expect(web?.error).toContain("variables.broken");
    expect(evaluate(interpreted, input).results.find((r) => r.resource.name === "web")?.error).toBe(
      web?.error,
    );
  });
});
