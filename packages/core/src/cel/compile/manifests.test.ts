/**
 * Manifests read as they are (MANIFEST_VARIABLES): compiled code reads parsed JSON without
 * copying it, the interpreter is given its conversion, and both give the same values, errors
 * and budget outcomes; integers are CEL ints, other numbers doubles, `__proto__` and
 * `constructor` plain keys; what escapes is a CEL value; the manifest itself is never written.
 */
import { describe, expect, it } from "vitest";
import { deepFreeze } from "../../util/freeze.js";
import { DEFAULT_BUDGET } from "../budget.js";
import { celEnvironment, MANIFEST_VARIABLES, type ParsedExpression } from "../environment.js";
import { MAX_VALUE_DEPTH } from "../values.js";
import { outcomeDifference, prepareBoth, type RunOutcome, runCounted } from "./differential.js";
import { clearManifestConversions, prepareRun } from "./engine.js";
import { withListIndexes } from "./list-index.js";

function both(source: string, activation: Record<string, unknown>) {
  const { compiled, interpreted } = prepareBoth(source);
  clearManifestConversions();
  const a = runCounted(interpreted.run, activation, DEFAULT_BUDGET);
  const b = runCounted(compiled.run, activation, DEFAULT_BUDGET);
  return { engine: compiled.engine, interpreted: a, compiled: b };
}

/** The compiled outcome, after checking that it is the interpreter's. */
function same(source: string, activation: Record<string, unknown>): RunOutcome {
  const { engine, interpreted, compiled } = both(source, activation);
  expect(engine, source).toBe("compiled");
  expect(outcomeDifference(interpreted, compiled), source).toBeUndefined();
  return compiled;
}

function value(source: string, activation: Record<string, unknown>): unknown {
  const outcome = same(source, activation);
  if (outcome.kind !== "value") throw new Error(`${source}: ${outcome.kind} ${outcome.error}`);
  return outcome.value;
}

function activationOf(object: unknown, more: Record<string, unknown> = {}): Record<string, unknown> {
  return deepFreeze({
    object,
    oldObject: null,
    namespaceObject: null,
    podSpec: null,
    containers: [],
    bundle: [],
    params: {},
    variables: {},
    images: [],
    context: {},
    now: new Date(0),
    ...more,
  });
}

const manifest = JSON.parse(`{
  "kind": "Deployment",
  "spec": {
    "replicas": 3, "ratio": 0.5, "big": 1e300, "negZero": -0, "none": null,
    "ports": [80, 443.5, null],
    "matrix": [[1, 2], [3.5, {"k": 4}]],
    "labels": {"app": "web", "tier": null, "__proto__": "p"},
    "ctor": {"app": "web", "constructor": "c"},
    "odd": {"__proto__": {"x": 1}, "toString": 2}
  }
}`);

describe("manifests read as they are", () => {
  const act = activationOf(manifest);

  it("reads whole numbers as ints and others as doubles, at any depth", () => {
    expect(value("object.spec.replicas", act)).toBe(3n);
    expect(value("object.spec.ratio", act)).toBe(0.5);
    expect(value("object.spec.negZero", act)).toBe(0n);
    expect(value("object.spec.big", act)).toBe(BigInt(1e300));
    expect(value("object.spec.ports[0]", act)).toBe(80n);
    expect(value("object.spec.ports[1]", act)).toBe(443.5);
    expect(value("object.spec.ports[2]", act)).toBe(null);
    expect(value("object.spec.matrix[1][1].k", act)).toBe(4n);
    expect(value("object.spec.replicas + 1", act)).toBe(4n);
    expect(value("object.spec.replicas == 3", act)).toBe(true);
    expect(value("object.spec.ratio == 0.5", act)).toBe(true);
    expect(value("object.spec.ports.map(p, p)", act)).toEqual([80n, 443.5, null]);
    expect(value("object.spec.matrix.map(r, r[0])", act)).toEqual([1n, 3.5]);
    expect(value("type(object.spec.replicas) == int && type(object.spec.ratio) == double", act)).toBe(true);
  });

  it("treats a key without a value as absent", () => {
    expect(value("has(object.spec.none)", act)).toBe(false);
    expect(value("object.spec.?none.hasValue()", act)).toBe(false);
    expect(value("object.spec.?none.orValue(7)", act)).toBe(7n);
    expect(value("object.spec.labels.exists(k, k == 'tier')", act)).toBe(false);
    expect(value("size(object.spec.labels)", act)).toBe(2n);
    expect(same("object.spec.none", act).kind).toBe("error");
  });

  it("keeps `__proto__`, `constructor` and inherited names as plain keys (or their absence)", () => {
    expect(value("object.spec.odd.__proto__.x", act)).toBe(1n);
    expect(value("object.spec.odd['__proto__']", act)).toEqual(Object.assign(Object.create(null), { x: 1n }));
    expect(value("object.spec.odd.toString", act)).toBe(2n);
    expect(value("has(object.spec.hasOwnProperty)", act)).toBe(false);
    expect(value("object.spec.?valueOf.hasValue()", act)).toBe(false);
    expect(value("has(object.spec.labels.__proto__)", act)).toBe(true);
    expect(value("object.spec.labels.__proto__", act)).toBe("p");
    // a map with a key `constructor` is a map like any other, in both engines (cel-js reads a
    // value's type from its `constructor`: the adapter hands it a Map)
    expect(value("object.spec.ctor", act)).toEqual(
      new Map([
        ["app", "web"],
        ["constructor", "c"],
      ]),
    );
    const expected: [string, unknown][] = [
      ["object.spec.ctor['app']", "web"],
      ["object.spec.ctor.app", "web"],
      ["object.spec.ctor.constructor", "c"],
      ["object.spec.ctor['constructor']", "c"],
      ["object.spec.?ctor.?app.orValue('')", "web"],
      ["'app' in object.spec.ctor", true],
      ["'tier' in object.spec.ctor", false],
      ["has(object.spec.ctor.app)", true],
      ["has(object.spec.ctor.constructor)", true],
      ["object.spec.ctor.exists(k, k == 'constructor')", true],
      ["object.spec.ctor.all(k, object.spec.ctor[k] != '')", true],
      ["size(object.spec.ctor)", 2n],
      ["object.spec.ctor == {}", false],
      // (not against a literal with that key: cel-js's map literals drop a `constructor` key)
      ["object.spec.ctor == {'app': 'web'}", false],
      ["[object.spec.ctor].exists(m, m.app == 'web')", true],
    ];
    for (const [source, result] of expected) expect([source, value(source, act)]).toEqual([source, result]);
  });

  it("hands functions, operators, lists, maps and results CEL values", () => {
    const spec = value("object.spec.matrix", act) as unknown[];
    expect(spec).toEqual([
      [1n, 2n],
      [3.5, Object.assign(Object.create(null), { k: 4n })],
    ]);
    expect(Object.getPrototypeOf(spec[1]?.[1 as never])).toBe(null);
    expect(value("object.spec.matrix == [[1, 2], [3.5, dyn({'k': 4})]]", act)).toBe(true);
    expect(value("[object.spec.ports, {'r': object.spec.replicas}]", act)).toEqual([
      [80n, 443.5, null],
      Object.assign(Object.create(null), { r: 3n }),
    ]);
    expect(value("{'m': object.spec.matrix}.m[1][1].k", act)).toBe(4n);
    expect(value("object.spec.ports.filter(p, p != null && p > 100)", act)).toEqual([443.5]);
    expect(value("object.spec.matrix.exists(r, r == [1, 2])", act)).toBe(true);
    expect(value("object.spec.ports.all(i, v, v == null || v >= 80)", act)).toBe(true);
    expect(value("object.spec.matrix.transformList(i, v, v[0])", act)).toEqual([1n, 3.5]);
    expect(value("cel.bind(s, object.spec, s.matrix[0])", act)).toEqual([1n, 2n]);
    expect(value("true ? object.spec.matrix[0] : [9]", act)).toEqual([1n, 2n]);
    expect(value("object.?spec.?matrix.orValue([])[0]", act)).toEqual([1n, 2n]);
    expect(value("object.?spec.?nothing.orValue([1.5])", act)).toEqual([1.5]);
    expect(value("podSpec == null && object.spec != null && null != object.spec.matrix", act)).toBe(true);
    expect(value("string(object.spec.replicas) + '/' + string(object.spec.ratio)", act)).toBe("3/0.5");
  });

  it("answers `in` over a list read as it is as over its CEL value", () => {
    const lists = activationOf({
      drop: ["NET_RAW", "ALL"],
      empty: [],
      mixed: ["ALL", 1, 2.5],
      holes: ["ALL", null],
      nested: [["ALL"], { ALL: 1 }],
      numbers: [1, 2.5],
    });
    expect(value("'ALL' in object.drop", lists)).toBe(true);
    expect(value("'all' in object.drop", lists)).toBe(false);
    expect(value("'ALL' in object.?drop.orValue([])", lists)).toBe(true);
    expect(value("'ALL' in object.?missing.orValue([])", lists)).toBe(false);
    expect(value("object.drop.exists(d, d in object.drop)", lists)).toBe(true);
    for (const list of ["drop", "empty", "mixed", "holes", "nested", "numbers"])
      for (const needle of ["'ALL'", "'x'", "1", "2.5", "null", "['ALL']", "dyn({'ALL': 1})"])
        same(`dyn(${needle}) in object.${list}`, lists);
  });

  it("converts a list that escapes element by element, each element once per scope", () => {
    const shared = { name: "a", ports: [{ containerPort: 80 }] };
    const spec = { containers: [shared, { name: "b" }], initContainers: [shared] };
    const act = activationOf({ spec }, { podSpec: spec, containers: [shared] });
    const [joined, kept] = withListIndexes(
      () =>
        [
          value("podSpec.containers + podSpec.initContainers", act),
          value("containers.filter(c, c.name == 'a')", act),
        ] as unknown[][],
    );
    expect(joined).toEqual([
      { name: "a", ports: [{ containerPort: 80n }] },
      { name: "b" },
      { name: "a", ports: [{ containerPort: 80n }] },
    ]);
    expect(joined?.[2]).toBe(joined?.[0]);
    expect(kept?.[0]).toBe(joined?.[0]);
  });

  it("builds and indexes maps, converts to dyn and to string, as the interpreter does", () => {
    const h = "{'a': dyn(1), 'b': dyn(null), 'c': dyn([2]), 'constructor': dyn(3), '__proto__': dyn(4)}";
    for (const key of ["'a'", "'b'", "'c'", "'d'", "'constructor'", "'__proto__'", "'toString'", "1", "true"])
      same(`${h}[${key}]`, act);
    for (const source of [
      "cel.bind(h, {'x': object.spec.labels, 'y': dyn({})}, h.map(k, h[k]))",
      "cel.bind(h, {'x': object.spec.labels}, h['x']['app'])",
      "dyn({1: 'one'})[1]",
      "dyn([1, 2])[1]",
      "dyn([1, 2])[2]",
      "dyn(timestamp(0))['x']",
      "dyn(object.spec.labels)['tier']",
      "dyn(object.spec.labels)",
      "dyn(object.spec).ports.filter(p, dyn(p) != null)",
      "object.spec.labels.filter(k, dyn(object.spec.labels)[k] != 'web')",
      "dyn(object.spec.odd).exists(k, dyn(object.spec.odd)[k] == 2)",
      "dyn(object.spec.ctor)",
      "dyn(timestamp(0))",
      "dyn(duration('1s'))",
      "dyn({'a': [dyn(object.spec.matrix)]})",
      "{'a': 1, 'b': 2, 'a': 3}",
      "{'a': object.spec.labels, 'b': object.spec.ports, '1': object.spec.replicas}",
      "{'__proto__': 1, 'constructor': 2, 'prototype': 3, 'toString': 4}",
      "{'a': 1, '__proto__': 2}.a",
      "{'a': dyn(1), 'b': dyn('x')}.b",
      "{1: 'one', 2: 'two'}[2]",
      "string(object.spec.replicas)",
      "string(object.spec.ratio)",
      "string(object.spec.labels.app)",
      "string(object.spec.labels)",
      "string(object.spec.none)",
      "string(-9223372036854775808)",
      "string(1u)",
      "string(b'abc')",
      "string(true)",
      "object.spec.ports.map(p, string(p))",
    ])
      same(source, act);
  });

  it("runs an expression the compiler does not handle on the converted manifest", () => {
    const env = celEnvironment();
    const parsed = env.parse("object.spec.?replicas.optMap(r, r + 1).value()") as unknown as ParsedExpression;
    expect(parsed.check().valid).toBe(true);
    const prepared = prepareRun(env, parsed, "compile", MANIFEST_VARIABLES);
    expect(prepared.engine).toBe("interpreted");
    expect(prepared.run(act)).toBe(4n);
  });

  it("reads huge manifests alike", () => {
    const items = Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? i : i % 3 === 1 ? i + 0.5 : { i }));
    const keys = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i % 2 ? i : null]));
    const huge = activationOf({ items, keys });
    expect(value("size(object.items)", huge)).toBe(20_000n);
    expect(value("size(object.keys)", huge)).toBe(2_500n);
    expect(value("object.items.exists(x, x == 19999)", huge)).toBe(false);
    expect(value("object.items.exists(x, x == 19998)", huge)).toBe(true);
    expect(value("object.items.filter(x, type(x) == int).size()", huge)).toBe(6_667n);
    expect(value("object.keys.all(k, object.keys[k] % 2 == 1)", huge)).toBe(true);
    same("object.items.map(x, [x, x, x, x, x, x, x, x, x, x]).map(l, l.map(y, l))", huge);
  });

  it("refuses manifests deeper than the limit in both engines, reads the rest", () => {
    const nest = (levels: number): unknown => {
      let node: unknown = { leaf: 1 };
      for (let i = 0; i < levels; i++) node = { a: node };
      return node;
    };
    const path = `object${".a".repeat(90)}.leaf`;
    expect(value(path, activationOf(nest(90)))).toBe(1n);
    expect(value("object.a.a.a != null", activationOf(nest(MAX_VALUE_DEPTH - 1)))).toBe(true);
    const deep = activationOf(nest(MAX_VALUE_DEPTH + 5));
    const { interpreted, compiled } = both("object.a.a.a == null", deep);
    expect(compiled.kind).toBe("error");
    expect(outcomeDifference(interpreted, compiled)).toBeUndefined();
    expect(compiled.kind === "error" && compiled.error).toContain("nested deeper");
    // a list of manifests counts each from its own top, as the resources they are
    const bundle = activationOf({}, { bundle: [nest(MAX_VALUE_DEPTH - 1)] });
    expect(value("size(bundle)", bundle)).toBe(1n);
  });
});
