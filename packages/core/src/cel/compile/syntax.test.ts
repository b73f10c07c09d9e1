/**
 * celgate's own syntax (../lib/syntax: optional list elements and map entries, `.5`, bytes literals)
 * compiled and interpreted: the compiler handles every such expression, and both engines give
 * the same values, errors and budget outcomes, the compiled run never counting fewer steps.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BUDGET } from "../budget.js";
import { celEnvironment, type ParsedExpression } from "../environment.js";
import { compileCel } from "./compile-cel.js";
import { outcomeDifference, runCounted } from "./differential.js";

const activation = {
  object: {
    metadata: { name: "web", labels: { app: "web" } },
    spec: { replicas: 3n, template: { spec: { containers: [{ name: "a" }, { name: "b", image: "x" }] } } },
  },
  params: { min: 2n, names: ["a"] },
  variables: {},
  containers: [{ name: "a" }, { name: "b", image: "x" }],
  images: [],
  bundle: [],
  context: {},
  now: new Date(0),
};

const EXPRESSIONS = [
  // optional list elements
  "[1, ?optional.of(2), ?optional.none(), 3]",
  "[?object.spec.?replicas, ?object.spec.?paused]",
  "[?object.metadata.labels.?app, ?object.metadata.labels.?team, 'x']",
  "[?optional.none()]",
  "[?optional.of(null)]",
  "containers.map(c, [?c.?image]).filter(l, size(l) > 0)",
  "containers.all(c, size([?c.?image, ?optional.of(c.name)]) >= 1)",
  "[?dyn(1)]",
  "[?object.spec.replicas]",
  "[?object.spec.?replicas, 1 / 0]",
  "[1 / 0, ?object.spec.replicas]",
  "[?object.missing.?x]",
  "[[?optional.of(1)], [?optional.none()]]",
  // optional map entries
  "{'a': 1, ?'b': optional.of(2), ?'c': optional.none()}",
  "{'a': 1, ?'a': optional.none()}",
  "{'a': 1, ?'a': optional.of(5)}",
  "{?'a': optional.none(), 'a': 3}",
  "{?'replicas': object.spec.?replicas, ?'paused': object.spec.?paused}",
  "has({?'foo': optional.none()}.foo)",
  "{?'foo': object.?metadata}.foo.name",
  "{?'a': dyn(1)}",
  "{?object.metadata.name: object.spec.?replicas}",
  "{?'__proto__': optional.of(1), 'b': 2}",
  "{?'k': optional.of(1 / 0)}",
  "{?'k': optional.ofNonZeroValue({?'map': {}.?c})}",
  // doubles without a leading digit and raw bytes
  ".99 > 9.9e-1",
  "[.5, .25e1, -.75]",
  "br'\\d+\\n' == b'\\\\d+\\\\n'",
  "size(bR'''a\"b''')",
  // bytes literals: characters as UTF-8, escapes as the byte they name
  "b'ÿ' == b'\\303\\277'",
  "size(b'ÿ\\xff')",
  "[b'é', b'\\xe9', b'''€\n'''].map(b, size(b))",
  "string(b'ÿ') == 'ÿ'",
];

describe("optional literals, .5 and raw bytes, compiled and interpreted", () => {
  for (const expression of EXPRESSIONS) {
    it(expression, () => {
      const env = celEnvironment();
      const parsed = env.parse(expression) as unknown as ParsedExpression;
      const checked = parsed.check();
      expect(checked.valid, String(!checked.valid && checked.error?.message)).toBe(true);
      const result = compileCel(env, parsed.ast);
      expect(result.ok, result.ok ? "" : result.reason).toBe(true);
      if (!result.ok) return;
      const interpreted = runCounted(parsed, activation, DEFAULT_BUDGET);
      const compiled = runCounted(result.run, activation, DEFAULT_BUDGET);
      expect(outcomeDifference(interpreted, compiled), result.source).toBeUndefined();
      expect(compiled.steps).toBeGreaterThanOrEqual(interpreted.steps);
    });
  }

  it("report the same errors as the interpreter for a non-optional dyn operand", () => {
    const env = celEnvironment();
    for (const expression of ["[?dyn(1)]", "{?'a': dyn('s')}"]) {
      const parsed = env.parse(expression) as unknown as ParsedExpression;
      expect(parsed.check().valid).toBe(true);
      const result = compileCel(env, parsed.ast);
      if (!result.ok) throw new Error(result.reason);
      const compiled = runCounted(result.run, activation, DEFAULT_BUDGET);
      expect(compiled.kind).toBe("error");
      if (compiled.kind === "error") expect(compiled.error).toMatch(/cannot initialize optional/);
    }
  });

  it("give a bytes literal cel-go's bytes in the compiled engine", () => {
    const env = celEnvironment();
    const parsed = env.parse("[b'ÿ', b'\\303\\277', b'\\xff']") as unknown as ParsedExpression;
    expect(parsed.check().valid).toBe(true);
    const result = compileCel(env, parsed.ast);
    if (!result.ok) throw new Error(result.reason);
    const compiled = runCounted(result.run, activation, DEFAULT_BUDGET);
    expect(compiled.kind).toBe("value");
    if (compiled.kind === "value") {
      expect((compiled.value as Uint8Array[]).map((b) => [...b])).toEqual([
        [0xc3, 0xbf],
        [0xc3, 0xbf],
        [0xff],
      ]);
    }
  });
});
