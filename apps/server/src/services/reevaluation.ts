import { randomUUID } from "node:crypto";
import type { FindingCause } from "@celgate/contracts";
import {
  canonicalJson,
  type EvaluationReport,
  type ImageFacts,
  kindMatches,
  type PolicyDocument,
  type Resource,
  resourceRef,
  toWireReport,
  type WireResult,
} from "@celgate/core";
import { and, asc, desc, eq, inArray, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { findings, images, inventory, policyVersions, state } from "../db/schema.js";
import type { Evaluator } from "../evaluator/index.js";
import { isUnavailable } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";
import type { Metrics } from "../lib/metrics.js";
import { withoutParameters } from "../lib/secret-errors.js";
import { ChangeQueue, type ClaimedChange, rowsOf } from "./changes.js";
import type { FailingPolicy, FindingService } from "./findings.js";
import { GENERATION_KEYS } from "./generations.js";
import { type ImageService, imageRefsOf } from "./images.js";
import { failingOf, type InventoryRow, isFailing, keyOf, resultsFor } from "./inventory.js";
import type { PolicySetRuntime, PolicySnapshot } from "./policy-set.js";

export interface ReevaluationOptions {
  /** How often an instance looks for queued changes and lapsed exceptions; default 1000 ms. */
  pollMs: number;
  /** Inventory entries per evaluation handed to a worker; default 50. */
  batchSize: number;
  /**
   * Background evaluations in flight at once on this instance: the share of the evaluator
   * workers re-evaluation may take (server.ts: a quarter of the threads, at least 1).
   */
  concurrency: number;
  /** How long a claimed change is held before another instance may take it over; default 60 s. */
  leaseMs: number;
  /** Attempts before a change that keeps failing is closed with its error; default 5. */
  maxAttempts: number;
  /** Delay before a failed change is tried again; default 5 s. */
  retryMs: number;
  /** How long done changes and sent webhook deliveries are kept; default 7 days. */
  keepMs: number;
}

export const DEFAULT_REEVALUATION: ReevaluationOptions = {
  pollMs: 1000,
  batchSize: 50,
  concurrency: 1,
  leaseMs: 60_000,
  maxAttempts: 5,
  retryMs: 5000,
  keepMs: 7 * 86_400_000,
};

/** Pruning of the queue runs at most this often per instance. */
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * How often one change is begun again because the policy set changed while it was evaluated,
 * before that counts as a failed attempt (each restart follows a policy or exception change
 * that committed meanwhile, so only a storm of them reaches this).
 */
const MAX_RESTARTS = 50;

/**
 * Thrown when a verdict was made with a policy set that another policy or exception change has
 * replaced since: storing it would record a decision the set in force does not make.
 */
class StalePolicySet extends Error {
  override name = "StalePolicySet";
  constructor(used: number, current: number | null) {
    super(
      `the policy set changed while the change was re-evaluated (generation ${used}, now ${current ?? "missing"}); begun again with the set in force`,
    );
  }
}

/** Which inventory entries a change concerns, and what to name as its trigger. */
interface Scope {
  /** null: none; undefined: every entry. */
  where: SQL | null | undefined;
  trigger: Record<string, unknown>;
}

/** The most vulnerability ids a scan trigger names. */
const MAX_TRIGGER_IDS = 50;

/**
 * Re-evaluates what is deployed when something it was judged on changes: a scan of one of its
 * images, a policy, an exception, or an exception's expiry. Each change is claimed by one
 * instance (see ChangeQueue), narrowed to the inventory entries it concerns (by image key, or
 * by the kinds the policy or exception matches, plus the entries with a finding open on it),
 * and evaluated in batches on at most `concurrency` evaluator workers at once, so requests keep
 * the rest. Each entry's verdict is stored only over the revision that was read: an entry
 * admitted again meanwhile keeps its newer baseline.
 */
export class Reevaluator {
  readonly queue: ChangeQueue;
  readonly #options: ReevaluationOptions;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #running: Promise<number> | undefined;
  #prunedAt = 0;
  /** Set by stop(): drain() ends after the change in progress. */
  #halt = false;

  constructor(
    private readonly db: Db,
    private readonly runtime: PolicySetRuntime,
    private readonly images: ImageService,
    private readonly evaluator: Evaluator,
    private readonly findings: FindingService,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    options: Partial<ReevaluationOptions> = {},
  ) {
    this.#options = { ...DEFAULT_REEVALUATION, ...options };
    this.queue = new ChangeQueue(db, `${process.pid}-${randomUUID()}`, {
      leaseMs: this.#options.leaseMs,
      maxAttempts: this.#options.maxAttempts,
    });
  }

  /** Starts the background loop. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#halt = false;
    this.#schedule(Math.min(this.#options.pollMs, 250));
  }

  /** Stops the loop and waits for the change in progress to reach a batch boundary. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#halt = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => {});
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.drain()
        .catch((err: unknown) => {
          const safe = withoutParameters(err);
          if (isUnavailable(err)) this.logger.debug({ err: safe }, "re-evaluation: database unreachable");
          else this.logger.warn({ err: safe }, "re-evaluation round failed; retrying");
          return 0;
        })
        .finally(() => {
          this.#running = undefined;
          this.#schedule(this.#options.pollMs);
        });
    }, delayMs);
    this.#timer.unref();
  }

  /**
   * Queues lapsed exceptions, then processes claimable changes until none is left (or the loop
   * stops). Returns how many changes this instance completed. Throws what the database throws.
   */
  async drain(): Promise<number> {
    await this.queue.queueExpiries();
    let done = 0;
    while (!this.#halt) {
      const change = await this.queue.claim();
      if (!change) break;
      try {
        const entries = await this.process(change);
        if (await this.queue.complete(change.id, entries)) {
          done++;
          this.metrics.inc("celgate_reevaluation_changes_total", "Changes re-evaluated, by cause", {
            cause: change.cause,
          });
          this.metrics.inc(
            "celgate_reevaluated_entries_total",
            "Inventory entries re-evaluated",
            {},
            entries,
          );
        }
      } catch (err) {
        const closed = await this.queue.fail(change, err, this.#options.retryMs);
        // a failed statement's parameters may hold what an inventory object carried
        this.logger[closed ? "error" : "warn"](
          { err: withoutParameters(err), change: change.id, cause: change.cause, attempts: change.attempts },
          closed ? "re-evaluation of a change failed for good" : "re-evaluation of a change failed; retrying",
        );
        if (isUnavailable(err)) throw err;
      }
    }
    await this.findings.refreshGauges();
    if (Date.now() - this.#prunedAt > PRUNE_EVERY_MS) {
      this.#prunedAt = Date.now();
      await this.queue.prune(this.#options.keepMs);
    }
    return done;
  }

  /**
   * Re-evaluates the entries one change concerns; returns how many. Throws on failure (retried).
   * Every verdict is stored under the policy set it was made with: when another policy or
   * exception change commits meanwhile, the change is begun again with the new set (verdicts
   * stored before it were right when they were stored, and are made again).
   */
  async process(change: ClaimedChange): Promise<number> {
    for (let restarts = 0; ; restarts++) {
      try {
        return await this.#processOnce(change);
      } catch (err) {
        if (!(err instanceof StalePolicySet) || restarts >= MAX_RESTARTS) throw err;
        this.logger.debug({ change: change.id, cause: change.cause, restarts }, err.message);
      }
    }
  }

  async #processOnce(change: ClaimedChange): Promise<number> {
    // This change committed with a new policy generation: make sure it is the one in force here.
    this.runtime.invalidate();
    const snapshot = await this.runtime.get();
    const scope = await this.#scope(change, snapshot);
    if (scope.where === null) return 0;
    const cause = { cause: change.cause, trigger: scope.trigger, changeId: change.id };
    let after: InventoryRow | undefined;
    let total = 0;
    const inflight = new Set<Promise<void>>();
    let failure: unknown;
    for (;;) {
      const rows: InventoryRow[] = await this.db
        .select()
        .from(inventory)
        .where(
          and(
            scope.where,
            after
              ? sql`(${inventory.cluster}, ${inventory.namespace}, ${inventory.kind}, ${inventory.name}) > (${after.cluster}, ${after.namespace}, ${after.kind}, ${after.name})`
              : undefined,
          ),
        )
        .orderBy(asc(inventory.cluster), asc(inventory.namespace), asc(inventory.kind), asc(inventory.name))
        .limit(this.#options.batchSize);
      if (rows.length === 0) break;
      after = rows.at(-1);
      total += rows.length;
      for (const group of groups(this.#readable(rows, change))) {
        while (inflight.size >= this.#options.concurrency) await Promise.race(inflight);
        if (failure) throw failure;
        const p: Promise<void> = this.#evaluate(group, snapshot, cause)
          .catch((err: unknown) => {
            failure ??= err;
          })
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      if (!(await this.queue.renew(change.id))) {
        await Promise.allSettled(inflight);
        throw new Error("the change was taken over by another instance (lease lost)");
      }
      if (rows.length < this.#options.batchSize) break;
    }
    await Promise.allSettled(inflight);
    if (failure) throw failure;
    return total;
  }

  /**
   * The rows that can be judged: an entry whose object or context is not a mapping, or whose
   * baseline is not a list of policy names (written by an older version, or by hand), is left
   * as it is and named in the log, so that it does not fail the change for every other entry.
   * Its next admission replaces it.
   */
  #readable(rows: InventoryRow[], change: ClaimedChange): InventoryRow[] {
    return rows.filter((row) => {
      const problem = unreadable(row);
      if (problem === null) return true;
      this.metrics.inc("celgate_inventory_errors_total", "Inventory writes that failed (logged)", {
        op: "reevaluate",
      });
      this.logger.error(
        {
          cluster: row.cluster,
          namespace: row.namespace,
          kind: row.kind,
          name: row.name,
          change: change.id,
          problem,
        },
        "re-evaluation: an inventory entry no longer reads; left as it is (its next admission replaces it)",
      );
      return false;
    });
  }

  /** Evaluates one group of entries (one cluster, one context) and stores each verdict. */
  async #evaluate(
    rows: InventoryRow[],
    snapshot: PolicySnapshot,
    cause: { cause: FindingCause; trigger: Record<string, unknown>; changeId: number },
  ): Promise<void> {
    const resources: Resource[] = rows.map((r) => ({
      object: r.object,
      ref: resourceRef(r.object),
      request: r.request,
      oldObject: null,
    }));
    // fresh: the change being handled may be the scan itself, committed after the cache's reading
    const facts = await this.images.lookup(imageRefsOf(resources), { fresh: true });
    const report: EvaluationReport<WireResult> = toWireReport(
      await this.evaluator.evaluate(snapshot.admissionSet, {
        resources,
        images: facts,
        exceptions: snapshot.exceptions,
        context: rows[0]!.context,
      }),
    );
    const verdicts = rows.map((row) => {
      const key = keyOf(row.cluster, { kind: row.kind, namespace: row.namespace, name: row.name });
      return { row, key, failing: failingOf(report, key) };
    });
    const now = new Date().toISOString();
    await this.db.transaction(async (tx) => {
      // The set these verdicts were made with must still be the one in force, and stay so until
      // they commit: the share lock makes a policy or exception change (which bumps the counter)
      // wait for this transaction, and this one see the counter of any change committed before.
      const [counter] = rowsOf(
        await tx.execute(sql`select value from ${state} where key = ${GENERATION_KEYS.policies} for share`),
      );
      const current = counter === undefined ? null : Number(counter.value);
      if (current !== snapshot.generation) throw new StalePolicySet(snapshot.generation, current);
      // Every verdict in one statement, each only over the revision that was read: an entry
      // admitted again (or re-evaluated) meanwhile keeps its newer verdict.
      const stored = rowsOf(
        await tx.execute(sql`
          update ${inventory} i
          set failing = v.failing, evaluated_at = ${now}::timestamptz, revision = i.revision + 1
          from jsonb_to_recordset(${JSON.stringify(
            verdicts.map((v) => ({ ...v.key, revision: v.row.revision, failing: v.failing })),
          )}::jsonb) as v(cluster text, namespace text, kind text, name text, revision int, failing jsonb)
          where i.cluster = v.cluster and i.namespace = v.namespace and i.kind = v.kind and i.name = v.name
            and i.revision = v.revision
          returning i.namespace, i.kind, i.name`),
      );
      const kept = new Set(stored.map((r) => JSON.stringify([r.namespace, r.kind, r.name])));
      const changed = verdicts.filter(
        (v) =>
          kept.has(JSON.stringify([v.key.namespace, v.key.kind, v.key.name])) &&
          canonicalJson(v.failing) !== canonicalJson([...v.row.failing].sort()),
      );
      const opened = changed.map((v) => {
        const before = new Set(v.row.failing);
        const failing: FailingPolicy[] = [];
        for (const r of resultsFor(report, v.key))
          if (isFailing(r) && !before.has(r.policy) && !failing.some((o) => o.policy === r.policy))
            failing.push({
              policy: r.policy,
              policyVersion: snapshot.versions.get(r.policy) ?? null,
              severity: r.severity,
              action: r.action,
              message:
                r.outcome === "error"
                  ? `error: ${r.error ?? "the policy could not be evaluated"}`
                  : r.violations.map((x) => x.message).join("; ") || "failed",
            });
        return { key: v.key, failing };
      });
      await this.findings.open(tx, opened, { ...cause, trigger: triggerOf(cause, facts) });
      // Open findings are of policies the entry failed; only a changed verdict can resolve one.
      const byCluster = new Map<string, typeof changed>();
      for (const v of changed) byCluster.set(v.key.cluster, [...(byCluster.get(v.key.cluster) ?? []), v]);
      for (const [cluster, list] of byCluster) await this.findings.resolveMany(tx, cluster, list, "passed");
    });
  }

  /** The entries a change concerns and its trigger. */
  async #scope(change: ClaimedChange, snapshot: PolicySnapshot): Promise<Scope> {
    const subject = change.subject;
    if (change.cause === "new-scan") {
      const [row] = await this.db
        .select({ facts: images.facts })
        .from(images)
        .where(eq(images.digest, subject));
      const vulnerabilities = vulnerabilityIds(row?.facts);
      return {
        where: sql`${inventory.images} @> array[${subject}]::text[]`,
        trigger: { image: subject, vulnerabilities },
      };
    }
    if (change.cause === "policy-change") {
      const version =
        typeof change.detail.version === "number" ? change.detail.version : Number.MAX_SAFE_INTEGER;
      // The document before and after the change: entries either one matched are concerned.
      const docs = await this.db
        .select({ document: policyVersions.document, change: policyVersions.change })
        .from(policyVersions)
        .where(and(eq(policyVersions.name, subject), lte(policyVersions.version, version)))
        .orderBy(desc(policyVersions.version))
        .limit(2);
      const kinds = docs
        .map((d) => d.document)
        .filter((d): d is PolicyDocument => d !== null)
        .map((d) => d.spec.match?.kinds);
      return {
        where: await this.#kindsOrOpen(kinds, [subject]),
        trigger: { policy: subject, version: change.detail.version ?? null, change: docs[0]?.change ?? null },
      };
    }
    // exception-change, exception-expired
    const named = Array.isArray(change.detail.policies) ? (change.detail.policies as string[]) : [];
    const own = Array.isArray(change.detail.kinds) ? (change.detail.kinds as string[]) : [];
    const policies = named.includes("*")
      ? snapshot.documents
      : snapshot.documents.filter((d) => named.includes(d.metadata.name));
    const kinds = own.length > 0 ? [own] : policies.map((d) => d.spec.match?.kinds);
    const names = named.includes("*") ? null : named;
    return {
      where: kinds.length === 0 && names?.length === 0 ? null : await this.#kindsOrOpen(kinds, names),
      trigger: {
        exception: subject,
        ...(change.detail.expires ? { expires: change.detail.expires } : {}),
        ...(change.detail.change ? { change: change.detail.change } : {}),
      },
    };
  }

  /**
   * Entries of a kind one of `kinds` matches (core's kindMatches; a list that is absent or empty
   * matches every kind), or with a finding open on one of `policies` (null: any).
   */
  async #kindsOrOpen(
    kinds: (readonly string[] | undefined)[],
    policies: string[] | null,
  ): Promise<SQL | null | undefined> {
    if (kinds.some((k) => !k || k.length === 0)) return undefined;
    const present = await this.db.selectDistinct({ kind: inventory.kind }).from(inventory);
    const matched = present.map((p) => p.kind).filter((kind) => kinds.some((k) => kindMatches(k, kind)));
    const open = sql`exists (select 1 from ${findings} f where f.status = 'open' and f.cluster = ${inventory.cluster}
      and f.namespace = ${inventory.namespace} and f.kind = ${inventory.kind} and f.name = ${inventory.name}
      ${policies === null ? sql`` : sql`and f.policy in (select jsonb_array_elements_text(${JSON.stringify(policies)}::jsonb))`})`;
    return matched.length > 0 ? sql`(${inArray(inventory.kind, matched)} or ${open})` : open;
  }
}

const isMapping = (v: unknown): boolean => typeof v === "object" && v !== null && !Array.isArray(v);

/** Why an inventory row cannot be judged, or null when it can. */
function unreadable(row: InventoryRow): string | null {
  if (!isMapping(row.object)) return "its object is not a mapping";
  if (!isMapping(row.context)) return "its context is not a mapping";
  if (row.request !== null && !isMapping(row.request)) return "its admission request is not a mapping";
  if (!Array.isArray(row.failing) || !row.failing.every((p) => typeof p === "string"))
    return "its baseline (failing) is not a list of policy names";
  return null;
}

/** Rows split into runs of one cluster and one context: each run is one evaluation. */
function groups(rows: InventoryRow[]): InventoryRow[][] {
  const out = new Map<string, InventoryRow[]>();
  for (const r of rows) {
    const k = `${r.cluster}\u0000${canonicalJson(r.context)}`;
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return [...out.values()];
}

/** The ids of the critical and high vulnerabilities of stored image facts, most grave first. */
/**
 * The trigger a finding records. A new scan's names the vulnerabilities of the facts the
 * evaluation used: another scan of the image may have been stored after the change's scope was
 * read, and the finding must name what it was decided on.
 */
export function triggerOf(
  cause: { cause: FindingCause; trigger: Record<string, unknown> },
  used: readonly ImageFacts[],
): Record<string, unknown> {
  if (cause.cause !== "new-scan") return cause.trigger;
  const facts = used.find((f) => f.digest !== null && f.digest === cause.trigger.image);
  return facts ? { ...cause.trigger, vulnerabilities: vulnerabilityIds(facts) } : cause.trigger;
}

function vulnerabilityIds(facts: ImageFacts | undefined): string[] {
  const list = facts?.scan?.vulnerabilities ?? [];
  const rank = (s: string) => (s === "critical" ? 0 : 1);
  return list
    .filter((v) => v.severity === "critical" || v.severity === "high")
    .sort((a, b) => rank(a.severity) - rank(b.severity))
    .map((v) => v.id)
    .slice(0, MAX_TRIGGER_IDS);
}
