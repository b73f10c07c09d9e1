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
  NoticeKind,
  Outcome,
  PolicyAction,
  ReportNotice,
  ResourceRef,
  Result,
  Severity,
  SourceLocation,
  Summary,
  Violation,
  WireReport,
  WireResult,
} from "./types.js";
export { DECISIONS, FAILURE_POLICIES, NOTICE_KINDS, OUTCOMES, POLICY_ACTIONS, SEVERITIES } from "./types.js";
