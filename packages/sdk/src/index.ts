/**
 * @celgate/sdk: a thin fetch client of the celgate REST API, for tools that deploy. No engine
 * and no Node built-ins inside: it runs on Node 20+ and in browsers.
 */

export type {
  DecisionPredicate,
  DsseEnvelope,
  Jwks,
  ReceiptStatement,
  SigningJwk,
} from "@celgate/contracts";
// durations as the service reads them (`24h`, `7d`), for options such as a receipt's maximum age
/** The severities at or above one, gravest first (the `severity` filter of findings). */
// whether a JSON text repeats a key in one object: a receipt file that does is ambiguous
// jwkThumbprint: the key id (RFC 7638) of an Ed25519 public key, as the service names its keys
export { duplicateJsonKey, jwkThumbprint, parseDuration, severitiesAtOrAbove } from "@celgate/contracts";
export { type CelgateClient, type ClientOptions, createClient, paginate } from "./client.js";
export {
  ApiError,
  DeployBlockedError,
  isApiError,
  isDeployBlockedError,
  isNetworkError,
  isSelectionError,
  isUnexpectedResponseError,
  NetworkError,
  SelectionError,
  UnexpectedResponseError,
  type UnexpectedResponseReason,
} from "./errors.js";
export {
  INVALID_RECEIPT_CODES,
  type ReceiptProblem,
  type ReceiptProblemCode,
  type ReceiptVerification,
  type VerifyReceiptOptions,
  verifyReceipt,
} from "./receipts/verify.js";
export { summarizeReport } from "./summary.js";
export type { FetchLike } from "./transport.js";
export type {
  AuditEntry,
  AuditListQuery,
  CallOptions,
  CreatedToken,
  CreatedWebhook,
  CreateTokenRequest,
  CreateWebhookRequest,
  Decision,
  EvaluateInput,
  EvaluateOptions,
  EvaluationListFilters,
  EvaluationReport,
  EvaluationSource,
  EvaluationStats,
  EvaluationStatsQuery,
  EvaluationSummary,
  ExceptionDocument,
  ExceptionListQuery,
  ExceptionResource,
  Finding,
  FindingQuery,
  Health,
  ImagePushResult,
  ImageQuery,
  ImageSummary,
  InventoryEntry,
  InventoryQuery,
  ManifestFile,
  Page,
  PageQuery,
  PolicyDocument,
  PolicyListQuery,
  PolicyResource,
  PolicySource,
  PolicyTestCase,
  PolicyTestCaseResult,
  PolicyTestList,
  PolicyTestRun,
  PolicyVersion,
  PreflightOptions,
  Readiness,
  ReplayInput,
  ReplayReport,
  ReportNotice,
  ReportResult,
  Role,
  StoredImage,
  Token,
  ValidationResult,
  Webhook,
  WebhookPayload,
  Whoami,
} from "./types.js";
