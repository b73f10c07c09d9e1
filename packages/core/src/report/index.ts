export type {
  FormatOptions,
  JsonFormatOptions,
  JunitFormatOptions,
  PolicyMetadata,
  PolicyReportFormatOptions,
  ReportFormat,
  SarifFormatOptions,
  TextFormatOptions,
} from "./format/index.js";
export {
  formatJson,
  formatJunit,
  formatPolicyReport,
  formatReport,
  formatSarif,
  formatText,
  REPORT_FORMATS,
  writeReport,
} from "./format/index.js";
export type { BuildReportInput, DecisionInput, FailurePolicy } from "./outcome.js";
export { buildReport, decide, resourceKey, sortResults, summarise, toWireReport } from "./outcome.js";
export type {
  Decision,
  EvaluationReport,
  Outcome,
  PolicyAction,
  ReportNotice,
  ResourceRef,
  Result,
  Severity,
  SourceLocation,
  Summary,
  Violation,
} from "./types.js";
export { OUTCOMES, SEVERITIES } from "./types.js";
