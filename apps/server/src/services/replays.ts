import type { ReplayReport, ReplayRequest } from "@celgate/contracts";
import {
  type CompiledPolicySet,
  canonicalJson,
  compilePolicySet,
  type EvaluationReport,
  type Outcome,
  type PolicyDocument,
  parseLabelSelector,
  parsePolicyDocuments,
  policySchema,
  type Resource,
  type ResourceRef,
  type Selector,
} from "@celgate/core";
import { inArray } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { evaluations } from "../db/schema.js";
import type { Evaluator } from "../evaluator/index.js";
import type { Principal } from "../lib/context.js";
import { describe, diagnosticErrors, isError } from "../lib/diagnostics.js";

import { sha256Hex } from "../lib/ids.js";
import { writeAudit } from "./audit.js";
import { DomainError, refuse } from "./errors.js";
import { type EvaluationService, resourcesOf, type StoredInput } from "./evaluations.js";
import { deployedCluster } from "./inventory.js";
import { admissionSetOf, type PolicySetRuntime, type PolicySnapshot } from "./policy-set.js";

const MAX_CHANGES = 5000;
/**
 * Recorded evaluations whose inputs a replay holds in memory at once: up to 500
 * may be replayed, each input as large as a request body, and holding them all would take
 * gigabytes.
 */
export const REPLAY_INPUT_CHUNK = 8;

/** How replays share the instance with evaluations (docs/operations.md). */
export interface ReplayOptions {
  /** A replay as a whole (CELGATE_REPLAY_TIMEOUT_MS); past it, it stops with 503 replay-timeout. */
  timeoutMs: number;
  /** Bound of one evaluation (CELGATE_EVALUATION_TIMEOUT_MS): a replay's evaluation never gets more. */
  evaluationTimeoutMs: number;
}

const DEFAULTS: ReplayOptions = { timeoutMs: 30_000, evaluationTimeoutMs: 10_000 };

/** Thrown when a replay passes its time limit. */
class ReplayTimeout extends DomainError {
  constructor(timeoutMs: number, done: number, total: number) {
    super(
      "replay-timeout",
      `the replay did not finish within its limit of ${timeoutMs} ms (CELGATE_REPLAY_TIMEOUT_MS) after ${done} of ${total} evaluations; replay fewer (evaluations, limit, since/until) or raise the limit`,
    );
  }
}

/** A recorded request's selector, parsed again (it was checked when recorded). */
function storedSelector(id: string, text: string | undefined): Selector | undefined {
  if (text === undefined) return undefined;
  const parsed = parseLabelSelector(text);
  if (!parsed.ok)
    throw refuse("invalid-input", `evaluation ${id} has a selector that no longer parses: ${parsed.error}`);
  return parsed.selector;
}

/**
 * The context of a recorded evaluation's stored input, and a reader of its resources (each call
 * a new reading, as each evaluation is handed its own). Refused (invalid-input, naming the
 * evaluation and what failed) when they no longer read: text an older engine accepted, or a
 * row changed by hand. The request is not at fault, and a replay never judges candidates on a
 * part of what was recorded.
 */
function storedInput(
  id: string,
  input: StoredInput,
  limits: EvaluationService["limits"],
): { resources: () => Resource[]; context: Record<string, unknown>; rule: "admission" | "full" } {
  const context: unknown = input.context;
  if (typeof context !== "object" || context === null || Array.isArray(context))
    throw refuse("invalid-input", `evaluation ${id}: its stored context is not a mapping`);
  const record = context as Record<string, unknown>;
  // Admission reviews were judged without the bundle policies; replay them the same way.
  const rule = record.admission === true ? "admission" : "full";
  const admitted = rule === "admission" || deployedCluster(record) !== null;
  const resources = () => {
    try {
      return resourcesOf(input, limits, admitted);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw refuse(
        "invalid-input",
        `evaluation ${id}: its stored input no longer reads (${why}); replay other evaluations`,
        err instanceof DomainError ? err.errors : undefined,
      );
    }
  };
  return { resources, context: record, rule };
}

/** The set in force and the candidate set, each whole and as admission evaluates it. */
interface ReplaySets {
  live: { full: CompiledPolicySet; admission: CompiledPolicySet };
  candidate: { full: CompiledPolicySet; admission: CompiledPolicySet };
}

function key(ref: ResourceRef): string {
  return JSON.stringify([ref.apiVersion, ref.kind, ref.namespace ?? "", ref.name, ref.source?.document ?? 0]);
}

function outcomes(
  report: EvaluationReport,
): Map<string, { ref: ResourceRef; policy: string; outcome: Outcome }> {
  const m = new Map<string, { ref: ResourceRef; policy: string; outcome: Outcome }>();
  for (const r of report.results)
    m.set(`${key(r.resource)}|${r.policy}`, { ref: r.resource, policy: r.policy, outcome: r.outcome });
  return m;
}

/**
 * Replays: candidate policies laid over the set in force, evaluated on the (redacted) stored
 * inputs of recorded evaluations, compared outcome by outcome with the set in force on the
 * same inputs. The candidate is compiled into a set of its own (its own digest), so nothing it
 * does reaches the live set or the workers' cache entries for it.
 * Records no evaluation; writes one audit row per replay that ran (`replay.run`: who, the
 * candidates' digest, how many evaluations, how many changes, how it ended).
 *
 * Sharing: one replay at a time per instance (a second gets 429 with Retry-After); it
 * evaluates one recorded evaluation at a time, so it holds at most one worker of the pool and
 * the others keep serving evaluations; the whole replay has its own time limit.
 */
export class ReplayService {
  readonly #options: ReplayOptions;
  #running = false;

  constructor(
    private readonly db: Db,
    private readonly runtime: PolicySetRuntime,
    private readonly evaluations: EvaluationService,
    private readonly evaluator: Evaluator,
    options: Partial<ReplayOptions> = {},
  ) {
    this.#options = { ...DEFAULTS, ...options };
  }

  async replay(principal: Principal, req: ReplayRequest): Promise<ReplayReport> {
    if (this.#running)
      throw refuse(
        "replay-busy",
        "a replay is already running on this instance; replays run one at a time, retry when it has ended",
      );
    this.#running = true;
    try {
      return await this.#replay(principal, req);
    } finally {
      this.#running = false;
    }
  }

  async #replay(principal: Principal, req: ReplayRequest): Promise<ReplayReport> {
    const started = Date.now();
    const deadline = started + this.#options.timeoutMs;
    const candidates = this.#candidates(req.policies);
    const snapshot = await this.runtime.get();
    const byName = new Map(snapshot.documents.map((d) => [d.metadata.name, d]));
    for (const name of req.remove ?? []) byName.delete(name);
    for (const c of candidates) byName.set(c.metadata.name, c);
    const { set, diagnostics } = compilePolicySet([...byName.values()]);
    const errors = diagnostics.filter(isError);
    if (errors.length > 0)
      throw refuse(
        "invalid-input",
        `the candidate policy set does not compile: ${errors.slice(0, 3).map(describe).join("; ")}`,
        diagnosticErrors(errors),
      );

    const ids =
      req.evaluations ??
      (await this.evaluations.recentIds({ since: req.since, until: req.until, limit: req.limit }));
    const known = await this.#recorded(ids);
    const missing = ids.filter((id) => !known.has(id));
    if (req.evaluations && missing.length > 0)
      throw refuse("not-found", `no evaluations with ids ${missing.join(", ")}`);
    const present = [...new Set(ids.filter((id) => known.has(id)))];

    const audited = {
      candidates: `sha256:${sha256Hex(canonicalJson(candidates))}`,
      candidateCount: candidates.length,
      candidatePolicies: candidates.slice(0, 50).map((c) => c.metadata.name),
      removed: req.remove ?? [],
      policySet: { digest: set.digest, policies: set.policies.length },
      requested: ids.length,
    };
    let outcome = "failed";
    let done = 0;
    let changed = 0;
    try {
      // --- compiled sets: the candidate's own, never the live one (see the server README) ---
      // `before` is the set in force and `after` the candidate, both evaluated now on the same
      // stored inputs at their original time: only policies that differ can change an outcome
      // (the recorded report may predate other policy, exception or engine changes).
      const sets: ReplaySets = {
        live: { full: snapshot.set, admission: snapshot.admissionSet },
        candidate: { full: set, admission: admissionSetOf(set) },
      };
      const report = await this.#run(sets, snapshot.exceptions, present, deadline, (n, c) => {
        done = n;
        changed = c;
      });
      outcome = "completed";
      return report;
    } catch (err) {
      if (err instanceof ReplayTimeout) outcome = "timed-out";
      throw err;
    } finally {
      // No replay result without its audit row: a failure to write it fails the request.
      await writeAudit(this.db, {
        actor: principal.name,
        action: "replay.run",
        targetKind: "replay",
        targetName: audited.candidates,
        detail: {
          ...audited,
          tokenId: principal.tokenId,
          evaluations: done,
          changed,
          outcome,
          durationMs: Date.now() - started,
        },
      });
    }
  }

  async #run(
    sets: ReplaySets,
    exceptions: PolicySnapshot["exceptions"],
    ids: readonly string[],
    deadline: number,
    progress: (evaluations: number, changed: number) => void,
  ): Promise<ReplayReport> {
    const changes: ReplayReport["changes"] = [];
    const decisions: ReplayReport["decisions"] = [];
    let resources = 0;
    let changed = 0;
    const { live, candidate } = sets;
    const set = candidate.full;
    let done = 0;
    let loaded = 0;
    let stored: Awaited<ReturnType<EvaluationService["inputsOf"]>> = new Map();
    for (const [index, id] of ids.entries()) {
      // a few inputs at a time, read when their turn comes (the previous ones are let go)
      if (index % REPLAY_INPUT_CHUNK === 0)
        stored = await this.evaluations.inputsOf(ids.slice(index, index + REPLAY_INPUT_CHUNK));
      const entry = stored.get(id);
      if (!entry) continue; // deleted by retention since the replay began
      loaded++;
      // Let waiting requests run between evaluations (in-process evaluators hold the loop).
      await new Promise<void>((resolve) => setImmediate(resolve));
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new ReplayTimeout(this.#options.timeoutMs, done, ids.length);
      const { input, evaluatedAt } = entry;
      const select = storedSelector(id, input.select);
      const recorded = storedInput(id, input, this.evaluations.limits);
      const { context, rule } = recorded;
      const evaluateWith = (policySet: CompiledPolicySet) =>
        this.evaluator.evaluate(policySet, {
          resources: recorded.resources(),
          images: input.images,
          exceptions,
          ...(input.params ? { params: input.params } : {}),
          context,
          now: evaluatedAt,
          ...(select ? { select } : {}),
          // as named then: a name no longer in a set selects nothing there (never everything)
          ...(input.policies ? { policies: input.policies } : {}),
          timeoutMs: Math.max(1, Math.min(deadline - Date.now(), this.#options.evaluationTimeoutMs)),
        });
      const before = await evaluateWith(live[rule]);
      const after =
        live[rule].digest === candidate[rule].digest ? before : await evaluateWith(candidate[rule]);
      // Cut by the deadline, its errors are not the candidates' doing: the replay fails whole.
      if (Date.now() >= deadline) throw new ReplayTimeout(this.#options.timeoutMs, done, ids.length);
      done++;
      resources += after.summary.resources;
      if (after.decision !== before.decision)
        decisions.push({ evaluation: id, before: before.decision, after: after.decision });
      const a = outcomes(before);
      const b = outcomes(after);
      for (const k of new Set([...a.keys(), ...b.keys()])) {
        const x = a.get(k);
        const y = b.get(k);
        const was = x?.outcome ?? "skip";
        const now = y?.outcome ?? "skip";
        if (was === now) continue;
        changed++;
        if (changes.length < MAX_CHANGES)
          changes.push({
            evaluation: id,
            resource: (y ?? x)!.ref,
            policy: (y ?? x)!.policy,
            before: was,
            after: now,
          });
      }
      progress(done, changed);
    }
    return {
      policySet: { digest: set.digest, policies: set.policies.length },
      evaluations: loaded,
      resources,
      changed,
      decisions,
      changes,
    };
  }

  /** Which of `ids` are recorded evaluations (their ids only: no input is read here). */
  async #recorded(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .select({ id: evaluations.id })
      .from(evaluations)
      .where(inArray(evaluations.id, [...ids]));
    return new Set(rows.map((r) => r.id));
  }

  #candidates(policies: ReplayRequest["policies"]): PolicyDocument[] {
    if (policies === undefined) return [];
    if (typeof policies === "string") {
      const parsed = parsePolicyDocuments(policies, "policies");
      const errors = parsed.diagnostics.filter(isError);
      if (errors.length > 0)
        throw refuse(
          "invalid-input",
          `candidate policies: ${errors.slice(0, 3).map(describe).join("; ")}`,
          diagnosticErrors(errors),
        );
      return parsed.policies;
    }
    return policies.map((doc, i) => {
      const r = policySchema.safeParse(doc);
      if (!r.success)
        throw refuse(
          "invalid-input",
          `candidate policies[${i}] is not a valid Policy`,
          r.error.issues.map((x) => ({ path: `policies[${i}].${x.path.join(".")}`, message: x.message })),
        );
      return r.data;
    });
  }
}
