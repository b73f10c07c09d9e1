import { describe, expect, it } from "vitest";
import { docCheckExpression, evalCel } from "../test-env.js";
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
});
