import type { Db } from "../db/client.js";
import type { evaluations, InputKind } from "../db/schema.js";
import { sha256Hex } from "../lib/ids.js";
import { canonicalJson } from "../lib/json.js";
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
  /**
   * Rows handed over and not yet committed (waiting or in a statement), at most. A request
   * gives up its evaluation slot once its row is taken in (lib/concurrency.ts); past this
   * bound, write() waits before taking the row, so the request keeps its slot and new
   * evaluations wait for one: what waits for commit stays bounded. Default 256.
   */
  maxPendingRows?: number;
  /**
   * The same bound on size: the report and stored input text of the rows pending, in
   * characters of their JSON or YAML (one byte each when ASCII). A single row larger than
   * this is taken in when nothing else is pending. Default 32 MiB.
   */
  maxPendingBytes?: number;
  /**
   * Sends the statement of a small batch as a named prepared statement (node-postgres): each
   * connection parses and plans it once per shape, not on every write. Off for PGlite, whose
   * client takes text only.
   */
  prepared?: boolean;
}

export const DEFAULT_MAX_PENDING_ROWS = 256;
export const DEFAULT_MAX_PENDING_BYTES = 32 * 1024 * 1024;

/** A stored input: its hash and its row of `inputs` (`data` as JSON text already made). */
interface InputEntry {
  hash: string;
  kind: InputKind;
  text: string | null;
  /** JSON text, stored as jsonb. */
  data: string | null;
}

/** A row made ready for the statement when it is handed over (hashes, canonical JSON). */
interface Prepared {
  id: string;
  /** The statement's parameters for this row, in the order of EVALUATION_COLUMNS. */
  values: RowParameter[];
  inputs: InputEntry[];
  /** Characters of report and stored input: what the row weighs against maxPendingBytes. */
  bytes: number;
}

interface Pending {
  row: Prepared;
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
 *
 * What waits for commit is bounded (`maxPendingRows`, `maxPendingBytes`): a row past the bound
 * waits, in order, until rows ahead of it are answered, before it is taken in.
 */
export class HistoryWriter {
  readonly #queue: Pending[] = [];
  /** Rows waiting for room within the pending bound, in order, each with the step that takes it in. */
  readonly #waitingForRoom: { bytes: number; admit: () => void }[] = [];
  #inflight = 0;
  #held = 0;
  #pendingRows = 0;
  #pendingBytes = 0;
  readonly #maxPendingRows: number;
  readonly #maxPendingBytes: number;
  /**
   * Counts for tests and metrics: statements, rows, the largest batch, batches that had to be
   * split, the most rows pending at once, rows that had to wait for room within the bound.
   */
  readonly stats = { statements: 0, rows: 0, largestBatch: 0, splits: 0, mostPending: 0, waitedForRoom: 0 };

  constructor(
    private readonly db: Db,
    private readonly options: HistoryWriterOptions,
    private readonly metrics?: Metrics,
  ) {
    this.#maxPendingRows = Math.max(1, options.maxPendingRows ?? DEFAULT_MAX_PENDING_ROWS);
    this.#maxPendingBytes = Math.max(1, options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES);
  }

  /**
   * Resolves true once the row is committed, false when an evaluation with its token and
   * Idempotency-Key exists (nothing written); rejects with this row's database error.
   * `onTaken` is called once the row is taken in within the pending bound (at once when there
   * is room): the caller's evaluation slot can go to the next request from then on.
   */
  write(row: EvaluationRow, onTaken?: () => void): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const prepared = prepare(row);
      const admit = () => {
        this.#pendingRows++;
        this.#pendingBytes += prepared.bytes;
        this.stats.mostPending = Math.max(this.stats.mostPending, this.#pendingRows);
        this.#queue.push({ row: prepared, resolve, reject });
        this.#gauges();
        onTaken?.();
        this.#pump();
      };
      if (this.#waitingForRoom.length === 0 && this.#fits(prepared.bytes)) admit();
      else {
        this.stats.waitedForRoom++;
        this.metrics?.inc(
          "celgate_history_room_waits_total",
          "History rows that waited for room within the bound of rows and bytes pending commit",
        );
        this.#waitingForRoom.push({ bytes: prepared.bytes, admit });
      }
    });
  }

  /** Rows waiting for a statement. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Rows taken in and not yet committed (waiting or in a statement). */
  get pending(): number {
    return this.#pendingRows;
  }

  /** Rows handed over that wait for room within the pending bound. */
  get waitingForRoom(): number {
    return this.#waitingForRoom.length;
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

  #fits(bytes: number): boolean {
    if (this.#pendingRows === 0) return true;
    return this.#pendingRows < this.#maxPendingRows && this.#pendingBytes + bytes <= this.#maxPendingBytes;
  }

  /** A row's answer is known (committed, refused or failed): its room goes to the next in order. */
  #settle(p: Pending): void {
    this.#pendingRows--;
    this.#pendingBytes -= p.row.bytes;
    while (this.#waitingForRoom.length > 0 && this.#fits(this.#waitingForRoom[0]!.bytes))
      this.#waitingForRoom.shift()!.admit();
    this.#gauges();
  }

  #gauges(): void {
    this.metrics?.set(
      "celgate_history_pending_rows",
      "History rows taken in and not yet committed",
      this.#pendingRows,
    );
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
        this.#settle(batch[0]!);
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
    for (const p of batch) {
      this.#settle(p);
      p.resolve(recorded.has(p.row.id));
    }
  }

  /**
   * Inserts the rows and their inputs (each stored once per content hash) in one statement
   * (the inputs insert is a CTE of the evaluations insert): atomic without an explicit
   * transaction. Returns the ids written (a row whose Idempotency-Key was taken is not).
   */
  async #insert(rows: Prepared[]): Promise<Set<string>> {
    const stored = new Map<string, InputEntry>();
    for (const row of rows)
      for (const entry of row.inputs) if (!stored.has(entry.hash)) stored.set(entry.hash, entry);
    const params: RowParameter[] = [];
    for (const entry of stored.values()) params.push(entry.hash, entry.kind, entry.text, entry.data);
    for (const row of rows) for (const value of row.values) params.push(value);
    this.stats.statements++;
    this.stats.rows += rows.length;
    this.metrics?.inc(STATEMENTS, "Statements that wrote history rows (each one commit)");
    this.metrics?.inc(ROWS, "History rows handed to those statements", {}, rows.length);
    // The statement's text is made once per shape (inputs, rows) and its parameters are passed
    // to the driver as they are: building it through drizzle's query builder cost more of the
    // event loop per request than any other step of recording (bench/README.md section 6).
    const text = insertStatement(stored.size, rows.length);
    const { rows: written } =
      this.options.prepared && rows.length <= MAX_PREPARED_ROWS && stored.size <= 2 * MAX_PREPARED_ROWS
        ? await this.#client().query<{ id: string }>({
            name: `celgate_history_${stored.size}_${rows.length}`,
            text,
            values: params,
          })
        : await this.#client().query<{ id: string }>(text, params);
    return new Set(written.map((r) => r.id));
  }

  /** The driver under drizzle (node-postgres' pool, or the guarded PGlite client): both take text and parameters. */
  #client(): DriverClient {
    return (this.db as unknown as { $client: DriverClient }).$client;
  }
}

/** What drizzle's two drivers are given: node-postgres' pool and the guarded PGlite client both answer this. */
interface DriverClient {
  query<R>(text: string, params: unknown[]): Promise<{ rows: R[] }>;
  /** A named statement: node-postgres' pool only. */
  query<R>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }>;
}

/**
 * The largest batch sent as a prepared statement. Every connection keeps each shape it was
 * sent (rows, and stored inputs up to twice as many): this bounds them to a few hundred small
 * ones; rarer, larger batches are parsed each time.
 */
const MAX_PREPARED_ROWS = 8;

/** A parameter of the history statement: text (JSON and array literals included), a number, or null. */
type RowParameter = string | number | null;

/**
 * The columns of `evaluations` the statement writes, in parameter order, each with the cast
 * its parameter needs (json or jsonb from JSON text, timestamptz from ISO text, text[] from an
 * array literal, the enums from their text); `seq` and `recorded_at` take their defaults.
 */
const EVALUATION_COLUMNS: readonly (readonly [column: string, cast: string])[] = [
  ["id", ""],
  ["evaluated_at", "::timestamptz"],
  ["actor", ""],
  ["token_id", ""],
  ["source", "::evaluation_source"],
  ["context", "::jsonb"],
  ["params", "::jsonb"],
  ["selector", ""],
  ["policy_names", "::jsonb"],
  ["policy_set_digest", ""],
  ["policy_count", "::integer"],
  ["policy_versions", "::json"],
  ["decision", "::decision"],
  ["summary", "::jsonb"],
  ["report", "::json"],
  ["input_hash", ""],
  ["images_hash", ""],
  ["resources", "::jsonb"],
  ["images", "::text[]"],
  ["policies", "::text[]"],
  ["idempotency_key", ""],
  ["request_hash", ""],
];
const INPUT_COLUMNS: readonly (readonly [column: string, cast: string])[] = [
  ["hash", ""],
  ["kind", "::input_kind"],
  ["text", ""],
  ["data", "::jsonb"],
];

/** Statement texts by shape; at most 64 rows and their inputs make a few hundred shapes at most. */
const statements = new Map<string, string>();
const MAX_STATEMENT_TEXTS = 512;

/**
 * The insert of `rows` evaluations and `storedInputs` inputs in one statement: the inputs
 * insert (each stored once per content hash) is a CTE of the evaluations insert, so both are
 * atomic without an explicit transaction; a row whose token and Idempotency-Key are taken is
 * left out, and the ids written are returned.
 */
export function insertStatement(storedInputs: number, rows: number): string {
  const shape = `${storedInputs}/${rows}`;
  const known = statements.get(shape);
  if (known !== undefined) return known;
  let n = 0;
  const tuples = (count: number, columns: readonly (readonly [string, string])[]) =>
    Array.from({ length: count }, () => `(${columns.map(([, cast]) => `$${++n}${cast}`).join(", ")})`).join(
      ", ",
    );
  const names = (columns: readonly (readonly [string, string])[]) =>
    columns.map(([column]) => `"${column}"`).join(", ");
  const text =
    `with "stored_inputs" as (insert into "inputs" (${names(INPUT_COLUMNS)}) values ${tuples(storedInputs, INPUT_COLUMNS)} on conflict do nothing) ` +
    `insert into "evaluations" (${names(EVALUATION_COLUMNS)}) values ${tuples(rows, EVALUATION_COLUMNS)} ` +
    `on conflict ("token_id", "idempotency_key") do nothing returning "id"`;
  if (statements.size >= MAX_STATEMENT_TEXTS) statements.clear();
  statements.set(shape, text);
  return text;
}

/** A PostgreSQL array literal of text values (as drizzle writes one for a text[] column). */
function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;
}

/** JSON text of a jsonb column's value; null stays SQL null. */
const jsonOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);

/**
 * The row as the statement takes it, made once when it is handed over: the input's hash and
 * canonical JSON (`data` goes as JSON text already made, not serialised again), and its weight.
 */
function prepare(row: EvaluationRow): Prepared {
  const { input, reportJson, policyVersionsJson, ...history } = row;
  const entries: InputEntry[] = [];
  let bytes = reportJson.length;
  let inputHash: string;
  if (typeof input.manifests === "string") {
    inputHash = inputHashOf(input.manifests);
    entries.push({ hash: inputHash, kind: "manifests", text: input.manifests, data: null });
    bytes += input.manifests.length;
  } else {
    const kind = input.manifests !== undefined ? "manifest-files" : "resources";
    const data = canonicalJson(input.manifests ?? input.resources ?? []);
    inputHash = inputHashOf(data);
    entries.push({ hash: inputHash, kind, text: null, data });
    bytes += data.length;
  }
  let imagesHash: string | null = null;
  if (input.images.length > 0) {
    const data = canonicalJson(input.images);
    imagesHash = inputHashOf(data);
    entries.push({ hash: imagesHash, kind: "images", text: null, data });
    bytes += data.length;
  }
  // in the order of EVALUATION_COLUMNS
  const values: RowParameter[] = [
    row.id,
    history.evaluatedAt.toISOString(),
    history.actor,
    history.tokenId,
    history.source,
    JSON.stringify(input.context),
    jsonOrNull(input.params),
    input.select ?? null,
    jsonOrNull(input.policies),
    history.policySetDigest,
    history.policyCount,
    policyVersionsJson,
    history.decision,
    JSON.stringify(history.summary),
    reportJson,
    inputHash,
    imagesHash,
    JSON.stringify(history.resources),
    textArray(history.images),
    textArray(history.policies),
    history.idempotencyKey ?? null,
    history.requestHash ?? null,
  ];
  return { id: row.id, values, inputs: entries, bytes };
}

const STATEMENTS = "celgate_history_statements_total";
const ROWS = "celgate_history_rows_total";
