import { toWireRef, toWireReport, wireResult } from "../outcome.js";
import type { EvaluationReport, ResourceRef, Result, WireResult } from "../types.js";
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
 * Whether a result's text after its resource depends only on its policy, severity, action and
 * outcome: no violation, error, exception or policy version.
 */
function isPlain(result: Result): boolean {
  return (
    result.violations.length === 0 &&
    result.error === null &&
    result.exception === null &&
    result.policyVersion === undefined
  );
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
  // the resource of the latest result, its wire form and (compact) the start of its results'
  // text: results come resource by resource
  let ref: ResourceRef | undefined;
  let wireRef: ResourceRef | undefined;
  let resourceText = "";
  const wireRefOf = (resource: ResourceRef): ResourceRef => {
    if (resource !== ref || wireRef === undefined) {
      ref = resource;
      wireRef = toWireRef(resource);
      resourceText = compact ? `{"resource":${JSON.stringify(wireRef)}` : "";
    }
    return wireRef;
  };
  const plainRest = new Map<string, Pick<Result, "severity" | "action" | "outcome"> & { text: string }>();
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
      if (!compact) {
        // the results of one resource share the wire form of its ref, and are written with
        // one JSON.stringify: their array's text without its brackets, indented to the depth
        // of the report's list
        const wire: WireResult[] = [];
        for (const result of results) wire.push(wireResult(result, wireRefOf(result.resource)));
        const text = JSON.stringify(wire, null, indent);
        const body = text.slice(1, -2).replace(/\n/g, "\n  ");
        const out = listed > 0 ? `,${body}` : body;
        listed += results.length;
        return out;
      }
      // Compact: each result's text, joined once. A plain result (no violation, error,
      // exception or version: most passes) is its resource's text and its policy's, each made
      // once; the others are written by JSON.stringify.
      const parts: string[] = [];
      for (const result of results) {
        if (listed > 0) parts.push(",");
        listed += 1;
        const wire = wireRefOf(result.resource);
        if (!isPlain(result)) {
          parts.push(JSON.stringify(wireResult(result, wire)));
          continue;
        }
        let rest = plainRest.get(result.policy);
        if (
          rest === undefined ||
          rest.severity !== result.severity ||
          rest.action !== result.action ||
          rest.outcome !== result.outcome
        ) {
          // what follows the resource in the result's text: the same for every plain result
          // of this policy, severity, action and outcome
          const text = JSON.stringify(wireResult(result, wire));
          if (!text.startsWith(resourceText)) {
            // (never: a nested object's text is its own) written whole, nothing kept
            parts.push(text);
            continue;
          }
          rest = {
            severity: result.severity,
            action: result.action,
            outcome: result.outcome,
            text: text.slice(resourceText.length),
          };
          plainRest.set(result.policy, rest);
        }
        parts.push(resourceText, rest.text);
      }
      return parts.join("");
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
