import { printable } from "../util/printable.js";
import type { Diagnostic } from "./diagnostic.js";

/**
 * Renders a diagnostic the way cel-go does: `ERROR: file:line:col: message`, then the source
 * line and a caret under the column when both are known, as printable text (util/printable.ts).
 * Never throws.
 */
export function renderDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.line, d.column].filter((part) => part !== undefined && part !== "").join(":");
  const label = d.severity === "warning" ? "WARNING" : "ERROR";
  const path = d.path ? ` (${d.path})` : "";
  // the file's own text is printed as escapes where it would act on the terminal (ESC) or
  // reorder the line (bidirectional controls): the caret counts the escapes before it
  let text = printable(`${label}: ${where ? `${where}: ` : ""}${d.message}${path}`);
  if (d.sourceLine !== undefined && d.column !== undefined) {
    const line = d.sourceLine.replace(/\t/g, " ");
    const before = printable(line.slice(0, Math.max(0, d.column - 1))).length;
    text += `\n | ${printable(line)}\n | ${" ".repeat(before)}^`;
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
