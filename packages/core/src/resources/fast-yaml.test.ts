import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { generateBundle } from "../../../../bench/generate.js";
import { corporaDir, needsCorpora, repositoryRoot } from "../../../../test/support/corpora.js";
import { DEFAULT_INPUT_LIMITS } from "../limits/limits.js";
import { DECLINED, loadFast, resolvePlain } from "./fast-yaml.js";
import { MANIFEST_IMPLICIT_TYPES, MANIFEST_SCHEMA } from "./schema.js";
import { splitYamlDocuments } from "./split.js";

// as parseManifests calls js-yaml
const MAX_DEPTH = DEFAULT_INPUT_LIMITS.maxDepth + 2;

function jsYaml(text: string, maxDepth = MAX_DEPTH): { value: unknown } | { error: unknown } {
  try {
    return { value: yaml.load(text, { schema: MANIFEST_SCHEMA, maxDepth } as yaml.LoadOptions) };
  } catch (error) {
    return { error };
  }
}

/**
 * Where a and b differ, or undefined when they are the same: primitives by Object.is (so -0 and
 * 0 differ, NaN equals NaN), arrays element by element, objects by prototype, own keys in order
 * and each property's descriptor (an own `__proto__` included).
 */
function difference(a: unknown, b: unknown, path = "$"): string | undefined {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null)
    return Object.is(a, b) ? undefined : `${path}: ${String(a)} (${typeof a}) vs ${String(b)} (${typeof b})`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: array vs not`;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: prototypes differ`;
  const ka = Reflect.ownKeys(a);
  const kb = Reflect.ownKeys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i]))
    return `${path}: keys ${ka.map(String).join(",")} vs ${kb.map(String).join(",")}`;
  for (const k of ka) {
    const da = Object.getOwnPropertyDescriptor(a, k)!;
    const db = Object.getOwnPropertyDescriptor(b, k)!;
    if (da.enumerable !== db.enumerable || da.writable !== db.writable || da.configurable !== db.configurable)
      return `${path}.${String(k)}: descriptors differ`;
    const d = difference(da.value, db.value, `${path}.${String(k)}`);
    if (d) return d;
  }
  return undefined;
}

interface Tally {
  handled: number;
  declined: number;
  mismatches: string[];
}

/** Runs both readers over one document's text; a mismatch is recorded with the text. */
function compare(text: string, tally: Tally, where: string, maxDepth = MAX_DEPTH): void {
  const fast = loadFast(text, maxDepth);
  if (fast === DECLINED) {
    tally.declined++;
    return;
  }
  tally.handled++;
  const slow = jsYaml(text, maxDepth);
  const problem =
    "error" in slow
      ? `js-yaml threw (${(slow.error as Error).message.split("\n")[0]})`
      : difference(fast, slow.value);
  if (problem && tally.mismatches.length < 20) tally.mismatches.push(`${where}: ${problem}\n${text}`);
  else if (problem) tally.mismatches.push(where);
}

function compareStream(text: string, tally: Tally, where: string): void {
  for (const chunk of splitYamlDocuments(text)) compare(chunk.text, tally, `${where}#${chunk.index}`);
}

function newTally(): Tally {
  return { handled: 0, declined: 0, mismatches: [] };
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yamlFiles(path, out);
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

/** The one-Deployment body of the service benchmark, read from bench/service.js. */
function benchDeployment(): string {
  const source = readFileSync(join(repositoryRoot, "bench/service.js"), "utf8");
  const match = /const DEPLOYMENT = `([^`]*)`;/.exec(source);
  if (!match) throw new Error("DEPLOYMENT not found in bench/service.js");
  return match[1]!;
}

describe("loadFast against js-yaml", () => {
  it("reads the bench bundle and the service's Deployment body itself, to the same values", () => {
    const tally = newTally();
    compareStream(generateBundle(1000).yaml, tally, "bench bundle");
    compare(benchDeployment(), tally, "bench/service.js DEPLOYMENT");
    expect(tally.mismatches).toEqual([]);
    // a reader that always declined would pass the comparisons: it must take these itself
    expect(tally.declined).toBe(0);
    expect(tally.handled).toBeGreaterThan(1000);
  });

  it("gives js-yaml's value for every YAML file of the repository (policies, examples, fixtures)", () => {
    const tally = newTally();
    const files = ["policies", "examples", "packages", "apps", "deploy", "test"].flatMap((d) =>
      yamlFiles(join(repositoryRoot, d)),
    );
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) compareStream(readFileSync(file, "utf8"), tally, file);
    expect(tally.mismatches).toEqual([]);
    expect(tally.handled).toBeGreaterThan(50);
  });

  describe.skipIf(!needsCorpora("fast-yaml differential"))("the corpora", () => {
    it("gives js-yaml's value for every YAML file of the corpora", () => {
      const tally = newTally();
      const files = yamlFiles(corporaDir());
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) compareStream(readFileSync(file, "utf8"), tally, file);
      expect(tally.mismatches).toEqual([]);
      expect(tally.handled).toBeGreaterThan(0);
    });
  });

  it("gives js-yaml's value for thousands of generated and mutated documents (fixed seed)", () => {
    const tally = newTally();
    // FAST_YAML_SEED and FAST_YAML_CASES explore further (the defaults are what CI runs)
    const random = mulberry32(Number(process.env.FAST_YAML_SEED ?? 20261207));
    const cases = Number(process.env.FAST_YAML_CASES ?? 6000);
    for (let i = 0; i < cases; i++) {
      const text = generateDocument(random);
      compare(text, tally, `generated ${i}`);
      for (let m = 0; m < 3; m++) compare(mutate(text, random), tally, `mutated ${i}.${m}`);
    }
    expect(tally.mismatches).toEqual([]);
    if (process.env.FAST_YAML_CASES) console.log(`handled ${tally.handled}, declined ${tally.declined}`);
    // the generator mostly stays inside the subset, and its mutations often leave it
    expect(tally.handled).toBeGreaterThan(cases * 1.3);
    expect(tally.declined).toBeGreaterThan(cases / 3);
  });

  it("gives js-yaml's value for hand-picked edge cases", () => {
    const tally = newTally();
    for (const text of EDGE_CASES) compare(text, tally, JSON.stringify(text));
    expect(tally.mismatches).toEqual([]);
    expect(tally.handled).toBeGreaterThan(EDGE_CASES.length / 3);
  });

  it("declines near js-yaml's depth limit, so that its error (not a value) decides", () => {
    const tally = newTally();
    for (let depth = 1; depth < 40; depth++) {
      const block = Array.from({ length: depth }, (_, i) => `${" ".repeat(2 * i)}k${i}:`).join("\n");
      const flow = `a: ${"[".repeat(depth)}x${"]".repeat(depth)}`;
      for (const maxDepth of [2, 5, 10, 20, 40]) {
        compare(`${block} v\n`, tally, `block ${depth} under ${maxDepth}`, maxDepth);
        compare(flow, tally, `flow ${depth} under ${maxDepth}`, maxDepth);
      }
    }
    expect(tally.mismatches).toEqual([]);
  });

  it("types a plain scalar as the schema's implicit types do, for every first character", () => {
    const slow = (text: string): unknown => {
      for (const type of MANIFEST_IMPLICIT_TYPES) if (type.resolve(text)) return type.construct(text);
      return text;
    };
    const tails = ["", "0", "1", "x", "ull", "rue", "alse", "inf", ".5", "e3", "_1", "b1", "o7", "xF"];
    const mismatches: string[] = [];
    for (let c = 1; c < 0x3000; c++) {
      for (const tail of tails) {
        const text = String.fromCharCode(c) + tail;
        if (difference(resolvePlain(text), slow(text))) mismatches.push(text);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("keeps __proto__ as an own key, as js-yaml does", () => {
    const value = loadFast("__proto__: {a: 1}\nb: {__proto__: 2}\n", MAX_DEPTH) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__", "b"]);
    const tally = newTally();
    compare("__proto__: {a: 1}\nb: {__proto__: 2}\n", tally, "proto");
    expect(tally).toEqual({ handled: 1, declined: 0, mismatches: [] });
  });
});

const EDGE_CASES = [
  "a: 1\n",
  "a: b: c\n",
  "a:b\n",
  "a:b: c\n",
  "- - x\n  - y\n- z\n",
  "- -\n  - x\n",
  "-\n- a\n-\n",
  "a:\n- b\n- c\nd: e\n",
  "a:\n  - b\n -c\n",
  "- a: b\n  c: d\n- e\n",
  "- a:\n  - b\n  c: d\n",
  "- a:\n - b\n",
  "-   a: b\n    c: d\n",
  "a: b\n  c\n",
  "a: b\n\n  c\n",
  "a: b\n   # c\n",
  "a: b\n# c\n  d: e\n",
  "a: 'it''s'\n",
  "a: 'it''s' # c\n",
  'a: "a\\"b"\n',
  'a: "x" : y\n',
  'a: "x"#c\n',
  "a: 'x'y\n",
  '"a":b\n',
  '"a" : b\n',
  "'a': b\n",
  "? a\n: b\n",
  ": a\n",
  "a: :b\n",
  "a: : b\n",
  "a: -\n",
  "a: - b\n",
  "a: -b\n",
  "a: ?b\n",
  "a: ? b\n",
  "a: #c\n  b\n",
  "a:\n  b\n",
  "a:\n  b\n  c\n",
  "a:\n  [x, y]\n",
  "a:\n  {x: y}\nb: 1\n",
  "a: [x, y]: z\n",
  "[a, b]\n",
  "{a: 1}\n",
  "plain\n",
  "  a: 1\n  b: 2\n",
  "  a: 1\nb: 2\n",
  "a: 1\n  b: 2\n",
  "a:\n    b: 1\n  c: 2\n",
  "a: [1, 2, ]\n",
  "a: [1,2]\n",
  "a: [,]\n",
  "a: [ ]\n",
  "a: { }\n",
  "a: {b}\n",
  "a: {b: }\n",
  "a: {b:c}\n",
  "a: {b:[c]}\n",
  "a: {b: [c, {d: e}]}\n",
  '{"a":b}\n',
  "a: [b: c]\n",
  "a: [b:]\n",
  "a: [b#c]\n",
  "a: [b #c]\n",
  "a: [-b, -]\n",
  "a: [- b]\n",
  "a: [?b, ? b]\n",
  "a: [a b, c  d  ]\n",
  "a: {a: 1, a: 2}\n",
  "a: 1\na: 2\n",
  "1: a\n2: b\n",
  "true: a\nnull: b\n~: c\n0x1F: d\n1e3: e\n.inf: f\n-0: g\n1.0: h\n",
  "<<: {a: 1}\n",
  '"<<": 1\n',
  "a: &x 1\nb: *x\n",
  "a: !!str 1\n",
  "a: |\n  x\n",
  "a: >\n  x\n",
  "%YAML 1.2\n---\na: 1\n",
  "a: 1\n...\n",
  "a: 1\n--- b\n",
  "a: 1\n---x: 2\n",
  "a: @x\n",
  "a: `x\n",
  "a: x@y\n",
  "a:\tb\n",
  "a:\r\nb: 1\r\n",
  "a: \u00a0x\u00a0\n",
  "a: é\n\u00e9: 1\n",
  "a: \ud83d\ude00\n",
  "\ufeffa: 1\n",
  "a: b\u2028c\n",
  "a: \u0085\n",
  "a: 1   \n",
  "a   : 1\n",
  "a b: c d\n",
  "http://x: y\n",
  "a: http://x.y/z?q=1#f\n",
  "a: b # c # d\n",
  "a: b#c\n",
  "a: b #\n",
  "a:\n",
  "a:",
  "a: 1",
  "- a",
  "-",
  "- # c\n  b\n",
  "- 'x'\n- \"y\"\n- [z]\n- {w: 1}\n",
  "a:\n-\n- b\n",
  "a:\n  # c\n  b: 1\n",
  "a: 0o17\nb: 0b101\nc: +1\nd: -.5\ne: 1_000\nf: 2024-01-01\ng: .NaN\nh: TRUE\ni: Null\nj: 0x\nk: 1e400\nl: -0\nm: 0.0\nn: +.inf\n",
  "a: ''\nb: \"\"\n'': 1\n",
  "a: 'x\n  y'\n",
  'a: "x\n  y"\n',
  "a: [x,\n  y]\n",
  "- a: 1\n b: 2\n",
  "a: b\n-c: d\n",
  "a:\n- b\n-c: d\n",
  "a: x: y\n",
  "a: 'b':c\n",
  "key with spaces: value with spaces\n",
  "a: 12:30\n",
  "a: 190:20:30\n",
  "a: [a, b]]\n",
  "a: {a: b}}\n",
  "a: b]\n",
  "a: b}\n",
  "a: b,c\n",
  "a: ,b\n",
  "a: '''\n",
  "a: ''''\n",
  "a: 'a''\n",
];

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCALARS = [
  "web",
  "nginx:1.25",
  "apps/v1",
  "a b",
  "0x1F",
  "0xG",
  "1e3",
  "1E3",
  "1.5e-3",
  ".inf",
  "-.inf",
  "+.INF",
  ".nan",
  ".NaN",
  "~",
  "null",
  "Null",
  "NULL",
  "nULL",
  "true",
  "TRUE",
  "True",
  "tRUE",
  "false",
  "yes",
  "no",
  "on",
  "off",
  "0o17",
  "0o8",
  "0b101",
  "0b2",
  "+1",
  "-1",
  "-0",
  "+0",
  "0",
  "00",
  "007",
  "-.5",
  ".5",
  "5.",
  "1_000",
  "1,000",
  "2024-01-01",
  "2024-01-01T00:00:00Z",
  "12:30",
  "'it''s'",
  "''",
  "'a # b'",
  "'a: b'",
  "'[x]'",
  '"a\\"b"',
  '"x"',
  '""',
  '"a: b"',
  '"# no"',
  "a:b",
  "a#b",
  "a #b",
  "http://x/y#z",
  "-x",
  "?x",
  ":x",
  "x:",
  "é",
  "日本",
  "\u00a0",
  "500m",
  "128Mi",
  "1",
  "3",
  "1.0",
  "1e400",
  "-1e400",
  "9007199254740993",
  "0.1",
  "<<",
  "=",
  "a\\b",
  "'a\\b'",
  "[a, b]",
  "[]",
  "{}",
  "{a: b}",
  "{a: [1, 2], b: {c: ~}}",
  "[ALL]",
  "[a, [b, [c]]]",
  "{a: 1, b: 2}",
  "[-1, +1, .5]",
  "[a b, 'c d', \"e f\"]",
  "{'a': b, \"c\": d}",
  "{a:b}",
  "{a: }",
  "[a: b]",
];
const KEYS = [
  "name",
  "app",
  "a b",
  "1",
  "true",
  "null",
  "~",
  "0x1F",
  "1e3",
  ".inf",
  "-0",
  "__proto__",
  "constructor",
  "toString",
  "'q'",
  '"dq"',
  "'it''s'",
  "a.b/c",
  "app.kubernetes.io/name",
  "é",
  "<<",
  "x:y",
  "-k",
  "k-",
];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

/** A random block document: mappings and sequences nested a few levels, scalars from SCALARS. */
function generateDocument(random: () => number): string {
  const lines: string[] = [];
  const comment = () => (random() < 0.1 ? ` # ${pick(random, ["c", "a: b", "#", "- x"])}` : "");
  const trailing = () => (random() < 0.05 ? "  " : "");
  const node = (indent: number, depth: number, prefix: string): void => {
    const kind = depth > 4 ? 0 : random();
    const pad = " ".repeat(indent);
    if (kind < 0.45) {
      // a mapping
      const keys = new Set<string>();
      const count = 1 + Math.floor(random() * 4);
      for (let i = 0; i < count; i++) {
        let key = pick(random, KEYS);
        if (keys.has(key) && random() < 0.8) key = `${key}${i}`;
        keys.add(key);
        const head = i === 0 ? prefix : pad;
        const child = random();
        if (child < 0.55) {
          lines.push(`${head}${key}: ${pick(random, SCALARS)}${trailing()}${comment()}`);
        } else if (child < 0.65) {
          lines.push(`${head}${key}:${comment()}`);
        } else if (child < 0.75) {
          // an indentless sequence
          lines.push(`${head}${key}:`);
          for (let j = 0; j < 1 + Math.floor(random() * 3); j++)
            lines.push(`${pad}- ${pick(random, SCALARS)}`);
        } else {
          lines.push(`${head}${key}:${comment()}`);
          if (random() < 0.1) lines.push("");
          const step = pick(random, [1, 2, 2, 2, 4]);
          node(indent + step, depth + 1, " ".repeat(indent + step));
        }
      }
    } else if (kind < 0.8) {
      // a sequence
      const count = 1 + Math.floor(random() * 4);
      for (let i = 0; i < count; i++) {
        const head = i === 0 ? prefix : pad;
        const child = random();
        if (child < 0.5) lines.push(`${head}- ${pick(random, SCALARS)}${comment()}`);
        else if (child < 0.6) lines.push(`${head}-${comment()}`);
        else {
          // a compact node after `- `, or one on the next lines
          const gap = pick(random, [1, 1, 1, 3]);
          if (random() < 0.8) node(indent + 1 + gap, depth + 1, `${head}-${" ".repeat(gap)}`);
          else {
            lines.push(`${head}-`);
            node(indent + 2, depth + 1, " ".repeat(indent + 2));
          }
        }
      }
    } else {
      lines.push(`${prefix}${pick(random, SCALARS)}${comment()}`);
    }
    if (random() < 0.05) lines.push(`${" ".repeat(Math.floor(random() * 6))}# a comment line`);
  };
  if (random() < 0.1) lines.push("# leading");
  node(0, 0, "");
  return lines.join("\n") + (random() < 0.9 ? "\n" : "");
}

const MUTATION_CHARS = [
  " ",
  " ",
  "\n",
  ":",
  "-",
  "#",
  "'",
  '"',
  "[",
  "]",
  "{",
  "}",
  ",",
  "?",
  "&",
  "*",
  "!",
  "|",
  ">",
  "\\",
  "\t",
  "\r",
  "x",
  "0",
  ".",
  "%",
  "@",
  "`",
  "é",
];

/** The text with one to three random edits: a character inserted, deleted or replaced, a line doubled or indented. */
function mutate(text: string, random: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(random() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (out.length + 1));
    const r = random();
    if (r < 0.3) out = out.slice(0, at) + pick(random, MUTATION_CHARS) + out.slice(at);
    else if (r < 0.5) out = out.slice(0, at) + out.slice(at + 1);
    else if (r < 0.7) out = out.slice(0, at) + pick(random, MUTATION_CHARS) + out.slice(at + 1);
    else {
      const lines = out.split("\n");
      const i = Math.floor(random() * lines.length);
      if (r < 0.85) lines.splice(i, 0, lines[i] ?? "");
      else lines[i] = ` ${lines[i] ?? ""}`;
      out = lines.join("\n");
    }
  }
  return out;
}
