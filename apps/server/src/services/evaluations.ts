import type {
  DsseEnvelope,
  EvaluationListQuery,
  EvaluationRequest,
  EvaluationSource,
  EvaluationSummary,
  ManifestFile,
} from "@celgate/contracts";
import { MAX_RESOURCES_PER_EVALUATION, ManifestFileSchema, SummarySchema } from "@celgate/contracts";
import {
  type CompiledPolicySet,
  DEFAULT_INPUT_LIMITS,
  type Diagnostic,
  type EvaluationReport,
  type ImageFacts,
  type InputLimits,
  paramProblems,
  parseLabelSelector,
  parseManifests,
  type ReportNotice,
  type Resource,
  resourcesFromObjects,
  type Selector,
  selectPolicies,
  skippedDocumentNotices,
} from "@celgate/core";
import { and, desc, eq, gte, inArray, lt, lte, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Db } from "../db/client.js";
import { evaluations, type InputData, type InputKind, inputs } from "../db/schema.js";
import type { Evaluator } from "../evaluator/index.js";
import type { Principal } from "../lib/context.js";
import { CURSORS, decodeCursor, encodeCursor } from "../lib/cursor.js";
import { describe, diagnosticErrors, isError } from "../lib/diagnostics.js";
import { unstorableTime } from "../lib/errors.js";

import { newId } from "../lib/ids.js";
import type { Metrics } from "../lib/metrics.js";
import { refuse } from "./errors.js";
import { HistoryWriter } from "./history-writer.js";
import { checkFactsOrder, type ImageService, imageRefsOf, parseFacts } from "./images.js";
import { deployedCluster, type InventoryService } from "./inventory.js";
import type { PolicySetRuntime } from "./policy-set.js";
import type { ReceiptService } from "./receipts.js";
import { type RedactionService, redactFacts } from "./redaction.js";

/** What an evaluation was run on, as stored for history and replays. */
export interface StoredInput {
  /** YAML/JSON text, or one entry per input file. */
  manifests?: string | ManifestFile[];
  resources?: unknown[];
  images: ImageFacts[];
  params?: Record<string, Record<string, unknown>> | undefined;
  context: Record<string, unknown>;
  select?: string | undefined;
  policies?: string[] | undefined;
}

export interface EvaluationOutcome {
  /** The report (made from `json` when first read, if the evaluation gave its text). */
  readonly report: EvaluationReport;
  /** The report as JSON text, when it was already serialised: send this. */
  json?: string;
  /** The id of the evaluation recorded by this request. */
  id?: string;
  /** True when an Idempotency-Key matched an earlier request: the stored report is returned. */
  replayed: boolean;
  recorded: boolean;
}

/**
 * Resources from the request's manifests or objects, within the input limits; throws 400 with
 * line and column. None is not refused here: an admission review's object, and a replay's
 * stored input, are taken as they come (a caller's request goes through resourcesToEvaluate).
 */
export function resourcesOf(
  input: {
    manifests?: string | ManifestFile[] | undefined;
    resources?: unknown[] | undefined;
  },
  limits: InputLimits = DEFAULT_INPUT_LIMITS,
  /** The objects are admitted or deployed ones: each one itself, never a list of its items. */
  admitted = false,
): Resource[] {
  return readInput(input, limits, admitted).resources;
}

/** A document of the input that was skipped (not a Kubernetes object), with where it was. */
interface Skipped {
  diagnostic: Diagnostic;
  /** The request field it came from: `manifests`, `manifests[i]` (a file of the list), `resources[i]`. */
  field: string;
  /** The file's name, for a list of files. */
  file?: string;
}

/** The request's resources and the documents skipped on the way (see readInput). */
interface InputRead {
  resources: Resource[];
  skipped: Skipped[];
}

/**
 * The request's resources and the documents skipped on the way (core's warnings: a document
 * without apiVersion or kind, one that is not a mapping). Errors and limits throw as in resourcesOf.
 */
function readInput(
  input: {
    manifests?: string | ManifestFile[] | undefined;
    resources?: unknown[] | undefined;
  },
  limits: InputLimits,
  admitted: boolean,
): InputRead {
  const { resources, diagnostics, fields } =
    input.manifests === undefined
      ? withFields(
          resourcesFromObjects(input.resources ?? [], "resources", { limits, asAdmitted: admitted }),
          (d) => `resources${d.path ?? ""}`,
        )
      : typeof input.manifests === "string"
        ? withFields(parseManifests(input.manifests, "manifests", { limits }), () => "manifests")
        : parseFiles(input.manifests, limits);
  const errors = diagnostics.filter(isError);
  if (errors.length > 0)
    throw refuse(
      "malformed-input",
      `the ${input.manifests !== undefined ? "manifests" : "resources"} are not valid: ${errors
        .slice(0, 3)
        .map((d) => (Array.isArray(input.manifests) && d.file ? `${d.file}: ${describe(d)}` : describe(d)))
        .join("; ")}`,
      diagnosticErrors(errors),
    );
  if (resources.length > MAX_RESOURCES_PER_EVALUATION)
    throw refuse(
      "malformed-input",
      `an evaluation holds at most ${MAX_RESOURCES_PER_EVALUATION} resources, not ${resources.length}; split the request`,
    );
  const skipped: Skipped[] = [];
  diagnostics.forEach((d, i) => {
    if (isError(d)) return;
    skipped.push({
      diagnostic: d,
      field: fields[i] ?? "manifests",
      ...(Array.isArray(input.manifests) && d.file ? { file: d.file } : {}),
    });
  });
  return { resources, skipped };
}

type Parsed = ReturnType<typeof parseManifests>;

/** A parse's diagnostics, each with the request field it belongs to. */
function withFields(parsed: Parsed, field: (d: Diagnostic) => string): Parsed & { fields: string[] } {
  return { ...parsed, fields: parsed.diagnostics.map(field) };
}

/** Each file parsed on its own, so every resource's source names its file and its line there. */
function parseFiles(files: readonly ManifestFile[], limits: InputLimits): Parsed & { fields: string[] } {
  const out: Parsed & { fields: string[] } = { resources: [], diagnostics: [], fields: [] };
  files.forEach((f, i) => {
    const parsed = parseManifests(f.text, f.file, { limits });
    out.resources.push(...parsed.resources);
    out.diagnostics.push(...parsed.diagnostics);
    out.fields.push(...parsed.diagnostics.map(() => `manifests[${i}]`));
  });
  return out;
}

/**
 * The request's resources, refused when there are none: manifests that are empty, only
 * comments or `---`, an empty list, or documents that are not Kubernetes objects evaluate
 * nothing, and nothing evaluated is never an allow (a gate sent the wrong file, or none). As
 * the CLI's exit 2 ("no Kubernetes resources found in ..."): a 400 `no-resources` naming each
 * skipped document and why, before anything is evaluated or recorded. With resources, the
 * documents skipped beside them come back too: the report names them (skippedNotices).
 */
export function resourcesToEvaluate(
  input: {
    manifests?: string | ManifestFile[] | undefined;
    resources?: unknown[] | undefined;
  },
  limits: InputLimits,
  /** The objects are deployed ones: each one itself, never a list of its items. */
  deployed: boolean,
): InputRead {
  const read = readInput(input, limits, deployed);
  const { resources, skipped } = read;
  if (resources.length > 0) return read;
  throw refuse(
    "no-resources",
    `no Kubernetes resources found in ${inputName(input)}: nothing would be evaluated, and an evaluation of nothing is never an allow${skippedNote(skipped)}`,
    skipped.length === 0
      ? undefined
      : skipped.map(({ diagnostic: d, field }) => ({
          path: field,
          // its index in the field's text or file, or in `resources` (as the report's notices give it)
          ...(d.document !== undefined ? { document: d.document } : {}),
          message: d.message,
          code: d.code,
          // an object of `resources` has no line of its own
          ...(d.line !== undefined && !field.startsWith("resources") ? { line: d.line } : {}),
          ...(d.column !== undefined ? { column: d.column } : {}),
        })),
  );
}

/**
 * The report's notices for the skipped documents (core's skippedDocumentNotices, as the CLI
 * makes them): what the user sent that was not checked is said in the report and kept in history.
 */
function skippedNotices(skipped: readonly Skipped[]): ReportNotice[] {
  return skippedDocumentNotices(skipped.map((s) => s.diagnostic));
}

const SUMMARY_KEYS = Object.keys(SummarySchema.shape) as (keyof EvaluationReport["summary"])[];

/**
 * A stored summary with its counts in the report's order (resources, pass, fail, error, skip,
 * waived): the jsonb column hands its keys back in an order of its own.
 */
function inReportOrder(summary: EvaluationReport["summary"]): EvaluationReport["summary"] {
  return Object.fromEntries(
    SUMMARY_KEYS.map((k) => [k, summary[k]]),
  ) as unknown as EvaluationReport["summary"];
}

/** Where the input was, as a detail names it. */
function inputName(input: { manifests?: string | ManifestFile[] | undefined }): string {
  if (input.manifests === undefined) return "resources (no object with apiVersion and kind)";
  if (typeof input.manifests === "string") return "manifests (no document with apiVersion and kind)";
  if (input.manifests.length === 0) return "manifests (an empty list of files)";
  const names = input.manifests.slice(0, 5).map((f) => f.file);
  const more = input.manifests.length - names.length;
  return `${names.join(", ")}${more > 0 ? ` and ${more} more file${more === 1 ? "" : "s"}` : ""}`;
}

/** The first skipped documents and why, for the detail (every one is in `errors`). */
function skippedNote(skipped: readonly Skipped[]): string {
  if (skipped.length === 0) return "";
  const shown = skipped.slice(0, 3).map(({ diagnostic: d, field, file }) => {
    const at = field.startsWith("resources") ? field : `${file ? `${file} ` : ""}line ${d.line ?? 1}`;
    return `${at}: ${d.message}`;
  });
  const more = skipped.length - shown.length;
  return `; ${skipped.length} document${skipped.length === 1 ? " was" : "s were"} skipped: ${shown.join("; ")}${more > 0 ? `; and ${more} more (see errors)` : ""}`;
}

// --- selection (select / policies) ---

/** The request's label selector, parsed once (core's parser); a 400 naming `select` when it is invalid. */
export function selectorOf(text: string | undefined): Selector | undefined {
  if (text === undefined) return undefined;
  const parsed = parseLabelSelector(text);
  if (!parsed.ok)
    throw refuse("invalid-argument", `invalid label selector: ${parsed.error}`, [
      { path: "select", message: parsed.error },
    ]);
  return parsed.selector;
}

/**
 * A selection that matches nothing is an input error, never "evaluate nothing and allow": a
 * 400 naming each unknown policy (`policies`) or the selector that leaves no policy (`select`).
 * The same check as the CLI's, from core's `selectPolicies`.
 */
export function checkSelection(
  set: CompiledPolicySet,
  select: Selector | undefined,
  policies: readonly string[] | undefined,
): void {
  // no selection, nothing to refuse (and no subset of the set to make for every request)
  if (select === undefined && (policies === undefined || policies.length === 0)) return;
  const { problems: found } = selectPolicies(set, { select, policies });
  if (found.length === 0) return;
  throw refuse(
    "selection-empty",
    found.map((p) => p.message).join("; "),
    found.map((p) => ({ path: p.path, message: p.message, code: p.code })),
  );
}

/**
 * Params that would be ignored without a word: for a policy the set does not have (a typo in
 * a policy name), or a key the policy neither declares nor reads (a typo in the key): a 400
 * naming each, by core's paramProblems, the rule of the CLI's exit 2 for `--param`.
 */
export function checkParams(set: CompiledPolicySet, params: Record<string, unknown> | undefined): void {
  const problems = paramProblems(set, params);
  if (problems.length === 0) return;
  const policies = problems.filter((p) => p.code === "unknown-policy").map((p) => p.policy);
  const keys = problems.filter((p) => p.code === "unknown-param");
  throw refuse(
    "invalid-argument",
    [
      ...(policies.length > 0
        ? [`params name policies that are not in the policy set in force: ${policies.join(", ")}`]
        : []),
      ...keys.map((p) => p.message),
    ].join("; "),
    problems.map((p) =>
      p.code === "unknown-policy"
        ? { path: p.path, message: `no policy named ${p.policy}` }
        : { path: p.path, message: p.message, code: p.code },
    ),
  );
}

// --- end selection ---

/**
 * Where an evaluation's time goes, as the histogram `celgate_evaluation_phase_seconds{phase}`:
 * `prepare` (idempotency check, parsing manifests, the policy set, selection), `facts` (stored
 * image facts), `evaluate` (the evaluator: the worker round trip), `sign` (redaction, receipt,
 * serialising the report), `record` (waiting for the history row to be committed).
 */
export type EvaluationPhase = "prepare" | "facts" | "evaluate" | "sign" | "record";
const PHASE_METRIC = "celgate_evaluation_phase_seconds";
const PHASE_HELP = "Time of each phase of an evaluation request, by phase";

/** Evaluations: run, record in history (with inputs stored once per content hash), read, filter. */
export class EvaluationService {
  constructor(
    private readonly db: Db,
    private readonly runtime: PolicySetRuntime,
    private readonly images: ImageService,
    private readonly metrics: Metrics,
    private readonly evaluator: Evaluator,
    private readonly redaction: RedactionService,
    /** Signs every recorded decision (docs/receipts.md). */
    private readonly receipts: ReceiptService,
    /** The input limits manifests and resources are parsed under (also used by replays). */
    readonly limits: InputLimits = DEFAULT_INPUT_LIMITS,
    /** Where evaluations of deployed objects (context.cluster, context.deployed) are kept. */
    private readonly inventory?: InventoryService,
    /** Writes history rows by group commit (one statement for the rows of concurrent requests). */
    history?: HistoryWriter,
  ) {
    this.history = history ?? new HistoryWriter(db, { maxBatch: 64, maxInflight: 1 });
  }

  readonly history: HistoryWriter;

  /** Adds the time since `since` to `phase`'s histogram (bench/README.md section 6 reads them); returns now. */
  #phase(phase: EvaluationPhase, since: number): number {
    const now = performance.now();
    this.metrics.observe(PHASE_METRIC, PHASE_HELP, (now - since) / 1000, { phase });
    return now;
  }

  /**
   * Evaluates a request and, unless dryRun, records it. With an idempotency key, a repeated
   * request returns the first report and id; the same key with a different body is a 422.
   */
  async run(
    principal: Principal,
    req: EvaluationRequest,
    options: {
      source: EvaluationSource;
      idempotencyKey?: string | undefined;
      admission?: {
        object: Record<string, unknown>;
        oldObject: Record<string, unknown> | null;
        request: Record<string, unknown>;
      };
      /**
       * Gives up the caller's evaluation slot (lib/concurrency.ts). Called once the history row
       * is taken in by the writer, when nothing but its commit is left to do: the next request
       * evaluates while this one waits, so concurrent rows are committed together.
       */
      releaseSlot?: (() => void) | undefined;
    },
  ): Promise<EvaluationOutcome> {
    let t = performance.now();
    // the fixed clock becomes the history row's evaluatedAt: a time the column cannot hold, or
    // would read back as another (a year below 100), is refused, recorded or not
    const clock = req.now === undefined ? undefined : unstorableTime(new Date(req.now));
    if (clock)
      throw refuse("invalid-argument", `now (${req.now}) ${clock}`, [{ path: "now", message: clock }]);
    const record = req.dryRun !== true;
    const requestHash = options.idempotencyKey ? await this.redaction.requestHash(req) : undefined;
    if (record && options.idempotencyKey) {
      const earlier = await this.#byIdempotencyKey(principal.tokenId, options.idempotencyKey, requestHash!);
      if (earlier) {
        // recorded before input without resources was refused: refused now, not answered as that allow
        if (earlier.summary.resources === 0) {
          this.#requireResources(req);
          throw refuse(
            "no-resources",
            `the evaluation recorded under Idempotency-Key ${options.idempotencyKey} evaluated no Kubernetes resources, and an evaluation of nothing is never an allow; send the request again with another key`,
          );
        }
        return { report: earlier, replayed: true, recorded: true };
      }
    }
    // --- selection (select / policies): parsed once here, checked against the set below ---
    const selector = selectorOf(req.select);
    // objects admitted, or reported as deployed (context.deployed with a cluster), are each
    // themselves, never a list of their items. An admission review's object is the API
    // server's, taken as it comes; a caller's manifests or objects must hold a resource.
    const read = options.admission ? readInput(req, this.limits, true) : this.#requireResources(req);
    let resources = read.resources;
    const notices = skippedNotices(read.skipped);
    if (options.admission)
      resources = resources.map((r) => ({
        ...r,
        oldObject: options.admission!.oldObject,
        request: options.admission!.request,
      }));
    const inline = req.images === undefined ? [] : parseFacts(req.images, "images");
    checkFactsOrder(inline, req.images);
    const snapshot = await this.runtime.get();
    const set = options.admission ? snapshot.admissionSet : snapshot.set;
    checkSelection(set, selector, req.policies);
    checkParams(snapshot.set, req.params);
    const refs = imageRefsOf(resources);
    t = this.#phase("prepare", t);
    const stored = await this.images.lookup(refs);
    t = this.#phase("facts", t);
    // Inline facts come first: the caller's word beats the store.
    const facts = [...inline, ...stored];
    const id = record ? newId("ev") : undefined;
    // Finished where it was evaluated: the report comes back as its JSON text and the few facts
    // read here, not as objects to take in and serialise again.
    const finished = await this.evaluator.evaluateFinished(
      set,
      {
        resources,
        images: facts,
        exceptions: snapshot.exceptions,
        ...(req.params ? { params: req.params } : {}),
        context: req.context ?? {},
        ...(req.now ? { now: new Date(req.now) } : {}),
        ...(req.includeSkipped ? { includeSkipped: true } : {}),
        ...(selector ? { select: selector } : {}),
        ...(req.policies ? { policies: req.policies } : {}),
        ...(id ? { id } : {}),
        ...(notices.length > 0 ? { notices } : {}),
      },
      snapshot.versionsJson,
    );
    t = this.#phase("evaluate", t);
    const report = finished.facts;
    // Redaction (docs/security.md): what is stored, and what is answered, holds no secret value.
    const { pass, ...redacted } = await this.redaction.scan(req, {
      resources,
      store: record,
      oldObject: options.admission?.oldObject,
    });
    // A pass that replaced no value masks nothing: the text stands as it was finished.
    let masked: EvaluationReport | undefined;
    let json = finished.json;
    if (pass.count > 0) {
      masked = pass.maskReport(parseReport(json));
      json = JSON.stringify(masked);
    }
    /** The report answered (before its receipt), made from its text only when a caller needs the objects. */
    const answered = (): EvaluationReport => {
      masked ??= parseReport(json);
      return masked;
    };
    this.metrics.inc("celgate_evaluations_total", "Evaluations by decision and source", {
      decision: report.decision,
      source: options.source,
    });
    for (const policy of report.errors)
      this.metrics.inc("celgate_policy_errors_total", "Results with outcome error, by policy", { policy });
    if (!record || !id) {
      this.#phase("sign", t);
      return {
        get report() {
          return answered();
        },
        json,
        replayed: false,
        recorded: false,
      };
    }
    // Every recorded decision is signed (docs/receipts.md): the receipt is stored in the report
    // and answered with it; a decision that cannot be signed is not recorded (the request fails).
    const { receipt, json: receiptJson } = await this.receipts.issueWithJson({
      // a receipt reads, of the results, only the waived ones that name their exception
      report: { ...report, results: report.waived },
      resources,
      set,
      select: selector,
      policies: req.policies,
      versions: snapshot.versions,
      source: options.source,
      context: req.context ?? {},
      images: refs,
    });

    const input: StoredInput = {
      ...(redacted.manifests !== undefined
        ? { manifests: redacted.manifests }
        : { resources: redacted.resources ?? [] }),
      images: redactFacts(pass, facts),
      params: req.params,
      context: req.context ?? {},
      select: req.select,
      policies: req.policies,
    };
    // The report's text with the receipt as its last member: the text JSON.stringify gives of
    // {...report, receipt}, made without serialising the report again. Stored and sent back.
    const signedJson = `${json.slice(0, -1)},"receipt":${receiptJson}}`;
    t = this.#phase("sign", t);
    const cluster = deployedCluster(req.context);
    // recording in the inventory (below) is more work for this request: it keeps its slot then
    const inventoryStep = Boolean(cluster) && this.inventory !== undefined;
    const winner = await this.history.write(
      {
        id,
        evaluatedAt: new Date(report.evaluatedAt),
        actor: principal.name,
        tokenId: principal.tokenId,
        source: options.source,
        input,
        policySetDigest: report.policySet.digest,
        policyCount: report.policySet.policies,
        policyVersionsJson: snapshot.versionsJson,
        decision: report.decision,
        summary: report.summary,
        reportJson: signedJson,
        resources: resources.map((r) => ({
          kind: r.ref.kind,
          name: r.ref.name,
          ...(r.ref.namespace ? { namespace: r.ref.namespace } : {}),
        })),
        images: imageTerms(refs.map((ref) => pass.imageRef(ref))),
        policies: report.policies,
        idempotencyKey: options.idempotencyKey ?? null,
        requestHash: requestHash ?? null,
      },
      inventoryStep ? undefined : options.releaseSlot,
    );
    this.#phase("record", t);
    if (!winner && options.idempotencyKey) {
      // A concurrent request with the same key won the race: answer with its report.
      const earlier = await this.#byIdempotencyKey(principal.tokenId, options.idempotencyKey, requestHash!);
      if (earlier) return { report: earlier, replayed: true, recorded: true };
    }
    if (cluster && this.inventory)
      await this.inventory.record(cluster, resources, answered(), {
        source: "evaluation",
        evaluationId: id,
        context: req.context ?? {},
      });
    let signed: (EvaluationReport & { receipt: DsseEnvelope }) | undefined;
    return {
      get report() {
        signed ??= { ...answered(), receipt };
        return signed;
      },
      json: signedJson,
      id,
      replayed: false,
      recorded: true,
    };
  }

  /** The caller's resources (resourcesToEvaluate): a 400 `no-resources` when there are none. */
  #requireResources(req: EvaluationRequest): InputRead {
    return resourcesToEvaluate(req, this.limits, deployedCluster(req.context) !== null);
  }

  async #byIdempotencyKey(
    tokenId: string,
    key: string,
    requestHash: string,
  ): Promise<EvaluationReport | null> {
    const [row] = await this.db
      .select({ report: evaluations.report, requestHash: evaluations.requestHash })
      .from(evaluations)
      .where(and(eq(evaluations.tokenId, tokenId), eq(evaluations.idempotencyKey, key)));
    if (!row) return null;
    if (row.requestHash !== requestHash)
      throw refuse(
        "idempotency-mismatch",
        `Idempotency-Key ${key} was already used with a different request body`,
      );
    return row.report;
  }

  async get(id: string): Promise<EvaluationReport> {
    const [row] = await this.db
      .select({ report: evaluations.report })
      .from(evaluations)
      .where(eq(evaluations.id, id));
    if (!row) throw refuse("not-found", `no evaluation with id ${id}`);
    return row.report;
  }

  /** History, newest first. `context` holds the `context.<key>` filters. */
  async list(
    q: EvaluationListQuery & { context: Record<string, string>; limit: number; cursor?: string | undefined },
  ): Promise<{ items: EvaluationSummary[]; nextCursor: string | null }> {
    const where: SQL[] = [];
    if (q.decision) where.push(eq(evaluations.decision, q.decision));
    if (q.source) where.push(eq(evaluations.source, q.source));
    if (q.since) where.push(gte(evaluations.recordedAt, new Date(q.since)));
    if (q.until) where.push(lte(evaluations.recordedAt, new Date(q.until)));
    if (q.policy) where.push(sql`${evaluations.policies} @> array[${q.policy}]::text[]`);
    if (q.image) where.push(sql`${evaluations.images} @> array[${q.image}]::text[]`);
    const resource = {
      ...(q.kind ? { kind: q.kind } : {}),
      ...(q.namespace ? { namespace: q.namespace } : {}),
      ...(q.name ? { name: q.name } : {}),
    };
    if (Object.keys(resource).length > 0)
      where.push(sql`${evaluations.resources} @> ${JSON.stringify([resource])}::jsonb`);
    for (const [k, v] of Object.entries(q.context)) where.push(sql`${evaluations.context} ->> ${k} = ${v}`);
    if (q.cursor) where.push(lt(evaluations.seq, decodeCursor(q.cursor, CURSORS.evaluations).seq));
    const rows = await this.db
      .select({
        id: evaluations.id,
        seq: evaluations.seq,
        evaluatedAt: evaluations.evaluatedAt,
        recordedAt: evaluations.recordedAt,
        decision: evaluations.decision,
        source: evaluations.source,
        actor: evaluations.actor,
        context: evaluations.context,
        digest: evaluations.policySetDigest,
        count: evaluations.policyCount,
        summary: evaluations.summary,
      })
      .from(evaluations)
      .where(and(...where))
      .orderBy(desc(evaluations.seq))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => ({
        id: r.id,
        evaluatedAt: r.evaluatedAt.toISOString(),
        recordedAt: r.recordedAt.toISOString(),
        decision: r.decision,
        source: r.source,
        actor: r.actor,
        context: r.context,
        policySet: { digest: r.digest, policies: r.count },
        summary: inReportOrder(r.summary),
      })),
      nextCursor: rows.length > q.limit && last ? encodeCursor({ seq: last.seq }) : null,
    };
  }

  /**
   * The stored inputs of recorded evaluations and the time each was evaluated at, for replays.
   * The recorded report is not read: it is the largest value of the row and a replay needs only
   * its time, which the row keeps in a column of its own.
   */
  async inputsOf(ids: readonly string[]): Promise<Map<string, { input: StoredInput; evaluatedAt: Date }>> {
    const out = new Map<string, { input: StoredInput; evaluatedAt: Date }>();
    if (ids.length === 0) return out;
    const imageInputs = alias(inputs, "image_inputs");
    const rows = await this.db
      .select({
        id: evaluations.id,
        evaluatedAt: evaluations.evaluatedAt,
        params: evaluations.params,
        context: evaluations.context,
        selector: evaluations.selector,
        policyNames: evaluations.policyNames,
        kind: inputs.kind,
        text: inputs.text,
        data: inputs.data,
        // images_hash only ever names an input of kind `images` (the history writer writes both)
        images: sql<ImageFacts[] | null>`${imageInputs.data}`,
      })
      .from(evaluations)
      .innerJoin(inputs, eq(inputs.hash, evaluations.inputHash))
      .leftJoin(imageInputs, eq(imageInputs.hash, evaluations.imagesHash))
      .where(inArray(evaluations.id, [...ids]));
    for (const r of rows) {
      const input: StoredInput = {
        ...storedManifests(r.kind, r.text, r.data),
        images: r.images ?? [],
        params: r.params ?? undefined,
        context: r.context,
        select: r.selector ?? undefined,
        policies: r.policyNames ?? undefined,
      };
      out.set(r.id, { input, evaluatedAt: r.evaluatedAt });
    }
    return out;
  }

  /** Ids of recorded evaluations, newest first, within [since, until]. */
  async recentIds(q: {
    since?: string | undefined;
    until?: string | undefined;
    limit: number;
  }): Promise<string[]> {
    const rows = await this.db
      .select({ id: evaluations.id })
      .from(evaluations)
      .where(
        and(
          q.since ? gte(evaluations.recordedAt, new Date(q.since)) : undefined,
          q.until ? lte(evaluations.recordedAt, new Date(q.until)) : undefined,
        ),
      )
      .orderBy(desc(evaluations.seq))
      .limit(q.limit);
    return rows.map((r) => r.id);
  }
}

/** A report from the JSON text an evaluator finished (finish.ts made it from a report). */
function parseReport(json: string): EvaluationReport {
  return JSON.parse(json) as EvaluationReport;
}

/** Image filter terms: every reference as written, and its digest. */
function imageTerms(refs: readonly string[]): string[] {
  const out = new Set<string>();
  for (const ref of refs) {
    out.add(ref);
    const at = ref.indexOf("@");
    if (at >= 0) out.add(ref.slice(at + 1));
  }
  return [...out];
}

export { inputHashOf } from "./history-writer.js";

/**
 * The manifests or resources of a stored input, by its kind. Manifest files are checked
 * against their wire schema on the way back (the column holds any kind's data).
 */
function storedManifests(
  kind: InputKind,
  text: string | null,
  data: InputData | null,
): Pick<StoredInput, "manifests" | "resources"> {
  if (kind === "manifests") return { manifests: text ?? "" };
  if (kind === "manifest-files") return { manifests: ManifestFileSchema.array().parse(data ?? []) };
  return { resources: data ?? [] };
}
