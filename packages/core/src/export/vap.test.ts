import { describe, expect, it } from "vitest";
import { compilePolicySet } from "../compile/compile.js";
import { evaluate } from "../evaluate/evaluate.js";
import { parsePolicyDocuments } from "../policy/parse.js";
import { policySchema } from "../policy/schema.js";
import { resourcesFromObjects } from "../resources/parse.js";
import { exportVap } from "./vap.js";

const POLICIES = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: max-containers, labels: {practice: resource-quotas}}
spec:
  action: warn
  failurePolicy: Ignore
  match: {kinds: [Workload], namespaces: [shop-*], excludeNamespaces: [kube-system]}
  params: {max: 2, names: ["a", "b"]}
  variables:
    - {name: count, expression: size(containers)}
  validations:
    - expression: variables.count <= params.max && podSpec != null
      messageExpression: "'too many containers: ' + string(variables.count)"
      reason: Forbidden
---
apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: scanned}
spec:
  validations:
    - expression: images.all(i, i.scan != null)
`;

function compiled() {
  const parsed = parsePolicyDocuments(POLICIES, "p.yaml");
  const { set, diagnostics } = compilePolicySet(parsed.located.policies);
  expect(diagnostics).toEqual([]);
  return set;
}

describe("exportVap", () => {
  it("refuses policies that read celgate-only variables, saying which", () => {
    const result = exportVap(compiled().byName.get("scanned")!);
    expect(result).toEqual({
      exportable: false,
      reason: "reads `images`, which Kubernetes admission does not provide",
    });
  });

  // Kubernetes' quantity library has no mul(): the API server would reject the exported policy.
  it("refuses policies that call a celgate function, naming it and its file:line:col", () => {
    const source = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: double-limit}
spec:
  variables:
    - name: doubled
      expression: quantity('1Gi').mul(2)
  validations:
    - expression: |
        containers.all(c,
          quantity(c.resources.limits.memory).isLessThan(quantity('4Gi').mul(2)))
`;
    const parsed = parsePolicyDocuments(source, "limits.yaml");
    const { set, diagnostics } = compilePolicySet(parsed.located.policies);
    expect(diagnostics).toEqual([]);
    const lines = source.split("\n");
    const result = exportVap(set.byName.get("double-limit")!, { fileLines: () => lines });
    expect(result).toEqual({
      exportable: false,
      reason:
        "calls functions a ValidatingAdmissionPolicy does not have: " +
        "<Quantity>.mul() (a celgate function) at limits.yaml:7:35 (spec.variables[0].expression); " +
        "<Quantity>.mul() (a celgate function) at limits.yaml:11:74 (spec.validations[0].expression)",
    });
    expect(lines[6]?.slice(34, 37)).toBe("mul");
    expect(lines[10]?.slice(73, 76)).toBe("mul");
  });

  it("builds a VAP and binding: rules from kinds, namespaces, variables for podSpec/containers/params", () => {
    const result = exportVap(compiled().byName.get("max-containers")!);
    if (!result.exportable) throw new Error(result.reason);
    const spec = result.policy.spec as Record<string, any>;
    expect(result.policy).toMatchObject({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
    });
    expect(spec.failurePolicy).toBe("Ignore");
    expect(spec.matchConstraints.resourceRules).toEqual([
      {
        apiGroups: [""],
        apiVersions: ["*"],
        operations: ["CREATE", "UPDATE"],
        resources: ["pods", "replicationcontrollers"],
      },
      {
        apiGroups: ["apps"],
        apiVersions: ["*"],
        operations: ["CREATE", "UPDATE"],
        resources: ["daemonsets", "deployments", "replicasets", "statefulsets"],
      },
      {
        apiGroups: ["batch"],
        apiVersions: ["*"],
        operations: ["CREATE", "UPDATE"],
        resources: ["cronjobs", "jobs"],
      },
    ]);
    expect(spec.matchConstraints.namespaceSelector).toEqual({
      matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system"] }],
    });
    expect(spec.matchConditions[0].expression).toContain('request.namespace.matches("^shop-.*$")');
    expect(spec.variables.map((v: { name: string }) => v.name)).toEqual([
      "params",
      "podSpec",
      "containers",
      "count",
    ]);
    // Kubernetes checks map literals as homogeneous, so mixed values are wrapped in dyn()
    expect(spec.variables[0].expression).toBe('{"max": dyn(2), "names": dyn(["a", "b"])}');
    expect(spec.variables[3].expression).toBe("size(variables.containers)");
    expect(spec.validations[0].expression).toBe(
      "variables.count <= variables.params.max && variables.podSpec != null",
    );
    expect(result.binding).toMatchObject({
      spec: { policyName: "max-containers", validationActions: ["Warn"] },
    });
  });

  it("exported expressions decide as the original does", () => {
    const result = exportVap(compiled().byName.get("max-containers")!);
    if (!result.exportable) throw new Error(result.reason);
    const vapSpec = result.policy.spec as Record<string, any>;
    // Run the exported CEL in celgate's engine (which offers VAP's variables) with no match.
    const asCelgate = policySchema.parse({
      apiVersion: "celgate.dev/v1",
      kind: "Policy",
      metadata: { name: "exported" },
      spec: { variables: vapSpec.variables, validations: vapSpec.validations },
    });
    const both = compilePolicySet([compiled().byName.get("max-containers")!.document, asCelgate]);
    expect(both.diagnostics).toEqual([]);
    const pod = (n: number) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `p${n}`, namespace: "shop-eu" },
      spec: { containers: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: "x" })) },
    });
    const cron = {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "c", namespace: "shop-eu" },
      spec: {
        jobTemplate: {
          spec: {
            template: {
              spec: { containers: [{ name: "a" }], initContainers: [{ name: "b" }, { name: "c" }] },
            },
          },
        },
      },
    };
    const { resources } = resourcesFromObjects([pod(1), pod(3), cron]);
    const report = evaluate(both.set, { resources });
    const byResource = new Map<string, string[]>();
    for (const r of report.results)
      byResource.set(r.resource.name, [...(byResource.get(r.resource.name) ?? []), r.outcome]);
    expect([...byResource.values()]).toEqual([
      ["pass", "pass"],
      ["fail", "fail"],
      ["fail", "fail"],
    ]);
  });
});
