/**
 * The CEL conformance suite (cel-spec's simple test files, from `@bufbuild/cel-spec`) run
 * against celgate's CEL environment, as cel-es runs it against its own. Tests that celgate
 * does not pass are in skip-list.ts, each with the reason. Skipped tests run too and must still
 * fail: a skipped test that passes fails the run, so the list cannot go stale.
 */
import { Optional } from "@marcbachmann/cel-js";
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import { afterAll, describe, expect, it } from "vitest";
import { type ConformanceTest, loadConformanceFiles, TypeName, Unsupported } from "./load.js";
import { activation, environmentFor } from "./setup.js";
import { RUNS, SKIPS, skipReason } from "./skip-list.js";

const files = loadConformanceFiles();

interface Tally {
  total: number;
  passed: number;
  skipped: number;
}
const tallies = new Map<string, Tally>();

/** Runs one test; throws (an assertion error) when celgate's answer differs. */
function runTest(test: ConformanceTest): void {
  const exp = test.expect;
  if (exp.kind === "unknown") throw new Error("cel-js has no unknown values");
  const env = environmentFor(test);
  const parsed = env.parse(test.expr);

  if (exp.kind === "type") {
    const checked = parsed.check();
    if (!checked.valid) throw new Error(`type check failed: ${checked.error?.message}`);
    if (exp.type instanceof Unsupported) throw new Error(exp.type.reason);
    expect(checked.type).toBe(checkTypeName(exp.type));
    if (exp.value !== undefined && !test.checkOnly) assertSame(parsed(activation(test)), exp.value);
    return;
  }

  // As in cel-go's conformance runner, a checked test must type-check, whatever it expects.
  const checked = test.disableCheck ? undefined : parsed.check();
  if (checked && !checked.valid) throw new Error(`type check failed: ${checked.error?.message}`);
  if (test.checkOnly) return;
  const context = activation(test);
  if (exp.kind === "error") {
    let result: unknown;
    try {
      result = parsed(context);
    } catch {
      return;
    }
    throw new Error(`expected an error (${exp.message}), got ${describeValue(result)}`);
  }
  assertSame(parsed(context), exp.value);
}

/** cel-js's check() reports list<dyn> and map<dyn, dyn> as `list` and `map`. */
function checkTypeName(type: string): string {
  if (type === "list<dyn>") return "list";
  if (type === "map<dyn, dyn>") return "map";
  return type;
}

function assertSame(actual: unknown, expected: unknown): void {
  const problem = difference(actual, expected, "result");
  if (problem)
    throw new Error(
      `${problem}\n  expected: ${describeValue(expected)}\n  actual:   ${describeValue(actual)}`,
    );
}

/**
 * Where `actual` differs from `expected`, by CEL type and value (1 and 1.0 and 1u differ;
 * NaN matches NaN), or undefined when they are the same.
 */
function difference(actual: unknown, expected: unknown, at: string): string | undefined {
  if (expected instanceof Unsupported) return `${at}: cannot build the expected value: ${expected.reason}`;
  const want = kindOf(expected);
  const got = kindOf(actual);
  if (want !== got) return `${at}: expected a ${want}, got a ${got}`;
  switch (want) {
    case "double": {
      const [a, e] = [actual as number, expected as number];
      return (Number.isNaN(a) && Number.isNaN(e)) || a === e ? undefined : `${at}: ${a} != ${e}`;
    }
    case "uint":
      return (actual as UnsignedInt).value === (expected as UnsignedInt).value ? undefined : `${at}: differs`;
    case "bytes": {
      const [a, e] = [actual as Uint8Array, expected as Uint8Array];
      return a.length === e.length && a.every((b, i) => b === e[i]) ? undefined : `${at}: bytes differ`;
    }
    case "timestamp":
      return (actual as Date).getTime() === (expected as Date).getTime() ? undefined : `${at}: differs`;
    case "duration": {
      const [a, e] = [actual as Duration, expected as Duration];
      return a.seconds === e.seconds && a.nanos === e.nanos ? undefined : `${at}: differs`;
    }
    case "type": {
      const name = typeValueName(actual);
      return name === typeValueName(expected)
        ? undefined
        : `${at}: type ${name} != ${typeValueName(expected)}`;
    }
    case "list": {
      const [a, e] = [[...(actual as Iterable<unknown>)], expected as unknown[]];
      if (a.length !== e.length) return `${at}: ${a.length} elements, expected ${e.length}`;
      for (let i = 0; i < e.length; i++) {
        const d = difference(a[i], e[i], `${at}[${i}]`);
        if (d) return d;
      }
      return undefined;
    }
    case "map": {
      const [a, e] = [entries(actual), entries(expected)];
      if (a.length !== e.length) return `${at}: ${a.length} entries, expected ${e.length}`;
      for (const [key, value] of e) {
        const match = a.find(([k]) => difference(k, key, "key") === undefined);
        if (!match) return `${at}: no key ${describeValue(key)}`;
        const d = difference(match[1], value, `${at}[${describeValue(key)}]`);
        if (d) return d;
      }
      return undefined;
    }
    default:
      return actual === expected
        ? undefined
        : `${at}: ${describeValue(actual)} != ${describeValue(expected)}`;
  }
}

/** The name of a type value; cel-js calls the null type `null` (`null_type` denotes it). */
function typeValueName(value: unknown): string {
  const name = (value as { name: string }).name;
  return name === "null" ? "null_type" : name;
}

function kindOf(value: unknown): string {
  switch (typeof value) {
    case "bigint":
      return "int";
    case "number":
      return "double";
    case "string":
    case "boolean":
      return typeof value;
    case "undefined":
      return "undefined";
  }
  if (value === null) return "null";
  if (value instanceof UnsignedInt) return "uint";
  if (value instanceof Uint8Array) return "bytes";
  if (value instanceof Date) return "timestamp";
  if (value instanceof Duration) return "duration";
  if (value instanceof Optional) return "optional";
  if (value instanceof TypeName || (value as object).constructor?.name === "Type") return "type";
  if (Array.isArray(value) || value instanceof Set) return "list";
  return "map";
}

function entries(map: unknown): [unknown, unknown][] {
  return map instanceof Map ? [...map.entries()] : Object.entries(map as Record<string, unknown>);
}

function describeValue(value: unknown): string {
  switch (kindOf(value)) {
    case "int":
      return `${value}`;
    case "uint":
      return `${(value as UnsignedInt).value}u`;
    case "double":
      return `${value} (double)`;
    case "string":
      return JSON.stringify(value);
    case "bytes":
      return `b[${[...(value as Uint8Array)].join(",")}]`;
    case "timestamp":
      return `timestamp(${(value as Date).toISOString()})`;
    case "duration":
      return `duration(${(value as Duration).seconds}s ${(value as Duration).nanos}ns)`;
    case "type":
      return `type(${typeValueName(value)})`;
    case "list":
      return `[${[...(value as Iterable<unknown>)].map(describeValue).join(", ")}]`;
    case "map":
      return `{${entries(value)
        .map(([k, v]) => `${describeValue(k)}: ${describeValue(v)}`)
        .join(", ")}}`;
    default:
      return String(value);
  }
}

for (const file of files) {
  const tally: Tally = { total: 0, passed: 0, skipped: 0 };
  tallies.set(file.name, tally);
  describe(file.name, () => {
    if (file.sections.every((section) => section.tests.length === 0)) {
      const reason = SKIPS[file.name];
      it.skip(`has no tests in this cel-spec release${reason ? ` (skipped: ${reason})` : ""}`, () => {});
    }
    for (const section of file.sections) {
      describe(section.name, () => {
        for (const test of section.tests) {
          tally.total++;
          const reason = skipReason(file.name, section.name, test.name);
          if (reason === undefined) {
            it(test.name, () => {
              runTest(test);
              tally.passed++;
            });
            continue;
          }
          tally.skipped++;
          it(`${test.name} (skipped: ${reason})`, () => {
            let passes = false;
            try {
              runTest(test);
              passes = true;
            } catch {
              // still failing, as the skip list says
            }
            if (passes) {
              throw new Error(
                `${test.path} passes now: remove its entry from skip-list.ts (or add it to RUNS if its file or section is skipped whole)`,
              );
            }
          });
        }
      });
    }
  });
}

describe("skip list", () => {
  it("names only files, sections and tests that exist", () => {
    const paths = new Set<string>();
    for (const file of files) {
      paths.add(file.name);
      for (const section of file.sections) {
        paths.add(`${file.name}/${section.name}`);
        for (const test of section.tests) paths.add(test.path);
      }
    }
    expect(Object.keys(SKIPS).filter((key) => !paths.has(key))).toEqual([]);
    expect([...RUNS].filter((key) => !paths.has(key))).toEqual([]);
  });

  it("gives every entry a one-line reason", () => {
    for (const [key, reason] of Object.entries(SKIPS)) {
      expect(reason.trim(), key).not.toBe("");
      expect(reason, key).not.toContain("\n");
    }
  });
});

afterAll(() => {
  const lines = ["CEL conformance (passed / skipped / total):"];
  let [passed, skipped, total, wholeFileSkips] = [0, 0, 0, 0];
  for (const [name, t] of tallies) {
    if (SKIPS[name] !== undefined) wholeFileSkips += t.total;
    lines.push(
      `  ${name.padEnd(16)} ${String(t.passed).padStart(4)} / ${String(t.skipped).padStart(4)} / ${t.total}`,
    );
    passed += t.passed;
    skipped += t.skipped;
    total += t.total;
  }
  const percent = (n: number, of: number) => `${of === 0 ? "0.0" : ((100 * n) / of).toFixed(1)}%`;
  const applicable = total - wholeFileSkips;
  lines.push(
    `  ${"all".padEnd(16)} ${String(passed).padStart(4)} / ${String(skipped).padStart(4)} / ${total}`,
  );
  lines.push(
    `  pass rate ${percent(passed, total)} of all ${total} tests, ${percent(passed, applicable)} of the ${applicable} ` +
      `outside the files skipped whole; failed ${total - passed - skipped}`,
  );
  console.log(lines.join("\n"));
});
