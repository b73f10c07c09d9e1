// The built console's weight: the engine (@celgate/core) is loaded by the playground alone,
// never by the shell or another page (the evaluation page imports it only on "Download SARIF").
import { expect, it } from "vitest";
import { analyseBundle } from "./bundle.js";
import { browserAvailable } from "./harness.js";
import { CONSOLE_DIST } from "./setup.js";

it.skipIf(!browserAvailable)(
  "loads the engine on the playground page only, the editor on the editing pages only (replay's candidates too)",
  () => {
    const report = analyseBundle(CONSOLE_DIST);
    expect(report.initial.files.length).toBeGreaterThan(0);
    expect(report.initial.files).not.toContain(report.engineFile);
    const withEngine = Object.entries(report.pages)
      .filter(([, p]) => p.engine)
      .map(([name]) => name);
    expect(withEngine).toEqual(["playground"]);
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
