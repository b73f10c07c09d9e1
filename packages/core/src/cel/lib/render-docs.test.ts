import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allFunctionDocs, CELGATE_FUNCTIONS, functionLibraries } from "./index.js";
import { renderFunctionReference } from "./render-docs.js";
import { docCheckExpression, evalCel } from "./test-env.js";

const REFERENCE = new URL("../../../../../docs/cel-functions.md", import.meta.url);

describe("CEL function reference", () => {
  it("docs/cel-functions.md is the rendered reference (UPDATE_DOCS=1 rewrites it)", () => {
    const rendered = renderFunctionReference();
    if (process.env.UPDATE_DOCS) writeFileSync(REFERENCE, rendered);
    expect(readFileSync(REFERENCE, "utf8")).toBe(rendered);
  });

  it("lists every library with at least one function", () => {
    expect(functionLibraries.map((l) => l.name)).toHaveLength(15);
    for (const library of functionLibraries) expect(library.functions.length).toBeGreaterThan(0);
  });

  it("lists celgate's own functions, and only them, in their own library", () => {
    const celgate = functionLibraries.find((l) => l.name.startsWith("celgate"));
    expect(celgate?.functions.map((f) => f.signature)).toEqual(
      CELGATE_FUNCTIONS.map((f) => f.display.replace("()", "(<int>) -> <Quantity>")),
    );
  });

  it("every example gives its documented result", () => {
    for (const doc of allFunctionDocs) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  it("renders a section per function with its example and result", () => {
    const rendered = renderFunctionReference();
    for (const doc of allFunctionDocs) {
      expect(rendered).toContain(`### \`${doc.signature}\``);
      expect(rendered).toContain(`${doc.example}\n// => ${doc.result}\n`);
    }
  });
});
