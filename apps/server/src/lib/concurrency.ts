import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.js";
import { problems } from "./errors.js";
import type { Metrics } from "./metrics.js";

/** How many evaluating requests run at once, how many may wait for their turn, and for how long. */
export interface ConcurrencyLimit {
  active: number;
  queue: number;
  /**
   * Longest wait for a turn, ms; default 30 s. Keep it below the server's request timeout: a
   * waiting request's body is unread, and the server closes a request not received in time.
   */
  maxWaitMs?: number;
}

/**
 * A counting semaphore with a bounded FIFO queue. acquire() returns null at once when the
 * queue is full, else a promise of a release function, or of null when no slot came free
 * within `maxWaitMs` (the request left the queue).
 */
export class Slots {
  #active = 0;
  readonly #waiting: ((release: () => void) => void)[] = [];

  constructor(readonly limit: ConcurrencyLimit) {}

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  acquire(maxWaitMs = this.limit.maxWaitMs ?? 30_000): Promise<(() => void) | null> | null {
    if (this.#active < this.limit.active) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiting.length >= this.limit.queue) return null;
    return new Promise((resolve) => {
      // the slot passes straight from the releasing request to this one: #active stays the same
      const grant = (release: () => void) => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        const i = this.#waiting.indexOf(grant);
        if (i >= 0) this.#waiting.splice(i, 1);
        resolve(null);
      }, maxWaitMs);
      this.#waiting.push(grant);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next(this.#releaser());
      else this.#active--;
    };
  }
}

/**
 * Admits at most `limit.active` evaluating requests into the pipeline at once (parsing,
 * evaluation, signing; a request that only waits for its history row to commit has given its
 * slot up, within the history writer's bound on rows pending); the next `limit.queue` wait
 * in order, their bodies unread, and past that (or after waiting `limit.maxWaitMs`) the
 * answer is 503 with Retry-After. This bounds the work on the event loop (and the memory of
 * bodies in flight), so health probes and light requests are answered promptly
 * however many evaluations are sent at once.
 */
const WAIT_METRIC = "celgate_evaluation_queue_wait_seconds";
const WAIT_HELP = "Time evaluating requests waited for their turn (0 when admitted at once)";
const SHED_HELP = "Evaluating requests refused with 503: the queue was full or no slot came free in time";

export function limitConcurrency(limit: ConcurrencyLimit, metrics: Metrics): MiddlewareHandler<AppEnv> {
  const slots = new Slots(limit);
  const gauges = () => {
    metrics.set(
      "celgate_evaluations_in_progress",
      "Evaluating requests holding an evaluation slot (admitted, and not yet waiting only for their history commit)",
      slots.active,
    );
    metrics.set("celgate_evaluations_queued", "Evaluating requests waiting for their turn", slots.queued);
  };
  return async (c, next) => {
    const acquired = slots.acquire();
    if (acquired === null) {
      metrics.inc("celgate_evaluations_shed_total", SHED_HELP);
      throw problems.unavailable(
        `${limit.active} evaluations are in progress and ${limit.queue} waiting on this instance; retry shortly`,
      );
    }
    gauges();
    const waitStarted = performance.now();
    const release = await acquired;
    if (release === null) {
      gauges();
      metrics.inc("celgate_evaluations_shed_total", SHED_HELP);
      throw problems.unavailable(
        `no evaluation slot came free within ${Math.round((limit.maxWaitMs ?? 30_000) / 1000)} s on this instance; retry shortly`,
      );
    }
    // Start in a later turn of the event loop, not in the microtask chain of the request that
    // released the slot: otherwise one turn runs request after request and I/O (probes) waits.
    await new Promise((resolve) => setImmediate(resolve));
    metrics.observe(WAIT_METRIC, WAIT_HELP, (performance.now() - waitStarted) / 1000);
    gauges();
    const releaseOnce = () => {
      release();
      gauges();
    };
    // the handler may give the slot up early: once its evaluation is done and only the commit
    // of its history row is awaited (services/evaluations.ts); else it goes when the request ends
    c.set("releaseEvaluationSlot", releaseOnce);
    try {
      await next();
    } finally {
      releaseOnce();
    }
  };
}
