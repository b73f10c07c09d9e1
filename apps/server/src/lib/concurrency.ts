import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.js";
import { problems } from "./errors.js";
import type { Metrics } from "./metrics.js";

/** How many evaluating requests run at once, and how many may wait for their turn. */
export interface ConcurrencyLimit {
  active: number;
  queue: number;
}

/**
 * A counting semaphore with a bounded FIFO queue. acquire() resolves with a release function
 * when a slot is free, or returns null at once when the queue is full.
 */
export class Slots {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly limit: ConcurrencyLimit) {}

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  acquire(): Promise<() => void> | null {
    if (this.#active < this.limit.active) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiting.length >= this.limit.queue) return null;
    return new Promise((resolve) => {
      // the slot passes straight from the releasing request to this one: #active stays the same
      this.#waiting.push(() => resolve(this.#releaser()));
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    };
  }
}

/**
 * Admits at most `limit.active` evaluating requests into the pipeline at once (parsing,
 * evaluation, recording); the next `limit.queue` wait in order, their bodies unread, and past
 * that the answer is 503 with Retry-After. This bounds the work on the event loop (and the
 * memory of bodies in flight), so health probes and light requests are answered promptly
 * however many evaluations are sent at once.
 */
export function limitConcurrency(limit: ConcurrencyLimit, metrics: Metrics): MiddlewareHandler<AppEnv> {
  const slots = new Slots(limit);
  const gauges = () => {
    metrics.set(
      "celgate_evaluations_in_progress",
      "Evaluating requests admitted and not finished",
      slots.active,
    );
    metrics.set("celgate_evaluations_queued", "Evaluating requests waiting for their turn", slots.queued);
  };
  return async (_c, next) => {
    const acquired = slots.acquire();
    if (acquired === null) {
      metrics.inc(
        "celgate_evaluations_shed_total",
        "Evaluating requests refused with 503: the queue was full",
      );
      throw problems.unavailable(
        `${limit.active} evaluations are in progress and ${limit.queue} waiting on this instance; retry shortly`,
      );
    }
    gauges();
    const release = await acquired;
    // Start in a later turn of the event loop, not in the microtask chain of the request that
    // released the slot: otherwise one turn runs request after request and I/O (probes) waits.
    await new Promise((resolve) => setImmediate(resolve));
    gauges();
    try {
      await next();
    } finally {
      release();
      gauges();
    }
  };
}
