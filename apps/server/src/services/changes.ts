import type { FindingCause } from "@celgate/contracts";
import type { ExceptionDocument } from "@celgate/core";
import { sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
import { exceptions, reevaluationChanges, webhookDeliveries } from "../db/schema.js";
import { safeErrorText } from "../lib/secret-errors.js";

/** A change that calls for re-evaluating what is deployed (docs/operations.md, "Findings"). */
export interface ChangeInput {
  cause: FindingCause;
  /** The image key (digest or `registry/repository:tag`), policy name or exception name. */
  subject: string;
  detail?: Record<string, unknown>;
}

/**
 * The change of an exception, as queued: the policies its documents (before and after) name,
 * and the kinds they narrow to (null when one of them does not narrow by kind).
 */
export function exceptionChange(
  change: "create" | "update" | "delete",
  doc: ExceptionDocument,
  ...more: ExceptionDocument[]
): ChangeInput {
  const docs = [doc, ...more];
  const narrowed = docs.every((d) => (d.spec.match?.kinds?.length ?? 0) > 0);
  return {
    cause: "exception-change",
    subject: doc.metadata.name,
    detail: {
      change,
      policies: [...new Set(docs.flatMap((d) => d.spec.policies))],
      kinds: narrowed ? [...new Set(docs.flatMap((d) => d.spec.match?.kinds ?? []))] : null,
    },
  };
}

/** A queued change as claimed by one instance. */
export interface ClaimedChange {
  id: number;
  cause: FindingCause;
  subject: string;
  detail: Record<string, unknown>;
  attempts: number;
}

/**
 * Queues a change for re-evaluation. Call it inside the transaction of the change itself, so
 * that the change and its re-evaluation stand or fall together.
 */
export async function recordChange(tx: Tx | Db, change: ChangeInput): Promise<void> {
  await tx
    .insert(reevaluationChanges)
    .values({ cause: change.cause, subject: change.subject, detail: change.detail ?? {} });
}

/**
 * The queue of changes, shared by replicas through the database. A change is claimed by one
 * instance at a time (`FOR UPDATE SKIP LOCKED`: a second instance skips the row instead of
 * waiting) for a lease; the holder renews the lease as it works and marks the change done. If
 * the holder dies, the lease runs out and another instance takes the change over.
 */
export class ChangeQueue {
  constructor(
    private readonly db: Db,
    /** This instance's identity in `claimed_by`. */
    readonly owner: string,
    private readonly options: { leaseMs: number; maxAttempts: number },
  ) {}

  /**
   * Queues an `exception-expired` change for every exception whose expiry has passed, once per
   * (exception, expiry): the `dedupe` key makes replicas that look at the same time queue it once.
   */
  async queueExpiries(): Promise<number> {
    const result = await this.db.execute(sql`
      insert into ${reevaluationChanges} (cause, subject, detail, dedupe)
      select 'exception-expired', e.name,
             jsonb_build_object('exception', e.name, 'expires', e.expires, 'policies', e.document->'spec'->'policies',
                                'kinds', e.document->'spec'->'match'->'kinds'),
             'exception-expired:' || e.name || ':' || to_char(e.expires at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      from ${exceptions} e
      where e.expires <= now()
      on conflict (dedupe) do nothing
      returning id`);
    return rowsOf(result).length;
  }

  /** Claims the oldest change nobody holds; null when there is none. */
  async claim(): Promise<ClaimedChange | null> {
    const rows = rowsOf(
      await this.db.execute(sql`
        update ${reevaluationChanges}
        set claimed_by = ${this.owner},
            claimed_until = now() + ${this.options.leaseMs} * interval '1 millisecond',
            attempts = attempts + 1
        where id = (
          select id from ${reevaluationChanges}
          where done_at is null and (claimed_until is null or claimed_until < now())
          order by id
          limit 1
          for update skip locked
        )
        returning id, cause, subject, detail, attempts`),
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: Number(r.id),
      cause: r.cause as FindingCause,
      subject: r.subject as string,
      detail: (r.detail as Record<string, unknown>) ?? {},
      attempts: Number(r.attempts),
    };
  }

  /** Extends the lease; false when this instance no longer holds the change (stop working on it). */
  async renew(id: number): Promise<boolean> {
    const rows = rowsOf(
      await this.db.execute(sql`
        update ${reevaluationChanges}
        set claimed_until = now() + ${this.options.leaseMs} * interval '1 millisecond'
        where id = ${id} and claimed_by = ${this.owner} and done_at is null
        returning id`),
    );
    return rows.length > 0;
  }

  /** Marks a change done; false when another instance took it over meanwhile. */
  async complete(id: number, entries: number): Promise<boolean> {
    const rows = rowsOf(
      await this.db.execute(sql`
        update ${reevaluationChanges}
        set done_at = now(), entries = ${entries}, error = null
        where id = ${id} and claimed_by = ${this.owner} and done_at is null
        returning id`),
    );
    return rows.length > 0;
  }

  /**
   * Records a failure: the change is tried again after `retryMs`, until `maxAttempts`, after
   * which it is closed with its error (and logged by the caller). Returns whether it is closed.
   * The error is stored as safeErrorText gives it: a failed statement without its parameters
   * (they may hold what an object carried) and without the database's words about its values.
   */
  async fail(change: ClaimedChange, err: unknown, retryMs: number): Promise<boolean> {
    const final = change.attempts >= this.options.maxAttempts;
    await this.db.execute(sql`
      update ${reevaluationChanges}
      set error = ${safeErrorText(err).slice(0, 2000)},
          claimed_until = now() + ${retryMs} * interval '1 millisecond',
          done_at = ${final ? sql`now()` : sql`null`}
      where id = ${change.id} and claimed_by = ${this.owner}`);
    return final;
  }

  /**
   * Deletes changes done more than `keepMs` ago, and webhook deliveries delivered or given up
   * that long ago: the queue keeps what is recent, for diagnosis. Returns the rows deleted.
   */
  async prune(keepMs: number): Promise<number> {
    const changes = rowsOf(
      await this.db.execute(sql`
        delete from ${reevaluationChanges}
        where done_at < now() - ${keepMs} * interval '1 millisecond' returning id`),
    );
    const deliveries = rowsOf(
      await this.db.execute(sql`
        delete from ${webhookDeliveries}
        where status <> 'pending' and created_at < now() - ${keepMs} * interval '1 millisecond' returning id`),
    );
    return changes.length + deliveries.length;
  }

  /** Changes not done yet (for metrics and tests). */
  async pending(): Promise<number> {
    const rows = rowsOf(
      await this.db.execute(sql`select count(*)::int as n from ${reevaluationChanges} where done_at is null`),
    );
    return Number(rows[0]?.n ?? 0);
  }
}

/** The rows of a db.execute() result: node-postgres and PGlite both answer `{rows}`. */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  return (result as { rows: Record<string, unknown>[] }).rows;
}
