/**
 * The operators compiled code decides without cel-js's handler: `==` and `!=` against null, `+`
 * of two strings or two lists, `in` of a string in a list of strings, `m[?k]` with a string key,
 * `!` of a bool and `-` of a double or an int. Each gives what the interpreter gives, for values
 * read as they are (`object`) and for CEL values (`context`), the errors included; and the
 * handler is not called in those cases.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BUDGET } from "../budget.js";
import { astNodes } from "../lib/ast.js";
import { outcomeDifference, prepareBoth, runCounted } from "./differential.js";
import { clearManifestConversions } from "./engine.js";

interface HandledNode {
  op: string;
  args: unknown;
  handle?: (...args: unknown[]) => unknown;
}

/**
 * Runs `source` interpreted and compiled on `activation`; returns how the two differ (if they
 * do) and how many times the compiled run called the handler of the (first) `op` node.
 */
function run(source: string, activation: Record<string, unknown>, op: string) {
  const { parsed, compiled, interpreted } = prepareBoth(source);
  expect(compiled.engine, source).toBe("compiled");
  clearManifestConversions();
  const a = runCounted(interpreted.run, activation, DEFAULT_BUDGET);
  // counted from here: compiled code reads the node's handler when it calls it
  const node = astNodes<HandledNode>(parsed.ast).find((n) => n.op === op);
  if (!node?.handle) throw new Error(`${source}: no ${op} node with a handler`);
  const original = node.handle;
  let calls = 0;
  node.handle = (...args: unknown[]) => {
    calls++;
    return original(...args);
  };
  try {
    const b = runCounted(compiled.run, activation, DEFAULT_BUDGET);
    return { difference: outcomeDifference(a, b), calls, compiled: b };
  } finally {
    node.handle = original;
  }
}

/** Values of many kinds, as manifests hold them (`object`) and as CEL values (`context`). */
const MANIFEST_VALUES: Record<string, unknown> = {
  s: "a",
  t: "b",
  n: 1,
  d: 1.5,
  b: true,
  z: null,
  l: ["a", "b"],
  li: [1, 2],
  lm: [{ a: 1 }],
  lx: [1, "a"],
  le: [],
  m: { a: "x", b: { c: 1 } },
  me: {},
  // an integer beyond int64: a CEL int read from a manifest, whose negation is an overflow
  big: 2 ** 64,
};

const CEL_VALUES: Record<string, unknown> = {
  ...MANIFEST_VALUES,
  n: 1n,
  li: [1n, 2n],
  lm: [{ a: 1n }],
  lx: [1n, "a"],
  m: { a: "x", b: { c: 1n } },
};

const NAMES = Object.keys(MANIFEST_VALUES);
// the least and the greatest int: the negation of the least is an overflow
const activation = {
  object: MANIFEST_VALUES,
  context: { ...CEL_VALUES, least: -(2n ** 63n), most: 2n ** 63n - 1n },
};

describe("operators decided by compiled code", () => {
  const cases: [string, string][] = [];
  for (const root of ["object", "context"]) {
    for (const x of NAMES) {
      cases.push([`${root}.${x} == null`, "=="], [`null != ${root}.${x}`, "!="]);
      cases.push([`${root}.${x} in ${root}.l`, "in"], [`'a' in ${root}.${x}`, "in"]);
      cases.push([`${root}.m[?${root}.${x}].orValue('none')`, "[?]"]);
      cases.push([`-${root}.${x}`, "-_"], [`!${root}.${x}`, "!_"]);
      for (const y of NAMES) cases.push([`${root}.${x} + ${root}.${y}`, "+"]);
    }
  }
  cases.push(
    ["object.l + context.lm", "+"],
    ["context.s + object.t", "+"],
    ["object.?m[?'b'][?'c'].orValue(0)", "[?]"],
    ["object.?missing[?'b'].orValue(0)", "[?]"],
    ["'b' in ['a', 'b']", "in"],
    ["'c' in ['a', dyn(1)]", "in"],
    ["-context.least", "-_"],
    ["-context.most", "-_"],
  );
  // values of every other kind against null: cel-js finds them all unequal to it
  for (const v of [
    "1u",
    "b'x'",
    "int",
    "duration('1s')",
    "timestamp('2020-01-01T00:00:00Z')",
    "optional.of(1)",
    "optional.none()",
    "quantity('1')",
    "url('https://x.example/a')",
    "ip('1.2.3.4')",
    "cidr('1.2.3.0/24')",
    "semver('1.0.0')",
    "format.named('dns1123Label')",
  ])
    cases.push([`dyn(${v}) == null`, "=="], [`null != dyn(${v})`, "!="]);

  it.each(cases)("%s: as the interpreter", (source, op) => {
    expect(run(source, activation, op).difference, source).toBeUndefined();
  });

  it.each([
    ["object.s == null", "=="],
    ["context.m != null", "!="],
    ["null == context.lm", "=="],
    ["object.s + object.t", "+"],
    ["context.s + context.t", "+"],
    ["object.l + object.lm", "+"],
    ["context.le + context.li", "+"],
    ["context.s in context.l", "in"],
    ["'c' in context.l", "in"],
    ["context.m[?'a'].orValue('none')", "[?]"],
    ["context.m[?'missing'].orValue('none')", "[?]"],
    ["-context.n", "-_"],
    ["-object.n", "-_"],
    ["-object.d", "-_"],
    ["-context.most", "-_"],
    ["!context.b", "!_"],
    ["!object.b", "!_"],
  ])("%s: without the handler", (source, op) => {
    const { difference, calls, compiled } = run(source, activation, op);
    expect(difference).toBeUndefined();
    expect(compiled.kind).toBe("value");
    expect(calls).toBe(0);
  });

  it.each([
    ["context.n + context.n", "+"],
    ["context.s + context.n", "+"],
    ["context.s in context.m", "in"],
    ["context.s in context.lx", "in"],
    ["context.s in context.le", "in"],
    ["context.li[?0].orValue(0)", "[?]"],
    ["-context.least", "-_"],
    ["-object.big", "-_"],
    ["!context.s", "!_"],
  ])("%s: other operands still go to the handler", (source, op) => {
    const { difference, calls } = run(source, activation, op);
    expect(difference).toBeUndefined();
    expect(calls).toBe(1);
  });
});
