import type { EvaluationReport } from "../types.js";
import { formatJson, type JsonFormatOptions, jsonWriter, writeJson } from "./json.js";
import { formatJunit, type JunitFormatOptions } from "./junit.js";
import { formatPolicyReport, type PolicyReportFormatOptions } from "./policyreport.js";
import { formatSarif, type SarifFormatOptions } from "./sarif.js";
import { displayPath, formatText, type TextFormatOptions, textWriter } from "./text.js";
import type { ReportWriter } from "./writer.js";

export type ReportFormat = "text" | "json" | "sarif" | "junit" | "policyreport";
export const REPORT_FORMATS: readonly ReportFormat[] = ["text", "json", "sarif", "junit", "policyreport"];

/** The options of every format; each formatter reads only its own. */
export type FormatOptions = TextFormatOptions &
  JsonFormatOptions &
  SarifFormatOptions &
  JunitFormatOptions &
  PolicyReportFormatOptions;

/** Renders a report in one of the output formats. Pure; never throws. */
export function formatReport(
  report: EvaluationReport,
  format: ReportFormat,
  options: FormatOptions = {},
): string {
  switch (format) {
    case "text":
      return formatText(report, options);
    case "json":
      return formatJson(report, options);
    case "sarif":
      return formatSarif(report, options);
    case "junit":
      return formatJunit(report, options);
    case "policyreport":
      return formatPolicyReport(report, options);
  }
}

/**
 * Writes a report in one of the output formats to `write`, in pieces where the format allows
 * (JSON: one result at a time), else as one piece. The pieces joined are `formatReport`'s text.
 * Throws only what `write` throws.
 */
export function writeReport(
  report: EvaluationReport,
  format: ReportFormat,
  write: (chunk: string) => void,
  options: FormatOptions = {},
): void {
  if (format === "json") writeJson(report, write, options);
  else write(formatReport(report, format, options));
}

/**
 * A writer of the format that takes results as they arrive, resource by resource (see
 * ReportWriter), or undefined for a format that needs the whole report first (sarif, junit,
 * policyreport: they group results by policy or by namespace). Its text is `formatReport`'s
 * for the same report. Never throws.
 */
export function reportWriter(format: ReportFormat, options: FormatOptions = {}): ReportWriter | undefined {
  if (format === "json") return jsonWriter(options);
  if (format === "text") return textWriter(options);
  return undefined;
}

export type { PolicyMetadata } from "./sarif.js";
export type { ReportWriter } from "./writer.js";
export type {
  JsonFormatOptions,
  JunitFormatOptions,
  PolicyReportFormatOptions,
  SarifFormatOptions,
  TextFormatOptions,
};
export {
  displayPath,
  formatJson,
  formatJunit,
  formatPolicyReport,
  formatSarif,
  formatText,
  jsonWriter,
  textWriter,
  writeJson,
};
