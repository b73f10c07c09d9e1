import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { fixture } from "../../../../test/support/fixtures.js";
import { parsePolicyDocuments } from "../policy/parse.js";
import { parseManifests, resourcesFromObjects } from "../resources/parse.js";
import {
  checkJsonDepth,
  checkValue,
  DEFAULT_INPUT_LIMITS,
  type InputLimits,
  inputLimitsFromEnv,
} from "./limits.js";

const limits = (overrides: Partial<InputLimits> = {}): InputLimits => ({
  ...DEFAULT_INPUT_LIMITS,
  ...overrides,
});

/** `{"a":{"a":...{"a":1}}}`, `depth` objects deep. */
const deepObject = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

/** "Billion laughs" in 718 bytes: nine levels of nine aliases (test/fixtures/hostile). */
export const ALIAS_BOMB = readFileSync(fixture("hostile", "alias-bomb.yaml"), "utf8");

describe("checkValue", () => {
  it("accepts ordinary values and names nothing", () => {
    expect(checkValue({ a: [1, "x", null, true, { b: "c" }] }, limits())).toBeUndefined();
    expect(checkValue("text", limits())).toBeUndefined();
    expect(checkValue(deepObject(128), limits())).toBeUndefined();
  });

  it("refuses nesting past maxDepth with the path and the limit", () => {
    const v = checkValue({ spec: deepObject(10) }, limits({ maxDepth: 5 }));
    expect(v).toEqual({
      limit: "maxDepth",
      path: "spec.a.a.a.a",
      message: "nested too deeply, over the nesting depth limit of 5 (CELGATE_MAX_DEPTH)",
    });
  });

  it("walks a million levels without recursion, in milliseconds", () => {
    const value = JSON.parse(`${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`);
    const started = performance.now();
    expect(checkValue(value, limits())?.limit).toBe("maxDepth");
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("refuses long strings and keys, unless the caller allows that path", () => {
    const small = limits({ maxStringLength: 4 });
    expect(checkValue({ a: ["abcde"] }, small)).toMatchObject({ limit: "maxStringLength", path: "a[0]" });
    expect(checkValue({ abcde: 1 }, small)).toMatchObject({ limit: "maxStringLength", path: "abcde" });
    expect(
      checkValue({ text: "abcdef" }, small, { allowLongString: (p) => p.join(".") === "text" }),
    ).toBeUndefined();
  });

  it("refuses NUL in strings and keys, naming the path", () => {
    expect(checkValue({ context: { env: "a\u0000b" } }, limits())).toEqual({
      limit: "nul",
      path: "context.env",
      message: "contains a NUL character (U+0000), which cannot be stored; remove it",
    });
    expect(checkValue({ ["k\u0000"]: 1 }, limits())).toMatchObject({ limit: "nul" });
    expect(checkValue([{ x: "\u0000" }], limits(), { at: ["resources"] })).toMatchObject({
      path: "resources[0].x",
    });
  });

  it("measures an alias bomb without expanding it", () => {
    const value = yaml.load(ALIAS_BOMB, { schema: yaml.CORE_SCHEMA });
    const started = performance.now();
    const v = checkValue(value, limits());
    expect(performance.now() - started).toBeLessThan(50);
    expect(v).toMatchObject({ limit: "maxExpandedSize" });
    expect(v?.message).toContain("CELGATE_MAX_EXPANDED_SIZE");
  });

  it("counts each use of an anchor against maxAliases", () => {
    const shared = { image: "nginx" };
    const value = { containers: Array.from({ length: 5 }, () => shared) };
    // the first use is the anchor itself, the other four are aliases
    expect(checkValue(value, limits({ maxAliases: 3 }))).toMatchObject({
      limit: "maxAliases",
      path: "containers[4]",
    });
    expect(checkValue(value, limits({ maxAliases: 4 }))).toBeUndefined();
  });

  it("counts depth through aliases", () => {
    const deep = deepObject(4) as object;
    expect(checkValue({ x: deep, y: { z: deep } }, limits({ maxDepth: 6 }))).toBeUndefined();
    expect(checkValue({ x: deep, y: { z: { w: deep } } }, limits({ maxDepth: 6 }))).toMatchObject({
      limit: "maxDepth",
      path: "y.z.w",
    });
  });

  it("shares the expanded-size budget between the documents of an input", () => {
    const budget = { used: 0 };
    const small = limits({ maxExpandedSize: 20 });
    expect(checkValue({ a: "0123456789" }, small, { budget })).toBeUndefined();
    expect(budget.used).toBe(13);
    expect(checkValue({ a: "0123456789" }, small, { budget })).toMatchObject({ limit: "maxExpandedSize" });
  });
});

describe("checkValue of a tree", () => {
  /** A seeded generator of numbers in [0, 1) (mulberry32), so that a failure can be replayed. */
  function random(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const TEXTS = ["", "a", "abcdef", "x".repeat(12), "nul\u0000", "lone\ud800", "pair\ud83d\ude00", "key"];
  function tree(next: () => number, depth: number): unknown {
    const roll = next();
    if (depth > 7 || roll < 0.35) {
      const scalar = next();
      if (scalar < 0.5) return TEXTS[Math.floor(next() * TEXTS.length)];
      return scalar < 0.7 ? 42 : scalar < 0.85 ? null : true;
    }
    const n = Math.floor(next() * 4);
    if (roll < 0.6) return Array.from({ length: n }, () => tree(next, depth + 1));
    const object: Record<string, unknown> = {};
    for (let i = 0; i < n; i++)
      object[`${TEXTS[Math.floor(next() * TEXTS.length)]}${i}`] = tree(next, depth + 1);
    return object;
  }

  it("finds what the walk that looks for aliases finds, and counts the same budget (seeded)", () => {
    const next = random(12);
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const value = tree(next, 1);
      const small = limits({
        maxDepth: 2 + Math.floor(next() * 6),
        maxStringLength: 4 + Math.floor(next() * 10),
        maxExpandedSize: 10 + Math.floor(next() * 80),
      });
      const textChecked = next() < 0.3;
      const allowLongString =
        next() < 0.3 ? (path: readonly (string | number)[]) => path.length % 2 === 0 : undefined;
      const used = Math.floor(next() * 20);
      const asTree = { used };
      const asAny = { used };
      const found = checkValue(value, small, { tree: true, textChecked, allowLongString, budget: asTree });
      const expected = checkValue(value, small, { textChecked, allowLongString, budget: asAny });
      expect(found, JSON.stringify({ i, value, small, textChecked })).toEqual(expected);
      if (expected === undefined) expect(asTree.used).toBe(asAny.used);
      if (expected) refused++;
    }
    // both kinds of case were met, each often
    expect(refused).toBeGreaterThan(500);
    expect(refused).toBeLessThan(2500);
  });

  it("walks a deep tree within the limits without recursion past them", () => {
    expect(checkValue(deepObject(512), limits({ maxDepth: 512 }), { tree: true })).toBeUndefined();
    const deep = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    expect(checkValue(deep, limits({ maxDepth: 512 }), { tree: true })?.limit).toBe("maxDepth");
    expect(checkValue(deep, limits({ maxDepth: 200_000 }), { tree: true })).toBeUndefined();
  });
});

describe("checkJsonDepth", () => {
  it("finds the first bracket past the limit and the keys leading to it", () => {
    const text = '{"context": {"x": [1, {"y": [[[1]]]}]}}';
    expect(checkJsonDepth(text, limits({ maxDepth: 5 }))).toEqual({
      limit: "maxDepth",
      path: "context.x[1].y[0]",
      message: "nested too deeply, over the nesting depth limit of 5 (CELGATE_MAX_DEPTH)",
      offset: text.indexOf("[[1]]"),
    });
    expect(checkJsonDepth(text, limits({ maxDepth: 7 }))).toBeUndefined();
  });

  it("ignores brackets inside strings and keys with escapes", () => {
    expect(checkJsonDepth('{"a\\"[": "[[[[[[", "b": []}', limits({ maxDepth: 2 }))).toBeUndefined();
    expect(checkJsonDepth('{"a\\"[": [[]]}', limits({ maxDepth: 2 }))).toMatchObject({ path: 'a"[[0]' });
  });

  it("scans a megabyte-deep text in milliseconds", () => {
    const text = `{"a":${"[".repeat(1_500_000)}`;
    const started = performance.now();
    expect(checkJsonDepth(text, limits())?.offset).toBe(5 + 127);
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe("limits in the parsers", () => {
  it("parseManifests refuses the alias bomb at once, naming file, line and limit", () => {
    const started = performance.now();
    const { resources, diagnostics } = parseManifests(`---\n${ALIAS_BOMB}`, "bomb.yaml");
    expect(performance.now() - started).toBeLessThan(100);
    expect(resources).toEqual([]);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        code: "input-limit",
        file: "bomb.yaml",
        // the document's first line, after its `---`
        line: 2,
        path: expect.stringMatching(/^data\./),
      }),
    ]);
    expect(diagnostics[0]?.message).toMatch(/expanded size limit of \d+ \(CELGATE_MAX_EXPANDED_SIZE\)/);
  });

  it("parseManifests refuses deep YAML and JSON documents with the path", () => {
    const yamlText = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: ${"[".repeat(200)}${"]".repeat(200)}\n`;
    expect(parseManifests(yamlText, "deep.yaml").diagnostics).toEqual([
      expect.objectContaining({ code: "input-limit", file: "deep.yaml" }),
    ]);
    const jsonText = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", data: deepObject(200) });
    const json = parseManifests(jsonText, "deep.json").diagnostics;
    expect(json).toEqual([expect.objectContaining({ code: "input-limit", file: "deep.json", line: 1 })]);
    expect(json[0]?.path).toMatch(/^data\.a\.a/);
    // far past js-yaml's own limit: still a limit diagnostic, not a crash
    const deeper = `a: ${"[".repeat(100_000)}`;
    expect(parseManifests(deeper, "deeper.yaml").diagnostics[0]).toMatchObject({ code: "input-limit" });
  });

  it("parseManifests refuses NUL written as an escape, and too many documents", () => {
    const nul = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "a\\0b"}\n', "nul.yaml");
    expect(nul).toEqual({
      resources: [],
      diagnostics: [expect.objectContaining({ code: "input-nul", path: "metadata.name", line: 1 })],
    });
    const many = Array.from(
      { length: 4 },
      (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}}`,
    );
    expect(parseManifests(many.join("\n---\n"), "m.yaml", { limits: limits({ maxDocuments: 3 }) })).toEqual({
      resources: [],
      diagnostics: [
        expect.objectContaining({
          code: "input-limit",
          message: "more than 3 documents, over the documents per input limit of 3 (CELGATE_MAX_DOCUMENTS)",
        }),
      ],
    });
    const list = JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: many.map(() => ({ apiVersion: "v1", kind: "Pod" })),
    });
    expect(parseManifests(list, "l.json", { limits: limits({ maxDocuments: 3 }) }).resources).toEqual([]);
  });

  it("resourcesFromObjects applies the same limits", () => {
    expect(
      resourcesFromObjects([{ apiVersion: "v1", kind: "Pod", x: deepObject(200) }], "resources").diagnostics,
    ).toEqual([expect.objectContaining({ code: "input-limit", file: "resources" })]);
  });

  it("policy documents keep their alias limit and get the others", () => {
    const bomb = `apiVersion: celgate.dev/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  x:\n${ALIAS_BOMB.split(
      "\n",
    )
      .slice(4)
      .map((l) => `  ${l}`)
      .join("\n")}`;
    const started = performance.now();
    const parsed = parsePolicyDocuments(bomb, "p.yaml");
    expect(performance.now() - started).toBeLessThan(200);
    expect(parsed.policies).toEqual([]);
    expect(parsed.diagnostics[0]).toMatchObject({ file: "p.yaml" });
    const nul = parsePolicyDocuments(
      'apiVersion: celgate.dev/v1\nkind: Policy\nmetadata: {name: "p\\0"}\n',
      "n.yaml",
    );
    expect(nul.diagnostics[0]).toMatchObject({ code: "input-nul", path: "metadata.name" });
  });
});

describe("inputLimitsFromEnv", () => {
  it("reads each variable, keeps defaults for unset ones and names every bad one", () => {
    expect(inputLimitsFromEnv({})).toEqual({ ok: true, limits: DEFAULT_INPUT_LIMITS });
    expect(inputLimitsFromEnv({ CELGATE_MAX_DEPTH: "64", CELGATE_MAX_DOCUMENTS: "" })).toEqual({
      ok: true,
      limits: { ...DEFAULT_INPUT_LIMITS, maxDepth: 64 },
    });
    expect(inputLimitsFromEnv({ CELGATE_MAX_DEPTH: "2000", CELGATE_MAX_YAML_ALIASES: "-1" })).toEqual({
      ok: false,
      errors: [
        'CELGATE_MAX_DEPTH: a whole number from 2 to 512, not "2000"',
        'CELGATE_MAX_YAML_ALIASES: a whole number from 0 to 100000, not "-1"',
      ],
    });
  });
});

describe("unstorable text", () => {
  it("refuses a lone surrogate but not a pair", () => {
    expect(checkValue({ a: "x\ud800y" }, limits())).toEqual({
      limit: "unicode",
      path: "a",
      message: "contains a lone UTF-16 surrogate (not valid Unicode), which cannot be stored",
    });
    expect(checkValue({ a: "\udc00" }, limits())?.limit).toBe("unicode");
    expect(checkValue({ a: "emoji \ud83d\ude00" }, limits())).toBeUndefined();
  });
});
