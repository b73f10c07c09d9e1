// Executable documentation: every shell example of docs/*.md runs as written, from the
// repository root, against one live service (embedded PGlite, evaluator worker threads) with
// the files of examples/; see test/support/doc-shell.ts for the conventions (`# exit: N`,
// `# illustrative: <why>`, console transcripts). README.md is run the same way by
// test/readme.test.ts, which also checks what the README says about the outputs.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { repositoryRoot } from "./support/corpora.js";
import { type DocShell, shellBlocksOf, startDocShell } from "./support/doc-shell.js";
import { describeDocument } from "./support/doc-tests.js";

const documents = readdirSync(join(repositoryRoot, "docs"))
  .filter((name) => name.endsWith(".md"))
  .sort()
  .map((name) => `docs/${name}`);

let shell: DocShell | undefined;
beforeAll(async () => {
  shell = await startDocShell();
}, 120_000);
afterAll(async () => {
  await shell?.close();
});

it("finds the shell examples", () => {
  expect(documents).toContain("docs/api.md");
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
