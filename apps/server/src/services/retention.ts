import { and, asc, eq, inArray, lt, notExists, sql } from "drizzle-orm";
import { type Database, LOCKS, tryAdvisoryXactLock } from "../db/client.js";
import { evaluations, inputs } from "../db/schema.js";
import { errorCode, isUnavailable } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";
import type { Metrics } from "../lib/metrics.js";

export interface RetentionOptions {
  /** Evaluations recorded longer ago than this are deleted. */
  retentionMs: number;
  /** How often the background timer prunes; default one minute. */
  intervalMs?: number;
  /** Evaluations deleted per transaction; default 200 on PostgreSQL, 50 on PGlite (one connection: requests wait behind each batch). */
  batchSize?: number;
  /** Pause between two batches, so evaluations keep flowing while a backlog is pruned; default 50 ms. */
  pauseMs?: number;
}

export interface PruneResult {
  evaluations: number;
  inputs: number;
  /** True when another replica was pruning (or the lock was not granted in time): nothing was done. */
  skipped: boolean;
}

/**
 * History retention: deletes evaluations recorded before `now - retentionMs`, in small batches
 * on a background timer, and the stored inputs that no remaining evaluation refers to.
 *
 * Safe with several replicas on one PostgreSQL: a transaction-level advisory lock lets one
 * replica at a time prune (the others skip that round). An input is only deleted under a SHARE
 * lock on `evaluations`, which waits for evaluations being recorded and holds new ones back
 * until the batch commits (milliseconds): recording reuses an existing input by its content
 * hash, so without that lock an evaluation recorded concurrently could refer to an input
 * deleted under it. Evaluating is never blocked; only the insert of the history row waits.
 */
export class RetentionService {
  readonly #database: Database;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #retentionMs: number;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #pauseMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(database: Database, logger: Logger, metrics: Metrics, options: RetentionOptions) {
    this.#database = database;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#retentionMs = options.retentionMs;
    this.#intervalMs = options.intervalMs ?? 60_000;
    this.#batchSize = options.batchSize ?? (database.kind === "pglite" ? 50 : 200);
    this.#pauseMs = options.pauseMs ?? 50;
  }

  /** Starts the background timer: a first round soon after start, then every interval. */
  start(): void {
    const schedule = (delayMs: number) => {
      if (this.#stopped) return;
      this.#timer = setTimeout(() => {
        this.#running = this.prune()
          .catch((err) => {
            if (isUnavailable(err)) this.#logger.debug({ err }, "history retention: database unreachable");
            else this.#logger.warn({ err }, "history retention failed; retrying next round");
          })
          .finally(() => {
            this.#running = undefined;
            schedule(this.#intervalMs);
          });
      }, delayMs);
      this.#timer.unref();
    };
    schedule(Math.min(this.#intervalMs, 5000));
  }

  /** Stops the timer and waits for a round in progress (it ends after its current batch). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /**
   * Prunes batch after batch until nothing older than the cutoff is left, another replica
   * holds the lock, or the service stops. Throws what the database throws.
   */
  async prune(now: Date = new Date()): Promise<{ evaluations: number; inputs: number }> {
    const total = { evaluations: 0, inputs: 0 };
    for (;;) {
      const r = await this.pruneBatch(now);
      total.evaluations += r.evaluations;
      total.inputs += r.inputs;
      if (r.skipped || r.evaluations < this.#batchSize || this.#stopped) break;
      await new Promise((resolve) => setTimeout(resolve, this.#pauseMs));
    }
    if (total.evaluations > 0)
      this.#logger.info(
        { ...total, retentionDays: Math.round((this.#retentionMs / 86_400_000) * 100) / 100 },
        "history retention: pruned",
      );
    return total;
  }

  /** One transaction: at most `batchSize` evaluations and the inputs they alone referred to. */
  async pruneBatch(now: Date = new Date()): Promise<PruneResult> {
    const cutoff = new Date(now.getTime() - this.#retentionMs);
    try {
      const result = await this.#database.db.transaction(async (tx) => {
        if (!(await tryAdvisoryXactLock(tx, LOCKS.retention)))
          return { evaluations: 0, inputs: 0, skipped: true };
        // Waiting for the SHARE lock holds new history rows back: never wait long for it.
        await tx.execute(sql`set local lock_timeout = '1s'`);
        const oldest = tx
          .select({ id: evaluations.id })
          .from(evaluations)
          .where(lt(evaluations.recordedAt, cutoff))
          .orderBy(asc(evaluations.recordedAt))
          .limit(this.#batchSize);
        const deleted = await tx
          .delete(evaluations)
          .where(inArray(evaluations.id, oldest))
          .returning({ inputHash: evaluations.inputHash, imagesHash: evaluations.imagesHash });
        if (deleted.length === 0) return { evaluations: 0, inputs: 0, skipped: false };
        const hashes = new Set<string>();
        for (const r of deleted) {
          hashes.add(r.inputHash);
          if (r.imagesHash) hashes.add(r.imagesHash);
        }
        await tx.execute(sql`lock table ${evaluations} in share mode`);
        const referring = (column: typeof evaluations.inputHash | typeof evaluations.imagesHash) =>
          tx.select({ one: sql`1` }).from(evaluations).where(eq(column, inputs.hash));
        const gone = await tx
          .delete(inputs)
          .where(
            and(
              inArray(inputs.hash, [...hashes]),
              notExists(referring(evaluations.inputHash)),
              notExists(referring(evaluations.imagesHash)),
            ),
          )
          .returning({ hash: inputs.hash });
        return { evaluations: deleted.length, inputs: gone.length, skipped: false };
      });
      if (result.evaluations > 0) {
        const help = "Rows deleted by history retention";
        this.#metrics.inc("celgate_history_pruned_total", help, { table: "evaluations" }, result.evaluations);
        this.#metrics.inc("celgate_history_pruned_total", help, { table: "inputs" }, result.inputs);
      }
      return result;
    } catch (err) {
      // lock_not_available: recordings kept the SHARE lock busy for a second; the next round retries
      if (errorCode(err) === "55P03") return { evaluations: 0, inputs: 0, skipped: true };
      throw err;
    }
  }
}
