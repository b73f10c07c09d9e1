import type { ImageListQuery, ImagePushResult, ImageSummary, StoredImage } from "@celgate/contracts";
import { parseDuration } from "@celgate/contracts";
import {
  checkImageFactsOrder,
  containersOf,
  type ImageFacts,
  imageKey,
  isReferenceError,
  mergeImageFacts,
  parseImageFacts,
  parseImageReference,
  podSpecOf,
  type Resource,
  tagKey,
} from "@celgate/core";
import { and, asc, desc, eq, gt, inArray, or, type SQL, sql } from "drizzle-orm";
import { DatabaseBrokenError, type Db, type Tx } from "../db/client.js";
import { images } from "../db/schema.js";
import { CURSORS, decodeCursor, encodeCursor } from "../lib/cursor.js";
import { describe, diagnosticErrors, isError } from "../lib/diagnostics.js";
import { recordChange } from "./changes.js";
import { refuse } from "./errors.js";
import { bumpImageGeneration, type Generations } from "./generations.js";

/** Every image reference in the resources' pod specs, as written. */
export function imageRefsOf(resources: readonly Resource[]): string[] {
  const refs = new Set<string>();
  for (const r of resources)
    for (const c of containersOf(podSpecOf(r.object))) if (typeof c.image === "string") refs.add(c.image);
  return [...refs];
}

/**
 * Reads image facts in any accepted format (native, Trivy, Grype, or a list of reports).
 * Throws 400 with the engine's diagnostics when the input is not image facts.
 */
export function parseFacts(input: unknown, what = "images"): ImageFacts[] {
  const parsed = parseImageFacts(input, what);
  const errors = parsed.diagnostics.filter(isError);
  if (errors.length > 0 || parsed.format === null)
    throw refuse(
      "malformed-input",
      parsed.format === null
        ? `${what}: not image facts (native, Trivy or Grype JSON)`
        : `${what}: ${errors.slice(0, 3).map(describe).join("; ")}`,
      diagnosticErrors(errors),
    );
  return parsed.images;
}

/**
 * Refuses (400 `invalid-argument`) a request's own facts whose order would decide what an
 * evaluation sees, or that give one image too many different entries: core's
 * `checkImageFactsOrder`, the check the CLI makes of its `--images` files, so the same facts
 * get the same answer. The error's path names the second entry. `given` is the request's
 * `images` value: entry i is `images[i]` only when it is a list of native facts, one per entry.
 */
export function checkFactsOrder(facts: readonly ImageFacts[], given: unknown, what = "images"): void {
  const indexed = Array.isArray(given) && given.length === facts.length;
  const problem = checkImageFactsOrder(facts, {
    what,
    name: (i) => (indexed ? `${what}[${i}]` : what),
  });
  if (problem === null) return;
  const [, second] = problem.entries;
  throw refuse("invalid-argument", problem.message, [
    { path: indexed ? `${what}[${second}]` : what, message: problem.detail },
  ]);
}

/** How stored facts are cached between requests (see ImageService). */
export interface ImageCacheOptions {
  /** The shared change counters (the policy set's: one reading serves both). */
  generations: Generations;
  /** How old a reading of the counters may be, ms (the policy poll interval); 0: read on every lookup. */
  maxAgeMs: number;
  /** Why the database may not be trusted (an embedded engine that failed), or null: nothing is served from the cache then. */
  broken?: () => string | null;
  /** Keys (digests and tags) cached at most; past it the cache starts over. Default 10,000. */
  maxEntries?: number;
}

/**
 * The image-facts store, keyed by digest.
 *
 * With a cache (`ImageCacheOptions`), lookups answer from memory what they read before, as of
 * one value of the `image_generation` counter, which every image write bumps in its own
 * transaction. Each lookup first takes a reading of the counter no older than `maxAgeMs` (the
 * one the policy set took, usually); when it differs from the cache's, the cache is emptied.
 * So facts written through another replica are used by every evaluation that starts more than
 * `maxAgeMs` after their commit (the bound the policy set already has), and facts written
 * through this one by the next evaluation. Nothing is served without a reading: when the
 * counter cannot be read, or the database is known broken, the lookup fails as a database
 * error would.
 */
export class ImageService {
  readonly #cache: FactsCache | null;

  constructor(
    private readonly db: Db,
    private readonly cacheOptions?: ImageCacheOptions,
  ) {
    this.#cache = cacheOptions ? new FactsCache(cacheOptions.maxEntries ?? 10_000) : null;
  }

  /**
   * Stores the facts of `digest` from a native, Trivy or Grype body, merged with what is stored
   * (core's `mergeImageFacts`: a newer scan replaces an older one, signatures accumulate, nothing
   * the body does not carry is erased). Returns whether it was new.
   */
  async put(actor: string, digest: string, body: unknown): Promise<{ image: StoredImage; created: boolean }> {
    const facts = parseFacts(body, "body");
    const chosen =
      facts.find((f) => f.digest === digest) ??
      (facts.length === 1 && facts[0]!.digest === null ? facts[0] : undefined);
    if (!chosen) {
      const digests = facts.map((f) => f.digest ?? "(none)").join(", ");
      throw refuse(
        "invalid-input",
        `the facts describe no image with digest ${digest} (found: ${digests || "no images"})`,
      );
    }
    return this.db
      .transaction(async (tx) => {
        const { row, created } = await storeMerged(
          tx,
          digest,
          { ...chosen, digest, known: true },
          actor,
          new Date(),
        );
        await recordChange(tx, { cause: "new-scan", subject: digest });
        await bumpImageGeneration(tx);
        return { image: toWire(row), created };
      })
      .finally(() => this.#changed());
  }

  /** After a write through this instance (committed or not): the next lookup reads the counter again. */
  #changed(): void {
    if (!this.#cache) return;
    this.#cache.clear();
    this.cacheOptions?.generations.invalidate();
  }

  /**
   * Stores every image of a native, Trivy or Grype document: under its digest when it has one,
   * else under its normalised `registry/repository:tag` (a Trivy report of a tag has no digest),
   * which evaluations find by name and tag (`latest` when the reference has no tag). Each is
   * merged with what is stored, as `put` does. One transaction. Throws 400 for a body that is
   * not image facts.
   */
  async push(actor: string, body: unknown): Promise<ImagePushResult> {
    const facts = parseFacts(body, "body");
    const rows = new Map<string, ImageFacts>();
    for (const f of facts) {
      const key = imageKey(f);
      // Several facts of one image in a document merge, later over earlier, as later pushes would.
      const earlier = rows.get(key);
      const next = { ...f, known: true };
      rows.set(key, earlier ? mergeImageFacts(earlier, next) : next);
    }
    if (rows.size === 0) throw refuse("invalid-input", "the facts describe no image");
    const now = new Date();
    return this.db
      .transaction(async (tx) => {
        const out: ImagePushResult["images"] = [];
        // in key order, so that concurrent pushes lock rows in the same order
        for (const [key, f] of [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
          const { created } = await storeMerged(tx, key, f, actor, now);
          await recordChange(tx, { cause: "new-scan", subject: key });
          out.push({ key, ref: f.ref, digest: f.digest, created });
        }
        await bumpImageGeneration(tx);
        const order = [...rows.keys()];
        return { images: out.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key)) };
      })
      .finally(() => this.#changed());
  }

  async get(digest: string): Promise<StoredImage> {
    const [row] = await this.db.select().from(images).where(eq(images.digest, digest));
    if (!row) throw refuse("not-found", `no facts stored for image ${digest}`);
    return toWire(row);
  }

  /**
   * The stored images in brief, by key. `stale`: only those whose newest scan is older than
   * that duration, or that have no scan (the scan time is the facts' `scan.scannedAt`).
   */
  async list(
    q: ImageListQuery & { limit: number; cursor?: string | undefined },
    now = new Date(),
  ): Promise<{ items: ImageSummary[]; nextCursor: string | null }> {
    const where: (SQL | undefined)[] = [];
    const scannedAt = sql`(${images.facts}->'scan'->>'scannedAt')`;
    if (q.stale) {
      const cutoff = new Date(now.getTime() - parseDuration(q.stale)).toISOString();
      where.push(sql`(${scannedAt} is null or ${scannedAt}::timestamptz < ${cutoff}::timestamptz)`);
    }
    if (q.repository)
      where.push(
        sql`(${images.facts}->>'registry') || '/' || (${images.facts}->>'repository') = ${q.repository}`,
      );
    if (q.cursor) where.push(gt(images.digest, decodeCursor(q.cursor, CURSORS.images).k));
    const rows = await this.db
      .select()
      .from(images)
      .where(and(...where))
      .orderBy(asc(images.digest))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => toSummary(r, now)),
      nextCursor: rows.length > q.limit && last ? encodeCursor({ k: last.digest }) : null,
    };
  }

  /**
   * Stored facts for the given image references: by digest when the reference has one, else by
   * normalised name and tag (the newest stored whose key the references do not name by digest).
   * Newest first. Unparseable references are ignored here (the engine reports them). The facts
   * may come from the cache: treat them as read-only (they are frozen). `fresh`: take a new
   * reading of the counter first (for a caller that has just seen a change row and must use
   * the facts it announces, as re-evaluation does).
   */
  async lookup(refs: readonly string[], options: { fresh?: boolean } = {}): Promise<ImageFacts[]> {
    const digests = new Set<string>();
    const nameTags = new Set<string>();
    for (const text of refs) {
      const ref = parseImageReference(text);
      if (isReferenceError(ref)) continue;
      if (ref.digest) digests.add(ref.digest);
      else {
        const key = tagKey(ref);
        if (key) nameTags.add(key);
      }
    }
    if (digests.size === 0 && nameTags.size === 0) return [];
    const cache = this.#cache;
    if (!cache || !this.cacheOptions) return this.#lookupUncached(digests, nameTags);
    const broken = this.cacheOptions.broken?.();
    if (broken) throw new DatabaseBrokenError(`the embedded database is broken: ${broken}`);
    const { images: generation } = await this.cacheOptions.generations.read(
      options.fresh ? 0 : this.cacheOptions.maxAgeMs,
    );
    cache.at(generation);

    const byDigest = new Map<string, FactsRow | null>();
    const byTag = new Map<string, TagEntry>();
    for (const d of digests) if (cache.byDigest.has(d)) byDigest.set(d, cache.byDigest.get(d) ?? null);
    for (const t of nameTags) {
      const entry = cache.byTag.get(t);
      if (entry) byTag.set(t, entry);
    }
    const missingDigests = [...digests].filter((d) => !byDigest.has(d));
    const missingTags = [...nameTags].filter((t) => !byTag.has(t));
    if (missingDigests.length > 0 || missingTags.length > 0) {
      const [found, ...tagRows] = await Promise.all([
        missingDigests.length > 0 ? this.#rowsByDigest(missingDigests) : Promise.resolve([]),
        ...missingTags.map((t) => this.#rowsByTag(t, TAG_ROWS, [])),
      ]);
      for (const d of missingDigests) byDigest.set(d, found.find((r) => r.key === d) ?? null);
      missingTags.forEach((t, i) => {
        const rows = tagRows[i] ?? [];
        byTag.set(t, { rows, complete: rows.length < TAG_ROWS });
      });
      // kept only if no change was seen meanwhile (these rows were read after the reading)
      cache.fill(
        generation,
        missingDigests.map((d) => [d, byDigest.get(d) ?? null]),
        missingTags.map((t) => [t, byTag.get(t)!]),
      );
    }
    const chosen = new Map<string, FactsRow>();
    for (const row of byDigest.values()) if (row) chosen.set(row.key, row);
    for (const [t, entry] of byTag) {
      let row = pickForTag(entry, digests);
      // every row of the tag read so far is named by digest here, and there are more: ask
      if (row === undefined) [row] = await this.#rowsByTag(t, 1, [...digests]);
      if (row) chosen.set(row.key, row);
    }
    return [...chosen.values()].sort(newestFirst).map((r) => r.facts);
  }

  /** The lookup without a cache: one statement. */
  async #lookupUncached(digests: Set<string>, nameTags: Set<string>): Promise<ImageFacts[]> {
    const rows = await this.db
      .select({ digest: images.digest, nameTag: images.nameTag, facts: images.facts })
      .from(images)
      .where(
        or(
          digests.size > 0 ? inArray(images.digest, [...digests]) : undefined,
          nameTags.size > 0 ? inArray(images.nameTag, [...nameTags]) : undefined,
        ),
      )
      .orderBy(desc(images.updatedAt), asc(images.digest));
    const seenTags = new Set<string>();
    const out: ImageFacts[] = [];
    for (const r of rows) {
      if (digests.has(r.digest)) out.push(r.facts);
      else if (r.nameTag && !seenTags.has(r.nameTag)) {
        seenTags.add(r.nameTag);
        out.push(r.facts);
      }
    }
    return out;
  }

  async #rowsByDigest(digests: readonly string[]): Promise<FactsRow[]> {
    const rows = await this.db
      .select({ digest: images.digest, facts: images.facts, updatedAt: images.updatedAt })
      .from(images)
      .where(inArray(images.digest, [...digests]));
    return rows.map(toFactsRow);
  }

  /** The newest `limit` rows of a tag, leaving out the keys in `except`. */
  async #rowsByTag(nameTag: string, limit: number, except: readonly string[]): Promise<FactsRow[]> {
    const rows = await this.db
      .select({ digest: images.digest, facts: images.facts, updatedAt: images.updatedAt })
      .from(images)
      .where(
        and(
          eq(images.nameTag, nameTag),
          except.length > 0 ? sql`${images.digest} <> all(${toTextArray(except)})` : undefined,
        ),
      )
      .orderBy(desc(images.updatedAt), asc(images.digest))
      .limit(limit);
    return rows.map(toFactsRow);
  }
}

/** Rows of one tag kept in the cache: enough for a request that also names a few of them by digest. */
const TAG_ROWS = 4;

/** The newest rows of one tag; `complete` when the tag has no more. */
interface TagEntry {
  rows: FactsRow[];
  complete: boolean;
}

/** One stored image as the lookup uses it; `facts` is frozen once read. */
interface FactsRow {
  key: string;
  facts: ImageFacts;
  updatedAt: number;
}

function toFactsRow(r: { digest: string; facts: ImageFacts; updatedAt: Date }): FactsRow {
  return { key: r.digest, facts: deepFreeze(r.facts), updatedAt: r.updatedAt.getTime() };
}

const newestFirst = (a: FactsRow, b: FactsRow) =>
  b.updatedAt - a.updatedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * The newest row of a tag whose key the request does not name by digest (a digest match is
 * already used as such); undefined when the cached rows do not say (all named, more exist).
 */
function pickForTag(entry: TagEntry, digests: ReadonlySet<string>): FactsRow | null | undefined {
  for (const row of entry.rows) if (!digests.has(row.key)) return row;
  return entry.complete ? null : undefined;
}

function toTextArray(values: readonly string[]): SQL {
  return sql`array[${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )}]::text[]`;
}

/** Freezes a JSON value in place, so that facts shared between requests cannot be changed by one. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** What lookups read before, as of one value of the image-facts counter. */
class FactsCache {
  /** The counter value the entries were read under; undefined before the first reading. */
  #generation: number | null | undefined = undefined;
  #entries = 0;
  readonly byDigest = new Map<string, FactsRow | null>();
  readonly byTag = new Map<string, TagEntry>();

  constructor(private readonly maxEntries: number) {}

  /** Moves to the counter value just read: entries read under another value are dropped. */
  at(generation: number | null): void {
    if (this.#generation === generation) return;
    this.clear();
    this.#generation = generation;
  }

  /** Keeps what was read, unless the cache moved to another counter value meanwhile. */
  fill(generation: number | null, byDigest: [string, FactsRow | null][], byTag: [string, TagEntry][]): void {
    if (this.#generation !== generation) return;
    if (this.#entries + byDigest.length + byTag.length > this.maxEntries) this.clear(generation);
    for (const [k, v] of byDigest) this.byDigest.set(k, v);
    for (const [k, v] of byTag) this.byTag.set(k, v);
    this.#entries += byDigest.length + byTag.length;
  }

  /** Drops every entry; without a value, the next reading starts a new cache whatever it says. */
  clear(generation?: number | null): void {
    this.byDigest.clear();
    this.byTag.clear();
    this.#entries = 0;
    this.#generation = generation;
  }
}

/**
 * Stores `facts` under `key`, merged over the stored facts of that key: inserted when new;
 * otherwise the row is locked, merged with `mergeImageFacts` (stored as base, `facts` as the
 * update) and written back. Race-free: a concurrent first insert makes this one wait, then merge.
 */
async function storeMerged(
  tx: Tx,
  key: string,
  facts: ImageFacts,
  actor: string,
  now: Date,
): Promise<{ row: typeof images.$inferSelect; created: boolean }> {
  const values = { nameTag: tagKey(facts), updatedAt: now, updatedBy: actor };
  const [inserted] = await tx
    .insert(images)
    .values({ digest: key, facts, ...values })
    .onConflictDoNothing({ target: images.digest })
    .returning();
  if (inserted) return { row: inserted, created: true };
  const [stored] = await tx.select().from(images).where(eq(images.digest, key)).for("update");
  const merged = stored ? mergeImageFacts(stored.facts, facts) : facts;
  const [row] = await tx
    .update(images)
    .set({ facts: merged, ...values, nameTag: tagKey(merged) })
    .where(eq(images.digest, key))
    .returning();
  return { row: row!, created: false };
}

function toWire(r: typeof images.$inferSelect): StoredImage {
  return {
    digest: r.digest,
    facts: r.facts,
    updatedAt: r.updatedAt.toISOString(),
    updatedBy: r.updatedBy,
  };
}

function toSummary(r: typeof images.$inferSelect, now: Date): ImageSummary {
  const f = r.facts;
  const scannedAt = f.scan?.scannedAt ?? null;
  const at = scannedAt === null ? Number.NaN : Date.parse(scannedAt);
  return {
    key: r.digest,
    digest: f.digest,
    ref: f.ref,
    scanner: f.scan?.scanner ?? null,
    scannedAt,
    scanAgeSeconds: Number.isNaN(at) ? null : Math.max(0, Math.floor((now.getTime() - at) / 1000)),
    summary: f.scan ? { ...f.scan.summary } : null,
    signatures: f.signatures.length,
    verifiedSignatures: f.signatures.filter((s) => s.verified).length,
    updatedAt: r.updatedAt.toISOString(),
    updatedBy: r.updatedBy,
  };
}
