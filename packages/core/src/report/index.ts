export type {
  FormatOptions,
  JsonFormatOptions,
  JunitFormatOptions,
  PolicyMetadata,
  PolicyReportFormatOptions,
  ReportFormat,
  ReportWriter,
  SarifFormatOptions,
  TextFormatOptions,
} from "./format/index.js";
export {
  displayPath,
  formatJson,
  formatJunit,
  formatPolicyReport,
  formatReport,
  formatSarif,
  formatText,
  REPORT_FORMATS,
  reportWriter,
  writeReport,
} from "./format/index.js";
export { skippedDocumentNotices } from "./notices.js";
export type { BuildReportInput, DecisionInput, FailurePolicy, ReportHead, TallyOptions } from "./outcome.js";
export {
  buildReport,
  decide,
  ReportTally,
  resourceKey,
  sortResults,
  summarise,
  toWireReport,
  withResults,
} from "./outcome.js";
export type {
  Decision,
  DocumentSource,
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
