import type { ProblemFieldError } from "@celgate/contracts";
import type { Diagnostic } from "@celgate/core";

/** Engine diagnostics as problem `errors[]` entries (path, message, line, column, code). */
export function diagnosticErrors(diagnostics: readonly Diagnostic[]): ProblemFieldError[] {
  return diagnostics.map((d) => ({
    message: d.message,
    code: d.code,
    ...(d.path === undefined ? {} : { path: d.path }),
    ...(d.line === undefined ? {} : { line: d.line }),
    ...(d.column === undefined ? {} : { column: d.column }),
  }));
}

export const isError = (d: Diagnostic) => d.severity !== "warning";

/** Whether a diagnostic is about the text's syntax or its input limits (400) rather than its meaning (422). */
export const isSyntax = (d: Diagnostic) => /syntax|yaml|json|parse|^input-/i.test(d.code);

/** `message (line L, column C)` for a one-line detail. */
export function describe(d: Diagnostic): string {
  const at =
    d.line === undefined ? "" : ` (line ${d.line}${d.column === undefined ? "" : `, column ${d.column}`})`;
  return `${d.path ? `${d.path}: ` : ""}${d.message}${at}`;
}
