/**
 * @celgate/core: the engine. load -> compile -> match -> evaluate -> report.
 * Pure: no I/O; callers pass text and get values back. Nothing here throws on bad input.
 */

export type { BudgetLimits } from "./cel/budget.js";
export { BudgetExceededError, DEFAULT_BUDGET } from "./cel/budget.js";
export { CEL_VARIABLES, celEnvironment } from "./cel/environment.js";
export { ESTIMATED_COST_LIMIT } from "./cel/types/cost.js";
export { KUBERNETES_SCHEMA_RELEASE } from "./cel/types/kinds.js";
export type {
  CompiledPolicy,
  CompiledPolicySet,
  CompileOptions,
  TypedFacts,
  TypedFactsMemo,
} from "./compile/compile.js";
// compile
export {
  compilePolicy,
  compilePolicySet,
  costWarnings,
  expressionsOf,
  policySetDigest,
  subsetOf,
  typedFactsKey,
} from "./compile/compile.js";
export { acceptsParam, type ParamProblem, paramProblems } from "./compile/params.js";
// diagnostics
export { DIAGNOSTIC_CODES, type DiagnosticCode } from "./diagnostics/codes.js";
export type { Diagnostic } from "./diagnostics/diagnostic.js";
export { diagnosticLine, hasErrors, renderDiagnostic } from "./diagnostics/render.js";
export type { EvaluateInput, ResultSink } from "./evaluate/evaluate.js";
// evaluate
export { evaluate, evaluateStream } from "./evaluate/evaluate.js";
export type { ExplainedStep, Explanation } from "./evaluate/explain.js";
export { explain } from "./evaluate/explain.js";
export type { ExpressionInput, ExpressionResult } from "./evaluate/expression.js";
export { evaluateExpression } from "./evaluate/expression.js";
export type { VapExport } from "./export/vap.js";
// export to Kubernetes ValidatingAdmissionPolicy
export { exportVap } from "./export/vap.js";
export { mergeImageFacts } from "./images/merge.js";
// one check of a caller's own image facts for the CLI and the service: their order never decides
export {
  type CheckImageFactsOrderOptions,
  checkImageFactsOrder,
  type ImageFactsField,
  type ImageFactsOrderProblem,
  MAX_FACTS_PER_IMAGE,
} from "./images/order.js";
export { parseImageFacts } from "./images/parse.js";
export {
  imageKey,
  isReferenceError,
  normalisedName,
  parseImageReference,
  tagKey,
} from "./images/reference.js";
export type { ImageFacts, ImageReference, ScanFacts, SignatureFacts, Vulnerability } from "./images/types.js";
export type { CheckValueOptions, InputLimits, LimitViolation } from "./limits/limits.js";
// input limits, shared by every entry point
export {
  checkJsonDepth,
  checkValue,
  DEFAULT_INPUT_LIMITS,
  describeLimit,
  INPUT_LIMITS,
  inputLimitsFromEnv,
  limitDiagnostic,
  limitViolation,
} from "./limits/limits.js";
export { MAX_MANIFEST_BYTES } from "./limits/sizes.js";
export { kindMatches } from "./match/match.js";
export type { PolicySelection, SelectionProblem } from "./match/select-policies.js";
export { selectPolicies } from "./match/select-policies.js";
export type { Labels, Selector } from "./match/selector.js";
// match
export { parseLabelSelector, selectorMatches } from "./match/selector.js";
export type { PolicyPathKind } from "./policy/files.js";
export {
  classifyPolicyPath,
  FIXTURE_FOLDERS,
  POLICY_FILE_EXTENSIONS,
  readsPolicyPath,
  SKIPPED_POLICY_FOLDERS,
  skipsPolicyFolder,
} from "./policy/files.js";
export type { DocumentOrigin, Located, ParsedDocuments } from "./policy/parse.js";
// load: celgate documents, manifests, image facts
export { formatPath, parsePolicyDocuments } from "./policy/parse.js";
export type {
  ExceptionDocument,
  ExceptionMatch,
  LabelSelector,
  PolicyDocument,
  PolicyMatch,
  PolicyTestCase,
  PolicyTestDocument,
} from "./policy/schema.js";
export {
  API_VERSION,
  exceptionSchema,
  policySchema,
  policyTestSchema,
} from "./policy/schema.js";
export type { SourceDocument, SourcePosition } from "./policy/source.js";
export { parseSourceDocuments } from "./policy/source.js";
// redaction: what is secret, replaced before anything is stored
// receipts: the canonical form of a resource, whose digest names it in a signed decision
export {
  canonicalResource,
  canonicalResourceJson,
  LAST_APPLIED_ANNOTATION,
  resourceDigest,
  resourceSubjectName,
  SERVER_SET_METADATA,
} from "./receipts/canonical.js";
export type { RedactionOptions } from "./redact/redact.js";
export { REDACTED_PREFIX, Redaction } from "./redact/redact.js";
export type { RedactionPath } from "./redact/rules.js";
export { CREDENTIAL_NAME, parseRedactionPaths } from "./redact/rules.js";
export type {
  FormatOptions,
  PolicyMetadata,
  ReportFormat,
  ReportHead,
  ReportWriter,
} from "./report/index.js";
// report
export {
  buildReport,
  decide,
  displayPath,
  formatReport,
  REPORT_FORMATS,
  reportWriter,
  skippedDocumentNotices,
  summarise,
  toWireReport,
  withResults,
  writeReport,
} from "./report/index.js";
export type {
  Decision,
  DocumentSource,
  EvaluationReport,
  FailurePolicy,
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
} from "./report/types.js";
export {
  DECISIONS,
  FAILURE_POLICIES,
  NOTICE_KINDS,
  OUTCOMES,
  POLICY_ACTIONS,
  SEVERITIES,
} from "./report/types.js";
export { effectiveNamespace, isClusterScoped, resourceRef } from "./resources/identity.js";
export type { ParseManifestsOptions } from "./resources/parse.js";
export { parseManifests, resourcesFromObjects } from "./resources/parse.js";
export type { Resource } from "./resources/types.js";
export { containersOf, podSpecOf, WORKLOAD_KINDS } from "./resources/workload.js";
// untrusted text made safe for a terminal (the text report and diagnostics use it)
export { printable } from "./util/printable.js";
// content digests
export { canonicalJson, sha256Hex } from "./util/sha256.js";
export { ENGINE_VERSION } from "./version.js";
