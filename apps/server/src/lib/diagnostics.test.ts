import { DIAGNOSTIC_CODES, type Diagnostic, type DiagnosticCode } from "@celgate/core";
import { describe, expect, it } from "vitest";
import { DIAGNOSTIC_STATUS, isSyntax } from "./diagnostics.js";

const diagnostic = (code: DiagnosticCode): Diagnostic => ({ code, message: "m" });

describe("the HTTP status of a diagnostic", () => {
  it("is decided for every code of the closed set, and only for those", () => {
    expect(Object.keys(DIAGNOSTIC_STATUS).sort()).toEqual([...DIAGNOSTIC_CODES].sort());
  });

  it("is 400 for text that cannot be read and for selections that match nothing", () => {
    for (const code of [
      "yaml-syntax",
      "input-limit",
      "input-nul",
      "binary-input",
      "selector-matches-nothing",
    ])
      expect(isSyntax(diagnostic(code as DiagnosticCode)), code).toBe(true);
  });

  it("is 422 for text that reads but means something invalid, whatever words its code holds", () => {
    // a regular expression over the code text once sent `cel-syntax` to 400 and an unknown
    // policy to 422; the table decides each code by what it means
    for (const code of ["schema", "cel-syntax", "cel-type", "duplicate-policy", "too-many-problems"])
      expect(isSyntax(diagnostic(code as DiagnosticCode)), code).toBe(false);
    expect(isSyntax(diagnostic("unknown-policy"))).toBe(true);
  });
});
