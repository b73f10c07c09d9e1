import { describe, expect, it } from "vitest";
import { compilePolicySet, costWarnings } from "../../compile/compile.js";
import { exportVap } from "../../export/vap.js";
import { parsePolicyDocuments } from "../../policy/parse.js";
import { ESTIMATED_COST_LIMIT, MAX_REQUEST_SIZE_BYTES, maxSize } from "./cost.js";

function compileOne(spec: string) {
  const text = `apiVersion: celgate.dev/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n${spec}`;
  const parsed = parsePolicyDocuments(text, "p.yaml");
  const lines = text.split("\n");
  const { set, diagnostics } = compilePolicySet(parsed.located.policies, { fileLines: () => lines });
  expect(diagnostics).toEqual([]);
  const policy = set.policies[0]!;
  return { policy, lines };
}

const costOf = (expression: string, match = "  match: {kinds: [Deployment]}\n") =>
  compileOne(`${match}  validations:\n    - expression: ${JSON.stringify(expression)}\n`).policy
    .validations[0]!.expression.cost;

describe("estimated cost (Kubernetes' estimator: cel-go's cost model, the API server's size bounds)", () => {
  it("bounds unbounded values by the largest request, as Kubernetes does for schemas without maxItems", () => {
    expect(maxSize("string")).toBe(MAX_REQUEST_SIZE_BYTES - 2);
    // the smallest container serializes as {} (2 bytes) plus a comma
    expect(maxSize("list<k8s.V1Container>")).toBe(Math.floor((MAX_REQUEST_SIZE_BYTES - 2) / 3));
    expect(maxSize("list<int>")).toBe(Math.floor((MAX_REQUEST_SIZE_BYTES - 2) / 2));
  });

  it("charges 1 per identifier and field selection, nothing for literals", () => {
    expect(costOf("object.spec.replicas > 1")).toBe(4); // object, .spec, .replicas, >
    expect(costOf("true")).toBe(0);
  });

  it("charges a comprehension its range once and its body per element", () => {
    const perElement = costOf("podSpec.containers.all(c, c.name == 'x')")!;
    const elements = maxSize("list<k8s.V1Container>");
    // range (podSpec, .containers) + each element: c, .name, ==, string compare, loop step
    expect(perElement).toBeGreaterThan(3 * elements);
    expect(perElement).toBeLessThan(ESTIMATED_COST_LIMIT);
  });

  it("multiplies nested comprehensions, which goes over the limit on unbounded lists", () => {
    const nested = costOf("podSpec.containers.all(c, c.?ports.orValue([]).all(p, p.containerPort != 22))")!;
    expect(nested).toBeGreaterThan(ESTIMATED_COST_LIMIT);
  });

  it("uses literal sizes where it knows them", () => {
    expect(costOf("[1, 2, 3].all(x, x > 0)", "")).toBeLessThan(30);
  });

  it("warns at the expression's position, and export vap exports with the warning", () => {
    const { policy, lines } = compileOne(`  match: {kinds: [Pod]}
  validations:
    - expression: "object.spec.containers.all(c, object.spec.containers.all(d, c.name != d.name || c == d))"
      message: names are unique
`);
    const warnings = costWarnings(policy, { fileLines: () => lines });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      code: "cel-cost",
      severity: "warning",
      path: "spec.validations[0].expression",
      line: 7,
      column: 20,
    });
    expect(warnings[0]!.message).toMatch(
      /^estimated cost [\d,]+ is over Kubernetes' per-expression limit of 10,000,000/,
    );
    // exported all the same (the API server does not refuse a VAP by estimate), with the warning
    const exported = exportVap(policy, { fileLines: () => lines });
    expect(exported.exportable).toBe(true);
    if (exported.exportable) {
      expect(exported.costWarnings).toEqual([
        expect.stringMatching(
          /^spec\.validations\[0\]\.expression at p\.yaml:7:20 \(estimated cost [\d,]+ is over/,
        ),
      ]);
    }
  });
});
