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
}

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
}

interface Slot {
  worker: Worker;
  /** Policy-set digests this worker has compiled. */
  known: Set<string>;
  pending: Map<number, Pending>;
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
 * once per digest. Requests go to the worker with the fewest pending evaluations.
 */
export class EvaluatorPool {
  readonly #slots: Slot[] = [];
  readonly #hardTimeoutMs: number;
  readonly #memoryMb: number;
  #nextId = 1;
  #closed = false;

  constructor(options: EvaluatorPoolOptions = {}) {
    this.#hardTimeoutMs = options.hardTimeoutMs ?? 120_000;
    this.#memoryMb = options.memoryMb ?? 256;
    const size = Math.max(1, options.size ?? defaultEvaluatorThreads());
    for (let i = 0; i < size; i++) this.#slots.push(this.#spawn());
  }

  /** Evaluations handed to a worker and not yet answered (for tests and diagnostics). */
  get pending(): number {
    return this.#slots.reduce((n, s) => n + s.pending.size, 0);
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

  /** Sends an evaluation to the least busy worker. */
  #dispatch(job: Omit<Pending, "request" | "timer">): void {
    const slot = this.#slots.reduce((best, s) => (s.pending.size < best.pending.size ? s : best));
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
    slot.pending.set(id, { ...job, request, timer });
    if (this.#post(slot, id, request)) slot.known.add(set.digest);
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
    await Promise.all(
      this.#slots.map(async (slot) => {
        this.#failAll(slot, "the evaluator pool is closing");
        await slot.worker.terminate();
      }),
    );
  }

  #spawn(): Slot {
    const source = import.meta.url.endsWith(".ts");
    const worker = source
      ? // from source (tests): register the TypeScript loader in the worker, then load the worker module
        new Worker(
          `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL("./worker.ts", import.meta.url).href)}); });`,
          { eval: true, execArgv: ["--conditions=source"], resourceLimits: this.#limits() },
        )
      : new Worker(new URL("./worker.js", import.meta.url), { resourceLimits: this.#limits() });
    worker.unref();
    const slot: Slot = { worker, known: new Set(), pending: new Map() };
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
    if (!this.#closed) this.#slots[index] = this.#spawn();
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
    if (!this.#closed) this.#slots[index] = this.#spawn();
  }

  #failAll(slot: Slot, reason: string): void {
    for (const pending of slot.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new EvaluatorUnavailableError(reason));
    }
    slot.pending.clear();
  }
}
