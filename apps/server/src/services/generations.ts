import { inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
import { state } from "../db/schema.js";

/**
 * The change counters replicas share through the `state` table. Each grows inside the
 * transaction of every change it covers, so a reading taken after a change committed shows a
 * value other than one taken before it: what a replica cached under the older value is stale.
 */
export const GENERATION_KEYS = {
  /** Policies and exceptions (seeded at start; missing means the database lost its state). */
  policies: "policy_generation",
  /** Stored image facts (made by the first image write; missing means no image write yet). */
  images: "image_generation",
} as const;

/** The counters as read in one statement; null where the row is missing. */
export interface GenerationReading {
  policies: number | null;
  images: number | null;
  /** performance.now() when the statement was sent: the reading is at least as new as this. */
  at: number;
}

/**
 * Bumps the image-facts counter; call inside the transaction of every image-facts write. A
 * missing row is made with the current time in milliseconds rather than 1, so a counter that
 * was lost and made again cannot come back to a value some replica cached facts under.
 */
export async function bumpImageGeneration(tx: Tx): Promise<void> {
  await tx
    .insert(state)
    .values({
      key: GENERATION_KEYS.images,
      value: sql`(extract(epoch from clock_timestamp()) * 1000)::bigint`,
    })
    .onConflictDoUpdate({ target: state.key, set: { value: sql`${state.value} + 1` } });
}

/**
 * Reads the shared counters, both in one statement, and shares a reading between callers
 * that accept one of a given age: the policy set and the image-facts cache check the same
 * reading, and a burst of requests asks the database once.
 */
export class Generations {
  #last: GenerationReading | null = null;
  #inflight: { at: number; reading: Promise<GenerationReading> } | null = null;
  /** Readings sent before this (performance.now()) are not used: a change made here came after them. */
  #notBefore = Number.NEGATIVE_INFINITY;

  constructor(private readonly db: Db) {}

  /**
   * A reading sent at most `maxAgeMs` ago (and after the last invalidate()); with 0, always a
   * new one. Throws the database's error when it has to read and cannot.
   */
  read(maxAgeMs: number): Promise<GenerationReading> {
    const since = Math.max(performance.now() - maxAgeMs, this.#notBefore);
    if (maxAgeMs > 0) {
      if (this.#last && this.#last.at >= since) return Promise.resolve(this.#last);
      if (this.#inflight && this.#inflight.at >= since) return this.#inflight.reading;
    }
    const at = performance.now();
    const reading = this.#query(at);
    const inflight = { at, reading };
    this.#inflight = inflight;
    reading.then(
      (r) => {
        if (!this.#last || r.at >= this.#last.at) this.#last = r;
        if (this.#inflight === inflight) this.#inflight = null;
      },
      () => {
        if (this.#inflight === inflight) this.#inflight = null;
      },
    );
    return reading;
  }

  /** After a change made by this instance: the next read asks the database again. */
  invalidate(): void {
    this.#notBefore = performance.now();
  }

  async #query(at: number): Promise<GenerationReading> {
    const rows = await this.db
      .select({ key: state.key, value: state.value })
      .from(state)
      .where(inArray(state.key, [GENERATION_KEYS.policies, GENERATION_KEYS.images]));
    const value = (key: string) => {
      const v = rows.find((r) => r.key === key)?.value;
      return typeof v === "number" ? v : null;
    };
    return { policies: value(GENERATION_KEYS.policies), images: value(GENERATION_KEYS.images), at };
  }
}
