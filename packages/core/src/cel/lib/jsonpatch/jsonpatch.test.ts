import { describe, expect, it } from "vitest";
import { docCheckExpression, evalCel } from "../test-env.js";
import { jsonPatchFunctions } from "./index.js";

// k8s.io/apiserver/pkg/cel/library/jsonpatch.go: RFC 6901 escaping of a path segment
describe("jsonpatch library", () => {
  it("gives every documented result", () => {
    for (const doc of jsonPatchFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  it.each([
    ["jsonpatch.escapeKey('k8s.io/my~label')", "k8s.io~1my~0label"],
    ["jsonpatch.escapeKey('plain')", "plain"],
    ["jsonpatch.escapeKey('~1')", "~01"],
    ["jsonpatch.escapeKey('')", ""],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toBe(expected);
  });
});
