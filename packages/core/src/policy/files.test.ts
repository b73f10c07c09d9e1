import { describe, expect, it } from "vitest";
import { classifyPolicyPath, readsPolicyPath, skipsPolicyFolder } from "./files.js";

describe("classifyPolicyPath", () => {
  it.each([
    ["a.yaml", "documents"],
    ["practice/a.yml", "documents"],
    ["practice/a.json", "documents"],
    ["practice/A.YAML", "documents"],
    ["practice/a.test.yaml", "tests"],
    ["practice/a_test.yml", "tests"],
    ["practice/a.test.json", "tests"],
    ["practice\\a.test.yaml", "tests"],
    ["fixtures/pod.yaml", "fixture"],
    ["practice/fixtures/pod.yaml", "fixture"],
    ["practice/testdata/deep/pod.json", "fixture"],
    ["README.md", "ignored"],
    ["practice/a.yaml.bak", "ignored"],
    [".hidden.yaml", "ignored"],
    [".git/a.yaml", "ignored"],
    ["node_modules/x/a.yaml", "ignored"],
    ["", "ignored"],
  ])("%s is %s", (path, kind) => {
    expect(classifyPolicyPath(path)).toBe(kind);
  });

  it("reads test files only when tests are wanted", () => {
    expect(readsPolicyPath("p/a.test.yaml", { tests: false })).toBe(false);
    expect(readsPolicyPath("p/a.test.yaml", { tests: true })).toBe(true);
    expect(readsPolicyPath("p/a.yaml", { tests: false })).toBe(true);
    expect(readsPolicyPath("p/fixtures/a.yaml", { tests: true })).toBe(false);
  });

  it("prunes hidden, fixture and dependency folders", () => {
    for (const name of [".git", "fixtures", "testdata", "node_modules"])
      expect(skipsPolicyFolder(name)).toBe(true);
    expect(skipsPolicyFolder("security-context")).toBe(false);
  });
});
