import {
  AuditListReadSchema,
  CreatedTokenSchema,
  CreatedWebhookReadSchema,
  DsseEnvelopeSchema,
  EvaluationListReadSchema,
  EvaluationReportReadSchema,
  EvaluationStatsReadSchema,
  ExceptionListSchema,
  ExceptionResourceSchema,
  FindingListReadSchema,
  HealthSchema,
  ImageListSchema,
  ImagePushResultSchema,
  InventoryListReadSchema,
  JwksSchema,
  PolicyListSchema,
  PolicyResourceSchema,
  PolicyTestListSchema,
  PolicyTestRunSchema,
  PolicyVersionListReadSchema,
  PolicyVersionReadSchema,
  ReadinessSchema,
  ReplayReportSchema,
  reportContradiction,
  StoredImageSchema,
  TokenListSchema,
  TokenSchema,
  ValidationResultSchema,
  WebhookListReadSchema,
  WhoamiReadSchema,
} from "@celgate/contracts";
import { DeployBlockedError, UnexpectedResponseError } from "./errors.js";
import { summarizeReport } from "./summary.js";
import { type Answer, type FetchLike, type RequestSpec, send, type TransportOptions } from "./transport.js";
import type {
  AuditListQuery,
  CallOptions,
  CreateTokenRequest,
  CreateWebhookRequest,
  EvaluateInput,
  EvaluateOptions,
  EvaluationListFilters,
  EvaluationReport,
  EvaluationStatsQuery,
  ExceptionDocument,
  ExceptionListQuery,
  ExceptionResource,
  FindingQuery,
  ImageQuery,
  InventoryQuery,
  Page,
  PageQuery,
  PolicyDocument,
  PolicyListQuery,
  PolicyResource,
  PreflightOptions,
  ReplayInput,
  Role,
} from "./types.js";

export interface ClientOptions {
  /** Where the service runs, e.g. `https://celgate.example` (a path prefix is kept). */
  baseUrl: string;
  /** An API token (`Authorization: Bearer`). Only /healthz and /readyz work without one. */
  token?: string | undefined;
  /** Per attempt, in milliseconds; default 10 000. */
  timeoutMs?: number;
  /**
   * The whole call's budget in milliseconds, retries and the waits between them included;
   * default twice `timeoutMs`. A service that accepts the connection and never answers
   * costs at most this long, not `timeoutMs` for every attempt. 0: no overall budget.
   */
  deadlineMs?: number;
  /** Retries after the first attempt, where retrying is safe; default 2. */
  retries?: number;
  /** First backoff delay in ms (doubling, with full jitter); default 250. */
  retryBaseMs?: number;
  /** Longest backoff delay and longest Retry-After waited for, in ms; default 10 000. */
  retryMaxMs?: number;
  /**
   * The longest answer body read, in bytes; default 64 MiB. A longer one stops being read
   * there and the call throws UnexpectedResponseError (`too-large`). Infinity: no limit.
   */
  maxResponseBytes?: number;
  /** A fetch implementation; the global one by default. */
  fetch?: FetchLike;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
}

/**
 * The default `maxResponseBytes`: room for the report of a deploy's bundle (a few thousand
 * workloads), not for every report a service stores (10,000 workloads make about 107 MB); a
 * caller that reads such reports sets more (the CLI's `--server` does, the web console too).
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Written as `Idempotency-Key` on evaluations. Uses crypto.randomUUID where there is one. */
function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `{name}` path segments are encoded; names may hold characters that are special in a path. */
const seg = (value: string) => encodeURIComponent(value);

function pageQuery(q: PageQuery | undefined) {
  return { limit: q?.limit, cursor: q?.cursor };
}

/** The one zod issue the client reports of an answer: where in the body, and what is wrong. */
interface AnswerIssue {
  path: readonly PropertyKey[];
  message: string;
}

/**
 * A schema of @celgate/contracts, as far as the client uses one (the SDK does not import zod
 * itself): it parses an answer, and its registered `id` names the shape in a refusal.
 */
interface AnswerShape<T> {
  safeParse(
    value: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: AnswerIssue[] } };
  meta(): { id?: string | undefined; title?: string | undefined } | undefined;
}

/**
 * ` (items[0].etag: message)` for the first issue of a refused answer: the field the refusal
 * names. A key that is not a plain name is quoted as JSON, so that what a service chose as a
 * key cannot pass for the path around it.
 */
function issueWhere(issues: readonly AnswerIssue[]): string {
  const issue = issues[0];
  if (!issue) return "";
  let path = "";
  for (const key of issue.path) {
    if (typeof key === "number") path += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) path += path ? `.${key}` : key;
    else path += `[${JSON.stringify(String(key))}]`;
  }
  return ` (${path || "the body"}: ${issue.message})`;
}

/**
 * The answer of `call` as the shape the contracts give it. Throws UnexpectedResponseError
 * (`wrong-shape`), naming the call and the first field that is wrong, when a 2xx answer is not
 * one: a caller is never handed an object of another shape typed as this one.
 */
function expectShape<T>(shape: AnswerShape<T>, call: string, method: string, answer: Answer<unknown>): T {
  const parsed = shape.safeParse(answer.body);
  if (parsed.success) return parsed.data;
  // a schema for reading (FindingListReadSchema) has a title, not the id of the written one
  const name = shape.meta()?.id ?? shape.meta()?.title ?? "answer of this call";
  throw new UnexpectedResponseError({
    status: answer.status,
    method,
    url: answer.url,
    reason: "wrong-shape",
    detail: `${call}: the answer is not a well-formed ${name}${issueWhere(parsed.error.issues)}; is the base URL that of a celgate service?`,
    requestId: answer.headers.get("x-request-id") ?? undefined,
  });
}

/**
 * The answer as an evaluation report, checked against the wire schema and against itself.
 * Throws UnexpectedResponseError when a 2xx answer is not one (a proxy's page, a service of
 * another version) or contradicts itself (`inconsistent-report`: its decision is milder than its
 * results require, or its summary disagrees with them; see reportContradiction in contracts).
 */
function expectReport(value: unknown, method: string, url: string, status: number): EvaluationReport {
  const parsed = EvaluationReportReadSchema.safeParse(value);
  if (!parsed.success) {
    const where = issueWhere(parsed.error.issues);
    throw new UnexpectedResponseError({
      status,
      method,
      url,
      reason: "not-a-report",
      detail: `the answer is not an EvaluationReport${where}; is the base URL that of a celgate service?`,
    });
  }
  const contradiction = reportContradiction(parsed.data);
  if (contradiction !== undefined)
    throw new UnexpectedResponseError({
      status,
      method,
      url,
      reason: "inconsistent-report",
      detail: `the report contradicts itself: ${contradiction}; it is not taken as a decision`,
      requestId: parsed.data.id,
    });
  return parsed.data;
}

/** A non-negative number of milliseconds (Infinity allowed), or a TypeError naming the option. */
function durationOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  // NaN (say, Number() of an unset variable) would silently mean "never time out"
  if (typeof value !== "number" || Number.isNaN(value) || value < 0)
    throw new TypeError(`createClient: ${name} must be a number of milliseconds, 0 or more; got ${value}`);
  return value;
}

/**
 * A client of the celgate REST API. Creating one does no I/O. Every method throws ApiError
 * for an error answer and NetworkError when the service cannot be reached in time.
 */
export function createClient(options: ClientOptions) {
  if (!options.baseUrl) throw new TypeError("createClient: baseUrl is required");
  const fetchImpl = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
  if (!fetchImpl) throw new TypeError("createClient: no global fetch; pass options.fetch");
  const timeoutMs = durationOption("timeoutMs", options.timeoutMs, 10_000);
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (typeof maxResponseBytes !== "number" || !(maxResponseBytes > 0))
    throw new TypeError(
      `createClient: maxResponseBytes must be a number of bytes above 0 (Infinity for no limit); got ${maxResponseBytes}`,
    );
  const transport: TransportOptions = {
    baseUrl: options.baseUrl,
    token: options.token,
    timeoutMs,
    deadlineMs: durationOption("deadlineMs", options.deadlineMs, 2 * timeoutMs),
    maxResponseBytes,
    retries: options.retries ?? 2,
    retryBaseMs: options.retryBaseMs ?? 250,
    retryMaxMs: options.retryMaxMs ?? 10_000,
    // Called unbound: some fetch implementations insist on `this` being the global object.
    fetch: (input, init) => fetchImpl(input, init),
    headers: { ...(options.headers ?? {}) },
  };

  /** Sends `spec` and returns its answer as `shape`, or throws UnexpectedResponseError naming `name`. */
  const call = async <T>(shape: AnswerShape<T>, name: string, spec: RequestSpec): Promise<T> =>
    expectShape(shape, name, spec.method, await send<unknown>(transport, spec));
  const get = <T>(
    shape: AnswerShape<T>,
    name: string,
    path: string,
    query?: RequestSpec["query"],
    o?: CallOptions,
  ) => call(shape, name, { method: "GET", path, query, idempotent: true, signal: o?.signal });
  /** A DELETE whose answer is not used: nothing is taken from it, so nothing is checked. */
  const remove = async (spec: Omit<RequestSpec, "method" | "idempotent">): Promise<void> => {
    await send<unknown>(transport, { ...spec, method: "DELETE", idempotent: true });
  };

  /**
   * create, update (If-Match) and remove of a named document collection (policies,
   * exceptions). A create is not retried after a request that may have arrived; replace and
   * delete are conditional on the ETag, so they are.
   */
  const documents = <D, R>(kind: string, collection: string, shape: AnswerShape<R>) => ({
    create: (doc: D | string, o?: CallOptions) =>
      call(shape, `${kind}.create`, {
        method: "POST",
        path: collection,
        body: doc,
        idempotent: false,
        signal: o?.signal,
      }),
    update: (name: string, doc: D | string, o: CallOptions & { ifMatch?: string } = {}) =>
      call(shape, `${kind}.update`, {
        method: "PUT",
        path: `${collection}/${seg(name)}`,
        body: doc,
        headers: { "if-match": o.ifMatch },
        idempotent: true,
        signal: o.signal,
      }),
    remove: (name: string, o: CallOptions & { ifMatch?: string } = {}) =>
      remove({ path: `${collection}/${seg(name)}`, headers: { "if-match": o.ifMatch }, signal: o.signal }),
  });

  async function evaluate(input: EvaluateInput, o: EvaluateOptions = {}): Promise<EvaluationReport> {
    const path = "/v1/evaluations";
    // One key for every attempt: the service answers a repeat with the first report.
    const key = o.idempotencyKey ?? newIdempotencyKey();
    const answer = await send<unknown>(transport, {
      method: "POST",
      path,
      body: input,
      headers: { "idempotency-key": key, "x-celgate-source": o.source },
      idempotent: true,
      signal: o.signal,
    });
    return expectReport(answer.body, "POST", `${transport.baseUrl}${path}`, answer.status);
  }

  return {
    /**
     * Evaluates manifests (or resource objects) against the policy set in force and records
     * the report in history (unless `dryRun`). Safe to retry: it carries an Idempotency-Key.
     */
    evaluate,

    /**
     * Evaluates like `evaluate()` and throws DeployBlockedError (with the report and a
     * readable summary) when the decision is deny (or warn, with `failOn: "warn"`).
     * Returns the report otherwise.
     */
    async preflight(input: EvaluateInput, o: PreflightOptions = {}): Promise<EvaluationReport> {
      const { failOn = "deny", ...rest } = o;
      const report = await evaluate(input, rest);
      if (report.decision === "deny" || (failOn === "warn" && report.decision === "warn"))
        throw new DeployBlockedError(report, summarizeReport(report, failOn));
      return report;
    },

    policies: {
      list: (q?: PolicyListQuery, o?: CallOptions) =>
        get(
          PolicyListSchema,
          "policies.list",
          "/v1/policies",
          { ...pageQuery(q), select: q?.select, source: q?.source },
          o,
        ),
      get: (name: string, o?: CallOptions) =>
        get(PolicyResourceSchema, "policies.get", `/v1/policies/${seg(name)}`, undefined, o),
      /**
       * `create(doc)` from a document object or its YAML/JSON text (409 if the name exists);
       * `update(name, doc, { ifMatch })` requires the `etag` of the version read (428 without
       * it, 412 when another change came first); `remove(name)`.
       */
      ...documents<PolicyDocument, PolicyResource>("policies", "/v1/policies", PolicyResourceSchema),
      /** Every stored version, newest first. */
      versions: (name: string, q?: PageQuery, o?: CallOptions) =>
        get(
          PolicyVersionListReadSchema,
          "policies.versions",
          `/v1/policies/${seg(name)}/versions`,
          pageQuery(q),
          o,
        ),
      version: (name: string, version: number, o?: CallOptions) =>
        get(
          PolicyVersionReadSchema,
          "policies.version",
          `/v1/policies/${seg(name)}/versions/${version}`,
          undefined,
          o,
        ),
      /**
       * The cases of the policy's PolicyTest documents (from the policy repository). A policy
       * created through the API has none: `cases` is empty and `empty.reason` says why.
       */
      tests: (name: string, o?: CallOptions) =>
        get(PolicyTestListSchema, "policies.tests", `/v1/policies/${seg(name)}/tests`, undefined, o),
      /**
       * Runs the policy's tests against its stored version; records nothing, so it is retried
       * like a read. Failing cases are an answer (`passed: false` with a reason), not an error.
       */
      runTests: (name: string, o?: CallOptions) =>
        call(PolicyTestRunSchema, "policies.runTests", {
          method: "POST",
          path: `/v1/policies/${seg(name)}/tests:run`,
          idempotent: true,
          signal: o?.signal,
        }),
      /** Compiles and checks documents without saving; `valid: false` is an answer, not an error. */
      validate: (docs: PolicyDocument | PolicyDocument[] | string, o?: CallOptions) =>
        call(ValidationResultSchema, "policies.validate", {
          method: "POST",
          path: "/v1/policies:validate",
          body: docs,
          idempotent: true,
          signal: o?.signal,
        }),
    },

    evaluations: {
      /** History, newest first; filters combine with AND. */
      list: (f: EvaluationListFilters = {}, o?: CallOptions) => {
        const { context, limit, cursor, ...rest } = f;
        const query: Record<string, string | number | undefined> = { ...rest, limit, cursor };
        for (const [k, v] of Object.entries(context ?? {})) query[`context.${k}`] = v;
        return get(EvaluationListReadSchema, "evaluations.list", "/v1/evaluations", query, o);
      },
      /**
       * One recorded report, exactly as returned when it was made; checked as `evaluate()`
       * checks its answer (UnexpectedResponseError when it is not a report or contradicts itself).
       */
      get: async (id: string, o?: CallOptions): Promise<EvaluationReport> => {
        const path = `/v1/evaluations/${seg(id)}`;
        const answer = await send<unknown>(transport, {
          method: "GET",
          path,
          idempotent: true,
          signal: o?.signal,
        });
        return expectReport(answer.body, "GET", `${transport.baseUrl}${path}`, answer.status);
      },
      /**
       * Evaluations recorded from `since` (default: 7 days before `until`) to `until` (default
       * now), counted by the service per UTC hour or day (default day), source and decision;
       * every evaluation of the range counts.
       */
      stats: (q: EvaluationStatsQuery = {}, o?: CallOptions) =>
        get(EvaluationStatsReadSchema, "evaluations.stats", "/v1/evaluations:stats", { ...q }, o),
      /** The signed receipt of a recorded evaluation (a DSSE envelope; verify it with verifyReceipt). */
      receipt: (id: string, o?: CallOptions) =>
        get(DsseEnvelopeSchema, "evaluations.receipt", `/v1/evaluations/${seg(id)}/receipt`, undefined, o),
      evaluate,
    },

    keys: {
      /** The public keys of receipts (JWKS); no token needed. Pin them: see docs/receipts.md. */
      list: (o?: CallOptions) => get(JwksSchema, "keys.list", "/v1/keys", undefined, o),
    },

    images: {
      /** Stores the facts of an image: native facts, a Trivy JSON report or a Grype JSON report. */
      put: (digest: string, facts: unknown, o?: CallOptions) =>
        call(StoredImageSchema, "images.put", {
          method: "PUT",
          path: `/v1/images/${seg(digest)}`,
          // Always JSON: a string here would be taken for YAML, which this route does not take.
          body: typeof facts === "string" ? JSON.parse(facts) : facts,
          idempotent: true,
          signal: o?.signal,
        }),
      /**
       * Stores every image of a facts document (native, Trivy or Grype), each under its digest
       * when it has one, else under its normalised name and tag (a scan of a tag has no digest).
       * Returns the stored keys.
       */
      push: (facts: unknown, o?: CallOptions) =>
        call(ImagePushResultSchema, "images.push", {
          method: "POST",
          path: "/v1/images",
          body: typeof facts === "string" ? JSON.parse(facts) : facts,
          // Storing the same facts again changes nothing: safe to retry.
          idempotent: true,
          signal: o?.signal,
        }),
      get: (digest: string, o?: CallOptions) =>
        get(StoredImageSchema, "images.get", `/v1/images/${seg(digest)}`, undefined, o),
      /** The stored images in brief, by key; `stale: "7d"` for scans older than 7 days or missing. */
      list: (q: ImageQuery = {}, o?: CallOptions) => {
        const { limit, cursor, ...rest } = q;
        return get(ImageListSchema, "images.list", "/v1/images", { ...rest, limit, cursor }, o);
      },
    },

    exceptions: {
      list: (q?: ExceptionListQuery, o?: CallOptions) =>
        get(
          ExceptionListSchema,
          "exceptions.list",
          "/v1/exceptions",
          { ...pageQuery(q), expiring: q?.expiring, policy: q?.policy },
          o,
        ),
      get: (name: string, o?: CallOptions) =>
        get(ExceptionResourceSchema, "exceptions.get", `/v1/exceptions/${seg(name)}`, undefined, o),
      ...documents<ExceptionDocument, ExceptionResource>(
        "exceptions",
        "/v1/exceptions",
        ExceptionResourceSchema,
      ),
    },

    replays: {
      /** Evaluates candidate policies against recorded inputs; records nothing. */
      run: (input: ReplayInput, o?: CallOptions) =>
        call(ReplayReportSchema, "replays.run", {
          method: "POST",
          path: "/v1/replays",
          body: input,
          idempotent: true,
          signal: o?.signal,
        }),
    },

    tokens: {
      list: (q?: PageQuery, o?: CallOptions) =>
        get(TokenListSchema, "tokens.list", "/v1/tokens", pageQuery(q), o),
      /** Creates a token; its secret (`token`) is in this answer only. */
      create: (input: CreateTokenRequest, o?: CallOptions) =>
        call(CreatedTokenSchema, "tokens.create", {
          method: "POST",
          path: "/v1/tokens",
          body: input,
          idempotent: false,
          signal: o?.signal,
        }),
      revoke: (id: string, o?: CallOptions) =>
        call(TokenSchema, "tokens.revoke", {
          method: "DELETE",
          path: `/v1/tokens/${seg(id)}`,
          idempotent: true,
          signal: o?.signal,
        }),
    },

    audit: {
      list: (q: AuditListQuery = {}, o?: CallOptions) => {
        const { limit, cursor, ...rest } = q;
        return get(AuditListReadSchema, "audit.list", "/v1/audit", { ...rest, limit, cursor }, o);
      },
    },

    inventory: {
      /** What is deployed, as the service last saw it admitted (by cluster, namespace, kind, name). */
      list: (q: InventoryQuery = {}, o?: CallOptions) => {
        const { limit, cursor, failing, object, ...rest } = q;
        return get(
          InventoryListReadSchema,
          "inventory.list",
          "/v1/inventory",
          {
            ...rest,
            failing: failing === undefined ? undefined : String(failing),
            object: object === undefined ? undefined : String(object),
            limit,
            cursor,
          },
          o,
        );
      },
    },

    findings: {
      /** Findings, newest first: open ones unless `status` is `resolved` or `all`. */
      list: (q: FindingQuery = {}, o?: CallOptions) => {
        const { limit, cursor, ...rest } = q;
        return get(FindingListReadSchema, "findings.list", "/v1/findings", { ...rest, limit, cursor }, o);
      },
    },

    webhooks: {
      list: (q?: PageQuery, o?: CallOptions) =>
        get(WebhookListReadSchema, "webhooks.list", "/v1/webhooks", pageQuery(q), o),
      /** Creates a webhook (admin); its signing `secret` is in this answer only. */
      create: (input: CreateWebhookRequest, o?: CallOptions) =>
        call(CreatedWebhookReadSchema, "webhooks.create", {
          method: "POST",
          path: "/v1/webhooks",
          body: input,
          idempotent: false,
          signal: o?.signal,
        }),
      remove: (id: string, o?: CallOptions) => remove({ path: `/v1/webhooks/${seg(id)}`, signal: o?.signal }),
    },

    /**
     * The calling token: its id (as `tokens.list` lists it: names are not unique), its name, its
     * role and what the role may do (`actions`: read, evaluate, validate, author, admin). Throws ApiError 401 for an unknown, revoked or
     * expired token. A console uses it to hide what the token may not do; the service still
     * enforces every route.
     */
    whoami: (o?: CallOptions) => get(WhoamiReadSchema, "whoami", "/v1/whoami", undefined, o),

    /** The role of this client's token (`whoami().role`). Throws ApiError 401 for a bad token. */
    role: async (o?: CallOptions): Promise<Role> =>
      (await get(WhoamiReadSchema, "role", "/v1/whoami", undefined, o)).role,

    /** Liveness: resolves when the process answers. */
    health: (o?: CallOptions) => get(HealthSchema, "health", "/healthz", undefined, o),
    /** Readiness: database reachable and policies compiled. Answers (does not throw) when unready. */
    ready: (o?: CallOptions) =>
      call(ReadinessSchema, "ready", {
        method: "GET",
        path: "/readyz",
        idempotent: true,
        accept: [503],
        noRetry: true,
        signal: o?.signal,
      }),
  };
}

export type CelgateClient = ReturnType<typeof createClient>;

/**
 * Every item of a paginated list, fetching page after page:
 * `for await (const p of paginate((cursor) => client.policies.list({ cursor }))) ...`.
 */
export async function* paginate<T>(
  page: (cursor: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    yield* next.items;
    cursor = next.nextCursor ?? undefined;
  } while (cursor);
}
