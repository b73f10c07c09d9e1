/**
 * The main thread's side of the embedded database: PGlite runs in a worker thread
 * (pglite-worker.ts) and this client forwards to it the part of PGlite's interface that
 * drizzle-orm's pglite driver uses (drizzle-orm 0.45, `drizzle-orm/pglite/session.js`):
 * `query(sql, params, {rowMode, parsers})`, and `transaction(fn)` whose handle's `query` runs
 * inside the transaction. `exec` is forwarded too. Parser functions cannot cross threads: the
 * worker returns the values of their types as PostgreSQL's text and they are applied here, as
 * PGlite would (`parser(text, typeId)`, nulls left alone). Every other value crosses by
 * structured clone, which keeps Date, bigint, Uint8Array, null and parsed JSON as they are.
 *
 * Failure is never a hang: a request not answered within `timeoutMs` is rejected (and dropped
 * by the worker if it has not started); an engine call running longer than that, a worker
 * that exits or throws, or an engine trap loses the connection: every request in flight is
 * rejected, every later one refused, and `onLost` tells the owner (client.ts's guard).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Worker } from "node:worker_threads";
import { DatabaseBrokenError, DatabaseTimeoutError } from "./errors.js";
import type {
  BeginRequest,
  QueryRequest,
  Request,
  Response,
  WireError,
  WireResult,
  WorkerStart,
} from "./pglite-protocol.js";

/** PGlite's `parser(text, typeId)`. */
type Parser = (value: string, typeId: number) => unknown;

/** The query options drizzle passes; others (serializers, blobs) cannot cross and are refused. */
export interface RemoteQueryOptions {
  rowMode?: "object" | "array";
  parsers?: Record<number, Parser>;
  paramTypes?: number[];
}

/** What a transaction's callback gets: PGlite's transaction handle, as far as drizzle uses it. */
export interface RemoteTransaction {
  query(sql: string, params?: unknown[], options?: RemoteQueryOptions): Promise<WireResult>;
  exec(sql: string): Promise<WireResult[]>;
  /** Rolls the transaction back now; the callback's result is then returned without a commit. */
  rollback(): Promise<void>;
  readonly closed: boolean;
}

export interface RemoteOptions {
  /** How long a request may wait for its answer, and an engine call may run; default 30 s. */
  timeoutMs?: number;
  /** How long opening (PGlite's start, recovery from the files) may take; default 120 s. */
  openTimeoutMs?: number;
  /** How long close() waits for queued work and PGlite's close; default 30 s. */
  closeTimeoutMs?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  sentAt: number;
  timeoutMs: number;
  request: Request;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const SUPPORTED_OPTIONS = new Set(["rowMode", "parsers", "paramTypes"]);

/** A connection to one worker holding one PGlite instance; see the module comment. */
export class PgliteWorkerConnection {
  /** Called once when the connection is lost (not when close() closes it), with the reason. */
  onLost: ((reason: string) => void) | null = null;
  readonly #worker: Worker;
  readonly #busy: Int32Array;
  readonly #timeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #nextTx = 1;
  #lost: string | null = null;
  #closing: Promise<void> | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  /** The engine call seen running by the watchdog: its count and since when. */
  #stall: { count: number; since: number } | null = null;

  private constructor(worker: Worker, busy: Int32Array, options: RemoteOptions) {
    this.#worker = worker;
    this.#busy = busy;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 30_000;
    worker.on("message", (message: Response) => this.#receive(message));
    worker.on("error", (err) => this.#lose(`the database worker failed: ${err.message}`));
    worker.on("messageerror", (err) =>
      this.#lose(`the database worker sent an unreadable message: ${err.message}`),
    );
    worker.on("exit", (code) => {
      if (this.#closing === null) this.#lose(`the database worker stopped (exit code ${code})`);
      this.#failAll(new DatabaseBrokenError("the embedded database is closed"));
      if (this.#watchdog) clearInterval(this.#watchdog);
      this.#watchdog = null;
    });
  }

  /** Starts a worker and opens PGlite in `dataDir` there. Throws if it does not open in time. */
  static async open(dataDir: string, options: RemoteOptions = {}): Promise<PgliteWorkerConnection> {
    const shared = new SharedArrayBuffer(8);
    const workerData: WorkerStart = { dataDir, busy: shared, modules: await compiledModules() };
    const worker = import.meta.url.endsWith(".ts")
      ? // from source (tests): register the TypeScript loader in the worker, then load the worker module
        new Worker(
          `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL("./pglite-worker.ts", import.meta.url).href)}); });`,
          { eval: true, execArgv: ["--conditions=source"], workerData },
        )
      : new Worker(new URL("./pglite-worker.js", import.meta.url), { workerData });
    // an open database does not keep the process alive: the server does, and closes it
    worker.unref();
    const openTimeoutMs = options.openTimeoutMs ?? 120_000;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the embedded database did not open within ${openTimeoutMs} ms`)),
          openTimeoutMs,
        );
        const settle = (err?: Error) => {
          clearTimeout(timer);
          worker.off("message", onMessage).off("error", onError).off("exit", onExit);
          if (err) reject(err);
          else resolve();
        };
        const onMessage = (message: Response) => {
          if (message.kind === "ready") settle();
          else if (message.kind === "failed") settle(fromWire(message.error));
        };
        const onError = (err: Error) => settle(err);
        const onExit = (code: number) =>
          settle(new Error(`the database worker stopped while opening (exit code ${code})`));
        worker.on("message", onMessage).on("error", onError).on("exit", onExit);
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return new PgliteWorkerConnection(worker, new Int32Array(shared), options);
  }

  /** Why the connection is lost, or null while it serves. */
  get lost(): string | null {
    return this.#lost;
  }

  /** PGlite's `query`: one statement with parameters, alone. */
  query(sql: string, params: unknown[] = [], options?: RemoteQueryOptions): Promise<WireResult> {
    return this.#query(sql, params, options, undefined);
  }

  /** PGlite's `exec`: statements without parameters, alone. */
  exec(sql: string): Promise<WireResult[]> {
    return this.#request<WireResult[]>({ id: 0, op: "exec", sql, tx: undefined });
  }

  /**
   * PGlite's `transaction`: opens a transaction in the worker (after those queued before it),
   * runs `fn` with its handle, commits when `fn` resolves and rolls back when it throws (then
   * rethrows what `fn` threw). Throws if the transaction cannot be opened or committed.
   */
  async transaction<T>(fn: (tx: RemoteTransaction) => Promise<T>): Promise<T> {
    const txId = this.#nextTx++;
    await this.#request<null>({ id: 0, op: "begin", tx: txId } satisfies BeginRequest);
    let closed = false;
    const end = (commit: boolean) => {
      closed = true;
      return this.#request<null>({ id: 0, op: "end", tx: txId, commit });
    };
    const open = () => {
      if (closed) throw new Error("Transaction is closed");
    };
    const tx: RemoteTransaction = {
      query: async (sql, params = [], options) => {
        open();
        return this.#query(sql, params, options, txId);
      },
      exec: async (sql) => {
        open();
        return this.#request<WireResult[]>({ id: 0, op: "exec", sql, tx: txId });
      },
      rollback: async () => {
        open();
        await end(false);
      },
      get closed() {
        return closed;
      },
    };
    let result: T;
    try {
      result = await fn(tx);
    } catch (err) {
      // the caller's error is what it learns; a rollback that fails (the worker is gone) adds nothing
      if (!closed) await end(false).catch(() => {});
      throw err;
    }
    if (!closed) await end(true);
    return result;
  }

  /**
   * For tests of the failure paths only: the worker's next engine call throws the WebAssembly
   * RuntimeError of an engine trap instead of running.
   */
  async injectTrap(): Promise<void> {
    await this.#request<null>({ id: 0, op: "fault", fault: "trap" });
  }

  /** Stops the worker at once, as a crash would: nothing is closed or written first. */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  /**
   * Lets the worker finish what is queued, closes PGlite (its files are then complete) and
   * stops the worker; after closeTimeoutMs it is stopped anyway. A lost connection is only
   * stopped. Never throws.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#lost === null)
        await this.#request<null>({ id: 0, op: "close" }, this.#closeTimeoutMs).catch(() => {});
      await this.#worker.terminate();
    })();
    return this.#closing;
  }

  async #query(
    sql: string,
    params: unknown[],
    options: RemoteQueryOptions | undefined,
    tx: number | undefined,
  ): Promise<WireResult> {
    for (const key of Object.keys(options ?? {}))
      if (!SUPPORTED_OPTIONS.has(key))
        throw new Error(`the query option ${key} cannot be passed to the database worker`);
    const parsers = options?.parsers;
    const request: QueryRequest = {
      id: 0,
      op: "query",
      sql,
      params,
      rowMode: options?.rowMode,
      paramTypes: options?.paramTypes,
      rawTypes: parsers ? Object.keys(parsers).map(Number) : [],
      tx,
    };
    const result = await this.#request<WireResult>(request);
    if (parsers) applyParsers(result, parsers, options?.rowMode ?? "object");
    return result;
  }

  #request<T>(request: Request, timeoutMs = this.#timeoutMs): Promise<T> {
    if (this.#lost !== null)
      return Promise.reject(new DatabaseBrokenError(`the embedded database is unavailable: ${this.#lost}`));
    if (this.#closing !== null && request.op !== "close")
      return Promise.reject(new DatabaseBrokenError("the embedded database is closed"));
    const id = this.#nextId++;
    request.id = id;
    return new Promise<T>((resolve, reject) => {
      try {
        this.#worker.postMessage(request);
      } catch (err) {
        // a parameter structured clone refuses (a function, a symbol): the caller's own error
        reject(err as Error);
        return;
      }
      this.#pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        sentAt: performance.now(),
        timeoutMs,
        request,
      });
      this.#watchdog ??= setInterval(() => this.#watch(), Math.min(1000, Math.max(10, timeoutMs / 4)));
      this.#watchdog.unref();
    });
  }

  #receive(message: Response): void {
    if (message.kind !== "result") return;
    const pending = this.#pending.get(message.id);
    if (!pending) return; // its caller gave up (timeout) or the connection was lost
    this.#pending.delete(message.id);
    this.#idle();
    if (message.ok) {
      pending.resolve(message.value);
      return;
    }
    pending.reject(fromWire(message.error));
    if (message.error.trap)
      this.#lose(`the database engine failed (${message.error.message}); its state cannot be trusted`);
  }

  /** Rejects the requests past their time; loses the connection when an engine call is stuck. */
  #watch(): void {
    const now = performance.now();
    for (const [id, pending] of this.#pending) {
      if (now - pending.sentAt < pending.timeoutMs) continue;
      this.#pending.delete(id);
      pending.reject(
        new DatabaseTimeoutError(`the embedded database did not answer within ${pending.timeoutMs} ms`),
      );
      // a transaction the caller stopped waiting for must not stay open (or open later)
      const { request } = pending;
      const drop: Request =
        request.op === "begin"
          ? { id: this.#nextId++, op: "end", tx: request.tx, commit: false }
          : { id: this.#nextId++, op: "cancel", target: id };
      this.#worker.postMessage(drop);
    }
    const count = Atomics.load(this.#busy, 0);
    if (Atomics.load(this.#busy, 1) === 0) this.#stall = null;
    else if (this.#stall?.count !== count) this.#stall = { count, since: now };
    else if (now - this.#stall.since >= this.#timeoutMs)
      this.#lose(`an engine call did not finish within ${this.#timeoutMs} ms`);
    this.#idle();
  }

  #idle(): void {
    // an engine call still running is watched even when nobody waits for it any more
    if (this.#pending.size === 0 && this.#watchdog && Atomics.load(this.#busy, 1) === 0) {
      clearInterval(this.#watchdog);
      this.#watchdog = null;
      this.#stall = null;
    }
  }

  #lose(reason: string): void {
    if (this.#lost !== null) return;
    this.#lost = reason;
    this.#failAll(new DatabaseBrokenError(`the embedded database is unavailable: ${reason}`));
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#watchdog = null;
    void this.#worker.terminate();
    // a worker that stops while close() waits for it is closed, not lost
    if (this.#closing === null) this.onLost?.(reason);
  }

  #failAll(err: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#idle();
    for (const p of pending) p.reject(err);
  }
}

let modules: Promise<WorkerStart["modules"]> | null = null;

/** PGlite's two WebAssembly modules, compiled once; a failed compile is tried again next time. */
function compiledModules(): Promise<WorkerStart["modules"]> {
  modules ??= (async () => {
    const dir = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
    const compile = async (file: string) => WebAssembly.compile(await readFile(join(dir, file)));
    const [pglite, initdb] = await Promise.all([compile("pglite.wasm"), compile("initdb.wasm")]);
    return { pglite, initdb };
  })().catch((err: unknown) => {
    modules = null;
    throw err;
  });
  return modules;
}

/** The worker's error, rebuilt: a trap as WebAssembly's RuntimeError, others with their code and details. */
function fromWire(wire: WireError): Error {
  const err = wire.trap ? new WebAssembly.RuntimeError(wire.message) : new Error(wire.message);
  if (!wire.trap) err.name = wire.name;
  Object.assign(err, wire.props);
  return err;
}

/** Applies `parsers` to the values the worker left as text, as PGlite's own parsing would. */
function applyParsers(
  result: WireResult,
  parsers: Record<number, Parser>,
  rowMode: "object" | "array",
): void {
  const targets: { key: string | number; parser: Parser; typeId: number }[] = [];
  const fields = result.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as WireResult["fields"][number];
    const parser = parsers[field.dataTypeID];
    if (!parser) continue;
    // with objects, a repeated column name keeps the last column's value (Object.fromEntries)
    if (rowMode === "object" && fields.findLastIndex((f) => f.name === field.name) !== i) continue;
    targets.push({ key: rowMode === "array" ? i : field.name, parser, typeId: field.dataTypeID });
  }
  if (targets.length === 0) return;
  for (const row of result.rows as Record<string | number, unknown>[])
    for (const { key, parser, typeId } of targets) {
      const value = row[key];
      if (value !== null && value !== undefined) row[key] = parser(value as string, typeId);
    }
}
