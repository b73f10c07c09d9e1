import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Diagnostic,
  type ExceptionDocument,
  type Located,
  type PolicyDocument,
  type PolicyTestDocument,
  parsePolicyDocuments,
  readsPolicyPath,
  skipsPolicyFolder,
} from "@celgate/core";
import { testFileDiagnostics } from "@celgate/core/testing";
import { InputError } from "../errors.js";
import { displayName, expand, type InputFile, readText, type WalkFilter } from "./files.js";

/** The engine decides which files of a policy folder hold documents; the CLI only walks. */
export const policyWalk = (tests: boolean): WalkFilter => ({
  folder: (name) => !skipsPolicyFolder(name),
  file: (relPath) => readsPolicyPath(relPath, { tests }),
});

export interface LoadOptions {
  /**
   * Read test files (`*.test.yaml`...) too: `celgate test` and `validate` want them; evaluating
   * does not, and skipping them saves most of the time spent loading the built-in library.
   */
  tests?: boolean;
}

export interface LoadedDocuments {
  policies: Located<PolicyDocument>[];
  exceptions: Located<ExceptionDocument>[];
  tests: Located<PolicyTestDocument>[];
  diagnostics: Diagnostic[];
  /** Source lines per file, for caret rendering. */
  lines: Map<string, string[]>;
}

/**
 * Reads celgate documents (policies, exceptions, and tests when `options.tests`) from files and
 * folders. Folders are walked recursively; which files are read is the engine's decision
 * (`classifyPolicyPath`: *.yaml, *.yml and *.json, not below `fixtures/`, `testdata/` or hidden
 * folders, test files only when tests are wanted), the same as the service's repository sync.
 * A file named on its own is read whatever its name. Throws InputError for a path that does not
 * exist; document problems come back as diagnostics.
 */
export function loadDocuments(paths: readonly string[], options: LoadOptions = {}): LoadedDocuments {
  return parseDocumentFiles(readDocumentFiles(paths, options));
}

/** The files `loadDocuments` parses, read (the walk and its rules as there). Throws InputError as it does. */
export function readDocumentFiles(paths: readonly string[], options: LoadOptions = {}): InputFile[] {
  const files: InputFile[] = [];
  for (const path of paths)
    for (const file of expand(path, policyWalk(options.tests ?? false)))
      files.push({ name: displayName(file), text: readText(file) });
  return files;
}

/** Parses files read by `readDocumentFiles`; every problem is a diagnostic. Never throws. */
export function parseDocumentFiles(files: readonly InputFile[]): LoadedDocuments {
  const out: LoadedDocuments = { policies: [], exceptions: [], tests: [], diagnostics: [], lines: new Map() };
  for (const { name, text } of files) {
    out.lines.set(name, text.split(/\r?\n/));
    const parsed = parsePolicyDocuments(text, name);
    out.policies.push(...parsed.located.policies);
    out.exceptions.push(...parsed.located.exceptions);
    out.tests.push(...parsed.located.tests);
    out.diagnostics.push(...parsed.diagnostics);
    // an empty test file, or a policy in one, is an error (core decides, as for the service)
    const ofTestFile = testFileDiagnostics(name, parsed);
    out.diagnostics.push(...ofTestFile);
    if (
      ofTestFile.length === 0 &&
      parsed.diagnostics.length === 0 &&
      parsed.located.policies.length + parsed.located.exceptions.length + parsed.located.tests.length === 0
    ) {
      out.diagnostics.push({
        code: "empty",
        message: "file holds no celgate documents",
        file: name,
        severity: "warning",
      });
    }
  }
  return out;
}

/**
 * The built-in library: `CELGATE_POLICY_DIR` when set, else the `policies/` folder shipped
 * with celgate (found by walking up from this file).
 */
export function builtinPolicyDir(): string {
  const fromEnv = process.env.CELGATE_POLICY_DIR;
  if (fromEnv) return fromEnv;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "policies");
    if (existsSync(join(candidate, "README.md")) || existsSync(join(candidate, "node-access")))
      return candidate;
    dir = resolve(dir, "..");
  }
  throw new InputError("cannot find the built-in policy library; pass --policies or set CELGATE_POLICY_DIR");
}
