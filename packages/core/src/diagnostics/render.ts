import type { Diagnostic } from "./diagnostic.js";

/**
 * Renders a diagnostic the way cel-go does: `ERROR: file:line:col: message`, then the source
 * line and a caret under the column when both are known. Never throws.
 */
export function renderDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.line, d.column].filter((part) => part !== undefined && part !== "").join(":");
  const label = d.severity === "warning" ? "WARNING" : "ERROR";
  const path = d.path ? ` (${d.path})` : "";
  let text = `${label}: ${where ? `${where}: ` : ""}${d.message}${path}`;
  if (d.sourceLine !== undefined && d.column !== undefined) {
    const line = d.sourceLine.replace(/\t/g, " ");
    text += `\n | ${line}\n | ${" ".repeat(Math.max(0, d.column - 1))}^`;
  }
  return text;
}

/** One line, for stderr summaries and HTTP problem details. */
export function diagnosticLine(d: Diagnostic): string {
  const where = [d.file, d.line, d.column].filter((part) => part !== undefined && part !== "").join(":");
  return `${where ? `${where}: ` : ""}${d.path ? `${d.path}: ` : ""}${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity !== "warning");
}
