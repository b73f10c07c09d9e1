// Executable documentation: every shell example of docs/*.md runs as written, from the
// repository root, against one live service (embedded PGlite, evaluator worker threads) with
// the files of examples/; see test/support/doc-shell.ts for the conventions (`# exit: N`,
// `# illustrative: <why>`, console transcripts). README.md is run the same way by
// test/readme.test.ts, which also checks what the README says about the outputs.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryRoot } from "./support/corpora.js";
import { type DocShell, shellBlocksOf, startDocShell } from "./support/doc-shell.js";
import { describeDocument } from "./support/doc-tests.js";

const documents = readdirSync(join(repositoryRoot, "docs"))
  .filter((name) => name.endsWith(".md"))
  .sort()
  .map((name) => `docs/${name}`)
  .filter((file) => shellBlocksOf(file).length > 0);

let shell: DocShell | undefined;
beforeAll(async () => {
  shell = await startDocShell();
}, 120_000);
afterAll(async () => {
  await shell?.close();
});

it("finds the shell examples", () => {
  for (const file of ["docs/api.md", "docs/cli.md", "docs/quick-start.md"]) expect(documents).toContain(file);
  for (const file of ["docs/api.md", "docs/cli.md", "docs/writing-policies.md"]) {
    expect(shellBlocksOf(file).filter((b) => b.mode.run).length, file).toBeGreaterThan(0);
  }
});

for (const file of documents) {
  describeDocument(file, () => {
    if (!shell) throw new Error("the service did not start");
    return shell;
  });
}

describe("docs/writing-policies.md", () => {
  it("shows the files of examples/my-policies/ as they are", () => {
    const text = readFileSync(join(repositoryRoot, "docs/writing-policies.md"), "utf8");
    const yaml = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const file = (path: string) => readFileSync(join(repositoryRoot, "examples/my-policies", path), "utf8");
    // The policy is shown in three parts (what it is, what it applies to, the check), then the
    // test, its fixture and the exception.
    expect(yaml).toHaveLength(6);
    expect(yaml.slice(0, 3).join("")).toBe(file("no-default-service-account.yaml"));
    expect(yaml[3]).toBe(file("no-default-service-account.test.yaml"));
    expect(yaml[4]).toBe(file("fixtures/cronjob-default-sa.yaml"));
    expect(yaml[5]).toBe(file("exceptions.yaml"));
  });
});
