/**
 * The worker thread that holds the embedded database (PGlite), so that its queries never run on
 * the service's event loop. It answers the requests of pglite-remote.ts one at a time, in the
 * order they arrive, as PGlite itself would: a transaction, once open, has the engine to itself
 * until the main thread ends it; other requests queue behind it. A request the main thread gave
 * up on is dropped if it has not started.
 *
 * A trap of the WebAssembly engine leaves its state undefined: from then on the worker refuses
 * everything and never closes PGlite (which would write what memory holds to the files); the main
 * thread terminates it and opens the files again in a new worker.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PGlite, type Results, type Transaction } from "@electric-sql/pglite";
import {
  type BeginRequest,
  type CloseRequest,
  type EndRequest,
  type ExecRequest,
  isEngineTrap,
  type QueryRequest,
  type Request,
  type Response,
  toWireError,
  type WireResult,
  type WorkerStart,
} from "./pglite-protocol.js";

const start = workerData as WorkerStart;
const port = parentPort;
if (!port) throw new Error("pglite-worker.ts runs as a worker thread");
/** [0] counts engine calls started and finished, [1] is 1 while one runs: read by the watchdog. */
const busy = new Int32Array(start.busy);

interface OpenTransaction {
  handle: Transaction | null;
  /** The transaction's statements, one after the other. */
  chain: Promise<void>;
  /** Ends the transaction (set until an end request arrives). */
  finish: ((end: EndRequest) => void) | null;
}

let db: PGlite;
/** Why the engine is not trusted any more (it trapped), or null. */
let broken: string | null = null;
let trapNext = false;
let closing = false;
const queue: (QueryRequest | ExecRequest | BeginRequest)[] = [];
const cancelled = new Set<number>();
const transactions = new Map<number, OpenTransaction>();
let pumping: Promise<void> | null = null;
const ROLLBACK = Symbol("rollback");

const post = (message: Response) => port.postMessage(message);

function answer(id: number, value: WireResult | WireResult[] | null): void {
  try {
    post({ kind: "result", id, ok: true, value });
  } catch (err) {
    // a value structured clone refuses: the caller gets the error instead of waiting
    refuse(id, err);
  }
}

function refuse(id: number, err: unknown): void {
  post({ kind: "result", id, ok: false, error: toWireError(err) });
}

function setBusy(on: boolean): void {
  Atomics.add(busy, 0, 1);
  Atomics.store(busy, 1, on ? 1 : 0);
}

function brokenError(): Error {
  return new Error(`the embedded database is broken: ${broken}`);
}

/** Runs one engine call: refused on a broken engine; a trap marks it broken. */
async function engine<T>(call: () => Promise<T>): Promise<T> {
  if (broken !== null) throw brokenError();
  setBusy(true);
  try {
    if (trapNext) {
      trapNext = false;
      throw new WebAssembly.RuntimeError("memory access out of bounds");
    }
    return await call();
  } catch (err) {
    if (isEngineTrap(err)) broken ??= (err as Error).message;
    throw err;
  } finally {
    setBusy(false);
  }
}

/** PGlite parsers that keep the values of `types` as PostgreSQL's text, one object per list. */
const rawParsers = new Map<string, Record<number, (value: string) => string>>();
function parsersFor(types: number[]): Record<number, (value: string) => string> | undefined {
  if (types.length === 0) return undefined;
  const key = types.join(",");
  let parsers = rawParsers.get(key);
  if (!parsers) {
    parsers = Object.fromEntries(types.map((t) => [t, (value: string) => value]));
    rawParsers.set(key, parsers);
  }
  return parsers;
}

function wire(result: Results): WireResult {
  const out: WireResult = { rows: result.rows, fields: result.fields };
  if (result.affectedRows !== undefined) out.affectedRows = result.affectedRows;
  const { rowCount, command } = result as Results & { rowCount?: number; command?: string };
  if (rowCount !== undefined) out.rowCount = rowCount;
  if (command !== undefined) out.command = command;
  return out;
}

async function runStatement(request: QueryRequest | ExecRequest, target: PGlite | Transaction) {
  try {
    if (request.op === "query") {
      const parsers = parsersFor(request.rawTypes);
      const options = {
        ...(request.rowMode ? { rowMode: request.rowMode } : {}),
        ...(request.paramTypes ? { paramTypes: request.paramTypes } : {}),
        ...(parsers ? { parsers } : {}),
      };
      answer(request.id, wire(await engine(() => target.query(request.sql, request.params, options))));
    } else {
      answer(request.id, (await engine(() => target.exec(request.sql))).map(wire));
    }
  } catch (err) {
    refuse(request.id, err);
  }
}

async function runTransaction(begin: BeginRequest): Promise<void> {
  let finish: (end: EndRequest) => void = () => {};
  const ended = new Promise<EndRequest>((resolve) => {
    finish = resolve;
  });
  const open: OpenTransaction = { handle: null, chain: Promise.resolve(), finish };
  transactions.set(begin.tx, open);
  let end: EndRequest | null = null;
  try {
    await engine(() =>
      db.transaction(async (tx) => {
        // the engine waits for the main thread from here on: not busy
        setBusy(false);
        open.handle = tx;
        answer(begin.id, null);
        end = await ended;
        await open.chain;
        setBusy(true);
        if (broken !== null) throw brokenError();
        if (!end.commit) throw ROLLBACK;
      }),
    );
    if (end) answer((end as EndRequest).id, null);
  } catch (err) {
    const last = end as EndRequest | null;
    if (last === null) refuse(begin.id, err);
    else if (err === ROLLBACK) answer(last.id, null);
    else refuse(last.id, err);
  } finally {
    transactions.delete(begin.tx);
  }
}

function pump(): void {
  pumping ??= (async () => {
    for (let request = queue.shift(); request; request = queue.shift()) {
      if (cancelled.delete(request.id)) continue;
      if (request.op === "begin") await runTransaction(request);
      else await runStatement(request, db);
    }
    // nothing is queued or open: a cancel left here arrived after its request had finished
    cancelled.clear();
    pumping = null;
  })();
}

function enqueue(request: QueryRequest | ExecRequest | BeginRequest): void {
  if (closing) {
    refuse(request.id, new Error("the embedded database is closing"));
    return;
  }
  queue.push(request);
  pump();
}

function inTransaction(request: QueryRequest | ExecRequest, tx: number): void {
  const open = transactions.get(tx);
  const handle = open?.handle;
  if (!open || !handle || !open.finish) {
    refuse(request.id, new Error(`transaction ${tx} is not open`));
    return;
  }
  open.chain = open.chain.then(() =>
    cancelled.delete(request.id) ? undefined : runStatement(request, handle),
  );
}

function endTransaction(request: EndRequest): void {
  const open = transactions.get(request.tx);
  if (open) {
    if (!open.finish) refuse(request.id, new Error(`transaction ${request.tx} is already ending`));
    else {
      const finish = open.finish;
      open.finish = null;
      finish(request); // answered once committed or rolled back
    }
    return;
  }
  // not open yet (its caller gave up waiting): it never will be
  const queued = queue.findIndex((q) => q.op === "begin" && q.tx === request.tx);
  if (queued >= 0) queue.splice(queued, 1);
  answer(request.id, null);
}

async function close(request: CloseRequest): Promise<void> {
  closing = true;
  await pumping;
  if (broken !== null) {
    refuse(request.id, brokenError());
    return;
  }
  try {
    await db.close();
    answer(request.id, null);
  } catch (err) {
    refuse(request.id, err);
  }
}

function handle(request: Request): void {
  switch (request.op) {
    case "query":
    case "exec":
      if (request.tx === undefined) enqueue(request);
      else inTransaction(request, request.tx);
      return;
    case "begin":
      enqueue(request);
      return;
    case "end":
      endTransaction(request);
      return;
    case "cancel":
      cancelled.add(request.target);
      return;
    case "close":
      void close(request);
      return;
    case "fault":
      trapNext = true;
      answer(request.id, null);
      return;
  }
}

try {
  db = await PGlite.create(start.dataDir, {
    pgliteWasmModule: start.modules.pglite,
    initdbWasmModule: start.modules.initdb,
  });
  port.on("message", handle);
  post({ kind: "ready" });
} catch (err) {
  post({ kind: "failed", error: toWireError(err) });
}
