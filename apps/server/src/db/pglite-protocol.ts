/**
 * The messages between the service's main thread (pglite-remote.ts) and the worker thread that
 * holds PGlite (pglite-worker.ts). Everything in them survives a structured clone: parser
 * functions do not, so a query names the column types it wants as text (`rawTypes`) and the
 * main thread applies its parsers to them.
 */

/** What the worker is started with (`workerData`). */
export interface WorkerStart {
  dataDir: string;
  /** Two Int32 slots: a count of engine calls started and finished, and 1 while one runs. */
  busy: SharedArrayBuffer;
  /** PGlite's WebAssembly, compiled once per process (a worker would compile it again each start). */
  modules: { pglite: WebAssembly.Module; initdb: WebAssembly.Module };
}

/** A statement, alone or inside the transaction `tx`. */
export interface QueryRequest {
  id: number;
  op: "query";
  sql: string;
  params: unknown[];
  rowMode: "object" | "array" | undefined;
  paramTypes: number[] | undefined;
  /** Type ids whose values are returned as PostgreSQL's text (the caller parses them). */
  rawTypes: number[];
  tx: number | undefined;
}

/** Statements without parameters (PGlite's `exec`), alone or inside the transaction `tx`. */
export interface ExecRequest {
  id: number;
  op: "exec";
  sql: string;
  tx: number | undefined;
}

/** Opens transaction `tx`; answered once it is open (after the transactions queued before it). */
export interface BeginRequest {
  id: number;
  op: "begin";
  tx: number;
}

/** Commits or rolls back transaction `tx`; a transaction not open yet is dropped from the queue. */
export interface EndRequest {
  id: number;
  op: "end";
  tx: number;
  commit: boolean;
}

/** Drops request `target` if it has not started (its caller gave up); never answered. */
export interface CancelRequest {
  id: number;
  op: "cancel";
  target: number;
}

/** Finishes the queued work, closes PGlite (which writes its files) and answers. */
export interface CloseRequest {
  id: number;
  op: "close";
}

/**
 * For tests of the failure paths only: the next engine call throws the WebAssembly
 * `RuntimeError` a trapping engine throws, instead of running.
 */
export interface FaultRequest {
  id: number;
  op: "fault";
  fault: "trap";
}

export type Request =
  | QueryRequest
  | ExecRequest
  | BeginRequest
  | EndRequest
  | CancelRequest
  | CloseRequest
  | FaultRequest;

/** A PGlite result as it crosses: rows (objects or arrays), fields, counts. */
export interface WireResult {
  rows: unknown[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
  rowCount?: number;
  command?: string;
}

/**
 * An error as it crosses: name, message, and the error's own primitive properties (SQLSTATE
 * `code`, `detail`, `constraint`, ...). `trap` marks the engine's WebAssembly RuntimeError.
 */
export interface WireError {
  name: string;
  message: string;
  trap: boolean;
  props: Record<string, string | number | boolean>;
}

export type Response =
  | { kind: "result"; id: number; ok: true; value: WireResult | WireResult[] | null }
  | { kind: "result"; id: number; ok: false; error: WireError }
  /** The engine started (id) or finished (null) a call: the main thread watches for a stall. */
  | { kind: "busy"; id: number | null }
  | { kind: "ready" }
  | { kind: "failed"; error: WireError };

/** Whether an error (or its cause) is the WebAssembly engine trapping: its state is then undefined. */
export function isEngineTrap(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; depth++, e = (e as { cause?: unknown }).cause)
    if (e instanceof WebAssembly.RuntimeError) return true;
  return false;
}

/** An error as a WireError: never throws, whatever was thrown. */
export function toWireError(err: unknown): WireError {
  const props: Record<string, string | number | boolean> = {};
  if (err !== null && typeof err === "object")
    for (const [key, value] of Object.entries(err))
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
        props[key] = value;
  return {
    name: err instanceof Error ? err.name : "Error",
    message: err instanceof Error ? err.message : String(err),
    trap: isEngineTrap(err),
    props,
  };
}
