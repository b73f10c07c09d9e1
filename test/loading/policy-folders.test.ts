// One loader decision: the CLI (`celgate check -p DIR`), the service's repository sync
// (CELGATE_POLICY_DIR) and the library's own tests load the same policies from the same folder.
// They once did not: the service skipped `.json` policies but read `testdata/`, the library
// tests read only `.yaml`. The folder below holds each case.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupApp, type TestApp } from "../../apps/server/src/test/harness.js";
import { loadDocuments } from "../../packages/cli/src/inputs/documents.js";
import { parsePolicyDocuments } from "../../packages/core/src/index.js";
import { libraryFiles } from "../../policies/library.js";

const policy = (name: string) =>
  `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: ${name}
spec:
  match: {kinds: [ConfigMap]}
  validations:
    - expression: "true"
`;

const FILES: Record<string, string> = {
  "a.yaml": policy("plain-yaml"),
  "b.json": JSON.stringify({
    apiVersion: "celgate.dev/v1",
    kind: "Policy",
    metadata: { name: "plain-json" },
    spec: { match: { kinds: ["ConfigMap"] }, validations: [{ expression: "true" }] },
  }),
  "nested/c.yml": policy("nested-yml"),
  "nested/c.test.yaml": `apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: nested-yml-test}
spec:
  policy: nested-yml
  cases:
    - name: any config map
      expect: pass
      resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}
`,
  "fixtures/pod.yaml": policy("in-fixtures"),
  "nested/testdata/pod.yaml": policy("in-testdata"),
  ".hidden/d.yaml": policy("in-hidden-folder"),
  "notes.md": "not a document",
};

const EXPECTED = ["nested-yml", "plain-json", "plain-yaml"];

let dir: string;
let app: TestApp;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "celgate-folder-"));
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  app = await setupApp("pglite", { policyDir: dir });
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a policy folder", () => {
  it("gives the CLI the expected policies, and its tests only when asked", () => {
    const forCheck = loadDocuments([dir]);
    expect(forCheck.policies.map((p) => p.doc.metadata.name).sort()).toEqual(EXPECTED);
    expect(forCheck.tests).toEqual([]);
    expect(forCheck.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
    const forTest = loadDocuments([dir], { tests: true });
    expect(forTest.policies.map((p) => p.doc.metadata.name).sort()).toEqual(EXPECTED);
    expect(forTest.tests.map((t) => t.doc.metadata.name)).toEqual(["nested-yml-test"]);
  });

  it("gives the service's repository sync the same policies as the CLI", async () => {
    const { status, body } = await app.call("GET", "/v1/policies?source=repository&limit=500");
    expect(status).toBe(200);
    const names = (body.items as { name: string }[]).map((p) => p.name).sort();
    expect(names).toEqual(
      loadDocuments([dir])
        .policies.map((p) => p.doc.metadata.name)
        .sort(),
    );
    expect(names).toEqual(EXPECTED);
  });

  it("gives the library's tests the same policies and the test file", () => {
    const found = libraryFiles(dir).flatMap((file) => {
      const parsed = parsePolicyDocuments(readFileSync(file, "utf8"), file);
      return [...parsed.policies.map((p) => p.metadata.name), ...parsed.tests.map((t) => t.metadata.name)];
    });
    expect(found.sort()).toEqual([...EXPECTED, "nested-yml-test"].sort());
  });
});
