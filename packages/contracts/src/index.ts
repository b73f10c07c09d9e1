export {
  type AdmissionReviewRequest,
  AdmissionReviewRequestSchema,
  type AdmissionReviewResponse,
  AdmissionReviewResponseSchema,
} from "./admission.js";
export { type AuditEntry, AuditEntrySchema, AuditListQuerySchema, AuditListSchema } from "./audit.js";
export {
  DEFAULT_PAGE_LIMIT,
  DurationSchema,
  type EvaluationSource,
  EvaluationSourceSchema,
  MAX_PAGE_LIMIT,
  ObjectMetaSchema,
  type PaginationQuery,
  PaginationQuerySchema,
  type Problem,
  type ProblemFieldError,
  ProblemFieldErrorSchema,
  ProblemSchema,
  pageSchema,
  parseDuration,
  type Role,
  RoleSchema,
} from "./common.js";
export {
  type EvaluationList,
  type EvaluationListQuery,
  EvaluationListQuerySchema,
  EvaluationListSchema,
  type EvaluationRequest,
  EvaluationRequestSchema,
  type EvaluationSummary,
  EvaluationSummarySchema,
  MAX_RESOURCES_PER_EVALUATION,
} from "./evaluations.js";
export {
  ExceptionDocumentSchema,
  ExceptionListQuerySchema,
  ExceptionListSchema,
  type ExceptionResource,
  ExceptionResourceSchema,
} from "./exceptions.js";
export {
  ImageDigestSchema,
  ImageFactsInputSchema,
  ImageFactsSchema,
  type ImageFactsWire,
  type StoredImage,
  StoredImageSchema,
  VulnerabilitySchema,
} from "./images.js";
export {
  DiagnosticSchema,
  PolicyChangeSchema,
  PolicyDocumentSchema,
  type PolicyList,
  PolicyListQuerySchema,
  PolicyListSchema,
  type PolicyResource,
  PolicyResourceSchema,
  type PolicySource,
  PolicySourceSchema,
  type PolicyVersion,
  PolicyVersionListSchema,
  PolicyVersionSchema,
  type ValidationResult,
  ValidationResultSchema,
} from "./policies.js";
export {
  type ReplayReport,
  ReplayReportSchema,
  type ReplayRequest,
  ReplayRequestSchema,
} from "./replays.js";
export {
  type Decision,
  DecisionSchema,
  EvaluationReportSchema,
  type EvaluationReportWire,
  type Outcome,
  OutcomeSchema,
  PolicyActionSchema,
  type ReportResult,
  ResourceRefSchema,
  ResultSchema,
  SeveritySchema,
  SummarySchema,
  ViolationSchema,
} from "./report.js";
export {
  type CreatedToken,
  CreatedTokenSchema,
  type CreateTokenRequest,
  CreateTokenRequestSchema,
  type Token,
  TokenListSchema,
  TokenSchema,
} from "./tokens.js";
