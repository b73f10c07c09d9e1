import { toWireReport, toWireResult } from "../outcome.js";
import type { EvaluationReport } from "../types.js";

export interface JsonFormatOptions {
  /** One line, no indentation (for machines); pretty-printed with two spaces by default. */
  compact?: boolean;
}

/**
 * The report as JSON in the wire shape: contract key order, without the formatter-only
 * `remediation` and `title` fields; pretty-printed unless `compact`. Ends with a newline;
 * never throws.
 */
export function formatJson(report: EvaluationReport, options: JsonFormatOptions = {}): string {
  const chunks: string[] = [];
  writeJson(report, (chunk) => chunks.push(chunk), options);
  return chunks.join("");
}

/**
 * Writes the text of `formatJson` to `write` in pieces, one result at a time, so that a large
 * report is never held as one string (nor as a second, wire-shaped copy of every result). The
 * pieces joined are exactly `formatJson`'s text. Throws only what `write` throws.
 */
export function writeJson(
  report: EvaluationReport,
  write: (chunk: string) => void,
  options: JsonFormatOptions = {},
): void {
  const { results, notices, ...head } = toWireReport({ ...report, results: [] });
  const indent = options.compact ? undefined : 2;
  const nl = options.compact ? "" : "\n";
  // the head object without its closing brace, then the results one by one, then the rest
  const headText = JSON.stringify(head, null, indent);
  write(headText.slice(0, headText.length - (options.compact ? 1 : 2)));
  write(options.compact ? ',"results":[' : ',\n  "results": [');
  const prefix = options.compact ? "" : "\n    ";
  report.results.forEach((result, index) => {
    const text = JSON.stringify(toWireResult(result), null, indent);
    write(`${index > 0 ? "," : ""}${prefix}${options.compact ? text : text.replace(/\n/g, "\n    ")}`);
  });
  write(report.results.length > 0 ? `${nl}${options.compact ? "" : "  "}]` : "]");
  if (notices !== undefined) {
    const text = JSON.stringify(notices, null, indent);
    write(options.compact ? `,"notices":${text}` : `,\n  "notices": ${text.replace(/\n/g, "\n  ")}`);
  }
  write(`${nl}}\n`);
}
