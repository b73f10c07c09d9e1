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
} from "@celgate/core";
import { InputError } from "../errors.js";
import { displayName, expand, type InputFile, readText } from "./files.js";

/** Folders holding test fixtures (Kubernetes manifests) next to policies; never read as policies. */
const FIXTURE_DIRS = new Set(["fixtures", "testdata"]);

export interface LoadedDocuments {
  policies: Located<PolicyDocument>[];
  exceptions: Located<ExceptionDocument>[];
  tests: Located<PolicyTestDocument>[];
  diagnostics: Diagnostic[];
  /** Source lines per file, for caret rendering. */
  lines: Map<string, string[]>;
}

/**
 * Reads celgate documents (policies, exceptions, tests) from files and folders. Folders are
 * walked recursively for *.yaml, *.yml and *.json, skipping `fixtures/` and `testdata/`.
 * Throws InputError for a path that does not exist; document problems come back as diagnostics.
 */
export function loadDocuments(paths: readonly string[], options: DocumentFileOptions = {}): LoadedDocuments {
  return parseDocumentFiles(readDocumentFiles(paths, options));
}

export interface DocumentFileOptions {
  /**
   * False when only policies and exceptions are wanted (`check`): a `*.test.*` file in which
   * no `kind: Policy` or `kind: PolicyException` appears is not read, as it can hold only tests.
   */
  tests?: boolean;
}

const TEST_FILE = /\.test\.(ya?ml|json)$/;
// a Policy or PolicyException kind anywhere in the text, block or flow style, quoted or not
const POLICY_KIND = /\bkind["']?\s*:\s*["']?(Policy|PolicyException)["']?\s*(?:[,}#]|$)/m;

/** The files `loadDocuments` parses, read (see loadDocuments). Throws InputError as it does. */
export function readDocumentFiles(paths: readonly string[], options: DocumentFileOptions = {}): InputFile[] {
  const files: InputFile[] = [];
  for (const path of paths) {
    for (const file of expand(path, FIXTURE_DIRS)) {
      const text = readText(file);
      if (options.tests === false && TEST_FILE.test(file) && !POLICY_KIND.test(text)) continue;
      files.push({ name: displayName(file), text });
    }
  }
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
    if (
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
