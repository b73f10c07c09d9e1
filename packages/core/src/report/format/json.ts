import { toWireRef, toWireReport, wireResult } from "../outcome.js";
import type { EvaluationReport, ResourceRef, WireResult } from "../types.js";
import type { ReportWriter } from "./writer.js";

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
  const writer = jsonWriter(options);
  write(writer.head(report));
  for (const result of report.results) write(writer.results([result]));
  write(writer.tail(report));
}

/**
 * The JSON format written as results arrive (see ReportWriter): the head is the report's
 * fields before `results` (its decision and summary among them), the tail closes the list and
 * adds the notices. The text is `formatJson`'s for the same report. Never throws.
 */
export function jsonWriter(options: JsonFormatOptions = {}): ReportWriter {
  const compact = options.compact === true;
  const indent = compact ? undefined : 2;
  const nl = compact ? "" : "\n";
  let listed = 0;
  let ref: ResourceRef | undefined;
  let wireRef: ResourceRef | undefined;
  return {
    head(report) {
      const { results, notices, ...head } = toWireReport({ ...report, results: [] });
      // the head object without its closing brace, then the opening of the results
      const text = JSON.stringify(head, null, indent);
      const open = compact ? ',"results":[' : ',\n  "results": [';
      return text.slice(0, text.length - (compact ? 1 : 2)) + open;
    },
    results(results) {
      if (results.length === 0) return "";
      // the results of one resource share the wire form of its ref, and are written with one
      // JSON.stringify: their array's text, without its brackets (and, pretty, indented to
      // the depth of the report's list)
      const wire: WireResult[] = [];
      for (const result of results) {
        if (result.resource !== ref) {
          ref = result.resource;
          wireRef = toWireRef(ref);
        }
        wire.push(wireResult(result, wireRef!));
      }
      const text = JSON.stringify(wire, null, indent);
      const body = compact ? text.slice(1, -1) : text.slice(1, -2).replace(/\n/g, "\n  ");
      const out = listed > 0 ? `,${body}` : body;
      listed += results.length;
      return out;
    },
    tail(report) {
      let out = listed > 0 ? `${nl}${compact ? "" : "  "}]` : "]";
      const { notices } = toWireReport({ ...report, results: [] });
      if (notices !== undefined) {
        const text = JSON.stringify(notices, null, indent);
        out += compact ? `,"notices":${text}` : `,\n  "notices": ${text.replace(/\n/g, "\n  ")}`;
      }
      return `${out}${nl}}\n`;
    },
  };
}
