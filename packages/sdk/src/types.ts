import type {
  AuditEntryRead,
  AuditTargetKind,
  CreatedToken,
  CreatedWebhookRead,
  CreateTokenRequest,
  CreateWebhookRequest,
  Decision,
  EvaluationListQuery,
  EvaluationReportRead,
  EvaluationRequest,
  EvaluationSource,
  EvaluationStatsQuery,
  EvaluationStatsRead,
  EvaluationSummaryRead,
  ExceptionResource,
  FindingListQuery,
  FindingRead,
  Health,
  ImageListQuery,
  ImagePushResult,
  ImageSummary,
  InventoryEntryRead,
  InventoryListQuery,
  ManifestFile,
  PolicyResource,
  PolicySource,
  PolicyTestCase,
  PolicyTestCaseResult,
  PolicyTestList,
  PolicyTestRun,
  PolicyVersionRead,
  Readiness,
  ReplayReport,
  ReplayRequest,
  Role,
  StoredImage,
  Token,
  ValidationResult,
  WebhookPayload,
  WebhookRead,
  WhoamiRead,
} from "@celgate/contracts";

export type {
  CreatedToken,
  CreateTokenRequest,
  CreateWebhookRequest,
  Decision,
  EvaluationSource,
  EvaluationStatsQuery,
  ExceptionResource,
  Health,
  ImagePushResult,
  ImageSummary,
  ManifestFile,
  PolicyResource,
  PolicySource,
  PolicyTestCase,
  PolicyTestCaseResult,
  PolicyTestList,
  PolicyTestRun,
  Readiness,
  ReplayReport,
  Role,
  StoredImage,
  Token,
  ValidationResult,
  WebhookPayload,
};

/**
 * The evaluation report: the same shape as `celgate check --format json`. A notice's `kind` may
 * be one a newer service added (see ReportNotice); everything else is as the contracts declare.
 */
export type EvaluationReport = EvaluationReportRead;
/**
 * A notice of a report: informational, never part of the decision. Its `kind` is one of
 * `expired-exception`, `unused-image-facts`, `skipped-document`, `warning`, or one a newer
 * service added: show an unknown one by its `message`.
 */
export type ReportNotice = NonNullable<EvaluationReport["notices"]>[number];
/**
 * A finding. Its `cause` and `resolution` may be ones a newer service added (shown as sent);
 * its `severity`, `action` and `status` are always one of the contracts' values.
 */
export type Finding = FindingRead;
/**
 * A history row (`evaluations.list`). Its `source` may be one a newer service added (shown as
 * sent); its `decision` is always one of the contracts' values.
 */
export type EvaluationSummary = EvaluationSummaryRead;
/** Evaluation counts (`evaluations.stats`); a row's `source` may be one a newer service added. */
export type EvaluationStats = EvaluationStatsRead;
/**
 * An audit entry. Its `targetKind` may be one a newer service added (shown as sent); filter
 * with the known ones (AuditListQuery).
 */
export type AuditEntry = AuditEntryRead;
/** An inventory entry; its `source` may be one a newer service added. */
export type InventoryEntry = InventoryEntryRead;
/** A stored policy version; its `change` may be one a newer service added. */
export type PolicyVersion = PolicyVersionRead;
/**
 * A webhook as listed. Its `events` may hold ones a newer service added (shown as sent); a
 * webhook is created with known ones only (CreateWebhookRequest).
 */
export type Webhook = WebhookRead;
/** A created webhook: a Webhook and its signing `secret`, shown in this answer only. */
export type CreatedWebhook = CreatedWebhookRead;
/**
 * The calling token (`whoami()`): its id, name, role and actions. `id` is absent only from a
 * service older than that field.
 */
export type Whoami = WhoamiRead;
/** One (resource, policy) result of a report. */
export type ReportResult = EvaluationReport["results"][number];

/**
 * Body of an evaluation: exactly one of `manifests` (YAML or JSON text, or a list of
 * `{file, text}` so that each result's `source.file` names its own file) and `resources` (objects).
 */
export type EvaluateInput = EvaluationRequest;

/** A Policy document as an object, or its YAML/JSON text. */
export type PolicyDocument = PolicyResource["document"];
/** A PolicyException document as an object, or its YAML/JSON text. */
export type ExceptionDocument = ExceptionResource["document"];

/** A page of a list; pass `nextCursor` as `cursor` to get the next one (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `limit` (1-500, default 50) and the opaque `cursor` of every list. */
export interface PageQuery {
  limit?: number;
  cursor?: string;
}

/** Options every call accepts. */
export interface CallOptions {
  /** Cancels the call (and its retries). */
  signal?: AbortSignal;
}

export interface EvaluateOptions extends CallOptions {
  /**
   * Sent as `Idempotency-Key`; a fresh random one by default. The same key is kept across
   * retries, so a retried evaluation is recorded once.
   */
  idempotencyKey?: string;
  /** Where the evaluation comes from, as recorded in history; `api` by default. */
  source?: Exclude<EvaluationSource, "admission">;
}

export interface PreflightOptions extends EvaluateOptions {
  /** Block on `deny` (default) or already on `warn`. */
  failOn?: "deny" | "warn";
}

export type PolicyListQuery = PageQuery & {
  /** Label selector over policy labels, e.g. `pss in (baseline,restricted)`. */
  select?: string;
  source?: PolicySource;
};

export type EvaluationListFilters = PageQuery &
  Partial<EvaluationListQuery> & {
    /** `context.<key>=<value>` filters: the context given at evaluation time. */
    context?: Record<string, string>;
  };

export type ExceptionListQuery = PageQuery & {
  /** Only live exceptions lapsing within this duration, e.g. `7d`. */
  expiring?: string;
  policy?: string;
};

export type AuditListQuery = PageQuery & {
  targetKind?: AuditTargetKind;
  targetName?: string;
  actor?: string;
  since?: string;
  until?: string;
};

/** Body of a replay; `limit` defaults to 100. */
export type ReplayInput = Omit<ReplayRequest, "limit"> & { limit?: number };

/** Filters of `GET /v1/inventory`; `object: true` includes each (redacted) object. */
export type InventoryQuery = PageQuery &
  Partial<Omit<InventoryListQuery, "failing" | "object">> & { failing?: boolean; object?: boolean };

/** Filters of `GET /v1/findings`: open ones unless `status` says otherwise; `severity` means "at or above". */
export type FindingQuery = PageQuery & Partial<FindingListQuery>;

/** Filters of `GET /v1/images`: `stale: "7d"` for scans older than 7 days or missing. */
export type ImageQuery = PageQuery & Partial<ImageListQuery>;
