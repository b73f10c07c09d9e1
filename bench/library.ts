/**
 * Loads the built-in library: every *.yaml under policies/ except fixtures/ and testdata/
 * folders (test inputs, not policies), keeping the Policy documents with their origins.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { Diagnostic, Located, PolicyDocument } from "./lib/core.js";
import { parsePolicyDocuments } from "./lib/core.js";

const SKIPPED_FOLDERS = new Set(["fixtures", "testdata", "node_modules"]);

export interface LibrarySource {
  root: string;
  /** Paths relative to the repository root, as diagnostics name them. */
  files: { path: string; text: string }[];
}

export interface LoadedLibrary {
  policies: Located<PolicyDocument>[];
  /** Problems found while parsing; those documents are left out. */
  diagnostics: Diagnostic[];
  /** Documents that are not celgate documents at all (manifests kept as test inputs, say). */
  foreignDocuments: number;
  /** Lines of every file, for compile diagnostics with a caret. */
  lines: Map<string, string[]>;
}

/** Reads every policy file under `root` (sorted, so runs compare). Missing root: no files. */
export function readLibrary(root: string, repoRoot: string): LibrarySource {
  const files: LibrarySource["files"] = [];
  const walk = (dir: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith(".")) walk(path);
      } else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) {
        files.push({ path: relative(repoRoot, path), text: readFileSync(path, "utf8") });
      }
    }
  };
  walk(root);
  return { root, files };
}

/** Parses the files already read; keeps Policy documents only (tests and exceptions are dropped). */
export function parseLibrary(source: LibrarySource): LoadedLibrary {
  const policies: Located<PolicyDocument>[] = [];
  const diagnostics: Diagnostic[] = [];
  const lines = new Map<string, string[]>();
  let foreignDocuments = 0;
  for (const file of source.files) {
    const parsed = parsePolicyDocuments(file.text, file.path);
    policies.push(...parsed.located.policies);
    for (const diagnostic of parsed.diagnostics) {
      if (diagnostic.path === "apiVersion") foreignDocuments++;
      else diagnostics.push(diagnostic);
    }
    lines.set(file.path, file.text.split("\n"));
  }
  return { policies, diagnostics, foreignDocuments, lines };
}
