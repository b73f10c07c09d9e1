import { canonicalJson } from "@celgate/core";
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { evaluations, inputs } from "../db/schema.js";
import { sha256Hex } from "../lib/ids.js";
import type { Metrics } from "../lib/metrics.js";
import type { StoredInput } from "./evaluations.js";

/** One evaluation to record: the history row without its input hashes, and its inputs. */
export type EvaluationRow = Omit<
  typeof evaluations.$inferInsert,
  "inputHash" | "imagesHash" | "report" | "policyVersions" | "context" | "params" | "selector" | "policyNames"
> & {
  id: string;
  input: StoredInput;
  /** The report as JSON text (with its receipt): serialised once, stored and sent back. */
  reportJson: string;
  /** JSON of name -> version, made once per policy set. */
  policyVersionsJson: string;
};

export interface HistoryWriterOptions {
  /** Rows written in one statement at most. */
  maxBatch: number;
  /** Statements in flight at once (PGlite has one connection: 1). */
  maxInflight: number;
}

interface Pending {
  row: EvaluationRow;
  resolve: (recorded: boolean) => void;
  reject: (err: unknown) => void;
}

/** The key of a stored input: the hash of its text (manifests) or canonical JSON (data). */
export function inputHashOf(stored: string): string {
  return `sha256:${sha256Hex(stored)}`;
}

/**
 * Records evaluations in history by group commit. A row handed over while a statement is in
 * flight waits; when a statement finishes, everything waiting goes in the next one (at most
 * `maxBatch` rows): one round trip and one commit for all of them. write() resolves once its
 * row is committed (so a request is answered only after its row is durable; a crash loses
 * only rows nobody was told about).
 *
 * A statement that fails is not blamed on every row in it: each of its rows is then written
 * alone, so one bad row fails its own request only, and no row is acknowledged that was not
 * committed. A row whose token and Idempotency-Key are already recorded (by an earlier
 * request, or by another row of the same batch) resolves false and is not written.
 */
export class HistoryWriter {
  readonly #queue: Pending[] = [];
  #inflight = 0;
  #held = 0;
  /** Counts for tests and metrics: statements, rows, batches that had to be split. */
  readonly stats = { statements: 0, rows: 0, largestBatch: 0, splits: 0 };

  constructor(
    private readonly db: Db,
    private readonly options: HistoryWriterOptions,
    private readonly metrics?: Metrics,
  ) {}

  /**
   * Resolves true once the row is committed, false when an evaluation with its token and
   * Idempotency-Key exists (nothing written); rejects with this row's database error.
   */
  write(row: EvaluationRow): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#queue.push({ row, resolve, reject });
      this.#pump();
    });
  }

  /** Rows waiting for a statement. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Holds every row handed over from now on until the returned function is called, then
   * writes them together (tests use it to make a batch of known rows).
   */
  hold(): () => void {
    this.#held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held--;
      this.#pump();
    };
  }

  #pump(): void {
    while (this.#held === 0 && this.#inflight < this.options.maxInflight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.options.maxBatch);
      this.#inflight++;
      void this.#flush(batch).finally(() => {
        this.#inflight--;
        this.#pump();
      });
    }
  }

  async #flush(batch: Pending[]): Promise<void> {
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    let recorded: Set<string>;
    try {
      recorded = await this.#insert(batch.map((p) => p.row));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // one row may be at fault: write each alone, so each request gets its own answer
      this.stats.splits++;
      this.metrics?.inc(
        "celgate_history_batch_splits_total",
        "History batches that failed and were written row by row",
      );
      await Promise.all(batch.map((p) => this.#flush([p])));
      return;
    }
    for (const p of batch) p.resolve(recorded.has(p.row.id));
  }

  /**
   * Inserts the rows and their inputs (each stored once per content hash) in one statement
   * (the inputs insert is a CTE of the evaluations insert): atomic without an explicit
   * transaction. Returns the ids written (a row whose Idempotency-Key was taken is not).
   */
  async #insert(rows: EvaluationRow[]): Promise<Set<string>> {
    // `data` goes as JSON text already made (canonical, for the hash), not serialised again
    const stored = new Map<string, Omit<typeof inputs.$inferInsert, "data"> & { data: SQL | null }>();
    const values = rows.map((row) => {
      const { input, reportJson, policyVersionsJson, ...history } = row;
      let inputHash: string;
      if (typeof input.manifests === "string") {
        inputHash = inputHashOf(input.manifests);
        if (!stored.has(inputHash))
          stored.set(inputHash, { hash: inputHash, kind: "manifests", text: input.manifests, data: null });
      } else {
        const kind = input.manifests !== undefined ? "manifest-files" : "resources";
        const data = canonicalJson(input.manifests ?? input.resources ?? []);
        inputHash = inputHashOf(data);
        if (!stored.has(inputHash))
          stored.set(inputHash, { hash: inputHash, kind, text: null, data: jsonbText(data) });
      }
      let imagesHash: string | null = null;
      if (input.images.length > 0) {
        const data = canonicalJson(input.images);
        imagesHash = inputHashOf(data);
        if (!stored.has(imagesHash))
          stored.set(imagesHash, { hash: imagesHash, kind: "images", text: null, data: jsonbText(data) });
      }
      return {
        ...history,
        params: input.params ?? null,
        selector: input.select ?? null,
        policyNames: input.policies ?? null,
        context: input.context,
        policyVersions: jsonbText(policyVersionsJson),
        report: jsonbText(reportJson),
        inputHash,
        imagesHash,
      };
    });
    const storedInputs = this.db.$with("stored_inputs").as(
      this.db
        .insert(inputs)
        .values([...stored.values()])
        .onConflictDoNothing(),
    );
    this.stats.statements++;
    this.stats.rows += rows.length;
    this.metrics?.inc(STATEMENTS, "Statements that wrote history rows (each one commit)");
    this.metrics?.inc(ROWS, "History rows handed to those statements", {}, rows.length);
    const written = await this.db
      .with(storedInputs)
      .insert(evaluations)
      .values(values)
      .onConflictDoNothing({ target: [evaluations.tokenId, evaluations.idempotencyKey] })
      .returning({ id: evaluations.id });
    return new Set(written.map((r) => r.id));
  }
}

const STATEMENTS = "celgate_history_statements_total";
const ROWS = "celgate_history_rows_total";

/** JSON text already serialised (canonical or reused), stored as jsonb without a second stringify. */
const jsonbText = (json: string) => sql`${json}::jsonb`;
