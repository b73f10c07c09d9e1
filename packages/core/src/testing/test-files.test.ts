import { describe, expect, it } from "vitest";
import { parsePolicyDocuments } from "../policy/parse.js";
import { testFileDiagnostics } from "./test-files.js";

const TEST = `apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: t}
spec:
  policy: p
  cases:
    - {name: c, expect: skip, resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}}
`;
const POLICY = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: stray}
spec:
  validations:
    - expression: "true"
`;
const of = (file: string, text: string) => testFileDiagnostics(file, parsePolicyDocuments(text, file));

describe("testFileDiagnostics", () => {
  it("refuses a test file that holds no PolicyTest document, at its first line", () => {
    for (const text of ["", "# to do\n", "---\n---\n"])
      expect(of("dir/x.test.yaml", text)).toEqual([
        expect.objectContaining({ code: "empty", file: "dir/x.test.yaml", line: 1 }),
      ]);
    expect(of("x_test.json", "")[0]?.message).toContain("holds no PolicyTest document");
  });

  it("refuses a Policy in a test file, at its document", () => {
    expect(of("x.test.yaml", `${TEST}---\n${POLICY}`)).toEqual([
      expect.objectContaining({ code: "document-in-test-file", line: 9 }),
    ]);
  });

  it("says nothing of a test file with a test, of one that does not parse, nor of other files", () => {
    expect(of("x.test.yaml", TEST)).toEqual([]);
    // its syntax error is its own diagnostic
    expect(of("x.test.yaml", "spec: [\n")).toEqual([]);
    expect(of("x.yaml", "")).toEqual([]);
    expect(of("x.yaml", POLICY)).toEqual([]);
  });
});
