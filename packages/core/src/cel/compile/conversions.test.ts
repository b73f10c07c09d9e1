/**
 * Manifest parts that compiled code converts where they escape (a container kept by
 * `containers.filter(...)`) are converted once per evaluation scope (list-index.ts,
 * scopedConversion): the same CEL value for every expression of the scope, equal to the one a
 * conversion outside a scope gives.
 */
import { describe, expect, it } from "vitest";
import { celEnvironment, MANIFEST_VARIABLES, type ParsedExpression } from "../environment.js";
import { compileCel } from "./compile-cel.js";
import { listIndexStats, MAX_CONVERSIONS, scopedConversion, withListIndexes } from "./list-index.js";

const env = celEnvironment();

function compiled(source: string): (activation: Record<string, unknown>) => unknown {
  const parsed = env.parse(source) as unknown as ParsedExpression;
  const checked = parsed.check();
  if (!checked.valid) throw checked.error;
  const result = compileCel(env, parsed.ast, { manifests: MANIFEST_VARIABLES });
  if (!result.ok) throw new Error(result.reason);
  return result.run;
}

const containers = [
  { name: "a", ports: [{ containerPort: 80, protocol: "TCP" }], args: null },
  { name: "b", resources: { limits: { cpu: 0.5 } } },
];
const expected = [
  { name: "a", ports: [{ containerPort: 80n, protocol: "TCP" }] },
  { name: "b", resources: { limits: { cpu: 0.5 } } },
];
const activation = () => ({ containers });
const all = compiled("containers.filter(c, c.name != 'z')");
const named = compiled("containers.filter(c, has(c.name))");

describe("conversions of manifest parts", () => {
  it("are made afresh outside an evaluation's scope", () => {
    const first = all(activation()) as unknown[];
    const second = all(activation()) as unknown[];
    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
    expect(second[0]).not.toBe(first[0]);
    expect(listIndexStats()).toBeUndefined();
  });

  it("are made once per scope and shared by the expressions in it", () => {
    const [first, second, third] = withListIndexes(() => {
      const runs = [all(activation()), all(activation()), named(activation())] as unknown[][];
      expect(listIndexStats()?.conversionsReused).toBe(4);
      return runs;
    });
    expect(first).toEqual(expected);
    for (const run of [second, third]) {
      expect(run).toEqual(expected);
      expect(run?.[0]).toBe(first?.[0]);
      expect(run?.[1]).toBe(first?.[1]);
    }
    // a new scope converts again
    const again = withListIndexes(() => all(activation()) as unknown[]);
    expect(again).toEqual(expected);
    expect(again[0]).not.toBe(first?.[0]);
  });

  it("are kept up to a bound, then made afresh", () => {
    let made = 0;
    const convert = (value: object) => {
      made++;
      return { ...value };
    };
    const parts = Array.from({ length: MAX_CONVERSIONS + 1 }, (_, i) => ({ i }));
    withListIndexes(() => {
      const first = scopedConversion(parts[0] as object, convert);
      expect(scopedConversion(parts[0] as object, convert)).toBe(first);
      for (const part of parts) scopedConversion(part, convert);
      expect(made).toBe(MAX_CONVERSIONS + 1);
      // the first was dropped when the bound was passed: converted again, to an equal value
      const again = scopedConversion(parts[0] as object, convert);
      expect(made).toBe(MAX_CONVERSIONS + 2);
      expect(again).toEqual(first);
      expect(again).not.toBe(first);
    });
  });
});
