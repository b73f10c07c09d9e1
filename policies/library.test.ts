/**
 * The library's own tests: every PolicyTest case under policies/ passes (one vitest test per
 * case), every catalogue policy exists with its labels and tests, and the whole library runs
 * over large real manifests (the corpora, when present) without a single `error` outcome.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { evaluate, parseManifests } from "@celgate/core";
import { runPolicyTests } from "@celgate/core/testing";
import { describe, expect, test } from "vitest";
import { corpus, needsCorpora } from "../test/support/corpora.js";
import { libraryPath, loadLibrary } from "./library.js";

const { set, tests, policies } = loadLibrary();

const run = runPolicyTests(tests, set, {
  readFixture: (testFile, path) => {
    try {
      return readFileSync(resolve(testFile ? dirname(testFile) : ".", path), "utf8");
    } catch {
      return undefined;
    }
  },
});

describe("PolicyTest cases", () => {
  test.each(run.cases.map((c) => ({ ...c, label: `${c.policy} / ${c.case}` })))("$label", (c) => {
    expect(c.passed, `${libraryPath(c.file)}: ${c.reason}`).toBe(true);
  });
});

describe("every policy", () => {
  const tested = new Map<string, { pass: number; fail: number }>();
  for (const c of run.cases) {
    const counts = tested.get(c.policy) ?? { pass: 0, fail: 0 };
    if (c.expected === "pass") counts.pass++;
    if (c.expected === "fail") counts.fail++;
    tested.set(c.policy, counts);
  }
  test.each(policies.map((p) => ({ name: p.doc.metadata.name, doc: p.doc, file: p.origin.file })))(
    "$name is documented, labelled and tested",
    ({ name, doc, file }) => {
      const practice = doc.metadata.labels?.practice;
      expect(practice, "labels.practice").toBeDefined();
      expect(libraryPath(file)).toBe(`${practice}/${name}.yaml`);
      expect(doc.spec.title, "title").toBeTruthy();
      expect(doc.spec.description, "description").toBeTruthy();
      expect(doc.spec.remediation, "remediation").toBeTruthy();
      expect(doc.spec.references?.length, "references").toBeGreaterThan(0);
      expect(
        doc.spec.validations.every((v) => v.message !== undefined || v.messageExpression !== undefined),
        "every validation says what is at fault",
      ).toBe(true);
      expect(
        doc.spec.validations.some((v) => v.messageExpression !== undefined),
        "a messageExpression names the container, image, field or value",
      ).toBe(true);
      const counts = tested.get(name) ?? { pass: 0, fail: 0 };
      expect(counts.pass, "passing cases").toBeGreaterThanOrEqual(1);
      expect(counts.fail, "failing cases").toBeGreaterThanOrEqual(2);
    },
  );
});

const withManifests = needsCorpora("library-manifests");
describe.skipIf(!withManifests)("real manifests (corpora)", () => {
  const dir = pathToFileURL(`${corpus("manifests")}/`);
  const files = withManifests ? readdirSync(dir).filter((name) => name.endsWith(".yaml")) : [];
  test.each(files)("%s: no policy errors", (name) => {
    const text = readFileSync(fileURLToPath(new URL(name, dir)), "utf8");
    const { resources } = parseManifests(text, name);
    expect(resources.length).toBeGreaterThan(0);
    const report = evaluate(set, { resources, context: { namespace: "default" } });
    const errors = report.results
      .filter((r) => r.outcome === "error")
      .map((r) => `${r.policy} on ${r.resource.kind}/${r.resource.name}: ${r.error}`);
    expect(errors).toEqual([]);
  });
});

test("odd but legal shapes (explicit nulls, no pod template, no rules): no policy errors", () => {
  const text = readFileSync(new URL("fixtures/odd-shapes.yaml", import.meta.url), "utf8");
  const { resources } = parseManifests(text, "odd-shapes.yaml");
  const report = evaluate(set, { resources });
  const errors = report.results
    .filter((r) => r.outcome === "error")
    .map((r) => `${r.policy} on ${r.resource.kind}/${r.resource.name}: ${r.error}`);
  expect(errors).toEqual([]);
});
