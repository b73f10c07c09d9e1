/**
 * A seeded differential fuzz of policy variables whose compiled functions return manifest parts
 * as they are (`rawResult`): random policies whose variables build on the manifest variables and
 * on earlier variables (by `variables.name`, read as they are by compiled readers, and by
 * `variables['name']`, a CEL value), with matchConditions, validations and messageExpressions
 * reading them, are compiled with celEngine "compile" and "interpret" and evaluated over random
 * manifests: the reports (outcomes, violations, messages, errors) and every explanation must be
 * the same. A failure names the policy and the manifests.
 */
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { expressions, jsonManifests, random } from "../cel/compile/raw-fuzz.js";
import { type CompiledPolicySet, compilePolicySet } from "../compile/compile.js";
import { parsePolicyDocuments } from "../policy/parse.js";
import { parseManifests } from "../resources/parse.js";
import { deepFreeze } from "../util/freeze.js";
import { evaluate } from "./evaluate.js";
import { explain } from "./explain.js";

// dyn() keeps a value read as it is so, and spares most random expressions a type error
// (policies are checked against the Kubernetes types of the resources)
const MANIFEST_ROOTS = ["dyn(object)", "object", "dyn(podSpec)", "dyn(oldObject)", "dyn(namespaceObject)"];
const LISTS = ["dyn(containers)", "dyn(bundle)", "dyn(podSpec).containers", "dyn(podSpec).initContainers"];

/** A CEL expression naming the type of `x` (`string(type(x))` does not check in Kubernetes' CEL). */
function typeName(x: string): string {
  return `(type(${x}) == int ? 'int' : type(${x}) == double ? 'double' : type(${x}) == map ? 'map' : type(${x}) == list ? 'list' : type(${x}) == null_type ? 'null' : 'other')`;
}

/** A random policy document (JSON, which YAML reads) with `count` variables. */
function randomPolicy(next: () => number, count: number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const variables: { name: string; expression: string }[] = [];
  const rootsUpTo = (i: number) => [
    ...MANIFEST_ROOTS,
    ...Array.from({ length: i }, (_, j) => [
      `dyn(variables.v${j})`,
      `dyn(variables.v${j})`,
      `variables.v${j}`,
      `dyn(variables['v${j}'])`,
    ]).flat(),
  ];
  for (let i = 0; i < count; i++) {
    const e = expressions(next, rootsUpTo(i), LISTS);
    variables.push({ name: `v${i}`, expression: next() < 0.6 ? e.list(3) : e.value(3) });
  }
  const e = expressions(next, rootsUpTo(count), LISTS);
  const message = () =>
    pick([
      `'m: ' + string(size(dyn(${e.value(2)})))`,
      `'m: ' + string(dyn(${e.value(2)}))`,
      `'m: ' + dyn(${e.list(2)}).map(x, string(type(x) == int)).join(',')`,
      `'m: ' + string(${e.value(2)} == ${e.value(2)})`,
      `'m: ' + string(type(variables['v${Math.floor(next() * count)}']) == list)`,
      `'m: ' + string(size(variables.v${Math.floor(next() * count)}))`,
    ]);
  const validations: { expression: string; message?: string; messageExpression?: string }[] = Array.from(
    { length: 1 + Math.floor(next() * 3) },
    (_, i) => ({
      expression: e.bool(3),
      ...(next() < 0.7 ? { messageExpression: message() } : { message: `failed ${i}` }),
    }),
  );
  // a variable read both ways must be one value: by name (a CEL value, the getter's), and as
  // compiled readers read it (as it is); the types of its elements tell ints from doubles
  const j = Math.floor(next() * count);
  validations.push({
    expression: `variables['v${j}'] == variables.v${j} && variables.v${j} == variables['v${j}']`,
    message: "the two readings differ",
  });
  validations.push({
    expression: "false",
    messageExpression: pick([
      `'m: ' + dyn(variables['v${j}']).map(x, ${typeName("x")}).join(',')`,
      `'m: ' + dyn(variables.v${j}).map(x, ${typeName("x")}).join(',')`,
      `'m: ' + dyn(variables['v${j}']).map(x, ${typeName(`dyn(x)[${pick(["'name'", "'n'", "'a'", "0"])}]`)}).join(',')`,
    ]),
  });
  const matchConditions = next() < 0.3 ? [{ name: "m", expression: e.bool(2) }] : undefined;
  return JSON.stringify({
    apiVersion: "celgate.dev/v1",
    kind: "Policy",
    metadata: { name: "fuzz" },
    spec: {
      // the kinds of the manifests (fewer kinds, a faster typed check of the policy)
      match: { kinds: ["Workload", "ConfigMap"] },
      ...(matchConditions ? { matchConditions } : {}),
      variables,
      validations,
    },
  });
}

/** The policy compiled both ways, or undefined when it does not compile (a random type error). */
function compileBoth(text: string): [CompiledPolicySet, CompiledPolicySet] | undefined {
  const parsed = parsePolicyDocuments(text, "fuzz.json");
  if (parsed.diagnostics.length > 0) return undefined;
  const compiled = compilePolicySet(parsed.located.policies, { celEngine: "compile" });
  if (compiled.diagnostics.length > 0) return undefined;
  const interpreted = compilePolicySet(parsed.located.policies, { celEngine: "interpret" });
  expect(interpreted.diagnostics).toEqual([]);
  return [compiled.set, interpreted.set];
}

describe("policy variables kept as they are, fuzzed against the interpreter", () => {
  it("give the interpreter's reports and explanations (seeded)", () => {
    // FUZZ_SEED and FUZZ_COUNT search further by hand; the suite always runs the same cases
    const next = random(20261212 + Number(process.env.FUZZ_SEED ?? 0));
    const count = Number(process.env.FUZZ_COUNT ?? 150);
    const failures: string[] = [];
    const fallbacks: string[] = [];
    let policies = 0;
    let rawVariables = 0;
    let messages = 0;
    const outcomes = new Map<string, number>();
    for (let tries = 0; policies < count && tries < count * 40 && failures.length < 3; tries++) {
      const text = randomPolicy(next, 2 + Math.floor(next() * 3));
      const sets = compileBoth(text);
      if (!sets) continue;
      policies++;
      const [compiled, interpreted] = sets;
      const policy = compiled.policies[0];
      for (const v of policy?.variables ?? []) if (v.rawResult) rawVariables++;
      for (const x of [...(policy?.variables ?? []), ...(policy?.matchConditions ?? [])])
        if (x.engine !== "compiled") fallbacks.push(`${x.source}: ${x.interpretedBecause}`);
      for (const v of policy?.validations ?? [])
        for (const x of [v.expression, v.messageExpression])
          if (x && x.engine !== "compiled") fallbacks.push(`${x.source}: ${x.interpretedBecause}`);
      const manifests = jsonManifests(next, 4);
      const { resources, diagnostics } = parseManifests(manifests, "fuzz.yaml");
      expect(diagnostics).toEqual([]);
      for (const r of resources) deepFreeze(r.object);
      const input = { resources, now: new Date("2026-06-01T00:00:00Z") };
      const a = evaluate(compiled, input);
      const b = evaluate(interpreted, input);
      const where = `\n  policy: ${text}\n  manifests: ${manifests.replace(/\n/g, " ")}`;
      if (!isDeepStrictEqual(a.results, b.results) || !isDeepStrictEqual(a.summary, b.summary)) {
        failures.push(
          `reports differ:\n  compiled: ${JSON.stringify(a.results)}\n  interpreted: ${JSON.stringify(b.results)}${where}`,
        );
        continue;
      }
      for (const r of a.results) {
        const outcome = r.error ? "error" : r.violations.length > 0 ? "fail" : r.outcome;
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        for (const v of r.violations) if (v.message.startsWith("m: ")) messages++;
      }
      for (const resource of resources) {
        const x = explain(compiled, "fuzz", resource, input);
        const y = explain(interpreted, "fuzz", resource, input);
        if (!isDeepStrictEqual(x, y)) {
          failures.push(
            `explanations of ${resource.ref.name} differ:\n  compiled: ${JSON.stringify(x)}\n  interpreted: ${JSON.stringify(y)}${where}`,
          );
          break;
        }
      }
    }
    expect(failures.join("\n\n")).toBe("");
    expect(fallbacks).toEqual([]);
    expect(policies).toBe(count);
    // the policies keep variables as they are, and end in errors and in violations (with the
    // messages of messageExpressions)
    expect(rawVariables).toBeGreaterThan(count / 2);
    expect(outcomes.get("error")).toBeGreaterThan(count / 5);
    expect(outcomes.get("fail")).toBeGreaterThan(count / 10);
    expect(messages).toBeGreaterThan(count / 10);
  });
});
