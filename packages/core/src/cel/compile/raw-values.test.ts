/**
 * Values read as they are beyond a single read: lists joined with `+`, `filter` over a list read
 * as it is, `a[?k]` and optional ternaries unwrapped, empty literals beside values read as they
 * are, and policy variables that hold a manifest's parts without converting them. Each keeps
 * what the interpreter gives (values, errors, budget outcomes), and the code converts nothing
 * where nothing escapes.
 */
import { describe, expect, it } from "vitest";
import { deepFreeze } from "../../util/freeze.js";
import { DEFAULT_BUDGET } from "../budget.js";
import { celEnvironment, MANIFEST_VARIABLES, type ParsedExpression } from "../environment.js";
import { outcomeDifference, prepareBoth, type RunOutcome, runCounted } from "./differential.js";
import { clearManifestConversions, prepareRun } from "./engine.js";

function same(source: string, activation: Record<string, unknown>): RunOutcome {
  const { compiled, interpreted } = prepareBoth(source);
  expect(compiled.engine, source).toBe("compiled");
  clearManifestConversions();
  const a = runCounted(interpreted.run, activation, DEFAULT_BUDGET);
  const b = runCounted(compiled.run, activation, DEFAULT_BUDGET);
  expect(outcomeDifference(a, b), source).toBeUndefined();
  return b;
}

function value(source: string, activation: Record<string, unknown>): unknown {
  const outcome = same(source, activation);
  if (outcome.kind !== "value") throw new Error(`${source}: ${outcome.kind} ${outcome.error}`);
  return outcome.value;
}

const pod = JSON.parse(`{
  "kind": "Pod",
  "metadata": {"name": "p", "labels": {"app": "web", "tier": null}},
  "spec": {
    "containers": [
      {"name": "a", "ports": [{"containerPort": 80}], "resources": {"limits": {"cpu": "1"}},
       "securityContext": {"runAsUser": 1000}},
      {"name": "b", "resources": {"requests": {"memory": "1Gi"}}}
    ],
    "initContainers": [{"name": "i", "resources": {"limits": {"cpu": 2, "memory": 0.5}}}],
    "matrix": [[1, 2], [3.5, {"k": 4}]],
    "text": "x"
  }
}`);

function activationOf(object: Record<string, unknown>): Record<string, unknown> {
  const spec = object.spec as Record<string, unknown>;
  return deepFreeze({
    object,
    oldObject: null,
    namespaceObject: null,
    podSpec: spec,
    containers: spec.containers,
    bundle: [object],
    params: {},
    variables: {},
    images: [],
    context: {},
    now: new Date(0),
  });
}

describe("values read as they are, through more constructs", () => {
  const act = activationOf(pod);

  it("joins lists read as they are, and falls back as CEL does for anything else", () => {
    const all = "podSpec.?containers.orValue([]) + podSpec.?initContainers.orValue([])";
    expect(value(`(${all}).map(c, c.name)`, act)).toEqual(["a", "b", "i"]);
    expect(value(`(${all}).filter(c, c.?resources.?limits.?cpu.hasValue()).map(c, c.name)`, act)).toEqual([
      "a",
      "i",
    ]);
    expect(value(`(${all})[2].resources.limits.cpu == 2`, act)).toBe(true);
    expect(value(`(${all})[2].resources.limits.memory == 0.5`, act)).toBe(true);
    expect(value(`size(${all})`, act)).toBe(3n);
    expect(value("podSpec.containers + []", act)).toEqual(value("podSpec.containers", act));
    expect(value("[] + podSpec.initContainers", act)).toEqual(value("podSpec.initContainers", act));
    expect(value("podSpec.matrix + podSpec.matrix", act)).toEqual(
      value("podSpec.matrix + podSpec.matrix", act),
    );
    // the same `+` on strings read as they are, and on values that are not lists at all
    expect(value("podSpec.text + podSpec.text", act)).toBe("xx");
    expect(same("podSpec.text + podSpec.matrix", act).kind).toBe("error");
    expect(same("dyn(podSpec.containers[0]) + podSpec.matrix", act).kind).toBe("error");
  });

  it("filters a list read as it is into one", () => {
    expect(value("containers.filter(c, c.name != 'b')", act)).toEqual(
      value("containers.filter(c, c.name != 'b').map(c, c)", act),
    );
    expect(value("containers.filter(c, c.name == 'a')[0].ports[0].containerPort == 80", act)).toBe(true);
    expect(value("containers.filter(c, c.?securityContext.?runAsUser.orValue(0) == 1000).size()", act)).toBe(
      1n,
    );
    expect(value("podSpec.matrix.filter(r, size(r) > 1)[1][1].k", act)).toBe(4n);
    expect(value("object.metadata.labels.filter(k, k != '')", act)).toEqual(["app"]);
    // an element that fails the predicate's type is the interpreter's error
    expect(same("podSpec.matrix.filter(r, r[1] > 1)", act).kind).toBe("error");
    // a filter inside a filter, and one whose result escapes into a function
    expect(
      value("containers.filter(c, containers.filter(d, d.name == c.name).size() == 1).size()", act),
    ).toBe(2n);
    expect(value("containers.filter(c, true) == containers", act)).toBe(true);
  });

  it("reads `a[?k]` unwrapped: maps by key, lists by index, and anything else through the handler", () => {
    expect(value("containers[0].?resources[?'limits'][?'cpu'].orValue('none')", act)).toBe("1");
    expect(value("containers[1].?resources[?'limits'][?'cpu'].orValue('none')", act)).toBe("none");
    expect(value("podSpec.?matrix[?1][?1].?k.orValue(0)", act)).toBe(4n);
    expect(value("podSpec.?matrix[?7][?0].orValue(-1)", act)).toBe(-1n);
    expect(value("podSpec.?initContainers[?0].?resources.?limits[?'cpu'].orValue(0) == 2", act)).toBe(true);
    expect(value("['limits', 'requests'].map(k, containers[1].?resources[?k].hasValue())", act)).toEqual([
      false,
      true,
    ]);
    // CEL values (not read as they are) take the same path
    expect(value("{'a': {'b': 1}}[?'a'][?'b'].orValue(0)", act)).toBe(1n);
    expect(value("{'a': [5]}[?'a'][?0].orValue(0)", act)).toBe(5n);
    expect(value("{1: 'one'}[?1].orValue('')", act)).toBe("one");
    expect(value("[[1]][?0][?3].orValue(9)", act)).toBe(9n);
    expect(value("containers[0].?resources[?'limits'][?'cpu']", act)).toEqual(
      value("optional.of(containers[0].resources.limits.cpu)", act),
    );
  });

  it("reads a ternary of optionals unwrapped, with its errors", () => {
    const labels =
      "(object.kind == 'Pod' ? object.?metadata.?labels : object.?spec.?template.?metadata.?labels).orValue({})";
    expect(value(labels, act)).toEqual(Object.assign(Object.create(null), { app: "web" }));
    expect(value(`${labels}.app`, act)).toBe("web");
    expect(
      value("(object.kind == 'Job' ? object.?metadata : object.?spec.?nothing).orValue({'x': 1}).x", act),
    ).toBe(1n);
    expect(value("(true ? object.?spec.?matrix : object.?spec.?none).hasValue()", act)).toBe(true);
    expect(value("(false ? object.?spec.?matrix : object.?spec.?none).hasValue()", act)).toBe(false);
    expect(value("(object.kind == 'Pod' ? podSpec.?matrix : podSpec.?none).?foo.orValue(3)", act)).toBe(3n);
    // a condition that is not a bool: the interpreter's error, whichever branch would be read
    expect(same("(dyn(object.kind) ? object.?metadata : object.?spec).orValue({})", act).kind).toBe("error");
    expect(same("(dyn(object.spec.matrix) ? object.?metadata : object.?spec).hasValue()", act).kind).toBe(
      "error",
    );
  });

  it("reads an optional held as a value (through dyn) as cel-js does, unwrapped or not (found by raw-fuzz)", () => {
    // cel-js's `.?` opens one optional: an optional that is the value read is a value, whose
    // field is read as that optional's (an optional of an optional); the unwrapped reading of a
    // chain must not open it a second time
    for (const source of [
      "dyn({'a': optional.none()}).?a.?b.hasValue()",
      "dyn({'a': optional.none()}).?a.?b",
      "dyn({'a': optional.of({'b': 2})}).?a.?b.orValue(5)",
      "dyn({'a': optional.of({'b': 1})}).?a.?b.?c.orValue(2)",
      "dyn({'a': optional.of({'b': 2})})[?'a'][?'b'].orValue(5)",
      "dyn({'a': optional.of({'b': 2})}).?a[?'b'].orValue(5)",
      "dyn({'a': optional.of([4])}).?a[?0].orValue(5)",
      "dyn([optional.none()])[?0][?0].hasValue()",
      "dyn([optional.of([3])])[?0][?0].orValue(5)",
      "(true ? dyn({'a': optional.none()}).?a : object.?x).?b.hasValue()",
      "(false ? object.?x : dyn({'a': optional.of({'b': 1})}).?a).?b.orValue(2)",
      // an optional given to `.?` (not read by one) is opened once, whatever it holds
      "dyn(optional.of(optional.none())).?b.orValue(1)",
      "dyn(optional.of(optional.none())).?b.hasValue()",
      "dyn(optional.of(optional.of({'b': 1}))).?b.orValue(1)",
    ]) {
      same(source, act);
    }
  });

  it("lets an empty list stand beside values read as they are, and keeps maps' defaults exact", () => {
    expect(value("object.?metadata.orValue(dyn({})).?labels.?app.orValue('')", act)).toBe("web");
    expect(value("object.?status.orValue(dyn({})).?phase.orValue('none')", act)).toBe("none");
    expect(value("object.?status.orValue({})", act)).toEqual({});
    expect(value("object.?metadata.orValue({})", act)).toEqual(value("object.metadata", act));
    expect(value("object.kind == 'Pod' ? object.metadata.labels : {}", act)).toEqual(
      value("object.metadata.labels", act),
    );
    expect(value("object.kind == 'Job' ? object.metadata.labels : dyn([])", act)).toEqual([]);
    expect(value("object.kind == 'Job' ? podSpec.containers : dyn([])", act)).toEqual([]);
    expect(value("(object.kind == 'Pod' ? podSpec.containers : []).map(c, c.name)", act)).toEqual(["a", "b"]);
    expect(same("object.?status.orValue(dyn({})).phase", act).kind).toBe("error");
  });
});

describe("compiled code that converts nothing it does not hand on", () => {
  const env = celEnvironment();
  const compile = (source: string, options: Parameters<typeof prepareRun>[4]) => {
    const parsed = env.parse(source) as unknown as ParsedExpression;
    expect(parsed.check().valid, source).toBe(true);
    return prepareRun(env, parsed, "compile", MANIFEST_VARIABLES, options);
  };
  const sourceOf = (run: unknown): string => String((run as { toString(): string }).toString());

  it("returns a variable's manifest parts as they are, and says so", () => {
    for (const source of [
      "containers.filter(c, c.name != '')",
      "podSpec.?containers.orValue([]) + podSpec.?initContainers.orValue([])",
      "object.kind == 'Pod' ? object.?metadata.orValue(object) : object.?spec.?template.?metadata.orValue(object)",
      "(object.kind == 'Pod' ? object.?spec.?containers : object.?spec.?template.?spec.?containers).orValue([])",
      "containers[0].?resources[?'limits'].orValue(containers[0])",
      "object.kind == 'Pod' ? podSpec.containers : dyn([])",
    ]) {
      const variable = compile(source, { returnRaw: true });
      expect([source, variable.engine, variable.rawResult]).toEqual([source, "compiled", true]);
      // as any other expression, it returns the CEL value
      expect([source, compile(source, {}).rawResult]).toEqual([source, undefined]);
    }
    // a result built from CEL values is one, and so is a map's default
    expect(compile("containers.map(c, c.name)", { returnRaw: true }).rawResult).toBeUndefined();
    expect(compile("object.?metadata.orValue({})", { returnRaw: true }).rawResult).toBeUndefined();
    expect(compile("size(containers)", { returnRaw: true }).rawResult).toBeUndefined();
  });

  it("reads such a variable as it is, and others by name", () => {
    const reader = compile("variables.kept.all(c, c.?resources.?limits.?cpu.hasValue())", {
      rawVariables: new Set(["kept"]),
    });
    expect(sourceOf(reader.run)).not.toContain("R.cel(");
    const other = compile("variables.other.all(c, c.?resources.?limits.?cpu.hasValue())", {
      rawVariables: new Set(["kept"]),
    });
    expect(sourceOf(other.run)).not.toContain("rawVariable");
    // a comprehension variable named `variables` is not the root variable
    const shadowed = compile("[{'kept': 1}].all(variables, variables.kept == 1)", {
      rawVariables: new Set(["kept"]),
    });
    expect(sourceOf(shadowed.run)).not.toContain("rawVariable");
  });
});
