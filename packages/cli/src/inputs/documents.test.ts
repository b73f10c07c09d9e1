import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtinPolicyDir, loadDocuments } from "./documents.js";

const POLICY = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: hidden-in-a-test}
spec:
  validations:
    - expression: "true"
`;

describe("loadDocuments", () => {
  it("reads the built-in library's test files only when tests are wanted", () => {
    const forCheck = loadDocuments([builtinPolicyDir()]);
    const forTest = loadDocuments([builtinPolicyDir()], { tests: true });
    expect(forCheck.tests).toEqual([]);
    expect(forTest.tests.length).toBeGreaterThan(0);
    expect(forCheck.policies.map((p) => p.doc.metadata.name)).toEqual(
      forTest.policies.map((p) => p.doc.metadata.name),
    );
  });

  it("refuses a policy in a test file, which evaluating would never read", () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-docs-"));
    writeFileSync(join(dir, "x.test.yaml"), POLICY);
    const loaded = loadDocuments([dir], { tests: true });
    expect(loaded.diagnostics).toEqual([expect.objectContaining({ code: "document-in-test-file", line: 1 })]);
    expect(loaded.diagnostics[0]?.message).toContain("Policy hidden-in-a-test is in a test file");
    // named on its own, the file is read, and refused the same way
    expect(loadDocuments([join(dir, "x.test.yaml")]).diagnostics.map((d) => d.code)).toEqual([
      "document-in-test-file",
    ]);
    // walking for check, the file is not read at all
    expect(loadDocuments([dir])).toMatchObject({ policies: [], diagnostics: [] });
  });
});
