/**
 * Loads the built-in library for its own tests (psa.test.ts, library.test.ts, docs.test.ts):
 * every Policy and PolicyTest under policies/, skipping `fixtures/` and `testdata/` as the CLI
 * does. Throws if any document does not parse or compile, so a broken policy fails loudly.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CompiledPolicySet,
  compilePolicySet,
  type Located,
  type PolicyDocument,
  type PolicyTestDocument,
  parsePolicyDocuments,
  renderDiagnostic,
} from "@celgate/core";

export type { PolicyDocument };

export const LIBRARY_DIR = fileURLToPath(new URL(".", import.meta.url));

const SKIPPED_DIRS = new Set(["fixtures", "testdata", "node_modules"]);

/** Every *.yaml file of the library, sorted, as absolute paths. */
export function libraryFiles(dir = LIBRARY_DIR): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) out.push(...libraryFiles(full));
    } else if (/\.ya?ml$/.test(entry.name)) out.push(full);
  }
  return out;
}

export interface Library {
  policies: Located<PolicyDocument>[];
  tests: Located<PolicyTestDocument>[];
  set: CompiledPolicySet;
}

let cached: Library | undefined;

/** Parses and compiles the whole library once per test file. */
export function loadLibrary(): Library {
  if (cached) return cached;
  const policies: Located<PolicyDocument>[] = [];
  const tests: Located<PolicyTestDocument>[] = [];
  const problems: string[] = [];
  for (const file of libraryFiles()) {
    // origins keep the absolute path, so fixtures can be read relative to the test document
    const parsed = parsePolicyDocuments(readFileSync(file, "utf8"), file);
    for (const d of parsed.diagnostics) if (d.severity !== "warning") problems.push(renderDiagnostic(d));
    policies.push(...parsed.located.policies);
    tests.push(...parsed.located.tests);
  }
  const { set, diagnostics } = compilePolicySet(policies);
  for (const d of diagnostics) if (d.severity !== "warning") problems.push(renderDiagnostic(d));
  if (problems.length > 0) throw new Error(`the policy library does not load:\n${problems.join("\n")}`);
  cached = { policies, tests, set };
  return cached;
}

/** A path relative to the library folder, for readable test names. */
export function libraryPath(file: string | undefined): string {
  return file ? relative(LIBRARY_DIR, file) : "?";
}
