/**
 * Loads the built-in library for its own tests (psa.test.ts, library.test.ts, docs.test.ts):
 * every Policy and PolicyTest under policies/, the files chosen by the engine's
 * `classifyPolicyPath` as the CLI and the service choose them. Throws if any document does not parse or compile, so a broken policy fails loudly.
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
  readsPolicyPath,
  renderDiagnostic,
  skipsPolicyFolder,
} from "@celgate/core";

export type { PolicyDocument };

export const LIBRARY_DIR = fileURLToPath(new URL(".", import.meta.url));

/** Every document file of the library (policies and tests), sorted, as absolute paths. */
export function libraryFiles(dir = LIBRARY_DIR, root = dir): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skipsPolicyFolder(entry.name)) out.push(...libraryFiles(full, root));
    } else if (entry.isFile() && readsPolicyPath(relative(root, full), { tests: true })) out.push(full);
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
