import { Duration } from "@marcbachmann/cel-js/evaluator";
import { describe, expect, it } from "vitest";
import { compileError, docCheckExpression, evalCel, evalError } from "../test-env.js";
import { timeFunctions } from "./index.js";

describe("time library", () => {
  it("gives every documented result", () => {
    for (const doc of timeFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  it("names scan dates and ages in messages", () => {
    const now = new Date("2026-11-29T10:00:00Z");
    const scannedAt = new Date("2026-11-20T10:00:00.250Z");
    expect(evalCel("'scanned ' + string(s) + ', ' + string(n - s) + ' ago'", { s: scannedAt, n: now })).toBe(
      "scanned 2026-11-20T10:00:00.25Z, 777599.75s ago", // cel-go trims trailing zeros of the fraction,
    );
    expect(evalCel("int(n) - int(s)", { s: scannedAt, n: now })).toBe(777600n);
  });

  // the CEL standard library's identity conversions
  it("converts a timestamp or duration to itself", () => {
    expect(evalCel("timestamp(timestamp('2026-01-01T00:00:00Z')) == timestamp('2026-01-01T00:00:00Z')")).toBe(
      true,
    );
    expect(evalCel("duration(duration('1h')) == duration('60m')")).toBe(true);
  });

  // cel-go's timeZone(): with a colon, hours:minutes east of UTC; without, a zone name (time.LoadLocation)
  it.each([
    ["timestamp('2009-02-13T23:31:30Z').getDayOfMonth('+11:00')", 13n],
    ["timestamp('2009-02-13T02:00:00Z').getDayOfMonth('-02:30')", 11n],
    ["timestamp('2009-02-13T23:31:30Z').getFullYear('-09:30')", 2009n],
    ["timestamp('2009-02-13T23:31:30Z').getHours('02:00')", 1n],
    ["timestamp('2009-02-13T23:31:30Z').getSeconds('-00:00')", 30n],
    ["timestamp('2009-02-13T23:31:30Z').getMinutes('+05:45')", 16n],
    ["timestamp('2026-12-31T23:30:00Z').getFullYear('+01:00')", 2027n],
    ["timestamp('2026-12-31T23:30:00Z').getDayOfYear('+01:00')", 0n],
    ["timestamp('2026-03-01T12:00:00Z').getDayOfYear()", 59n],
    ["timestamp('2026-07-01T12:00:00Z').getDayOfWeek('Pacific/Kiritimati')", 4n],
    ["timestamp('2026-07-01T12:00:00Z').getHours('Europe/Paris')", 14n],
    ["timestamp('2026-01-01T12:00:00Z').getHours('Europe/Paris')", 13n],
    ["timestamp('2026-07-01T12:00:00Z').getHours('America/St_Johns')", 9n],
    ["timestamp('2026-07-01T12:00:00Z').getHours('UTC')", 12n],
    ["timestamp('2026-07-01T12:00:00.250Z').getMilliseconds('Asia/Kolkata')", 250n],
    ["timestamp('2026-07-01T12:00:00Z').getMonth('Pacific/Kiritimati')", 6n],
    ["timestamp('2026-07-01T12:00:00Z').getDate('-12:00')", 1n],
    ["timestamp('0001-01-01T00:00:00Z').getFullYear('+01:00')", 1n],
  ])("%s is %s, as in cel-go", (expression, expected) => {
    expect(evalCel(expression)).toBe(expected);
  });

  it("fails at run time on a time zone cel-go cannot read", () => {
    expect(evalError("timestamp('2026-07-01T12:00:00Z').getHours('Mars/Olympus')")).toMatch(
      /unknown time zone Mars\/Olympus/,
    );
    expect(evalError("timestamp('2026-07-01T12:00:00Z').getHours('+1x:00')")).toMatch(/invalid syntax/);
  });

  // cel-go: duration + timestamp is a timestamp (the standard library's add_duration_timestamp)
  it("adds a duration to a timestamp in either order", () => {
    expect(
      evalCel("duration('120s') + timestamp('2009-02-13T23:01:00Z') == timestamp('2009-02-13T23:03:00Z')"),
    ).toBe(true);
    expect(
      evalCel("(d + now).getHours()", { d: new Duration(3600n, 0), now: new Date("2026-01-01T00:00:00Z") }),
    ).toBe(1n);
  });

  // cel-go: timestamps lie in 0001-01-01..9999-12-31 ("timestamp overflow"); durations are int64
  // nanoseconds, and checked arithmetic on them reports "integer overflow"; all at run time
  it.each([
    ["timestamp('9999-12-31T23:59:59Z') + duration('1s')", /timestamp overflow/],
    ["timestamp('0001-01-01T00:00:00Z') - duration('1ms')", /timestamp overflow/],
    ["timestamp('0001-01-01T00:00:00Z') + duration('-1ns')", /timestamp overflow/],
    ["timestamp('9999-12-31T23:59:59Z') - timestamp('0001-01-01T00:00:00Z')", /integer overflow/],
    ["duration('2000000h') + duration('2000000h')", /integer overflow/],
    ["duration(s)", /invalid duration/],
  ])("%s fails at run time", (expression, message) => {
    expect(evalError(expression, { s: "2600000h" })).toMatch(message);
  });

  it("keeps results within range", () => {
    expect(evalCel("string(timestamp('9999-12-31T23:59:58Z') + duration('1s'))")).toBe(
      "9999-12-31T23:59:59Z",
    );
    expect(evalCel("string(duration('2500000h') - duration('1h'))")).toBe("8999996400s");
  });

  // cel.ValidateDurationLiterals, which Kubernetes enables
  it("refuses a duration literal beyond int64 nanoseconds at compile time", () => {
    expect(compileError("duration('320000000000s')")).toMatch(/invalid duration literal/);
  });

  // cel-go returns the whole duration in milliseconds (its DurationGetMilliseconds is dur.Milliseconds())
  it("gives a duration's milliseconds as the whole duration, as cel-go does", () => {
    expect(evalCel("duration('123.321s').getMilliseconds()")).toBe(123321n);
  });
});

// cel-go's DurationToInt overload of int(): nanoseconds
describe("int(duration)", () => {
  it.each([
    ["int(duration('1.5s'))", 1_500_000_000n],
    ["int(duration('-1h'))", -3_600_000_000_000n],
    ["int(duration('1s') - duration('1.25s'))", -250_000_000n],
    ["int(duration('0'))", 0n],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toBe(expected);
  });
});

describe("hostile time zones", () => {
  it("fails quickly with a short message on a huge or malformed zone", () => {
    const zone = "x".repeat(1_000_000);
    const error = evalError("timestamp('2026-07-01T12:00:00Z').getHours(z)", { z: zone });
    expect(error).toMatch(/unknown time zone x{64}\.\.\./);
    expect(error?.length).toBeLessThan(500);
    expect(evalError("timestamp('2026-07-01T12:00:00Z').getHours(z)", { z: `1:${zone}` })).toMatch(
      /invalid syntax/,
    );
  });
});
