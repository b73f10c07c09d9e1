import type { ImagePushResult, StoredImage } from "@celgate/contracts";
import {
  containersOf,
  type ImageFacts,
  isReferenceError,
  parseImageFacts,
  parseImageReference,
  podSpecOf,
  type Resource,
} from "@celgate/core";
import { desc, eq, inArray, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { images } from "../db/schema.js";
import { describe, diagnosticErrors, isError } from "../lib/diagnostics.js";
import { problems } from "../lib/errors.js";

/**
 * `registry/repository:tag`, normalised as Docker does, with `latest` for a reference that has
 * neither tag nor digest (what Kubernetes pulls); null for a digest-only reference.
 */
export function nameTagOf(ref: {
  registry: string;
  repository: string;
  tag: string | null;
  digest?: string | null;
}): string | null {
  if (ref.tag === null && ref.digest) return null;
  return `${ref.registry}/${ref.repository}:${ref.tag || "latest"}`;
}

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
    throw problems.invalidBody(
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

  /** Stores the facts of `digest` from a native, Trivy or Grype body. Returns whether it was new. */
  async put(actor: string, digest: string, body: unknown): Promise<{ image: StoredImage; created: boolean }> {
    const facts = parseFacts(body, "body");
    const chosen =
      facts.find((f) => f.digest === digest) ??
      (facts.length === 1 && facts[0]!.digest === null ? facts[0] : undefined);
    if (!chosen) {
      const digests = facts.map((f) => f.digest ?? "(none)").join(", ");
      throw problems.unprocessable(
        `the facts describe no image with digest ${digest} (found: ${digests || "no images"})`,
      );
    }
    const stored: ImageFacts = { ...chosen, digest, known: true };
    const values = {
      nameTag: nameTagOf(stored),
      facts: stored as never,
      updatedAt: new Date(),
      updatedBy: actor,
    };
    const [existing] = await this.db
      .select({ digest: images.digest })
      .from(images)
      .where(eq(images.digest, digest));
    const [row] = await this.db
      .insert(images)
      .values({ digest, ...values })
      .onConflictDoUpdate({ target: images.digest, set: values })
      .returning();
    return { image: toWire(row!), created: !existing };
  }

  /**
   * Stores every image of a native, Trivy or Grype document: under its digest when it has one,
   * else under its normalised `registry/repository:tag` (a Trivy report of a tag has no digest),
   * which evaluations find by name and tag (`latest` when the reference has no tag). One
   * transaction. Throws 400 for a body that is not image facts.
   */
  async push(actor: string, body: unknown): Promise<ImagePushResult> {
    const facts = parseFacts(body, "body");
    const rows = new Map<string, ImageFacts>();
    for (const f of facts) {
      // nameTagOf is null only for a digest-only reference, which has a digest.
      const key = f.digest ?? (nameTagOf(f) as string);
      // The last facts of one image in a document win, as a later PUT would.
      rows.set(key, { ...f, known: true });
    }
    if (rows.size === 0) throw problems.unprocessable("the facts describe no image");
    const now = new Date();
    return this.db.transaction(async (tx) => {
      const keys = [...rows.keys()];
      const existing = new Set(
        (await tx.select({ digest: images.digest }).from(images).where(inArray(images.digest, keys))).map(
          (r) => r.digest,
        ),
      );
      await tx
        .insert(images)
        .values(
          [...rows].map(([key, f]) => ({
            digest: key,
            nameTag: nameTagOf(f),
            facts: f as never,
            updatedAt: now,
            updatedBy: actor,
          })),
        )
        .onConflictDoUpdate({
          target: images.digest,
          set: {
            nameTag: sql`excluded.name_tag`,
            facts: sql`excluded.facts`,
            updatedAt: sql`excluded.updated_at`,
            updatedBy: sql`excluded.updated_by`,
          },
        });
      return {
        images: [...rows].map(([key, f]) => ({
          key,
          ref: f.ref,
          digest: f.digest,
          created: !existing.has(key),
        })),
      };
    });
  }

  async get(digest: string): Promise<StoredImage> {
    const [row] = await this.db.select().from(images).where(eq(images.digest, digest));
    if (!row) throw problems.notFound(`no facts stored for image ${digest}`);
    return toWire(row);
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
        const key = nameTagOf(ref);
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
      if (digests.has(r.digest)) out.push(r.facts as unknown as ImageFacts);
      else if (r.nameTag && !seenTags.has(r.nameTag)) {
        seenTags.add(r.nameTag);
        out.push(r.facts as unknown as ImageFacts);
      }
    }
    return out;
  }
}

function toWire(r: typeof images.$inferSelect): StoredImage {
  return {
    digest: r.digest,
    facts: r.facts as unknown as StoredImage["facts"],
    updatedAt: r.updatedAt.toISOString(),
    updatedBy: r.updatedBy,
  };
}
