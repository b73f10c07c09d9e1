import type { MiddlewareHandler } from "hono";
import { ADMISSION_WEBHOOK } from "./auth.js";
import type { AppEnv } from "./context.js";
import { problems } from "./errors.js";
import type { Metrics } from "./metrics.js";

/** Requests per second a caller may send on average, and how many at once above that. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets, one per key, in this process's memory: each replica limits on its own, so
 * behind a load balancer a caller gets up to `perSecond` x replicas. A bucket holds up to
 * `burst` tokens, refills at `perSecond`, and each request takes one.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #limit: RateLimit;
  readonly #maxKeys: number;

  constructor(limit: RateLimit, options: { maxKeys?: number } = {}) {
    this.#limit = limit;
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  /**
   * Takes one token from `key`'s bucket. Returns 0 when the request may go ahead, else the
   * seconds (at least 1) until a token is available.
   */
  take(key: string, now = performance.now()): number {
    const { perSecond, burst } = this.#limit;
    let bucket = this.#buckets.get(key);
    if (bucket) {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * perSecond);
      bucket.updatedAt = now;
      // Map order is insertion order: re-inserting keeps the least recently used first.
      this.#buckets.delete(key);
    } else {
      if (this.#buckets.size >= this.#maxKeys) this.#evict(now);
      bucket = { tokens: burst, updatedAt: now };
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Drops buckets that have refilled (forgetting them changes nothing), else the least recently used. */
  #evict(now: number): void {
    const { perSecond, burst } = this.#limit;
    for (const [key, b] of this.#buckets)
      if (b.tokens + ((now - b.updatedAt) / 1000) * perSecond >= burst) this.#buckets.delete(key);
    if (this.#buckets.size >= this.#maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
  }
}

/** The peer address of the connection, when the app is served by @hono/node-server. */
export function remoteAddress(env: unknown): string | undefined {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress;
}

/**
 * Limits each caller to `limit`: by token for authenticated requests, by source address for
 * the unauthenticated admission webhook (`CELGATE_ADMISSION_AUTH=none`). Runs after
 * authentication; past the limit the answer is 429 with `Retry-After` (seconds).
 */
export function rateLimit(limit: RateLimit, metrics: Metrics): MiddlewareHandler<AppEnv> {
  const buckets = new TokenBuckets(limit);
  return async (c, next) => {
    const principal = c.get("principal");
    const anonymous = principal.tokenId === ADMISSION_WEBHOOK.tokenId;
    // Addresses and token ids cannot collide: the prefixes differ.
    const key = anonymous ? `address:${remoteAddress(c.env) ?? "unknown"}` : `token:${principal.tokenId}`;
    const retryAfter = buckets.take(key);
    if (retryAfter > 0) {
      metrics.inc("celgate_rate_limited_total", "Requests refused with 429 by the per-caller rate limit", {
        caller: anonymous ? "address" : "token",
      });
      throw problems.tooManyRequests(
        `this ${anonymous ? "address" : "token"} may send ${limit.perSecond} requests per second (bursts of ${limit.burst}); retry after ${retryAfter} s`,
        retryAfter,
      );
    }
    await next();
  };
}
