/**
 * A seeded random-expression suite, compiled and interpreted: a few thousand well-typed
 * expressions over values that include errors, nulls, ints at the int64 boundaries, NaN, -0
 * and unicode strings must give identical values, errors and budget outcomes, and the compiled
 * run never counts fewer steps. The same again over manifests as they are (parsed JSON, not
 * CEL values), as an evaluation hands them over: compiled code reads them without a copy, the
 * interpreter is given their conversion.
 */
import { describe, expect, it } from "vitest";
import { deepFreeze } from "../../util/freeze.js";
import { DEFAULT_BUDGET } from "../budget.js";
import { celEnvironment, MANIFEST_VARIABLES, type ParsedExpression } from "../environment.js";
import { compileCel } from "./compile-cel.js";
import { outcomeDifference, runCounted } from "./differential.js";
import { prepareRun } from "./engine.js";
import { random } from "./raw-fuzz.js";

function plain(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(Object.create(null), entries);
}

const object = plain({
  max: 9223372036854775807n,
  min: -9223372036854775808n,
  zero: 0n,
  one: 1n,
  neg: -1n,
  d: 1.5,
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  nz: -0,
  s: "héllo wörld",
  emoji: "😀a😀",
  empty: "",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template placeholder is the hostile text
  quote: "a'\"`${x}\u2028\n",
  t: true,
  f: false,
  n: null,
  l: [1n, 2n, 3n],
  ls: ["a", "b", "ä"],
  mixed: [1n, "x", null, 2.5, true, [], plain({})],
  m: plain({ a: 1n, b: "x", c: null, d: [1n] }),
  nested: plain({ x: plain({ y: plain({ z: 1n }) }) }),
});
const activation = {
  object,
  params: plain({ limit: 3n, names: ["a", "b"] }),
  variables: plain({}),
  containers: [plain({ name: "a", image: "nginx:1" }), plain({ name: "b", image: "x" })],
  images: [],
  bundle: [],
  context: plain({}),
  now: new Date(0),
};

const FIELDS = Object.keys(object);
const LITERALS = [
  "0",
  "1",
  "-1",
  "9223372036854775807",
  "-9223372036854775808",
  "1u",
  "18446744073709551615u",
  "0u",
  "1.0",
  "-0.0",
  "1e308",
  "2.5",
  "'a'",
  "''",
  "'é😀'",
  "'\\u2028'",
  "true",
  "false",
  "null",
  "[]",
  "{}",
  "b'ab'",
];
const BINARY = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "in"];

/**
 * A manifest as JSON.parse gives it: integers and floats as numbers, nulls, nested lists,
 * `__proto__` and `constructor` as keys of their own, and a few values JSON never gives (a
 * function, undefined, a Date, a Map, a hole in a list).
 */
function rawManifest(): Record<string, unknown> {
  const raw = JSON.parse(`{
    "max": 9007199254740991, "big": 1e300, "zero": 0, "one": 1, "neg": -1, "d": 1.5, "nz": -0,
    "s": "héllo wörld", "empty": "", "t": true, "f": false, "n": null,
    "l": [1, 2, 3], "ld": [1.5, 2, null], "ls": ["a", "b", "ä"],
    "mixed": [1, "x", null, 2.5, true, [], {}, {"k": 1}],
    "m": {"a": 1, "b": "x", "c": null, "d": [1], "__proto__": {"x": 2}, "toString": "t"},
    "ctor": {"constructor": "c", "a": 1},
    "nested": {"x": {"y": {"z": 1, "w": null}}},
    "__proto__": {"p": 1}
  }`);
  raw.fn = () => 1;
  raw.u = undefined;
  raw.when = new Date(0);
  raw.mapInstance = new Map([["a", 1]]);
  // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
  raw.holes = [1, , 3];
  return raw;
}

const rawActivation = deepFreeze({
  object: rawManifest(),
  oldObject: null,
  namespaceObject: JSON.parse(`{"metadata": {"name": "ns", "labels": {"a": "1"}}, "n": 2}`),
  podSpec: JSON.parse(`{"containers": [{"name": "a", "ports": [{"containerPort": 80}]}], "hostPID": false}`),
  params: plain({ limit: 3n, names: ["a", "b"] }),
  variables: plain({}),
  containers: JSON.parse(
    `[{"name": "a", "image": "nginx:1", "ports": [{"containerPort": 80, "p": 1.5}]}, {"name": "b", "image": "x", "n": null}]`,
  ),
  images: [],
  bundle: JSON.parse(`[{"kind": "A", "n": 1}, {"kind": "B", "spec": {"l": [1, 2.5]}}]`),
  context: plain({}),
  now: new Date(0),
});
const RAW_FIELDS = [
  ...Object.keys(rawActivation.object),
  "toString",
  "constructor",
  "hasOwnProperty",
  "valueOf",
  "p",
];

function generator(next: () => number, fields: readonly string[] = FIELDS) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const vars: string[] = [];
  const atom = (): string => {
    const r = next();
    if (vars.length > 0 && r < 0.25) return pick(vars);
    if (r < 0.5) return `object.${pick(fields)}`;
    if (r < 0.55) return pick(["object", "podSpec", "namespaceObject", "bundle", "containers", "oldObject"]);
    if (r < 0.6) return `containers[${pick(["0", "1", "2"])}].${pick(["name", "image", "x"])}`;
    return pick(LITERALS);
  };
  const withVar = (name: string, body: () => string): string => {
    vars.push(name);
    try {
      return body();
    } finally {
      vars.pop();
    }
  };
  const expr = (depth: number): string => {
    if (depth <= 0 || next() < 0.2) return atom();
    const d = depth - 1;
    switch (Math.floor(next() * 16)) {
      case 0:
      case 1:
      case 2:
        return `(${expr(d)} ${pick(BINARY)} ${expr(d)})`;
      case 3:
        return `${pick(["!", "-"])}${expr(d)}`;
      case 4:
        return `(${expr(d)} ? ${expr(d)} : ${expr(d)})`;
      case 5:
        return `${pick(["size", "string", "int", "double", "type", "uint", "bool"])}(${expr(d)})`;
      case 6:
        return `${expr(d)}.${pick(["startsWith", "endsWith", "contains", "matches"])}(${expr(d)})`;
      case 7:
        return `${expr(d)}.${pick(["size()", "lowerAscii()", "split(',')", "trim()", "hasValue()"])}`;
      case 8:
        return `[${expr(d)}, ${expr(d)}]`;
      case 9:
        return `{${expr(d)}: ${expr(d)}}`;
      case 10: {
        const macro = pick(["all", "exists", "exists_one", "map", "filter"]);
        const source = pick([
          "object.l",
          "object.ls",
          "object.mixed",
          "object.m",
          "containers",
          "bundle",
          "object.ld",
          "object.holes",
          "object.nested",
          expr(d),
        ]);
        const name = pick(["x", "y"]);
        return `${source}.${macro}(${name}, ${withVar(name, () => expr(d))})`;
      }
      case 11: {
        const macro = pick(["all", "exists", "existsOne", "transformList", "transformMap"]);
        const source = pick(["object.l", "object.m", "object.mixed", expr(d)]);
        return `${source}.${macro}(k, v, ${withVar("k", () => withVar("v", () => expr(d)))})`;
      }
      case 12:
        return `cel.bind(b, ${expr(d)}, ${withVar("b", () => expr(d))})`;
      case 13:
        return pick([
          `object.?${pick(fields)}.orValue(${expr(d)})`,
          `object.m.?${pick(["a", "b", "c", "zz", "__proto__", "toString"])}.hasValue()`,
          `optional.of(${expr(d)}).or(optional.none()).value()`,
          `has(object.${pick(fields)})`,
          `has(object.nested.x.${pick(["y", "w"])})`,
          `has(object.nested.x.y.${pick(["z", "w", "v"])})`,
          `object.?nested.?x.?y.?${pick(["z", "w", "v"])}`,
          `podSpec.?containers.orValue(${expr(d)})`,
          `object.?${pick(fields)}.orValue([])`,
          `object.${pick(["m", "nested", "l", "mixed", "ctor", "when"])}[?${pick(["'a'", "0", "'zz'", "'__proto__'", "'c'", expr(d)])}]`,
          `podSpec[?${pick(["'containers'", "'hostPID'", "'zz'", "'toString'"])}].orValue(${expr(d)})`,
          `(${expr(d)} ? object.${pick(fields)} : [])`,
          `(${expr(d)} == null)`,
        ]);
      case 14:
        return `${expr(d)}[${expr(d)}]`;
      default:
        return `object.${pick(["m", "nested", "l", "mixed", "holes"])}[${pick(["'a'", "'x'", "0", "2", "5", "-1", "'__proto__'", expr(d)])}]`;
    }
  };
  return expr;
}

describe("random expressions", () => {
  it("compile to functions equal to the interpreter (seeded)", () => {
    const env = celEnvironment();
    const next = random(20261206);
    const expr = generator(next);
    const kinds = { value: 0, error: 0, budget: 0 };
    const fallbacks: string[] = [];
    let checked = 0;
    for (let tries = 0; checked < 3000 && tries < 60000; tries++) {
      const source = expr(4);
      let parsed: ParsedExpression;
      try {
        parsed = env.parse(source) as unknown as ParsedExpression;
      } catch {
        continue;
      }
      if (!parsed.check().valid) continue;
      checked++;
      const compiled = compileCel(env, parsed.ast);
      if (!compiled.ok) {
        fallbacks.push(`${source}: ${compiled.reason}`);
        continue;
      }
      const interpreted = runCounted(parsed, activation, DEFAULT_BUDGET);
      const own = runCounted(compiled.run, activation, DEFAULT_BUDGET);
      expect(outcomeDifference(interpreted, own), source).toBeUndefined();
      expect(own.steps, `${source}: compiled steps`).toBeGreaterThanOrEqual(interpreted.steps);
      kinds[own.kind]++;
    }
    expect(checked).toBe(3000);
    expect(fallbacks).toEqual([]);
    // the suite exercises both values and errors
    expect(kinds.value).toBeGreaterThan(500);
    expect(kinds.error).toBeGreaterThan(500);
  });
});

describe("random expressions over manifests as they are", () => {
  it("compile to functions equal to the interpreter given their conversion (seeded)", () => {
    const env = celEnvironment();
    const next = random(20261207);
    const expr = generator(next, RAW_FIELDS);
    const kinds = { value: 0, error: 0, budget: 0 };
    const fallbacks: string[] = [];
    let checked = 0;
    for (let tries = 0; checked < 3000 && tries < 60000; tries++) {
      const source = expr(4);
      let parsed: ParsedExpression;
      try {
        parsed = env.parse(source) as unknown as ParsedExpression;
      } catch {
        continue;
      }
      if (!parsed.check().valid) continue;
      checked++;
      const compiled = prepareRun(env, parsed, "compile", MANIFEST_VARIABLES);
      if (compiled.engine !== "compiled") {
        fallbacks.push(`${source}: ${compiled.interpretedBecause}`);
        continue;
      }
      const interpreted = prepareRun(env, parsed, "interpret", MANIFEST_VARIABLES).run;
      const a = runCounted(interpreted, rawActivation, DEFAULT_BUDGET);
      const b = runCounted(compiled.run, rawActivation, DEFAULT_BUDGET);
      expect(outcomeDifference(a, b), source).toBeUndefined();
      expect(b.steps, `${source}: compiled steps`).toBeGreaterThanOrEqual(a.steps);
      kinds[b.kind]++;
    }
    expect(checked).toBe(3000);
    expect(fallbacks).toEqual([]);
    expect(kinds.value).toBeGreaterThan(500);
    expect(kinds.error).toBeGreaterThan(500);
  });
});
