import type { ProblemFieldError, Diagnostic as WireDiagnostic } from "@celgate/contracts";
import type { Diagnostic, DiagnosticCode } from "@celgate/core";

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

/**
 * The HTTP status of a request refused for a diagnostic with this code: 400 when the text
 * cannot be read at all (its syntax, an input limit) or names nothing (a selection that matches
 * no policy), 422 when it reads but means something invalid (a schema or CEL error). Every code
 * is listed, so a new code in core does not compile until it is given a status here.
 */
export const DIAGNOSTIC_STATUS: Readonly<Record<DiagnosticCode, 400 | 422>> = {
  "yaml-syntax": 400,
  "input-limit": 400,
  "input-nul": 400,
  "input-unicode": 400,
  "input-too-large": 400,
  "binary-input": 400,
  "not-an-object": 422,
  empty: 422,
  schema: 422,
  "celgate-document": 422,
  "unexpected-policy": 422,
  "document-in-test-file": 422,
  "duplicate-policy": 422,
  "duplicate-variable": 422,
  "cel-syntax": 422,
  "cel-type": 422,
  "cel-hidden-character": 422,
  "cel-unknown-variable": 422,
  "cel-cost": 422,
  "cel-runtime": 422,
  resource: 422,
  "unknown-policy": 400,
  "selector-matches-nothing": 400,
  "image-facts-format": 422,
  "not-image-scan": 422,
  "unsupported-version": 422,
  "image-reference": 422,
  limit: 422,
  internal: 422,
  "too-many-problems": 422,
};

/** Whether a diagnostic makes a request malformed (400) rather than unprocessable (422); see DIAGNOSTIC_STATUS. */
export const isSyntax = (d: Diagnostic) => DIAGNOSTIC_STATUS[d.code] === 400;

/** `message (line L, column C)` for a one-line detail. */
export function describe(d: Diagnostic): string {
  const at =
    d.line === undefined ? "" : ` (line ${d.line}${d.column === undefined ? "" : `, column ${d.column}`})`;
  return `${d.path ? `${d.path}: ` : ""}${d.message}${at}`;
}

/** An engine diagnostic as the API writes it (ValidationResult, PolicyTestList): undefined fields left out. */
export function wireDiagnostic(d: Diagnostic): WireDiagnostic {
  return {
    code: d.code,
    message: d.message,
    ...(d.path === undefined ? {} : { path: d.path }),
    ...(d.file === undefined ? {} : { file: d.file }),
    ...(d.line === undefined ? {} : { line: d.line }),
    ...(d.column === undefined ? {} : { column: d.column }),
    ...(d.sourceLine === undefined ? {} : { sourceLine: d.sourceLine }),
    ...(d.severity === undefined ? {} : { severity: d.severity }),
  };
}
