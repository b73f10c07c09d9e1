import { describe, expect, it } from "vitest";
import { renderDiagnostic } from "./render.js";

describe("renderDiagnostic", () => {
  it("prints the source line and the caret under the column", () => {
    const text = renderDiagnostic({
      code: "cel-syntax",
      message: "CEL syntax error: unexpected end of input",
      file: "p.yaml",
      line: 3,
      column: 9,
      sourceLine: "  x: a <=",
    });
    expect(text).toBe(
      "ERROR: p.yaml:3:9: CEL syntax error: unexpected end of input\n |   x: a <=\n |         ^",
    );
  });

  it("never passes a file's escape sequences or bidirectional controls to the terminal, and keeps the caret on its column", () => {
    const line = `  - expression: "\u001b[2J" == 'a\u202eb' && x <=`;
    const column = line.indexOf("<=") + 1;
    const text = renderDiagnostic({
      code: "cel-syntax",
      message: "bad \u001b]0;title\u0007 here",
      file: "p.yaml",
      line: 1,
      column,
      sourceLine: line,
    });
    for (const char of ["\u001b", "\u0007", "\u202e"]) expect(text).not.toContain(char);
    const [, source, caret] = text.split("\n");
    expect(source).toContain("\\u001b[2J");
    expect(source).toContain("a\\u202eb");
    // the caret sits under the `<` of the escaped line
    expect(source?.[caret!.indexOf("^")]).toBe("<");
    expect(text.split("\n")[0]).toContain("bad \\u001b]0;title\\u0007 here");
  });
});
