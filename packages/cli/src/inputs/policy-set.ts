import {
  type CompiledPolicySet,
  compilePolicySet,
  type Diagnostic,
  displayPath,
  type ExceptionDocument,
  hasErrors,
  renderDiagnostic,
  type TypedFactsMemo,
} from "@celgate/core";
import { cacheKey, readCache, writeCache } from "../cache.js";
import { InputError } from "../errors.js";
import { shownDiagnostic } from "../output.js";
import {
  builtinPolicyDir,
  type LoadedDocuments,
  type LoadOptions,
  loadDocuments,
  parseDocumentFiles,
  readDocumentFiles,
} from "./documents.js";

export interface PolicyInputs {
  set: CompiledPolicySet;
  exceptions: ExceptionDocument[];
  documents: LoadedDocuments;
  warnings: Diagnostic[];
}

export interface PolicyInputOptions extends LoadOptions {
  /**
   * For `check`: PolicyTest files are not read, and parsed policy documents come from the
   * cache (cache.ts) when the files are unchanged. `documents.tests` is then empty and
   * `documents.lines` may be too: callers that need them leave this off.
   */
  forEvaluation?: boolean;
}

/**
 * Loads and compiles the policies (the built-in library when no path is given) and the
 * exceptions; test files only when `options.tests` (see loadDocuments). Any error in any file
 * is an InputError carrying every diagnostic rendered with
 * file:line:col and a caret.
 */
export function loadPolicyInputs(
  policyPaths: readonly string[] | undefined,
  exceptionPaths: readonly string[] = [],
  options: PolicyInputOptions = {},
): PolicyInputs {
  const paths = policyPaths && policyPaths.length > 0 ? policyPaths : [builtinPolicyDir()];
  if (options.forEvaluation) {
    const files = readDocumentFiles(paths, { tests: false });
    const key = cacheKey(files);
    const cached = readCache(key);
    if (cached) {
      const { typedFacts, ...rest } = cached;
      const documents: LoadedDocuments = { ...rest, tests: [], diagnostics: [], lines: new Map() };
      const inputs = finish(paths, documents, exceptionPaths, { cached: true, typedFacts });
      // only a set that compiles without a word is used as cached: any diagnostic is rendered
      // from a full load, with the source positions the cache does not keep
      if (inputs) return inputs;
    }
    const documents = parseDocumentFiles(files);
    // what the policy files hold, before finish adds the --exceptions files
    const own = { policies: [...documents.policies], exceptions: [...documents.exceptions] };
    const parsedClean = documents.diagnostics.length === 0;
    const typedFacts: TypedFactsMemo = new Map();
    const inputs = finish(paths, documents, exceptionPaths, { cached: false, typedFacts })!;
    // the cache vouches for documents that compile without a word (the typed check's findings
    // are replayed unchecked): a set with any diagnostic, warnings included, is not stored
    if (parsedClean && inputs.compileDiagnostics === 0) writeCache(key, { ...own, typedFacts });
    return inputs;
  }
  return finish(paths, loadDocuments(paths, options), exceptionPaths, { cached: false })!;
}

/** Adds the exceptions, compiles, and throws on errors; from the cache, undefined on any diagnostic. */
function finish(
  paths: readonly string[],
  documents: LoadedDocuments,
  exceptionPaths: readonly string[],
  { cached, typedFacts }: { cached: boolean; typedFacts?: TypedFactsMemo },
): (PolicyInputs & { compileDiagnostics: number }) | undefined {
  if (exceptionPaths.length > 0) {
    const extra = loadDocuments(exceptionPaths);
    documents.exceptions.push(...extra.exceptions);
    documents.diagnostics.push(...extra.diagnostics);
    for (const [file, lines] of extra.lines) documents.lines.set(file, lines);
    if (extra.policies.length > 0) {
      documents.diagnostics.push({
        code: "unexpected-policy",
        message: "--exceptions files must hold PolicyException documents; policies found here are ignored",
        file: extra.policies[0]?.origin.file,
        severity: "warning",
      });
    }
  }
  const compiled = compilePolicySet(documents.policies, {
    fileLines: (file) => documents.lines.get(file),
    ...(typedFacts ? { typedFacts } : {}),
  });
  if (cached && compiled.diagnostics.length > 0) return undefined;
  const diagnostics = [...documents.diagnostics, ...compiled.diagnostics];
  throwOnErrors(diagnostics, "policy");
  if (compiled.set.policies.length === 0) {
    throw new InputError(`no policies found in ${paths.join(", ")}`);
  }
  return {
    set: compiled.set,
    exceptions: documents.exceptions.map((e) => e.doc),
    documents,
    warnings: diagnostics.filter((d) => d.severity === "warning"),
    compileDiagnostics: compiled.diagnostics.length,
  };
}

/** Throws an InputError carrying every error diagnostic, rendered, when there is any. */
export function throwOnErrors(diagnostics: readonly Diagnostic[], what: string): void {
  if (!hasErrors(diagnostics)) return;
  const errors = diagnostics.filter((d) => d.severity !== "warning");
  const first = errors[0]!;
  const where = [first.file === undefined ? undefined : displayPath(first.file), first.line, first.column]
    .filter((p) => p !== undefined)
    .join(":");
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  throw new InputError(
    `${where ? `${where}: ` : ""}${first.path ? `${first.path}: ` : ""}${first.message}${more}`,
    errors.map((d) => renderDiagnostic(shownDiagnostic(d))).join("\n") +
      `\n${errors.length} ${what} error${errors.length === 1 ? "" : "s"}`,
  );
}
