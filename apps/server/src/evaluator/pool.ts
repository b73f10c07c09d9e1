import { Worker } from "node:worker_threads";
import type { CompiledPolicySet, EvaluateInput, EvaluationReport } from "@celgate/core";
import { defaultEvaluatorThreads } from "../lib/cpus.js";
import type { FinishedReport } from "./finish.js";
import type { EvaluateRequest, EvaluateResponse } from "./protocol.js";

/** A worker's answer to an evaluation: the report, or the report finished there. */
type Answer = Extract<EvaluateResponse, { ok: true }>;

export interface EvaluatorPoolOptions {
  /** Worker threads; default: the service's (lib/cpus.ts), one core fewer than usable, at least 1. */
  size?: number;
  /** A worker that has not answered by then is stopped and replaced; its caller gets an error. */
  hardTimeoutMs?: number;
  /**
   * Heap ceiling of each worker (V8 old generation), MiB. An evaluation that needs more ends
   * that worker (EvaluationTooLargeError for the evaluation), never the process. Default 256.
   */
  memoryMb?: number;
  /**
   * Workers started beside `size` while every worker is held by an evaluation that has run for
   * longer than `heldAfterMs`, so that a long evaluation does not hold the ones after it. A
   * standby worker stops after `standbyIdleMs` without work. Default 1; 0: none.
   */
  standby?: number;
  /** Default 1 s: longer than any short evaluation takes on a loaded machine. */
  heldAfterMs?: number;
  /** Default 30 s. */
  standbyIdleMs?: number;
}

/**
 * Evaluations sent to one worker at a time: one it runs and one waiting in its port, so that it
 * never idles between two. The others wait in the pool, where a standby worker can take them.
 */
const DEPTH = 2;

/**
 * An evaluation is sent to wait behind the one its worker runs only while that one has run for
 * less than this (ms): behind a long one it would wait for all of it; in the pool, a worker
 * that frees up or a standby worker takes it.
 */
const QUEUE_BEHIND_MS = 20;

/** A request waiting in the pool for a worker. */
type Job = Omit<Pending, "request" | "timer" | "since">;

interface Pending {
  resolve(answer: Answer): void;
  reject(error: Error): void;
  request: EvaluateRequest;
  set: CompiledPolicySet;
  input: EvaluateInput;
  finish: EvaluateRequest["finish"];
  timer: NodeJS.Timeout;
  /** Sent again once already, after its worker ran out of memory with other work pending. */
  retried: boolean;
  /**
   * About when its worker started on it (performance.now()): when it was sent, and again when
   * the evaluation before it on the same worker was answered (a worker runs them in order).
   */
  since: number;
}

interface Slot {
  worker: Worker;
  /** Policy-set digests this worker has compiled. */
  known: Set<string>;
  /** In the order sent: the first is the one the worker runs. */
  pending: Map<number, Pending>;
  /** Started beside the pool's size while every worker was held; stops when idle. */
  standby: boolean;
  /** Stops an idle standby worker. */
  idle?: NodeJS.Timeout | undefined;
}

/** Thrown when a worker failed or had to be stopped; the evaluation did not happen. */
export class EvaluatorUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EvaluatorUnavailableError";
  }
}

/** Thrown when an input could not be handed to a worker; no worker saw it, nothing is pending. */
export class EvaluationHandOffError extends Error {
  constructor(reason: string) {
    super(`the input could not be handed to an evaluator: ${reason}`);
    this.name = "EvaluationHandOffError";
  }
}

/** Thrown when an evaluation needs more memory than a worker may use; retrying will not help. */
export class EvaluationTooLargeError extends Error {
  constructor(readonly memoryMb: number) {
    super(`the evaluation needs more than the ${memoryMb} MiB an evaluator may use; split the request`);
    this.name = "EvaluationTooLargeError";
  }
}

/**
 * Evaluations on worker threads. The engine's budgets bound every expression, but a request
 * with thousands of resources can still take seconds; on workers it never holds the event loop,
 * so health checks and other requests are answered meanwhile. Each worker compiles a policy set
 * once per digest. Requests go to the worker with the fewest pending evaluations, at most DEPTH
 * each, and behind a running one only while it is young (QUEUE_BEHIND_MS); the rest wait in the
 * pool in order. When every worker has been running one evaluation for longer than
 * `heldAfterMs`, a standby worker takes the waiting ones: a long evaluation holds only itself.
 */
export class EvaluatorPool {
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  readonly #hardTimeoutMs: number;
  readonly #memoryMb: number;
  readonly #standby: number;
  readonly #heldAfterMs: number;
  readonly #standbyIdleMs: number;
  /** Looks again at held workers while requests wait (nothing else happens until an answer). */
  #recheck: NodeJS.Timeout | undefined;
  #nextId = 1;
  #closed = false;

  constructor(options: EvaluatorPoolOptions = {}) {
    this.#hardTimeoutMs = options.hardTimeoutMs ?? 120_000;
    this.#memoryMb = options.memoryMb ?? 256;
    this.#standby = Math.max(0, options.standby ?? 1);
    this.#heldAfterMs = options.heldAfterMs ?? 1000;
    this.#standbyIdleMs = options.standbyIdleMs ?? 30_000;
    const size = Math.max(1, options.size ?? defaultEvaluatorThreads());
    for (let i = 0; i < size; i++) this.#slots.push(this.#spawn(false));
  }

  /** Evaluations handed to the pool and not yet answered, waiting ones included (for tests and diagnostics). */
  get pending(): number {
    return this.#slots.reduce((n, s) => n + s.pending.size, this.#queue.length);
  }

  /** Worker threads running now, standby ones included. */
  get workers(): number {
    return this.#slots.length;
  }

  /**
   * Evaluates on a worker. Rejects with EvaluatorUnavailableError if the worker fails, and with
   * EvaluationHandOffError if the input cannot be sent to it (nothing is left pending then).
   */
  evaluate(set: CompiledPolicySet, input: EvaluateInput): Promise<EvaluationReport> {
    return this.#submit(set, input, undefined).then((answer) => {
      if ("report" in answer) return answer.report;
      throw new EvaluatorUnavailableError("the evaluator answered without a report");
    });
  }

  /**
   * Evaluates on a worker and finishes the report there (finish.ts: wire form, policy versions
   * from `versionsJson`, JSON text). Rejects as evaluate() does.
   */
  evaluateFinished(
    set: CompiledPolicySet,
    input: EvaluateInput,
    versionsJson: string,
  ): Promise<FinishedReport> {
    return this.#submit(set, input, { versionsJson }).then((answer) => {
      if ("finished" in answer) return answer.finished;
      throw new EvaluatorUnavailableError("the evaluator answered without a finished report");
    });
  }

  #submit(set: CompiledPolicySet, input: EvaluateInput, finish: EvaluateRequest["finish"]): Promise<Answer> {
    if (this.#closed) return Promise.reject(new EvaluatorUnavailableError("the evaluator pool is closed"));
    return new Promise<Answer>((resolve, reject) => {
      this.#dispatch({ resolve, reject, set, input, finish, retried: false });
    });
  }

  /** Queues an evaluation and sends what the workers have room for. */
  #dispatch(job: Job): void {
    this.#queue.push(job);
    this.#drain();
  }

  /** Sends waiting evaluations, in order, to workers with room; starts a standby worker when every worker is held. */
  #drain(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      const slot = this.#slotWithRoom();
      if (!slot) break;
      this.#send(slot, this.#queue.shift() as Job);
    }
    if (this.#queue.length > 0 && !this.#recheck && !this.#closed) {
      // a worker becomes held with time alone: look again then
      this.#recheck = setTimeout(() => {
        this.#recheck = undefined;
        this.#drain();
      }, this.#heldAfterMs);
      this.#recheck.unref();
    }
  }

  /** The least busy worker with room; else a new standby worker, if every worker is held and one may start. */
  #slotWithRoom(): Slot | undefined {
    const now = performance.now();
    let best: Slot | undefined;
    let allHeld = true;
    for (const slot of this.#slots) {
      const running = this.#runningFor(slot, now);
      allHeld &&= running > this.#heldAfterMs;
      if (slot.pending.size >= DEPTH || (slot.pending.size > 0 && running > QUEUE_BEHIND_MS)) continue;
      if (!best || slot.pending.size < best.pending.size) best = slot;
    }
    if (best || !allHeld) return best;
    if (this.#slots.filter((s) => s.standby).length >= this.#standby) return undefined;
    const slot = this.#spawn(true);
    this.#slots.push(slot);
    return slot;
  }

  /** How long (ms) a worker has been on the evaluation it runs (its first pending); 0 when idle. */
  #runningFor(slot: Slot, now: number): number {
    for (const pending of slot.pending.values()) return now - pending.since;
    return 0;
  }

  /** Sends an evaluation to a worker. */
  #send(slot: Slot, job: Job): void {
    if (slot.idle) {
      clearTimeout(slot.idle);
      slot.idle = undefined;
    }
    const id = this.#nextId++;
    const { set } = job;
    const request: EvaluateRequest = {
      id,
      digest: set.digest,
      input: job.input,
      ...(job.finish ? { finish: job.finish } : {}),
      ...(slot.known.has(set.digest) ? {} : { documents: set.policies.map((p) => p.document) }),
    };
    const timer = setTimeout(() => this.#replace(slot, "the evaluation took too long"), this.#hardTimeoutMs);
    slot.pending.set(id, { ...job, request, timer, since: performance.now() });
    if (this.#post(slot, id, request)) slot.known.add(set.digest);
  }

  /** After an answer: an idle standby worker is stopped later; waiting evaluations go out. */
  #answered(slot: Slot): void {
    for (const next of slot.pending.values()) {
      next.since = performance.now();
      break;
    }
    if (slot.standby && slot.pending.size === 0 && this.#queue.length === 0 && !slot.idle) {
      slot.idle = setTimeout(() => this.#retire(slot), this.#standbyIdleMs);
      slot.idle.unref();
    }
    this.#drain();
  }

  /** Stops an idle standby worker. */
  #retire(slot: Slot): void {
    slot.idle = undefined;
    const index = this.#slots.indexOf(slot);
    if (index < 0 || slot.pending.size > 0) return;
    this.#slots.splice(index, 1);
    void slot.worker.terminate();
  }

  /**
   * Sends a request to a worker. If it cannot be sent (structured clone refuses the input:
   * too deep, not cloneable), the request's entry and timer are removed and its caller gets
   * EvaluationHandOffError, so nothing is left to time out and stop a worker later.
   */
  #post(slot: Slot, id: number, request: EvaluateRequest): boolean {
    try {
      slot.worker.postMessage(request);
      return true;
    } catch (error) {
      const pending = slot.pending.get(id);
      slot.pending.delete(id);
      if (pending) {
        clearTimeout(pending.timer);
        pending.reject(new EvaluationHandOffError(error instanceof Error ? error.message : String(error)));
      }
      return false;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#recheck) clearTimeout(this.#recheck);
    for (const job of this.#queue.splice(0))
      job.reject(new EvaluatorUnavailableError("the evaluator pool is closing"));
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.idle) clearTimeout(slot.idle);
        this.#failAll(slot, "the evaluator pool is closing");
        await slot.worker.terminate();
      }),
    );
  }

  #spawn(standby: boolean): Slot {
    const source = import.meta.url.endsWith(".ts");
    const worker = source
      ? // from source (tests): register the TypeScript loader in the worker, then load the worker module
        new Worker(
          `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL("./worker.ts", import.meta.url).href)}); });`,
          { eval: true, execArgv: ["--conditions=source"], resourceLimits: this.#limits() },
        )
      : new Worker(new URL("./worker.js", import.meta.url), { resourceLimits: this.#limits() });
    worker.unref();
    const slot: Slot = { worker, known: new Set(), pending: new Map(), standby };
    worker.on("message", (response: EvaluateResponse) => {
      const pending = slot.pending.get(response.id);
      if (!pending) return;
      if (!response.ok && response.unknownDigest && !pending.request.documents) {
        // the worker evicted the set: send the request again, with the documents
        pending.request.documents = pending.set.policies.map((p) => p.document);
        this.#post(slot, response.id, pending.request);
        return;
      }
      slot.pending.delete(response.id);
      clearTimeout(pending.timer);
      if (response.ok) pending.resolve(response);
      else pending.reject(new EvaluatorUnavailableError(`evaluation failed: ${response.error}`));
      this.#answered(slot);
    });
    worker.on("error", (error) => {
      if ((error as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY") this.#outOfMemory(slot);
      else this.#replace(slot, `the evaluator failed: ${error.message}`);
    });
    worker.on("exit", () => {
      if (!this.#closed && slot.pending.size > 0) this.#replace(slot, "the evaluator stopped");
    });
    return slot;
  }

  #limits(): { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number } {
    return {
      maxOldGenerationSizeMb: this.#memoryMb,
      maxYoungGenerationSizeMb: Math.min(64, this.#memoryMb / 4),
    };
  }

  /**
   * A worker hit its heap ceiling. Alone, its evaluation is the one at fault; with others
   * pending, which one is unknown, so each is sent once more to a fresh worker and a second
   * failure is final. The process itself never runs out of memory for an evaluation.
   */
  #outOfMemory(slot: Slot): void {
    const index = this.#slots.indexOf(slot);
    if (index < 0) return;
    const jobs = [...slot.pending.values()];
    slot.pending.clear();
    void slot.worker.terminate();
    this.#renew(slot, index);
    // The suspects run again one after another, so that the one at fault fails alone.
    let chain = Promise.resolve();
    for (const job of jobs) {
      clearTimeout(job.timer);
      if (this.#closed) job.reject(new EvaluatorUnavailableError("the evaluator pool is closing"));
      else if (jobs.length === 1 || job.retried) job.reject(new EvaluationTooLargeError(this.#memoryMb));
      else chain = chain.then(() => this.#retry(job));
    }
  }

  /** Sends an evaluation again after its worker ran out of memory; resolves when it settles. */
  #retry(job: Pending): Promise<void> {
    return new Promise<void>((done) => {
      if (this.#closed) {
        job.reject(new EvaluatorUnavailableError("the evaluator pool is closing"));
        return done();
      }
      this.#dispatch({
        set: job.set,
        input: job.input,
        finish: job.finish,
        retried: true,
        resolve: (answer) => {
          job.resolve(answer);
          done();
        },
        reject: (error) => {
          job.reject(error);
          done();
        },
      });
    });
  }

  /** Stops a worker that failed or hangs, fails its evaluations, and starts a fresh one. */
  #replace(slot: Slot, reason: string): void {
    const index = this.#slots.indexOf(slot);
    if (index < 0) return;
    this.#failAll(slot, reason);
    void slot.worker.terminate();
    this.#renew(slot, index);
    this.#drain();
  }

  /** A stopped worker's place: a fresh worker, or none for a standby one (one starts again when needed). */
  #renew(slot: Slot, index: number): void {
    if (slot.idle) clearTimeout(slot.idle);
    if (slot.standby || this.#closed) this.#slots.splice(index, 1);
    else this.#slots[index] = this.#spawn(false);
  }

  #failAll(slot: Slot, reason: string): void {
    for (const pending of slot.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new EvaluatorUnavailableError(reason));
    }
    slot.pending.clear();
  }
}
