/**
 * Comprehensions that use a list index (index-plan.ts, list-index.ts) end exactly as the same
 * compiled expressions scanning the whole list: the same value, the same error, the same budget
 * outcome and the same number of steps; and as the interpreter (value, error, budget outcome).
 * The bundles hold what an index must not get wrong: resources without kind, metadata or
 * namespace, cluster-scoped ones, non-string kinds and namespaces, elements that are not maps,
 * duplicates, and a large bundle. Each expression runs for several resources over the same
 * bundle, as evaluate() does, and the tests check that the index was in fact used.
 */
import { describe, expect, it } from "vitest";
import { type BudgetLimits, DEFAULT_BUDGET } from "../budget.js";
import { celEnvironment, type ParsedExpression } from "../environment.js";
import { compileCel } from "./compile-cel.js";
import { outcomeDifference, type RunOutcome, runCounted, valueDifference } from "./differential.js";
import { listIndexStats, withListIndexes } from "./list-index.js";

function plain(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(Object.create(null), entries);
}

function resource(kind: string, namespace: string | undefined, name: string, spec: unknown = plain({})) {
  const metadata = namespace === undefined ? plain({ name }) : plain({ name, namespace });
  return plain({ kind, metadata, spec });
}

const denyAll = plain({ podSelector: plain({}), policyTypes: ["Ingress"] });
const edgeCases: unknown[] = [
  resource("Namespace", undefined, "team-1"),
  resource("NetworkPolicy", "team-1", "deny", denyAll),
  resource("NetworkPolicy", "team-2", "deny", denyAll),
  resource("ResourceQuota", "team-1", "quota"),
  resource("LimitRange", "team-2", "limits"),
  resource("ClusterRole", undefined, "admin"),
  plain({ metadata: plain({ name: "no-kind", namespace: "team-1" }) }),
  plain({ kind: "NetworkPolicy" }),
  plain({ kind: "NetworkPolicy", metadata: plain({ name: "no-namespace" }) }),
  plain({ kind: "NetworkPolicy", metadata: null }),
  plain({ kind: "NetworkPolicy", metadata: plain({ name: "int-namespace", namespace: 7n }) }),
  plain({ kind: 5n, metadata: plain({ name: "int-kind", namespace: "team-1" }) }),
  plain({ kind: "NetworkPolicy", metadata: plain({ name: "empty-namespace", namespace: "" }) }),
  "a string",
  3n,
  null,
  [1n, 2n],
  plain({}),
  resource("NetworkPolicy", "team-1", "deny", denyAll),
  resource("NetworkPolicy", "team-1", "no-spec", null),
  { kind: "NetworkPolicy", metadata: { name: "object-prototype", namespace: "team-2" }, spec: {} },
];

/** A bundle of `namespaces` namespaces with their policies and workloads, then the edge cases. */
function bundleOf(namespaces: number): unknown[] {
  const out: unknown[] = [];
  for (let n = 0; n < namespaces; n++) {
    const ns = `team-${n}`;
    out.push(
      resource("Namespace", undefined, ns),
      resource("NetworkPolicy", ns, "deny", denyAll),
      resource(
        "NetworkPolicy",
        ns,
        "allow",
        plain({ podSelector: plain({ matchLabels: plain({ app: "web" }) }) }),
      ),
      resource("ResourceQuota", ns, "quota"),
    );
    for (let w = 0; w < 5; w++) out.push(resource("Deployment", ns, `app-${w}`));
  }
  out.push(...edgeCases);
  return out;
}

/** The subjects: resources of several namespaces, none, a non-string one, one not a string at all. */
const subjects: unknown[] = [
  resource("Deployment", "team-1", "web"),
  resource("Deployment", "team-2", "api"),
  resource("Deployment", "team-1", "web-again"),
  resource("Deployment", "team-9", "nowhere"),
  resource("Deployment", "", "empty"),
  resource("Deployment", undefined, "cluster-scoped"),
  plain({ kind: "Deployment", metadata: plain({ name: "int", namespace: 3n }) }),
  resource("Deployment", "team-2", "api-again"),
  resource("Deployment", "team-1", "web-last"),
];

const context = plain({ namespace: "team-2" });

function activationFor(bundle: unknown[], object: unknown, variables: Record<string, unknown> = plain({})) {
  return {
    object,
    params: plain({ kind: "NetworkPolicy" }),
    variables,
    containers: [],
    images: [],
    bundle,
    context,
    now: new Date(0),
  };
}

const env = celEnvironment();

function prepare(source: string): {
  interpreted: ParsedExpression;
  compiled: (a: Record<string, unknown>) => unknown;
} {
  const parsed = env.parse(source) as unknown as ParsedExpression;
  const checked = parsed.check();
  if (!checked.valid) throw checked.error;
  const compiled = compileCel(env, parsed.ast);
  if (!compiled.ok) throw new Error(compiled.reason);
  return { interpreted: parsed, compiled: compiled.run };
}

const ns = "object.?metadata.?namespace.orValue('default')";

/** Expressions the index applies to (each is checked to have used it). */
const indexed = [
  `bundle.filter(r, r.kind == 'NetworkPolicy' && r.metadata.namespace == object.metadata.namespace)`,
  `bundle.filter(r, r.?kind.orValue('') == 'NetworkPolicy' && r.?metadata.?namespace.orValue('default') == ${ns})`,
  `bundle.filter(r, ${ns} == r.?metadata.?namespace.orValue(context.?namespace.orValue('default')))`,
  `bundle.filter(r, r.kind == 'NetworkPolicy' && r.metadata.namespace == ${ns} && size(r.spec.podSelector) == 0)`,
  `bundle.filter(r, r.?metadata.?namespace.orValue('') == variables.namespace)`,
  `bundle.filter(r, r.?metadata.?namespace.orValue('') == variables.namespace && r.spec.podSelector.matchLabels.app == 'web')`,
  `bundle.filter(r, r.?kind.orValue('') == params.kind && r.?metadata.?namespace.orValue('') == ${ns} && 1 / 0 == 1)`,
  `bundle.exists(r, r.kind == 'NetworkPolicy' && r.metadata.namespace == ${ns} && size(r.spec.podSelector) == 0)`,
  `bundle.exists(r, r.?kind.orValue('') == 'ResourceQuota' && r.?metadata.?namespace.orValue('') == ${ns})`,
  `bundle.exists(r, r.?metadata.?namespace.orValue('') == ${ns} && r.spec.x == 1)`,
  `bundle.exists(r, r.?metadata.?namespace.orValue('') == ${ns} && (r.spec.x == 1 || r.kind == 'ResourceQuota'))`,
  `bundle.exists_one(r, r.?kind.orValue('') == 'ResourceQuota' && r.?metadata.?namespace.orValue('') == ${ns})`,
  `bundle.exists_one(r, r.?kind.orValue('') == 'NetworkPolicy' && r.?metadata.?namespace.orValue('') == ${ns})`,
  `bundle.map(r, r.?kind.orValue('') == 'NetworkPolicy' && r.?metadata.?namespace.orValue('') == ${ns}, r.metadata.name)`,
  `bundle.map(r, r.?kind.orValue('') == 'NetworkPolicy' && r.?metadata.?namespace.orValue('') == ${ns}, r.spec.podSelector)`,
  `bundle.filter(n, n.?kind.orValue('') == 'Namespace').map(n, bundle.filter(r, r.?kind.orValue('') == 'NetworkPolicy' && r.?metadata.?namespace.orValue('') == n.metadata.name).size())`,
  `bundle.filter(r, r.?kind.orValue('') == 'NetworkPolicy').filter(np, np.?metadata.?namespace.orValue(context.?namespace.orValue('default')) == variables.namespace && cel.bind(sel, np.?spec.?podSelector.orValue({}), sel.?matchLabels.orValue({}).all(k, k == 'app')))`,
];

/** Expressions the index must leave alone (all, map without filter, keys it cannot trust). */
const scanned = [
  `bundle.all(r, r.?kind.orValue('') == 'NetworkPolicy' && r.?metadata.?namespace.orValue('') == ${ns})`,
  `bundle.map(r, r.?metadata.?namespace.orValue('') == ${ns})`,
  `bundle.filter(r, size(bundle) > 0 && r.?metadata.?namespace.orValue('') == ${ns})`,
  `bundle.filter(r, r.?metadata.?namespace.orValue(variables.namespace) == ${ns})`,
];

interface Runs {
  indexed: RunOutcome[];
  scanned: RunOutcome[];
  interpreted: RunOutcome[];
  lookups: number;
}

function runAll(source: string, bundle: unknown[], limits: BudgetLimits, interpret = true): Runs {
  const { interpreted, compiled } = prepare(source);
  const activations = subjects.map((object, i) =>
    activationFor(bundle, object, plain({ namespace: i % 3 === 0 ? "team-1" : i % 3 === 1 ? "team-2" : 4n })),
  );
  let lookups = 0;
  const withIndex = withListIndexes(() => {
    const outcomes = activations.map((a) => runCounted(compiled, a, limits));
    lookups = listIndexStats()?.lookups ?? 0;
    return outcomes;
  });
  return {
    indexed: withIndex,
    scanned: activations.map((a) => runCounted(compiled, a, limits)),
    interpreted: interpret ? activations.map((a) => runCounted(interpreted, a, limits)) : [],
    lookups,
  };
}

/** Indexed and scanned runs are the same in every respect, steps included. */
function expectSame(runs: Runs): void {
  runs.indexed.forEach((a, i) => {
    const b = runs.scanned[i] as RunOutcome;
    expect(a.kind, `subject ${i}`).toBe(b.kind);
    expect(a.steps, `subject ${i} steps`).toBe(b.steps);
    if (a.kind === "value" && b.kind === "value") {
      expect(valueDifference(a.value, b.value, "result"), `subject ${i}`).toBeUndefined();
    } else expect((a as { error: string }).error).toBe((b as { error: string }).error);
  });
  runs.interpreted.forEach((a, i) => {
    expect(
      outcomeDifference(a, runs.indexed[i] as RunOutcome),
      `subject ${i} vs interpreter`,
    ).toBeUndefined();
  });
}

/**
 * The default step limits with a deadline far away: these tests compare values and step counts,
 * which a wall-clock deadline must not decide (an interpreted run over 400 resources can pass
 * 1 s on a loaded machine).
 */
const STEP_BUDGET: BudgetLimits = { ...DEFAULT_BUDGET, timeoutMs: 60_000 };

describe("comprehensions over an indexed list", () => {
  const small = bundleOf(3);
  const large = bundleOf(400);

  it.each(indexed)("use the index and end alike: %s", (source) => {
    for (const bundle of [small, large]) {
      const runs = runAll(source, bundle, STEP_BUDGET);
      expectSame(runs);
      expect(runs.lookups, "the index was used").toBeGreaterThan(0);
    }
  });

  it.each(scanned)("are scanned where the index cannot be trusted: %s", (source) => {
    const runs = runAll(source, small, STEP_BUDGET);
    expectSame(runs);
    expect(runs.lookups).toBe(0);
  });

  it("scan when most elements have no key (the index would save little)", () => {
    const clusterScoped = Array.from({ length: 60 }, (_, i) => resource("ClusterRole", undefined, `r-${i}`));
    const bundle = [...bundleOf(2), ...clusterScoped];
    const runs = runAll(`bundle.filter(r, r.metadata.namespace == ${ns})`, bundle, STEP_BUDGET);
    expectSame(runs);
    expect(runs.lookups).toBe(0);
  });

  it("do not index outside an evaluation's scope", () => {
    const { compiled } = prepare(indexed[0] as string);
    const a = activationFor(large, subjects[0]);
    const first = runCounted(compiled, a, STEP_BUDGET);
    expect(runCounted(compiled, a, STEP_BUDGET)).toEqual(first);
    expect(listIndexStats()).toBeUndefined();
  });

  it("index a list of the same identity once per scope, and a changed list again", () => {
    const { compiled } = prepare(indexed[1] as string);
    withListIndexes(() => {
      for (const object of subjects) runCounted(compiled, activationFor(large, object), STEP_BUDGET);
      expect(listIndexStats()?.built).toBe(1);
      const copy = [...large];
      for (const object of subjects) runCounted(compiled, activationFor(copy, object), STEP_BUDGET);
      expect(listIndexStats()?.built).toBe(2);
    });
  });

  // limits crossed while skipped elements are charged at once: the same limit, at the same step
  const limits: BudgetLimits[] = [
    { perExpression: 200, perPolicy: 1_000_000, timeoutMs: 60_000 },
    { perExpression: 1_000_000, perPolicy: 200, timeoutMs: 60_000 },
    { perExpression: 2_000, perPolicy: 2_000, timeoutMs: 60_000 },
    { perExpression: 5_003, perPolicy: 5_001, timeoutMs: 60_000 },
    { perExpression: 20_000, perPolicy: 19_999, timeoutMs: 60_000 },
  ];
  it.each(limits)("keep budget outcomes and steps: %o", (limit) => {
    for (const source of indexed) {
      const runs = runAll(source, large, limit, false);
      expectSame(runs);
      expect(runs.indexed.some((r) => r.kind === "budget")).toBe(true);
    }
  });
});
