// The built console's weight: the engine (@celgate/core) is loaded by the playground's worker
// alone, never on a page's thread (the evaluation page imports it only on "Download SARIF"):
// the source editor takes only the engine's size limit (@celgate/core/limits).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { analyseBundle } from "./bundle.js";
import { browserAvailable } from "./harness.js";
import { CONSOLE_DIST } from "./setup.js";

it.skipIf(!browserAvailable)(
  "loads the engine in the playground's worker only, the editor on the editing pages only (replay's candidates too)",
  () => {
    const report = analyseBundle(CONSOLE_DIST);
    expect(report.initial.files.length).toBeGreaterThan(0);
    expect(report.initial.files).not.toContain(report.engineFile);
    const withEngine = Object.entries(report.pages)
      .filter(([, p]) => p.engine)
      .map(([name]) => name);
    expect(withEngine).toEqual([]);
    const withWorker = Object.entries(report.pages)
      .filter(([, p]) => p.workers.length > 0)
      .map(([name]) => name);
    expect(withWorker).toEqual(["playground"]);
    // the built-in library's text comes with the worker, not with the page
    const library = "container-resources-required";
    const playground = report.pages.playground!;
    expect(readFileSync(join(CONSOLE_DIST, playground.workers[0]!), "utf8")).toContain(library);
    for (const f of playground.files)
      expect(readFileSync(join(CONSOLE_DIST, f), "utf8")).not.toContain(library);
    // the source editor (CodeMirror) comes with the pages that edit, never with the shell
    expect(report.initialEditor).toBe(false);
    const withEditor = Object.entries(report.pages)
      .filter(([, p]) => p.editor)
      .map(([name]) => name)
      .sort();
    expect(withEditor).toEqual(["playground", "policy-edit", "replay"]);
    expect(Object.keys(report.pages).sort()).toEqual(
      [
        "audit",
        "evaluation",
        "exceptions",
        "findings",
        "history",
        "images",
        "inventory",
        "overview",
        "playground",
        "policies",
        "policy",
        "policy-edit",
        "replay",
        "tokens",
      ].sort(),
    );
  },
);
