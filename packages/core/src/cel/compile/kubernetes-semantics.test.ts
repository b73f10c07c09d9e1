/**
 * The places where celgate gives an expression cel-go's (Kubernetes') meaning over cel-js's own
 * (numbers across types, timestamps and durations, unbound type parameters, fields of an
 * optional's value, string(bytes)): each case runs compiled and interpreted,
 * and both must give cel-go's answer, a value or a run-time error. Compile-time behaviour is
 * tested beside each library (lib/numbers, lib/time).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BUDGET } from "../budget.js";
import { celEnvironment, type ParsedExpression } from "../environment.js";
import { compileCel } from "./compile-cel.js";
import { outcomeDifference, type RunOutcome, runCounted } from "./differential.js";

const manifest = Object.assign(Object.create(null), {
  replicas: 3n,
  ratios: [1n, 2n],
  weights: [1.0, 2.5],
  labels: Object.assign(Object.create(null), { tier: 1n }),
});
const activation = {
  object: manifest,
  params: Object.create(null),
  variables: Object.create(null),
  containers: [],
  images: [],
  bundle: [],
  context: Object.create(null),
  now: new Date("2026-07-01T12:00:00Z"),
};

/** Runs `expression` both ways; returns the compiled outcome after checking the two agree. */
function both(expression: string): RunOutcome {
  const env = celEnvironment();
  const parsed = env.parse(expression) as unknown as ParsedExpression;
  const checked = parsed.check();
  if (!checked.valid) throw checked.error;
  const compiled = compileCel(env, parsed.ast);
  if (!compiled.ok) throw new Error(`not compiled: ${compiled.reason}`);
  const interpreted = runCounted(parsed, activation, DEFAULT_BUDGET);
  const own = runCounted(compiled.run, activation, DEFAULT_BUDGET);
  expect(outcomeDifference(interpreted, own), compiled.source).toBeUndefined();
  return own;
}

describe("cel-go's numbers, compiled and interpreted", () => {
  it.each([
    // heterogeneous equality inside lists and maps (cel-go's list and map Equal)
    ["object.ratios == [1.0, 2.0]", true],
    ["object.ratios == [1u, 2u]", true],
    ["object.ratios != [1.0, 2.5]", true],
    ["object.weights == [1, 2]", false],
    ["object.labels == {'tier': 1.0}", true],
    ["dyn([object.ratios]) == [[1u, 2u]]", true],
    // `in` across numeric types (cel-spec lists/in uint_in_ints)
    ["dyn(2u) in object.ratios", true],
    ["dyn(2.0) in object.ratios", true],
    ["object.replicas in [3u, 4u]", true],
    // cel-go orders int against double by converting the int (compareIntDouble)
    ["dyn(9223372036854775807) < 9223372036854775808.0", false],
    ["dyn(9223372036854775807) >= 9223372036854775808.0", true],
    ["object.replicas < 3.5", true],
    ["object.replicas > 2.5", true],
    // list index of a uint or integral double (IndexOrError)
    ["object.ratios[dyn(1u)]", 2n],
    ["object.ratios[dyn(1.0)]", 2n],
  ])("%s", (expression, expected) => {
    expect(both(expression)).toMatchObject({ kind: "value", value: expected });
  });

  it("fails at run time on a list index with a fraction", () => {
    expect(both("object.ratios[dyn(0.5)]")).toMatchObject({
      kind: "error",
      error: expect.stringMatching(/unsupported index value 0.5/),
    });
  });
});

describe("cel-go's timestamps and durations, compiled and interpreted", () => {
  it.each([
    ["now.getHours('+05:30')", 17n],
    ["now.getMinutes('-02:30')", 30n],
    ["now.getHours('Europe/Paris')", 14n],
    ["now.getDayOfWeek('Pacific/Kiritimati')", 4n],
    ["duration('1h') + now == timestamp('2026-07-01T13:00:00Z')", true],
    ["duration('123.321s').getMilliseconds()", 123321n],
  ])("%s", (expression, expected) => {
    expect(both(expression)).toMatchObject({ kind: "value", value: expected });
  });

  it.each([
    ["timestamp('9999-12-31T23:00:00Z') + duration('2h')", /timestamp overflow/],
    ["timestamp('0001-01-01T00:30:00Z') - duration('1h')", /timestamp overflow/],
    ["now - timestamp('0001-01-01T00:00:00Z')", /integer overflow/],
    ["duration('2000000h') + duration('2000000h')", /integer overflow/],
    ["now.getHours('Mars/Olympus')", /unknown time zone/],
  ])("%s fails at run time", (expression, message) => {
    expect(both(expression)).toMatchObject({ kind: "error", error: expect.stringMatching(message) });
  });
});

describe("cel-go's optionals, type parameters and bytes, compiled and interpreted", () => {
  it.each([
    ["[].all(e, e > 0)", true],
    ["[].exists(e, e == object.replicas)", false],
    ["optional.none().?field.hasValue()", false],
    ["{}.?key.subkey.hasValue()", false],
    ["object.?labels.tier.orValue(0)", 1n],
    ["object.?labels.missing.hasValue()", false],
    ["string(b'h\\303\\251')", "hé"],
  ])("%s", (expression, expected) => {
    expect(both(expression)).toMatchObject({ kind: "value", value: expected });
  });

  it.each([
    ["object.?replicas.field.hasValue()", /No such key: field/],
    ["{'k': dyn(null)}.?k.invalid.hasValue()", /No such key: invalid/],
    ["string(b'\\000\\xff')", /invalid UTF-8/],
  ])("%s fails at run time", (expression, message) => {
    expect(both(expression)).toMatchObject({ kind: "error", error: expect.stringMatching(message) });
  });
});
