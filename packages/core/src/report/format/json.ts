import { toWireReport } from "../outcome.js";
import type { EvaluationReport } from "../types.js";

/** No options yet; the parameter keeps every formatter's signature alike. */
export type JsonFormatOptions = object;

/**
 * The report as pretty-printed JSON in the wire shape: contract key order, without the
 * formatter-only `remediation` and `title` fields. Ends with a newline; never throws.
 */
export function formatJson(report: EvaluationReport, _options: JsonFormatOptions = {}): string {
  return `${JSON.stringify(toWireReport(report), null, 2)}\n`;
}
