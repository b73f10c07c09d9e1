import type { InventoryEntry, InventoryListQuery } from "@celgate/contracts";
import {
  type EvaluationReport,
  isReferenceError,
  parseImageReference,
  type Resource,
  tagKey,
  type WireResult,
} from "@celgate/core";
import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { inventory } from "../db/schema.js";
import { CURSORS, decodeCursor, encodeCursor } from "../lib/cursor.js";
import type { Logger } from "../lib/logger.js";
import type { Metrics } from "../lib/metrics.js";
import type { FindingService } from "./findings.js";
import { imageRefsOf } from "./images.js";
import type { RedactionService } from "./redaction.js";

/** The identity of an inventory entry; `namespace` is "" for cluster-scoped kinds. */
export interface InventoryKey {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
}

type Row = typeof inventory.$inferSelect;

/** Rows per INSERT statement when many objects are recorded at once. */
const WRITE_CHUNK = 200;

/** The context keys that say an evaluation describes what is deployed (docs/operations.md). */
export function deployedCluster(context: Record<string, unknown> | undefined): string | null {
  if (context?.deployed !== true) return null;
  return typeof context.cluster === "string" && context.cluster !== "" ? context.cluster : null;
}

/**
 * The keys a scan can be stored under for these image references: each digest, and each
 * normalised `registry/repository:tag` (what ImageService stores a scan of a tag under).
 */
export function imageKeysOf(refs: readonly string[]): string[] {
  const keys = new Set<string>();
  for (const text of refs) {
    const ref = parseImageReference(text);
    if (isReferenceError(ref)) continue;
    if (ref.digest) keys.add(ref.digest);
    const tag = tagKey(ref);
    if (tag) keys.add(tag);
  }
  return [...keys].sort();
}

/** Whether a result counts against its object: it fails, or could not be evaluated. */
export function isFailing(r: Pick<WireResult, "outcome">): boolean {
  return r.outcome === "fail" || r.outcome === "error";
}

/** The key of an evaluated resource within a cluster. */
export function keyOf(
  cluster: string,
  ref: { kind: string; namespace?: string; name: string },
): InventoryKey {
  return { cluster, namespace: ref.namespace ?? "", kind: ref.kind, name: ref.name };
}

/** The results of one resource of a report (matched by kind, namespace and name). */
export function resultsFor<R extends WireResult>(report: EvaluationReport<R>, key: InventoryKey): R[] {
  return report.results.filter(
    (r) =>
      r.resource.kind === key.kind &&
      (r.resource.namespace ?? "") === key.namespace &&
      r.resource.name === key.name,
  );
}

/** The policies failing for one resource of a report, sorted. */
export function failingOf(report: EvaluationReport<WireResult>, key: InventoryKey): string[] {
  return [
    ...new Set(
      resultsFor(report, key)
        .filter(isFailing)
        .map((r) => r.policy),
    ),
  ].sort();
}

const keyWhere = (k: InventoryKey) =>
  and(
    eq(inventory.cluster, k.cluster),
    eq(inventory.namespace, k.namespace),
    eq(inventory.kind, k.kind),
    eq(inventory.name, k.name),
  );

function toWire(r: Row, withObject: boolean): InventoryEntry {
  return {
    cluster: r.cluster,
    namespace: r.namespace === "" ? null : r.namespace,
    kind: r.kind,
    name: r.name,
    apiVersion: r.apiVersion,
    source: r.source as InventoryEntry["source"],
    evaluationId: r.evaluationId,
    images: r.images,
    failing: r.failing,
    ...(withObject ? { object: r.object } : {}),
    recordedAt: r.recordedAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    evaluatedAt: r.evaluatedAt.toISOString(),
  };
}

/**
 * The inventory of what is deployed. Admission reviews (CREATE and UPDATE that were allowed)
 * add or replace an entry and DELETE removes it; recorded evaluations whose context has
 * `cluster` and `deployed: true` add or replace one per resource. Objects are stored redacted,
 * as history is. Recording never fails the request that caused it: an error is logged and
 * counted (`celgate_inventory_errors_total`).
 */
export class InventoryService {
  constructor(
    private readonly db: Db,
    private readonly redaction: RedactionService,
    private readonly findings: FindingService,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    /** The cluster name admission reviews are recorded under (CELGATE_CLUSTER_NAME). */
    readonly admissionCluster: string,
  ) {}

  /**
   * Records evaluated resources as deployed in `cluster`, each with the policies it fails now
   * (the baseline for findings). Findings of policies it passes now are resolved.
   */
  async record(
    cluster: string,
    resources: readonly Resource[],
    report: EvaluationReport<WireResult>,
    options: {
      source: "admission" | "evaluation";
      evaluationId: string | null;
      context: Record<string, unknown>;
      /** The admission request's attributes, sent again when the object is re-evaluated. */
      request?: Record<string, unknown> | null;
    },
  ): Promise<void> {
    try {
      const pass = await this.redaction.pass();
      const now = new Date();
      // One row per identity: a later resource of the same name replaces an earlier one.
      const rows = new Map<string, typeof inventory.$inferInsert>();
      for (const r of resources) {
        const key = keyOf(cluster, r.ref);
        if (!key.name || key.name.endsWith("*")) continue; // no name yet (generateName): no identity
        rows.set(JSON.stringify([key.namespace, key.kind, key.name]), {
          ...key,
          apiVersion: r.ref.apiVersion,
          object: pass.object(r.object),
          request: options.request ?? null,
          context: options.context,
          images: imageKeysOf(imageRefsOf([r])),
          source: options.source,
          evaluationId: options.evaluationId,
          failing: failingOf(report, key),
          updatedAt: now,
          evaluatedAt: now,
        });
      }
      const all = [...rows.values()];
      await this.db.transaction(async (tx) => {
        for (let i = 0; i < all.length; i += WRITE_CHUNK) {
          await tx
            .insert(inventory)
            .values(all.slice(i, i + WRITE_CHUNK))
            .onConflictDoUpdate({
              target: [inventory.cluster, inventory.namespace, inventory.kind, inventory.name],
              set: {
                apiVersion: sql`excluded.api_version`,
                object: sql`excluded.object`,
                request: sql`excluded.request`,
                context: sql`excluded.context`,
                images: sql`excluded.images`,
                source: sql`excluded.source`,
                evaluationId: sql`excluded.evaluation_id`,
                failing: sql`excluded.failing`,
                updatedAt: sql`excluded.updated_at`,
                evaluatedAt: sql`excluded.evaluated_at`,
                revision: sql`${inventory.revision} + 1`,
              },
            });
        }
        await this.findings.resolveMany(
          tx,
          cluster,
          all.map((r) => ({ key: r as InventoryKey, failing: r.failing })),
          "passed",
        );
      });
    } catch (err) {
      this.#failed(err, "record");
    }
  }

  /** Removes an entry (admission DELETE) and resolves its open findings. */
  async remove(key: InventoryKey): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        await tx.delete(inventory).where(keyWhere(key));
        await this.findings.resolveExcept(tx, key, [], "deleted");
      });
    } catch (err) {
      this.#failed(err, "remove");
    }
  }

  #failed(err: unknown, what: string): void {
    this.metrics.inc("celgate_inventory_errors_total", "Inventory writes that failed (logged)", { op: what });
    this.logger.error(
      { err },
      `inventory: ${what} failed; the inventory may be behind until the next admission`,
    );
  }

  async list(
    q: InventoryListQuery & { limit: number; cursor?: string | undefined },
  ): Promise<{ items: InventoryEntry[]; nextCursor: string | null }> {
    const where: (SQL | undefined)[] = [];
    if (q.cluster) where.push(eq(inventory.cluster, q.cluster));
    if (q.namespace) where.push(eq(inventory.namespace, q.namespace));
    if (q.kind) where.push(eq(inventory.kind, q.kind));
    if (q.name) where.push(eq(inventory.name, q.name));
    if (q.image) where.push(sql`${inventory.images} @> array[${q.image}]::text[]`);
    if (q.failing === "true") where.push(sql`jsonb_array_length(${inventory.failing}) > 0`);
    if (q.failing === "false") where.push(sql`jsonb_array_length(${inventory.failing}) = 0`);
    if (q.cursor) {
      const c = decodeCursor(q.cursor, CURSORS.inventory);
      where.push(
        sql`(${inventory.cluster}, ${inventory.namespace}, ${inventory.kind}, ${inventory.name}) > (${c.c}, ${c.ns}, ${c.k}, ${c.n})`,
      );
    }
    const rows = await this.db
      .select()
      .from(inventory)
      .where(and(...where))
      .orderBy(asc(inventory.cluster), asc(inventory.namespace), asc(inventory.kind), asc(inventory.name))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => toWire(r, q.object === "true")),
      nextCursor:
        rows.length > q.limit && last
          ? encodeCursor({ c: last.cluster, ns: last.namespace, k: last.kind, n: last.name })
          : null,
    };
  }
}

/** Used by re-evaluation: an entry as read, with the revision its verdict is stored over. */
export type InventoryRow = Row;
export { keyWhere as inventoryKeyWhere };
