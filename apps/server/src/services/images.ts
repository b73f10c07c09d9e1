import type { ImageListQuery, ImagePushResult, ImageSummary, StoredImage } from "@celgate/contracts";
import { parseDuration } from "@celgate/contracts";
import {
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
import type { Db, Tx } from "../db/client.js";
import { images } from "../db/schema.js";
import { CURSORS, decodeCursor, encodeCursor } from "../lib/cursor.js";
import { describe, diagnosticErrors, isError } from "../lib/diagnostics.js";
import { recordChange } from "./changes.js";
import { refuse } from "./errors.js";

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

/** The image-facts store, keyed by digest. */
export class ImageService {
  constructor(private readonly db: Db) {}

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
    return this.db.transaction(async (tx) => {
      const { row, created } = await storeMerged(
        tx,
        digest,
        { ...chosen, digest, known: true },
        actor,
        new Date(),
      );
      await recordChange(tx, { cause: "new-scan", subject: digest });
      return { image: toWire(row), created };
    });
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
    return this.db.transaction(async (tx) => {
      const out: ImagePushResult["images"] = [];
      // in key order, so that concurrent pushes lock rows in the same order
      for (const [key, f] of [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const { created } = await storeMerged(tx, key, f, actor, now);
        await recordChange(tx, { cause: "new-scan", subject: key });
        out.push({ key, ref: f.ref, digest: f.digest, created });
      }
      const order = [...rows.keys()];
      return { images: out.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key)) };
    });
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
   * normalised name and tag (the newest stored). Unparseable references are ignored here (the
   * engine reports them).
   */
  async lookup(refs: readonly string[]): Promise<ImageFacts[]> {
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
    const rows = await this.db
      .select()
      .from(images)
      .where(
        or(
          digests.size > 0 ? inArray(images.digest, [...digests]) : undefined,
          nameTags.size > 0 ? inArray(images.nameTag, [...nameTags]) : undefined,
        ),
      )
      .orderBy(desc(images.updatedAt));
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
